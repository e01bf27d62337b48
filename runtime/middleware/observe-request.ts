import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import type { CallSite, Logger } from '../../lib/logging/logger.ts';
import { redactText } from '../../lib/logging/redact.ts';
import { UNMATCHED } from '../../lib/metrics/http-metrics.ts';
import type { Metrics } from '../../lib/metrics/registry.ts';
import type { AppEnv } from '../env.ts';
import { countRequestBytes, countResponseBytes } from './byte-counters.ts';

/** A client's X-Request-Id is kept when it is short and plain; anything else is replaced. */
const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const CLIENT_CLOSED = 499;
const SECRET_QUERY = /([?&](?:access_token|token|api_key|apikey|password|secret)=)[^&]*/gi;

interface NodeBindings {
  incoming?: IncomingMessage;
  outgoing?: ServerResponse;
}

export interface ObserveOptions {
  log: Logger;
  /** Without metrics (e.g. `npm run invoke`) requests are still logged. */
  metrics?: Metrics;
  /** Route templates the app serves; anything else is labelled UNMATCHED. */
  routes: ReadonlySet<string>;
}

/**
 * First in the chain. Gives each request an id (kept from a well-formed X-Request-Id) and a
 * logger bound to it, then records the metrics and writes one access line when the response
 * has really ended (the Node response's `close`: last byte written, or the client went away
 * first: status 499), not when the handler returns.
 */
export function observeRequests({ log, metrics, routes }: ObserveOptions): MiddlewareHandler<AppEnv> {
  // The access line is always written from the same line below: find it once (Logger.logFrom).
  let accessLineSite: CallSite | undefined;
  return async (c, next) => {
    const started = performance.now();
    const { incoming, outgoing } = (c.env ?? {}) as NodeBindings;
    const incomingId = c.req.header('x-request-id');
    const requestId = incomingId && WELL_FORMED_ID.test(incomingId) ? incomingId : randomUUID();
    const method = c.req.method;
    const requestLog = log.child({
      request_id: requestId,
      remote_addr: incoming?.socket.remoteAddress ?? '',
      method,
      url: requestTarget(c.req.url),
    });
    c.set('requestId', requestId);
    c.set('log', requestLog);
    // On the Node response itself: going through Hono's headers costs more, and touching
    // c.res headers after the handler pushes node-server off its fast path for plain bodies.
    if (outgoing) outgoing.setHeader('x-request-id', requestId);
    else c.header('x-request-id', requestId);

    metrics?.http.inFlight.inc();
    const requestBytes = countRequestBytes(c);
    const responseBytes = outgoing ? countResponseBytes(outgoing) : undefined;
    let recorded = false;
    const record = (status: number) => {
      if (recorded) return;
      recorded = true;
      const seconds = (performance.now() - started) / 1000;
      const path = routeTemplate(c, routes);
      const sent = method === 'HEAD' || status === 204 || status === 304 ? 0 : (responseBytes?.() ?? 0);
      const received = requestBytes();
      if (metrics) {
        metrics.http.inFlight.dec();
        metrics.http.record({ method, path, status, seconds, requestBytes: received, responseBytes: sent, requestId });
      }
      const level = status >= 500 ? 'error' : status === CLIENT_CLOSED ? 'warn' : 'info';
      accessLineSite = requestLog.logFrom(accessLineSite, level, 'request', {
        path,
        status_code: status,
        duration_ms: Math.round(seconds * 100_000) / 100,
        req_bytes: received,
        res_bytes: sent,
        user_agent: c.req.header('user-agent') ?? '',
        client: c.get('client'),
      });
    };
    // 'close' comes once the response has been written out, or when the connection dropped
    // before that (writableFinished false): the client is gone, 499.
    outgoing?.on('close', () => record(outgoing.writableFinished ? outgoing.statusCode : CLIENT_CLOSED));

    await next();
    // Without a Node response (an in-memory app.request) the handler's return is the end.
    if (!outgoing) record(c.res.status);
  };
}

/** The matched route's template, e.g. /repos/:owner/:name; one fixed value for anything else. */
function routeTemplate(c: Context, routes: ReadonlySet<string>): string {
  const path = matchedRoutes(c).at(c.req.routeIndex)?.path;
  return path !== undefined && routes.has(path) ? path : UNMATCHED;
}

/** Path and query of the request, with credentials and secret-looking query values masked. */
function requestTarget(url: string): string {
  const start = url.indexOf('/', url.indexOf('//') + 2);
  const target = start === -1 ? '/' : url.slice(start);
  return target.includes('?') ? redactText(target).replace(SECRET_QUERY, '$1***') : target;
}
