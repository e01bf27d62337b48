import type { Context, Env, Hono, NotFoundHandler } from 'hono';
import { errorBody, noRoute } from '../lib/errors.ts';

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * The methods a path answers, in the order an Allow header lists them: those with a route of
 * their own (middleware, registered for every method, does not count), HEAD wherever GET is,
 * and OPTIONS, which any existing path answers.
 */
export function allowedMethods<E extends Env>(app: Hono<E>, path: string): string[] {
  const routed = METHODS.filter((method) => app.router.match(method, path)[0].some(([[, route]]) => route.method === method));
  if (routed.length === 0) return [];
  return routed.flatMap((method) => (method === 'GET' ? ['GET', 'HEAD'] : [method])).concat('OPTIONS');
}

/**
 * What the app answers when no route took the request: 404 for a path it does not serve;
 * for one it serves under other methods, 405 with Allow (RFC 9110 §15.5.6), or to OPTIONS
 * 204 with Allow (§9.3.7). Both errors in the JSON envelope.
 */
export function notFoundOrNotAllowed<E extends Env>(app: Hono<E>): NotFoundHandler<E> {
  return (c: Context<E>) => {
    const path = app.getPath(c.req.raw);
    const allowed = allowedMethods(app, path);
    if (allowed.length === 0) {
      return c.json(noRoute(c.req.method, path).toBody(), 404);
    }
    const allow = allowed.join(', ');
    if (c.req.method === 'OPTIONS') return c.body(null, 204, { allow });
    return c.json(
      errorBody('method_not_allowed', `${c.req.method} is not allowed on ${path}; it answers ${allow}.`),
      405,
      { allow },
    );
  };
}
