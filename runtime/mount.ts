import type { OpenAPIHono, RouteConfig } from '@hono/zod-openapi';
import type { Context, MiddlewareHandler } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HttpError, payloadTooLarge } from '../lib/errors.ts';
import type { AnyServiceFunction, FunctionDeps, FunctionInput, FunctionResult, ProcessServices } from '../lib/function.ts';
import type { Logger } from '../lib/logging/logger.ts';
import { observationOf, type AppEnv } from './env.ts';
import { requireToken } from './middleware/require-token.ts';

/**
 * What the runtime holds for every request: the dependencies each handler gets (the
 * request's own logger is added per call) and the process services, of which each handler
 * gets only those it `uses`.
 */
export interface SharedDeps extends Omit<FunctionDeps, 'log'> {
  services: ProcessServices;
}

const hasJsonBody = (route: RouteConfig) => Boolean(route.request?.body?.content?.['application/json']);

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Declared JSON bodies must come as JSON (415 otherwise) in valid UTF-8 (RFC 8259 §8.1; 400
 * otherwise), before validation sees them: Hono decodes leniently, and a byte that is not
 * UTF-8 would be stored as U+FFFD, silently changing what the client sent. The bytes read
 * here are kept by Hono for the validator.
 */
const requireJson: MiddlewareHandler<AppEnv> = async (c, next) => {
  const type = c.req.header('content-type') ?? '';
  if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(type)) {
    throw new HttpError(415, 'unsupported_media_type', 'Send the body as JSON with Content-Type: application/json.');
  }
  try {
    strictUtf8.decode(await c.req.arrayBuffer());
  } catch (error) {
    if (!(error instanceof TypeError)) throw error;
    throw new HttpError(400, 'invalid_json', 'The request body is not valid UTF-8.');
  }
  await next();
};

/**
 * A body streamed without Content-Length is counted as it is read and refused past the limit
 * (a declared Content-Length over it never gets this far: runtime/middleware/declared-body-limit.ts).
 */
const limitBody = (maxBytes: number): MiddlewareHandler<AppEnv> =>
  bodyLimit({
    maxSize: maxBytes,
    onError: () => {
      throw payloadTooLarge(maxBytes);
    },
  });

export const BEARER_SCHEME = 'bearerToken';

/** Writes need a token; reads too when READS_REQUIRE_TOKEN is on; probes never. */
function needsToken(fn: AnyServiceFunction, deps: SharedDeps): boolean {
  if (fn.public) return false;
  const write = !['get', 'head'].includes(fn.route.method);
  return write || deps.config.READS_REQUIRE_TOKEN;
}

export interface MountOptions {
  /** For requests the server does not observe (in memory: `npm run invoke`); others log with their own. */
  log: Logger;
  maxBodyBytes: number;
}

/**
 * Mounts one handler on the app: the token check and content-type check it needs, validation
 * from its route's schemas, then the handler, then its result as a response.
 */
export function mountFunction(app: OpenAPIHono<AppEnv>, fn: AnyServiceFunction, deps: SharedDeps, options: MountOptions): void {
  const { services, ...shared } = deps;
  const used = Object.fromEntries((fn.uses ?? []).map((name) => [name, services[name]])) as Partial<ProcessServices>;
  const middleware: MiddlewareHandler<AppEnv>[] = [];
  const tokenNeeded = needsToken(fn, deps);
  if (tokenNeeded) middleware.push(requireToken(deps.config.API_TOKENS));
  // The size limit first: requireJson reads the body.
  if (hasJsonBody(fn.route)) middleware.push(limitBody(options.maxBodyBytes), requireJson);
  // The OpenAPI document says which operations need the token (scheme registered in app.ts).
  const security = tokenNeeded ? [{ [BEARER_SCHEME]: [] }] : undefined;
  // Generated clients name their methods after operationId: the function's name in camelCase.
  const documented = { ...fn.route, operationId: fn.route.operationId ?? camelCase(fn.name) };
  const route = middleware.length > 0 || security ? { ...documented, middleware, ...(security && { security }) } : documented;
  app.openapi(route, (async (c: Context<AppEnv>) => {
    const valid = c.req.valid.bind(c.req) as (target: string) => unknown;
    const input = {
      params: valid('param') ?? {},
      query: valid('query') ?? {},
      headers: valid('header') ?? {},
      body: valid('json'),
    } as FunctionInput<RouteConfig>;
    const result = await fn.handler(input, { ...shared, ...(used as ProcessServices), log: observationOf(c)?.log ?? options.log });
    return toResponse(c, result);
  }) as never);
}

const camelCase = (name: string) => name.replaceAll(/-(\w)/g, (_, letter: string) => letter.toUpperCase());

export function toResponse(c: Context, result: FunctionResult): Response {
  if (result.body === undefined) return c.body(null, result.status as 204, result.headers);
  if (result.body instanceof ReadableStream) return c.body(result.body, result.status as 200, result.headers);
  return c.json(result.body, result.status as 200, result.headers);
}
