import type { MiddlewareHandler } from 'hono';
import { matchToken, type ApiToken } from '../../lib/auth/tokens.ts';
import { HttpError } from '../../lib/errors.ts';
import { observationOf, type AppEnv } from '../env.ts';

const REALM = 'Bearer realm="repo-monitor"';

/**
 * `Authorization: Bearer <token>` with a configured token, or 401 with WWW-Authenticate as
 * RFC 6750 §3 asks: no error code when no credentials came, `invalid_token` when they were
 * wrong. With no tokens configured every request here is refused; nothing is left open.
 */
export function requireToken(tokens: readonly ApiToken[]): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    const header = c.req.header('authorization');
    const presented = header?.match(/^Bearer[ ]+([^\s]+)\s*$/i)?.[1];
    if (presented === undefined) {
      throw new HttpError(401, 'unauthorized', 'This call needs Authorization: Bearer <token>.', {
        headers: { 'www-authenticate': REALM },
      });
    }
    const token = matchToken(tokens, presented);
    if (!token) {
      throw new HttpError(401, 'unauthorized', 'The bearer token is not valid.', {
        headers: { 'www-authenticate': `${REALM}, error="invalid_token"` },
      });
    }
    const observation = observationOf(c);
    if (observation) observation.client = token.name;
    await next();
  };
}
