import type { Hono } from 'hono';
import { payloadTooLarge, type HttpError } from '../lib/errors.ts';
import type { Logger } from '../lib/logging/logger.ts';
import { UNMATCHED } from '../lib/metrics/http-metrics.ts';
import type { Metrics } from '../lib/metrics/registry.ts';
import type { AppEnv, NodeBindings } from './env.ts';
import { toHttpError } from './error-response.ts';
import { createRequestObserver, type RequestObserver } from './observe/request-observer.ts';

export interface EntryOptions {
  log: Logger;
  metrics?: Metrics;
  /** Route templates the app serves (Hono's form, /repos/:owner); anything else is UNMATCHED. */
  routes: ReadonlySet<string>;
  maxBodyBytes: number;
  /** Paths served but neither counted nor logged (the metrics scrape). */
  unobserved?: ReadonlySet<string>;
}

export type InstrumentedApp<App> = App & {
  /** Called by the server for each request it receives (runtime/server.ts). */
  observe: RequestObserver;
};

/**
 * Puts the service's request handling around a Hono app, without adding a middleware layer
 * (see observe/request-observer.ts for why): the server observes each request; the app's
 * fetch, wrapped here, first tells the observation which route the request goes to, refuses
 * a declared body over the limit, and turns anything thrown that is not an Error (Hono's
 * onError only sees Errors) into the JSON error envelope. The service and `npm run bench`
 * both use this.
 */
export function instrumentApp<App extends Hono<AppEnv>>(app: App, options: EntryOptions): InstrumentedApp<App> {
  const { log, routes, maxBodyBytes, unobserved } = options;
  const honoFetch = app.fetch;
  const routeOf = (request: Request): string => {
    const method = request.method === 'HEAD' ? 'GET' : request.method;
    const matched = app.router.match(method, app.getPath(request))[0];
    for (let i = matched.length - 1; i >= 0; i--) {
      const path = matched[i]![0][1].path;
      if (routes.has(path)) return path;
    }
    return UNMATCHED;
  };

  app.fetch = (request: Request, bindings?: unknown, executionContext?: unknown) => {
    const env = bindings as NodeBindings | undefined;
    const observation = env?.outgoing?.observation;
    if (observation) observation.path = routeOf(request);
    if (mayHaveBody(request.method) && declaredLength(request, env) > maxBodyBytes) {
      return errorAnswer(payloadTooLarge(maxBodyBytes));
    }
    try {
      const response = honoFetch(request, env, executionContext as never);
      return response instanceof Promise ? response.catch((error: unknown) => thrownAnswer(error, observation?.log ?? log)) : response;
    } catch (error) {
      return thrownAnswer(error, observation?.log ?? log);
    }
  };
  const skip = unobserved && ((url: string) => unobserved.has(pathOf(url)));
  return Object.assign(app, { observe: createRequestObserver({ log, metrics: options.metrics, skip }) });
}

// A GET or HEAD body is never read (the adapter drops it), so its size does not matter.
const mayHaveBody = (method: string) => method !== 'GET' && method !== 'HEAD';

/** Content-Length as declared; on Node read from the headers it has parsed already. */
function declaredLength(request: Request, env: NodeBindings | undefined): number {
  const declared = env?.incoming ? env.incoming.headers['content-length'] : (request.headers.get('content-length') ?? undefined);
  return declared === undefined ? 0 : Number(declared);
}

const pathOf = (url: string) => {
  const query = url.indexOf('?');
  return query === -1 ? url : url.slice(0, query);
};

/** Anything Hono let through (it hands only Errors to onError), logged and answered as JSON. */
const thrownAnswer = (error: unknown, log: Logger) => errorAnswer(toHttpError(error, log));

function errorAnswer(error: HttpError): Response {
  return Response.json(error.toBody(), { status: error.status, headers: error.headers });
}
