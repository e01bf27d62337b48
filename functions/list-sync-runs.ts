import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses } from '../lib/errors.ts';
import { defineFunction, json } from '../lib/function.ts';
import { jsonContent } from '../lib/openapi.ts';
import { presentRun, syncRunListSchema } from '../lib/sync/run-resource.ts';
import { listRuns } from '../lib/sync/run-store.ts';

export const MAX_RUNS_PAGE = 100;

/**
 * GET /sync/runs: the recent sync runs of every process sharing the database, newest first,
 * paged by cursor like GET /repos. The history keeps the newest SYNC_HISTORY finished runs.
 */
export default defineFunction({
  name: 'list-sync-runs',
  route: createRoute({
    method: 'get',
    path: '/sync/runs',
    summary: 'Recent sync runs',
    request: {
      query: z.strictObject({
        limit: z.coerce.number().int().min(1).max(MAX_RUNS_PAGE).default(20),
        cursor: z.string().max(512).optional().openapi({ description: 'nextCursor from the previous page.' }),
      }),
    },
    responses: { 200: jsonContent(syncRunListSchema, 'One page of runs, newest first'), ...errorResponses(400, 401) },
  }),
  async handler({ query }, { db }) {
    const page = await listRuns(db, query);
    return json(200, { items: page.items.map((run) => presentRun(run)), total: page.total, limit: query.limit, nextCursor: page.nextCursor });
  },
});
