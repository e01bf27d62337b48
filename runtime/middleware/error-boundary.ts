import type { MiddlewareHandler } from 'hono';
import type { AppEnv } from '../env.ts';
import { errorResponse } from '../error-response.ts';

/**
 * Turns anything thrown below into the JSON error envelope. Hono's onError only sees Error
 * instances; a thrown string or object would otherwise escape as a plain-text 500.
 */
export const errorBoundary: MiddlewareHandler<AppEnv> = async (c, next) => {
  try {
    await next();
  } catch (error) {
    c.res = errorResponse(c, error, c.get('log'));
  }
};
