import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { UNMATCHED } from '../../lib/metrics/http-metrics.ts';
import type { AppEnv } from '../env.ts';
import { toHttpError } from '../error-response.ts';
import { TrustedProxies } from '../../lib/http/client-address.ts';
import { meteredResponse } from './metered-body.ts';
import type { RequestObservation, RequestObserver, RequestStart } from './request-observer.ts';

export interface ObserveOptions {
  observer: RequestObserver;
  /** Proxies whose X-Forwarded-For is believed (none by default). */
  trustedProxies?: TrustedProxies;
  /** The address the request came from, where the runtime is not Node (e.g. the Lambda event's source IP). */
  peerAddress?: (c: Context<AppEnv>) => string | undefined;
}

/**
 * The request observation as Hono middleware, first in the app: the observation (request id,
 * metrics, access line: ./request-observer.ts) in `c.var.observation`, its route template from
 * `hono/route`, X-Request-Id on the answer. On the Node server the server reports the
 * response's real end (c.env.exchange); anywhere else the body is metered on its way out.
 * Anything thrown that is not an Error (Hono hands only Errors to onError) is answered here.
 */
export function observeRequests({ observer, trustedProxies = new TrustedProxies([]), peerAddress }: ObserveOptions): MiddlewareHandler<AppEnv> {
  const clientAddress = (peer: string, forwardedFor: string | undefined) => trustedProxies.clientAddress(peer, forwardedFor);
  return async function observe(c, next) {
    const exchange = c.env?.exchange;
    const observation = observer.begin(exchange ? exchange.start(clientAddress) : fetchStart(c, clientAddress, peerAddress));
    observation.path = routeTemplate(c);
    c.set('observation', observation);
    if (exchange) exchange.track(observation);
    else c.header('x-request-id', observation.requestId);
    try {
      await next();
    } catch (error) {
      const httpError = toHttpError(error, observation.log);
      c.res = c.json(httpError.toBody(), httpError.status as 500, httpError.headers);
    }
    if (!exchange) c.res = meteredResponse(c.res, observation, declaredLength(c));
  };
}

/**
 * The template of the route that answers (`/repos/:owner/:name`): the last route matched
 * that is not middleware (registered for all methods, or for every path). None: UNMATCHED.
 */
function routeTemplate(c: Context<AppEnv>): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const { method, path } = routes[i]!;
    if (method !== 'ALL' && path !== '*' && path !== '/*') return path;
  }
  return UNMATCHED;
}

/** The request as the observation starts it, from the Fetch Request (no Node objects here). */
function fetchStart(
  c: Context<AppEnv>,
  clientAddress: (peer: string, forwardedFor: string | undefined) => string,
  peerAddress: ObserveOptions['peerAddress'],
): RequestStart {
  const url = c.req.url;
  const pathStart = url.indexOf('/', url.indexOf('//') + 2);
  return {
    method: c.req.method,
    target: pathStart === -1 ? '/' : url.slice(pathStart),
    remoteAddress: clientAddress(peerAddress?.(c) ?? '', c.req.header('x-forwarded-for')),
    userAgent: c.req.header('user-agent'),
    requestId: c.req.header('x-request-id'),
  };
}

function declaredLength(c: Context<AppEnv>): number {
  const length = Number(c.req.header('content-length') ?? 0);
  return Number.isSafeInteger(length) && length >= 0 ? length : 0;
}

export type { RequestObservation };
