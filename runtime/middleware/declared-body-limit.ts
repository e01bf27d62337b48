import type { MiddlewareHandler } from 'hono';
import { payloadTooLarge } from '../../lib/errors.ts';
import type { AppEnv } from '../env.ts';

/**
 * A declared Content-Length over the limit is refused at once, on every route and on none
 * (413, not 404): nothing reads a byte of it. A body without Content-Length is counted as it
 * is read instead (runtime/mount.ts).
 */
export function refuseDeclaredOversize(maxBytes: number): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // A GET or HEAD body is never read (the adapter drops it), so its size does not matter.
    const method = c.req.method;
    if (method === 'GET' || method === 'HEAD') return next();
    const declared = c.env?.incoming ? c.env.incoming.headers['content-length'] : c.req.header('content-length');
    if (declared !== undefined && Number(declared) > maxBytes) throw payloadTooLarge(maxBytes);
    await next();
  };
}
