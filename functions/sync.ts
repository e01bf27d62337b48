import { createRoute } from '@hono/zod-openapi';
import { errorResponses, errorSchema } from '../lib/errors.ts';
import { defineFunction, json } from '../lib/function.ts';
import { jsonContent } from '../lib/openapi.ts';
import { syncSummarySchema } from '../lib/sync/summary.ts';

/**
 * POST /sync: one sync run now, the same task the scheduler runs (lib/sync/task.ts) and
 * `npm run invoke -- sync` performs. It refreshes cached repositories from GitHub within the
 * rate-limit budget and SYNC_DEADLINE and answers with the run's summary; 409 when another
 * run, in this process or any other sharing the database, holds the lease.
 */
export default defineFunction({
  name: 'sync',
  uses: ['sync'],
  route: createRoute({
    method: 'post',
    path: '/sync',
    summary: 'Run one sync now',
    description:
      'Refreshes tracked repositories from GitHub, least recently synced first, as far as the rate-limit budget and ' +
      'SYNC_DEADLINE allow; the rest waits for the next run. The only route that calls GitHub.',
    responses: {
      200: jsonContent(syncSummarySchema, 'The run happened (outcome says how it went)'),
      409: jsonContent(errorSchema, 'Another sync run holds the lease; Retry-After suggests a wait (the lease TTL)'),
      ...errorResponses(401, 413),
    },
  }),
  async handler(_input, { sync, log }) {
    const summary = await sync.run('http', { log });
    if (summary.outcome === 'skipped') {
      return json(
        409,
        { error: { code: 'sync_in_progress', message: `Another sync run holds the lease; this run (${summary.runId}) was skipped.` } },
        { 'retry-after': String(Math.ceil(sync.deps.options.leaseTtlMs / 1000)) },
      );
    }
    return json(200, summary);
  },
});
