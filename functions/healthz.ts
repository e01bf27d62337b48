import { createRoute, z } from '@hono/zod-openapi';
import { defineFunction, json } from '../lib/function.ts';
import { jsonContent } from '../lib/openapi.ts';

/** GET /healthz: liveness. The process runs and its event loop answers; nothing else is checked. */
export default defineFunction({
  name: 'healthz',
  public: true,
  route: createRoute({
    method: 'get',
    path: '/healthz',
    summary: 'Liveness',
    responses: { 200: jsonContent(z.object({ status: z.literal('ok') }), 'Alive') },
  }),
  async handler() {
    return json(200, { status: 'ok' });
  },
});
