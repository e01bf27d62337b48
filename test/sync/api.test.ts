import { createServer } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleOf, type Family } from '../helpers/metrics.ts';
import { fetchSpec, type OpenApiSpec } from '../hardening/lib/openapi-spec.ts';
import { repoNames, startHarness, type Harness } from './harness.ts';

/**
 * The sync API over real HTTP, in real time, against the fake GitHub: POST /sync answers at
 * once whatever the upstream does, the run resource follows the run to its end, a second
 * trigger gets 409 naming the first, Prefer: wait, the paged and bounded history, progress
 * while a run goes, and an unreachable upstream ending the run in seconds. Every answer is
 * checked against the OpenAPI document.
 */
let h: Harness;
let spec: OpenApiSpec;
const answers: { method: string; path: string; status: number; contentType: string | null; text: string }[] = [];

beforeAll(async () => {
  h = await startHarness({ realTime: true, env: { GITHUB_TOKEN: 'api-test-token', SYNC_HISTORY: '4' }, fake: { changeEverySeconds: 0 } });
  await h.track(repoNames(5, 'api'));
  spec = await fetchSpec(h.url);
});
afterAll(() => h?.stop());

/** A request whose answer is also checked against the document at the end. */
async function api(method: string, path: string, headers: Record<string, string> = {}) {
  const started = performance.now();
  const response = await h.api(method, path, { headers });
  answers.push({ method, path: path.split('?')[0]!, status: response.status, contentType: response.headers.get('content-type'), text: response.text });
  return { ...response, ms: performance.now() - started };
}

const value = (m: Map<string, Family>, name: string, labels: Record<string, string> = {}) => sampleOf(m, name, labels)?.value ?? NaN;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('POST /sync', () => {
  it('answers 202 within a second with a healthy upstream, and the run moves from running to succeeded', async () => {
    h.github.control.addFault({ type: 'delay', ms: 200 });
    const started = await api('POST', '/sync');
    expect(started.ms).toBeLessThan(1000);
    expect(started.status).toBe(202);
    const id = started.json.id;
    expect(started.headers.get('location')).toBe(`/sync/runs/${id}`);
    expect(started.json).toMatchObject({ state: 'running', trigger: 'http', summary: null, finishedAt: null, progress: { done: 0 } });

    const running = await api('GET', `/sync/runs/${id}`);
    expect(running.json.state).toBe('running');
    const finished = await api('GET', `/sync/runs/${id}`, { prefer: 'wait=20' });
    h.github.control.clearFaults();
    expect(finished.status).toBe(200);
    expect(finished.headers.get('preference-applied')).toBe('wait=20');
    expect(finished.json).toMatchObject({ id, state: 'succeeded', progress: { done: 5, due: 5 }, summary: { outcome: 'success', counts: { updated: 5 } } });
    expect(Date.parse(finished.json.finishedAt)).toBeGreaterThanOrEqual(Date.parse(finished.json.startedAt));
  });

  it('answers 202 within a second with a slow upstream, and 409 naming the running run to a second trigger', async () => {
    h.github.control.forceChange();
    h.github.control.addFault({ type: 'delay', ms: 2500, count: 1 });
    const first = await api('POST', '/sync');
    expect(first.ms).toBeLessThan(1000);
    expect(first.status).toBe(202);

    const second = await api('POST', '/sync');
    expect(second.ms).toBeLessThan(1000);
    expect(second.status).toBe(409);
    expect(second.json).toMatchObject({ error: { code: 'sync_in_progress' }, run: { id: first.json.id, href: `/sync/runs/${first.json.id}` } });
    expect(second.json.error.message).toContain(first.json.id);

    // A wait that ends before the run does: the run as it is now, the wait honoured.
    const waited = await api('GET', `/sync/runs/${first.json.id}`, { prefer: 'wait=1' });
    expect(waited.ms).toBeGreaterThanOrEqual(900);
    expect(waited.headers.get('preference-applied')).toBe('wait=1');
    expect(waited.json.state).toBe('running');
    const done = await api('GET', `/sync/runs/${first.json.id}`, { prefer: 'wait=20' });
    expect(done.json.state).toBe('succeeded');
    // The refused trigger left no run behind in the history.
    const history = await api('GET', '/sync/runs?limit=100');
    expect(history.json.items.filter((run: any) => run.state === 'skipped')).toEqual([]);
  });

  it('answers with the finished run when it ends within Prefer: wait, and says the wait was applied', async () => {
    const response = await api('POST', '/sync', { prefer: 'respond-async, wait=15' });
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=15');
    expect(response.headers.get('content-location')).toBe(`/sync/runs/${response.json.id}`);
    expect(response.json).toMatchObject({ state: 'succeeded', summary: { outcome: 'success' } });
  });

  it('answers 202 when the run outlasts the wait, and ignores a wait it cannot read', async () => {
    h.github.control.addFault({ type: 'delay', ms: 1500, count: 1 });
    const response = await api('POST', '/sync', { prefer: 'wait=0' });
    expect(response.status).toBe(202);
    expect(response.headers.get('preference-applied')).toBe('wait=0');
    await api('GET', `/sync/runs/${response.json.id}`, { prefer: 'wait=20' });
    const unreadable = await api('POST', '/sync', { prefer: 'wait=soon' });
    expect(unreadable.status).toBe(202);
    expect(unreadable.headers.get('preference-applied')).toBeNull();
    expect((await api('GET', `/sync/runs/${unreadable.json.id}`, { prefer: 'wait=20' })).json.state).toBe('succeeded');
  });
});

describe('progress', () => {
  it('moves during a run: sync_records_total, the progress gauges and the run resource', async () => {
    h.github.control.forceChange();
    const before = await h.scrape();
    const updatedBefore = value(before, 'sync_records_total', { result: 'updated' });
    h.github.control.addFault({ type: 'delay', ms: 400 });
    const started = await api('POST', '/sync');
    await sleep(1100);
    const during = await h.scrape();
    const run = await api('GET', `/sync/runs/${started.json.id}`);
    const updatedDuring = value(during, 'sync_records_total', { result: 'updated' }) - updatedBefore;
    expect(updatedDuring).toBeGreaterThanOrEqual(1);
    expect(updatedDuring).toBeLessThan(5);
    expect(value(during, 'sync_run_repos_due')).toBe(5);
    expect(value(during, 'sync_run_repos_done')).toBeGreaterThanOrEqual(1);
    expect(value(during, 'sync_run_repos_done')).toBeLessThan(5);
    expect(run.json.state).toBe('running');
    expect(run.json.progress).toMatchObject({ due: 5, requestsSpent: expect.any(Number), budgetLeft: expect.any(Number) });
    expect(run.json.progress.done).toBeGreaterThanOrEqual(1);
    expect(Date.parse(run.json.progress.expectedFinishAt)).toBeGreaterThan(Date.now() - 1000);

    await api('GET', `/sync/runs/${started.json.id}`, { prefer: 'wait=20' });
    h.github.control.clearFaults();
    const after = await h.scrape();
    expect(value(after, 'sync_records_total', { result: 'updated' }) - updatedBefore).toBe(5);
    expect(value(after, 'sync_run_repos_done')).toBe(0);
    expect(value(after, 'sync_run_repos_due')).toBe(0);
  });
});

describe('GET /sync/runs', () => {
  it('pages through the history newest first, kept to SYNC_HISTORY runs', async () => {
    const all = await api('GET', '/sync/runs?limit=100');
    expect(all.json.total).toBe(4);
    expect(all.json.items).toHaveLength(4);
    const queued = all.json.items.map((run: any) => Date.parse(run.queuedAt));
    expect(queued).toEqual([...queued].sort((a, b) => b - a));

    const first = await api('GET', '/sync/runs?limit=3');
    expect(first.json).toMatchObject({ total: 4, limit: 3, nextCursor: expect.any(String) });
    const second = await api('GET', `/sync/runs?limit=3&cursor=${first.json.nextCursor}`);
    expect(second.json).toMatchObject({ total: 4, nextCursor: null });
    expect([...first.json.items, ...second.json.items].map((run: any) => run.id)).toEqual(all.json.items.map((run: any) => run.id));

    const badCursor = await api('GET', '/sync/runs?cursor=not-a-cursor');
    expect(badCursor.json.error).toMatchObject({ code: 'validation_failed', details: [{ path: 'query.cursor' }] });
    expect((await api('GET', '/sync/runs?limit=0')).status).toBe(400);
    expect((await api('GET', '/sync/runs/000000000000')).status).toBe(404);
    expect((await api('GET', '/sync/runs/not-an-id')).status).toBe(400);
  });

  it('answered only what the OpenAPI document describes', () => {
    const problems = answers.flatMap((answer) => spec.check(answer).problems);
    expect(problems).toEqual([]);
    const seen = new Set(answers.map((answer) => `${spec.check(answer).operation} ${answer.status}`));
    for (const expected of ['POST /sync 200', 'POST /sync 202', 'POST /sync 409', 'GET /sync/runs 200', 'GET /sync/runs 400', 'GET /sync/runs/{id} 200', 'GET /sync/runs/{id} 400', 'GET /sync/runs/{id} 404']) {
      expect(seen, expected).toContain(expected);
    }
  });
});

const closedPort = () =>
  new Promise<number>((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });

describe('an upstream that cannot be reached', () => {
  for (const [what, upstream, code] of [
    ['refuses every connection', async () => `http://127.0.0.1:${await closedPort()}`, 'ECONNREFUSED'],
    ['does not resolve', async () => 'http://repo-monitor-test.invalid', 'ENOTFOUND'],
  ] as const) {
    it(`${what}: the run ends within seconds, spends no budget, and says why and when the next run is in one line`, async () => {
      const down = await startHarness({ realTime: true, env: { UPSTREAM_URL: await upstream(), SYNC_CONCURRENCY: '4' } });
      try {
        await down.track(repoNames(20, 'down'));
        down.service.startScheduler();
        const startedAt = performance.now();
        const response = await down.api('POST', '/sync');
        expect(performance.now() - startedAt).toBeLessThan(1000);
        expect(response.status).toBe(202);
        const run = (await down.api('GET', `/sync/runs/${response.json.id}`, { headers: { prefer: 'wait=10' } })).json;
        expect(performance.now() - startedAt).toBeLessThan(10_000);
        expect(run).toMatchObject({ state: 'failed', summary: { outcome: 'failed', stoppedBy: 'upstream_unreachable', requestsSpent: 0 } });
        expect(run.summary.counts.failed).toBeGreaterThanOrEqual(1);
        expect(run.summary.counts.failed).toBeLessThanOrEqual(4); // the requests in flight when it stopped, not all 20

        // Nothing reached the upstream: no budget spent, nothing paced.
        expect(down.sync.github.budget.state()).toMatchObject({ spent: 0, remaining: 60, inFlight: 0 });
        const lines = down.parsedLogs().filter((line) => line.run_id === response.json.id && line.lvl !== 'DEBUG');
        expect(lines.map((line) => line.msg)).toEqual(['sync run finished']);
        expect(lines[0]).toMatchObject({ lvl: 'ERROR', stopped_by: 'upstream_unreachable', unreachable: expect.stringContaining(code) });
        expect(Date.parse(lines[0]!.next_run!)).toBeGreaterThan(Date.now());

        // The next run is not held back by pacing either.
        const again = await down.api('POST', '/sync', { headers: { prefer: 'wait=10' } });
        expect(again.status).toBe(200);
        expect(again.json.summary).toMatchObject({ stoppedBy: 'upstream_unreachable', requestsSpent: 0 });
        expect(performance.now() - startedAt).toBeLessThan(10_000);
      } finally {
        await down.stop();
      }
    });
  }
});
