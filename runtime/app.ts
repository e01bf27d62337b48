import { OpenAPIHono } from '@hono/zod-openapi';
import type { Hook } from '@hono/zod-openapi';
import { MIN_TOKEN_LENGTH } from '../lib/auth/tokens.ts';
import { HttpError } from '../lib/errors.ts';
import type { AnyServiceFunction } from '../lib/function.ts';
import type { Logger } from '../lib/logging/logger.ts';
import { observationOf, type AppEnv } from './env.ts';
import { errorResponse } from './error-response.ts';
import { allFunctions } from './functions.ts';
import type { Metrics } from '../lib/metrics/registry.ts';
import { metricsHandler } from './metrics-endpoint.ts';
import { notFoundOrNotAllowed } from './method-not-allowed.ts';
import { refuseDeclaredOversize } from './middleware/declared-body-limit.ts';
import { BEARER_SCHEME, mountFunction, type SharedDeps } from './mount.ts';
import { mountPages } from './pages/index.ts';
import { TrustedProxies } from '../lib/http/client-address.ts';
import { serveOpenApiDocument } from './openapi-document.ts';
import { observeRequests, type ObserveOptions } from './observe/middleware.ts';
import { RequestObserver } from './observe/request-observer.ts';

export const MAX_BODY_BYTES = 64 * 1024;

export interface AppOptions {
  deps: SharedDeps;
  log: Logger;
  /** Request metrics; also served at /metrics here unless `metricsOnOwnPort`. */
  metrics?: Metrics;
  metricsOnOwnPort?: boolean;
  /** Which handlers to mount; all of them by default. */
  functions?: AnyServiceFunction[];
  /** Where the runtime is not Node: the client's address (a FaaS adapter knows it from its event). */
  peerAddress?: ObserveOptions['peerAddress'];
}

/** The app, and its request observer (the Node server reports what never reaches the app into it). */
export type ObservedApp = OpenAPIHono<AppEnv> & { observer: RequestObserver };

const targetNames: Record<string, string> = { json: 'body', param: 'params', header: 'headers', query: 'query' };

/** Validation failures become 400 with one detail per problem, e.g. `body.owner`. */
const validationHook: Hook<unknown, AppEnv, string, unknown> = (result) => {
  if (result.success) return;
  const details = result.error.issues.map((issue) => ({
    path: [targetNames[result.target] ?? result.target, ...issue.path.map(String)].join('.'),
    message: issue.message,
  }));
  throw new HttpError(400, 'validation_failed', 'The request is not valid; see details.', { details });
};

/** The HTTP app: the request observation, the handlers, JSON answers for every error and unknown route. */
export function createApp(options: AppOptions): ObservedApp {
  const { deps, log, metrics, metricsOnOwnPort, functions = allFunctions } = options;
  const app = new OpenAPIHono<AppEnv>({ defaultHook: validationHook });
  // Before the observation: scrapes are neither counted nor logged.
  if (metrics !== undefined && !metricsOnOwnPort) app.get('/metrics', metricsHandler(metrics));
  const observer = new RequestObserver({ log, metrics });
  const trustedProxies = new TrustedProxies(deps.config.TRUSTED_PROXIES);
  app.use(observeRequests({ observer, trustedProxies, peerAddress: options.peerAddress }));
  app.use(refuseDeclaredOversize(MAX_BODY_BYTES));
  app.openAPIRegistry.registerComponent('securitySchemes', BEARER_SCHEME, {
    type: 'http',
    scheme: 'bearer',
    description:
      `Authorization: Bearer <token> (the scheme in any case), with a token from API_TOKENS: ${MIN_TOKEN_LENGTH} or more of ` +
      'A-Z a-z 0-9 . _ ~ + / = -. Writes always need one, reads when READS_REQUIRE_TOKEN=true. A missing, malformed or ' +
      'unknown token is a 401 with WWW-Authenticate.',
  });
  for (const fn of functions) mountFunction(app, fn, deps, { log, maxBodyBytes: MAX_BODY_BYTES });
  // The status page at / and the API docs at /docs (runtime/pages).
  mountPages(app, deps, { log, metricsHere: metrics !== undefined && !metricsOnOwnPort });
  serveOpenApiDocument(app, '/openapi.json', {
    openapi: '3.1.0',
    info: {
      title: 'repo-monitor',
      version: '1',
      description:
        'Tracked GitHub repositories, served from a cache. Every answer, of any path and method, carries X-Request-Id ' +
        '(components.headers.RequestId).',
    },
  });
  app.notFound(notFoundOrNotAllowed(app));
  app.onError((error, c) => errorResponse(c, error, observationOf(c)?.log ?? log));
  return Object.assign(app, { observer });
}
