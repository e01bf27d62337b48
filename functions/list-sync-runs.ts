import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses } from '../lib/errors.ts';
import { defineFunction, json } from '../lib/function.ts';
import { jsonContent, pageLimitSchema } from '../lib/openapi.ts';
import { presentRun, syncRunListSchema } from '../lib/sync/run-resource.ts';
import { listRuns, RUN_CURSOR } from '../lib/sync/run-store.ts';

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
        limit: pageLimitSchema(MAX_RUNS_PAGE),
        cursor: z
          .string()
          .regex(RUN_CURSOR, 'not a cursor this API gives (nextCursor)')
          .optional()
          .openapi({ description: 'nextCursor from the previous page: the list continues after that run.', example: '1764547200000~4f0c1d2e3a4b' }),
      }),
    },
    responses: {
      200: {
        ...jsonContent(syncRunListSchema, 'One page of runs, newest first'),
        links: {
          next: { operationId: 'listSyncRuns', description: 'The next page (nextCursor is null on the last).', parameters: { cursor: '$response.body#/nextCursor' } },
        },
      },
      ...errorResponses(400, 401),
    },
  }),
  async handler({ query }, { db }) {
    const page = await listRuns(db, query);
    return json(200, { items: page.items.map((run) => presentRun(run)), total: page.total, limit: query.limit, nextCursor: page.nextCursor });
  },
});
