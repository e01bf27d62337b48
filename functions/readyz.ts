import { createRoute, z } from '@hono/zod-openapi';
import { defineFunction, json } from '../lib/function.ts';
import { jsonContent } from '../lib/openapi.ts';
import { errorSchema } from '../lib/repos/schemas.ts';
import { redactText } from '../lib/logging/redact.ts';

/** GET /readyz: readiness. 200 only while the database answers a ping, so load balancers skip us otherwise. */
export default defineFunction({
  name: 'readyz',
  public: true,
  route: createRoute({
    method: 'get',
    path: '/readyz',
    summary: 'Readiness',
    responses: {
      200: jsonContent(z.object({ status: z.literal('ready') }), 'Ready: the database answers'),
      503: jsonContent(errorSchema, 'Not ready, with the reason'),
    },
  }),
  async handler(_input, { db, log }) {
    try {
      await db.ping();
      return json(200, { status: 'ready' });
    } catch (error) {
      const reason = error instanceof Error ? redactText(error.message) : String(error);
      log.warn('not ready: database unreachable', { err: reason });
      return json(503, { error: { code: 'database_unavailable', message: `Database unreachable: ${reason}` } });
    }
  },
});
