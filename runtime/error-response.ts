import type { IncomingMessage } from 'node:http';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { isDatabaseUnavailable } from '../lib/db.ts';
import { codeForStatus, databaseUnavailable, HttpError, internalError, requestAborted } from '../lib/errors.ts';
import type { Logger } from '../lib/logging/logger.ts';

/** Maps anything a handler or middleware threw to an HttpError; unknown failures are logged, not shown. */
export function toHttpError(error: unknown, log: Logger): HttpError {
  if (error instanceof HttpError) return error;
  if (error instanceof HTTPException) {
    // Hono's own: malformed JSON bodies and the like. Their messages are safe to show.
    const code = /json/i.test(error.message) ? 'invalid_json' : codeForStatus(error.status);
    return new HttpError(error.status, code, error.message || 'Bad request');
  }
  if (isDatabaseUnavailable(error)) {
    log.warn('database unavailable', { err: error as Error });
    return databaseUnavailable();
  }
  log.error('unhandled error', {
    err: error instanceof Error ? error : String(error),
    stack: error instanceof Error ? error.stack : undefined,
  });
  return internalError();
}

/**
 * The client closed the connection while its request body was still arriving: reading the
 * body failed for that reason, not ours. Nobody will read the answer; the access line records
 * 499. Not an unhandled server error.
 */
function bodyCutOffByClient(c: Context, error: unknown): boolean {
  const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
  return (error as { code?: unknown }).code === 'ECONNRESET' && incoming !== undefined && !incoming.complete && incoming.destroyed;
}

export function errorResponse(c: Context, error: unknown, log: Logger): Response {
  const cutOff = bodyCutOffByClient(c, error);
  if (cutOff) log.debug('request body cut off by the client', { err: error as Error });
  const httpError = cutOff ? requestAborted() : toHttpError(error, log);
  return c.json(httpError.toBody(), httpError.status as 400, httpError.headers);
}
