import type { MiddlewareHandler } from 'hono';
import { payloadTooLarge } from '../../lib/errors.ts';
import type { AppEnv } from '../env.ts';

/** Methods whose requests may carry a body worth refusing before anything reads it. */
export const METHODS_WITH_BODY = ['POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/**
 * A declared Content-Length over the limit is refused at once, on every route and on none
 * (413, not 404): nothing reads a byte of it. A body without Content-Length is counted as it
 * is read instead (runtime/mount.ts).
 */
export function refuseDeclaredOversize(maxBytes: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const declared = c.env?.incoming ? c.env.incoming.headers['content-length'] : c.req.header('content-length');
    if (declared !== undefined && Number(declared) > maxBytes) throw payloadTooLarge(maxBytes);
    await next();
  };
}
