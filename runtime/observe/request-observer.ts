import { lineFields, type CallSite, type Logger } from '../../lib/logging/logger.ts';
import { redactText } from '../../lib/logging/redact.ts';
import { OTHER_METHOD, UNMATCHED } from '../../lib/metrics/http-metrics.ts';
import type { Metrics } from '../../lib/metrics/registry.ts';
import { AccessLine } from './access-line.ts';
import { newRequestId } from './request-id.ts';

/**
 * The one request observation, whatever runs the app: a request id (a client's well-formed
 * X-Request-Id, or a new one), the four request metrics and in-flight, and one access line,
 * written when the response has really ended (its last byte written, or the client gone
 * first: 499), not when a handler returns. The Hono middleware (./middleware.ts) observes
 * every request the app sees; the Node server (runtime/server.ts) reports the few it answers
 * itself into the same code.
 */
export const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{8,128}$/;
export const CLIENT_CLOSED = 499;
const SECRET_QUERY = /([?&](?:access_token|token|api_key|apikey|password|secret)=)[^&]*/gi;

export interface ObserverOptions {
  log: Logger;
  /** Without metrics requests are still logged. */
  metrics?: Metrics;
  /** The access line through the logger's fast path (the default), or through tslog like every other line (for `npm run bench`). */
  accessLine?: 'fast' | 'tslog';
}

/** What is known of a request when it arrives. */
export interface RequestStart {
  method: string;
  /** Path and query as received. */
  target: string;
  /** The client's address (behind a trusted proxy, the one it forwarded). */
  remoteAddress: string;
  userAgent: string | undefined;
  /** The request's X-Request-Id header, if any. */
  requestId: string | undefined;
}

/** How the response ended. */
export interface ResponseEnd {
  /** The status sent, or CLIENT_CLOSED when the client went away before the last byte. */
  status: number;
  requestBytes: number;
  responseBytes: number;
}

/** What Node's HTTP parser refused, answered straight on the socket (runtime/server.ts). */
export interface UnreadableRequest {
  status: number;
  remoteAddress: string | undefined;
  responseBytes: number;
  /** Node's error code, e.g. HPE_INVALID_METHOD. */
  reason: string | undefined;
}

interface Shared extends ObserverOptions {
  /** The access lines are always written from the same lines: found once (Logger.logFrom). */
  accessLineSite: CallSite | undefined;
  unreadableLineSite: CallSite | undefined;
}

export class RequestObserver {
  readonly #shared: Shared;

  constructor(options: ObserverOptions) {
    this.#shared = { ...options, accessLineSite: undefined, unreadableLineSite: undefined };
  }

  /** A request arrived: counted in flight until its observation ends. */
  begin(start: RequestStart): RequestObservation {
    return new RequestObservation(this.#shared, start);
  }

  /**
   * A request refused before Node made a request object of it (malformed request line or
   * headers, headers too large, too slow): counted under `_OTHER` and `__unmatched__` with
   * no duration (the parser says nothing of when it began) and logged. Returns its id.
   */
  unreadable({ status, remoteAddress, responseBytes, reason }: UnreadableRequest): string {
    const shared = this.#shared;
    const requestId = newRequestId();
    const observation = { method: OTHER_METHOD, path: UNMATCHED, status, seconds: 0, requestBytes: 0, responseBytes, requestId };
    shared.metrics?.http.started();
    shared.metrics?.http.record(observation);
    const fields = lineFields({
      request_id: requestId,
      remote_addr: remoteAddress ?? '',
      path: UNMATCHED,
      status_code: status,
      res_bytes: responseBytes,
      error: reason,
    });
    shared.unreadableLineSite = shared.log.logFrom(shared.unreadableLineSite, 'info', 'request', fields);
    return requestId;
  }
}

export class RequestObservation {
  readonly requestId: string;
  /** The route template the request goes to (`/repos/:owner`), UNMATCHED for none. */
  path = UNMATCHED;
  /** The name of the API token that authorised the request, when one did. */
  client: string | undefined = undefined;
  readonly #shared: Shared;
  readonly #start: RequestStart;
  readonly #started = performance.now();
  #log: Logger | undefined = undefined;
  #target: string | undefined = undefined;
  #ended = false;

  constructor(shared: Shared, start: RequestStart) {
    this.#shared = shared;
    this.#start = start;
    const incomingId = start.requestId;
    this.requestId = incomingId !== undefined && WELL_FORMED_ID.test(incomingId) ? incomingId : newRequestId();
    shared.metrics?.http.started();
  }

  /** The request's logger: its lines carry the request id, client address, method and URL. */
  get log(): Logger {
    return (this.#log ??= this.#shared.log.child({
      request_id: this.requestId,
      remote_addr: this.#start.remoteAddress,
      method: this.#start.method,
      url: this.#maskedTarget(),
    }));
  }

  /** Path and query of the request, with credentials and secret-looking query values masked. */
  #maskedTarget(): string {
    if (this.#target === undefined) {
      const target = this.#start.target;
      this.#target = target.includes('?') ? redactText(target).replace(SECRET_QUERY, '$1***') : target;
    }
    return this.#target;
  }

  /** The response has ended: record it and write the access line (once; later calls do nothing). */
  end({ status, requestBytes, responseBytes }: ResponseEnd): void {
    if (this.#ended) return;
    this.#ended = true;
    const shared = this.#shared;
    const start = this.#start;
    const seconds = (performance.now() - this.#started) / 1000;
    const method = start.method;
    const sent = method === 'HEAD' || status === 204 || status === 304 ? 0 : responseBytes;
    shared.metrics?.http.record({ method, path: this.path, status, seconds, requestBytes, responseBytes: sent, requestId: this.requestId });
    const level = status >= 500 ? 'error' : status === CLIENT_CLOSED ? 'warn' : 'info';
    if (!shared.log.isEnabled(level)) return;
    // The access line takes the fast path (Logger.logFrom; docs/performance.md has both figures),
    // and so writes the request's fields itself rather than through its child logger.
    const line = new AccessLine({
      requestId: this.requestId,
      remoteAddress: start.remoteAddress,
      method,
      url: this.#maskedTarget(),
      path: this.path,
      status,
      durationMs: Math.round(seconds * 100_000) / 100,
      requestBytes,
      responseBytes: sent,
      userAgent: start.userAgent ?? '',
      client: this.client,
    });
    if (shared.accessLine === 'tslog') shared.log[level]('request', line.fields());
    else shared.accessLineSite = shared.log.logFrom(shared.accessLineSite, level, 'request', line);
  }
}
