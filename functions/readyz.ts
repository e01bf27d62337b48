import { createRoute, z } from '@hono/zod-openapi';
import { errorBody, errorSchemaFor } from '../lib/errors.ts';
import { defineFunction, json } from '../lib/function.ts';
import { jsonContent } from '../lib/openapi.ts';

/**
 * GET /readyz: readiness. 200 only while the database answers a ping, so load balancers skip
 * us otherwise. The answer names the dependency that is down and a reason code; the
 * database's own error text goes to the log, never to the client (it can name hosts, users
 * and internal addresses).
 */
export const downReasons = ['connection_refused', 'host_not_found', 'timeout', 'auth_failed', 'disconnected', 'error'] as const;
export type DownReason = (typeof downReasons)[number];

export default defineFunction({
  name: 'readyz',
  public: true,
  route: createRoute({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness',
    responses: {
      200: jsonContent(z.object({ status: z.literal('ready') }), 'Ready: the database answers'),
      503: jsonContent(
        errorSchemaFor(503),
        'Not ready. error.code database_unavailable; error.details holds one entry per dependency down: path is the ' +
          `dependency ("database"), message its reason code (${downReasons.join(', ')}).`,
      ),
    },
  }),
  async handler(_input, { db, log }) {
    try {
      await db.ping();
      return json(200, { status: 'ready' });
    } catch (error) {
      const reason = reasonOf(error);
      log.warn('not ready: database unreachable', { reason, err: error instanceof Error ? error : String(error) });
      return json(503, errorBody('database_unavailable', `Not ready: the database is down (${reason}).`, [{ path: 'database', message: reason }]), {
        'retry-after': '5',
      });
    }
  },
});

/** A reason code from the driver's error and its causes (their codes and names, not their text). */
export function reasonOf(error: unknown): DownReason {
  const seen: string[] = [];
  for (let current = error, depth = 0; current instanceof Error && depth < 6; current = current.cause, depth++) {
    const { code, codeName } = current as Error & { code?: unknown; codeName?: unknown };
    if (code === 18) return 'auth_failed';
    seen.push(String(code ?? ''), String(codeName ?? ''), current.name, current.message);
  }
  const text = seen.join(' ');
  if (/ECONNREFUSED/.test(text)) return 'connection_refused';
  if (/ENOTFOUND|EAI_AGAIN/.test(text)) return 'host_not_found';
  if (/AuthenticationFailed|Authentication failed/.test(text)) return 'auth_failed';
  if (/Timeout|timed out|ServerSelection/i.test(text)) return 'timeout';
  if (/TopologyClosed|NotConnected/.test(text)) return 'disconnected';
  return 'error';
}
