import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { faultSchema } from './faults.ts';
import type { FakeGitHubState } from './state.ts';

/**
 * The control API under /_control: JSON in, JSON out, for breaking the fake from a test
 * or a terminal. Every route calls the same FakeControl method a test would call in-process.
 *
 *   GET    /_control                      settings, active faults and stats in one answer
 *   GET    /_control/stats                FakeStats (requests, by status, maxPerWindow...)
 *   GET    /_control/faults               active faults
 *   POST   /_control/faults               add a fault (faults.ts has the shapes) → 201 with its id
 *   DELETE /_control/faults               remove every fault
 *   DELETE /_control/faults/:id           remove one
 *   PATCH  /_control/settings             {limit?, authenticatedLimit?, windowSeconds?, changeEverySeconds?, exhaustedStatus?}
 *   POST   /_control/exhaust              spend every identity's limit: 403/429 until reset
 *   PUT    /_control/repos/:owner/:repo   {"status":404|410|200}: missing, gone, or back
 *   POST   /_control/changes              {"repo"?:"owner/name"}: change its stats now (all without repo)
 *   POST   /_control/reset                back to the start: no faults, zero counters, windows closed
 *
 * A body that does not validate answers 400 with {"error": message}.
 */
const settingsPatch = z
  .object({
    limit: z.number().int().min(0),
    authenticatedLimit: z.number().int().min(0),
    windowSeconds: z.number().positive(),
    changeEverySeconds: z.number().min(0),
    exhaustedStatus: z.union([z.literal(403), z.literal(429)]),
  })
  .partial()
  .strict();
const repoStatus = z.object({ status: z.union([z.literal(200), z.literal(404), z.literal(410)]) }).strict();
const change = z.object({ repo: z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'owner/name').optional() }).strict();

export function controlRoutes(state: FakeGitHubState): Hono {
  const app = new Hono();

  app.onError((error, c) => {
    const message = error instanceof z.ZodError ? z.prettifyError(error) : error.message;
    return c.json({ error: message }, 400);
  });

  app.get('/', (c) => c.json({ settings: state.settings(), faults: state.faults(), stats: state.stats() }));
  app.get('/stats', (c) => c.json(state.stats()));
  app.get('/faults', (c) => c.json(state.faults()));
  app.post('/faults', async (c) => c.json(state.addFault(faultSchema.parse(await body(c))), 201));
  app.delete('/faults', (c) => {
    state.clearFaults();
    return c.body(null, 204);
  });
  app.delete('/faults/:id', (c) => {
    if (state.removeFault(Number(c.req.param('id')))) return c.body(null, 204);
    return c.json({ error: 'no such fault' }, 404);
  });
  app.patch('/settings', async (c) => c.json(state.configure(settingsPatch.parse(await body(c)))));
  app.post('/exhaust', (c) => {
    state.exhaust();
    return c.body(null, 204);
  });
  app.put('/repos/:owner/:repo', async (c) => {
    const { status } = repoStatus.parse(await body(c));
    state.setRepoStatus(`${c.req.param('owner')}/${c.req.param('repo')}`, status);
    return c.body(null, 204);
  });
  app.post('/changes', async (c) => {
    const { repo } = change.parse(await body(c, {}));
    state.forceChange(repo);
    return c.body(null, 204);
  });
  app.post('/reset', (c) => {
    state.reset();
    return c.body(null, 204);
  });
  return app;
}

/** The JSON body; an empty one is `fallback` when the route allows that. */
async function body(c: Context, fallback?: unknown): Promise<unknown> {
  const text = await c.req.text();
  if (text.trim() === '' && fallback !== undefined) return fallback;
  try {
    return JSON.parse(text);
  } catch {
    throw new Error('the body must be JSON');
  }
}
