import { randomUUID } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from '../../lib/logging/logger.ts';
import type { AppEnv } from '../env.ts';
import { errorResponse } from '../error-response.ts';

/** A client's X-Request-Id is kept when it is short and plain; anything else is replaced. */
const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{8,128}$/;

/**
 * First in the chain: gives each request an id and a logger bound to it, and turns anything
 * thrown below (including non-Error values, which Hono's onError does not see) into the
 * JSON error envelope.
 */
export function requestContext(log: Logger): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const incoming = c.req.header('x-request-id');
    const requestId = incoming && WELL_FORMED_ID.test(incoming) ? incoming : randomUUID();
    const requestLog = log.child({ request_id: requestId });
    c.set('requestId', requestId);
    c.set('log', requestLog);
    try {
      await next();
    } catch (error) {
      c.res = errorResponse(c, error, requestLog);
    }
    c.header('x-request-id', requestId);
  };
}
