import { createRoute, z } from '@hono/zod-openapi';
import { errorResponses, notFound } from '../lib/errors.ts';
import { defineFunction, json } from '../lib/function.ts';
import { jsonContent } from '../lib/openapi.ts';
import { preferredWait } from '../lib/prefer.ts';
import { MAX_WAIT_SECONDS, preferenceAppliedHeader, preferHeader, presentRun, RUN_ID_PATTERN, syncRunSchema } from '../lib/sync/run-resource.ts';
import { findRun, isFinal } from '../lib/sync/run-store.ts';

/**
 * GET /sync/runs/{id}: one sync run: its state, trigger and times, its progress while it
 * runs (done/due, requests spent, budget left, expected finish) and its summary once it has
 * finished. `Prefer: wait=N` waits up to N seconds for a running run to finish.
 */
export default defineFunction({
  name: 'get-sync-run',
  uses: ['sync'],
  route: createRoute({
    method: 'get',
    path: '/sync/runs/{id}',
    summary: 'One sync run',
    request: {
      params: z.object({ id: z.string().regex(RUN_ID_PATTERN).openapi({ description: 'A run id: 12 hex digits.', example: '4f0c1d2e3a4b' }) }),
      headers: z.object({ prefer: preferHeader }),
    },
    responses: {
      200: { ...jsonContent(syncRunSchema, 'The run'), headers: { 'Preference-Applied': preferenceAppliedHeader } },
      ...errorResponses(400, 401, 404),
    },
  }),
  async handler({ params, headers }, { db, sync }) {
    let run = await findRun(db, params.id);
    if (!run) throw notFound(`Sync run ${params.id}`);
    const wait = preferredWait(headers.prefer, MAX_WAIT_SECONDS);
    if (wait && !isFinal(run.state)) run = (await sync.waitFor(run._id, wait * 1000)) ?? run;
    const live = isFinal(run.state) ? undefined : sync.liveProgress(run._id);
    return json(200, presentRun(run, live), wait === null ? undefined : { 'preference-applied': `wait=${wait}` });
  },
});
