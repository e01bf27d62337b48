import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses } from '../lib/errors.ts';
import { defineFunction, json } from '../lib/function.ts';
import { jsonContent } from '../lib/openapi.ts';
import { presentRun, syncRunListSchema } from '../lib/sync/run-resource.ts';
import { listRuns, RUN_CURSOR } from '../lib/sync/run-store.ts';

export const MAX_RUNS_PAGE = 100;

/** Digits only, as the document's integer says (not 0x10, 1e1 or " 5", which Number() would take). */
const decimal = (value: unknown) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value);

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
        limit: z
          .preprocess(decimal, z.number({ error: 'must be a whole number' }).int().min(1).max(MAX_RUNS_PAGE))
          .default(20)
          .openapi({ type: 'integer', minimum: 1, maximum: MAX_RUNS_PAGE, default: 20 }),
        cursor: z
          .string()
          .regex(RUN_CURSOR, 'not a cursor this API gives (nextCursor)')
          .optional()
          .openapi({ description: 'nextCursor from the previous page: the list continues after that run.', example: '1764547200000~4f0c1d2e3a4b' }),
      }),
    },
    responses: { 200: jsonContent(syncRunListSchema, 'One page of runs, newest first'), ...errorResponses(400, 401) },
  }),
  async handler({ query }, { db }) {
    const page = await listRuns(db, query);
    return json(200, { items: page.items.map((run) => presentRun(run)), total: page.total, limit: query.limit, nextCursor: page.nextCursor });
  },
});
