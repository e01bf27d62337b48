import { createRoute, z } from '@hono/zod-openapi';
import { errorBody, errorResponses, retryAfterHeader } from '../lib/errors.ts';
import { defineFunction, json } from '../lib/function.ts';
import { jsonContent } from '../lib/openapi.ts';
import { preferredWait } from '../lib/prefer.ts';
import { MAX_WAIT_SECONDS, preferenceAppliedHeader, preferHeader, presentRun, runHref, syncConflictSchema, syncRunSchema } from '../lib/sync/run-resource.ts';

/**
 * POST /sync: starts a sync run now, the same task the scheduler runs (lib/sync/task.ts),
 * and answers as soon as the run holds its lease: 202 with the run and its Location, where
 * GET shows its progress and, once it ends, its summary. 409 names the run that holds the
 * lease (in this process or any other sharing the database). A client that would rather wait
 * sends `Prefer: wait=N` and gets the finished run (200) if it ends within N seconds.
 */
/** The run an answer names, for a client to follow (OpenAPI links). */
const runLinks = { run: { operationId: 'getSyncRun', parameters: { id: '$response.body#/id' } } };

export default defineFunction({
  name: 'sync',
  uses: ['sync'],
  route: createRoute({
    method: 'post',
    path: '/sync',
    summary: 'Start a sync run',
    description:
      'Starts refreshing tracked repositories from GitHub, least recently synced first, as far as the rate-limit budget and ' +
      'SYNC_DEADLINE allow (the rest waits for the next run), and answers at once. The only route that calls GitHub.',
    request: { headers: z.object({ prefer: preferHeader }) },
    responses: {
      200: {
        ...jsonContent(syncRunSchema, 'With Prefer: wait=N, the run finished within N seconds: its final state and summary'),
        links: runLinks,
        headers: {
          'Content-Location': { description: '/sync/runs/{id}, where the run stays', required: true, schema: { type: 'string' } },
          'Preference-Applied': preferenceAppliedHeader,
        },
      },
      202: {
        ...jsonContent(syncRunSchema, 'The run has started; Location is where to follow it'),
        links: runLinks,
        headers: {
          Location: { description: '/sync/runs/{id}', required: true, schema: { type: 'string' } },
          'Preference-Applied': preferenceAppliedHeader,
        },
      },
      409: {
        ...jsonContent(syncConflictSchema, 'Another sync run holds the lease: `run` names it; Retry-After suggests a wait (the lease TTL)'),
        headers: { 'Retry-After': retryAfterHeader(true) },
      },
      ...errorResponses(400, 401, 413),
    },
  }),
  async handler({ headers }, { sync, log }) {
    const wait = preferredWait(headers.prefer, MAX_WAIT_SECONDS);
    const started = await sync.start('http', { log });
    if (!started.started) {
      const holder = started.holder;
      return json(
        409,
        {
          ...errorBody(
            'sync_in_progress',
            holder ? `Sync run ${holder} is going (${runHref(holder)}); try again when it has finished.` : 'Another sync run holds the lease.',
          ),
          run: { id: holder, href: holder && runHref(holder) },
        },
        { 'retry-after': String(Math.ceil(sync.deps.options.leaseTtlMs / 1000)) },
      );
    }
    const { run } = started;
    const href = runHref(run._id);
    const applied: Record<string, string> = wait === null ? {} : { 'preference-applied': `wait=${wait}` };
    const finished = wait ? await sync.waitFor(run._id, wait * 1000) : null;
    if (finished) return json(200, presentRun(finished), { 'content-location': href, ...applied });
    return json(202, presentRun(run, sync.liveProgress(run._id)), { location: href, ...applied });
  },
});
