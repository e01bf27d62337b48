import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../lib/db.ts';
import { newRepoDocument } from '../../lib/repos/model.ts';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';
import { mongodbUri, uniqueDbName } from '../helpers/database.ts';
import { parseLogfmt } from '../helpers/logs.ts';
import { sampleOf, scrape } from '../helpers/metrics.ts';
import { call, startService, type RunningService } from '../helpers/service.ts';
import { freePort } from '../helpers/free-port.ts';

/**
 * The real service (runtime/main.ts) as child processes, by ROLE, against the real database
 * and the fake upstream, with a schedule of every second: the scheduler runs the sync and
 * serves only its metrics port; the API runs no scheduler; two schedulers never sync at the
 * same time; shutdown lets a running sync finish or aborts it past the grace period, and
 * releases the lease either way.
 */
let github: FakeGitHub;
const started: RunningService[] = [];

beforeAll(async () => {
  github = await startFakeGitHub({ changeEverySeconds: 0, authenticatedLimit: 1_000_000 });
});
afterAll(async () => {
  await Promise.all(started.map((service) => service.stop('SIGKILL')));
  await github?.stop();
});

async function trackedDatabase(label: string, names: string[]): Promise<{ name: string; db: Database }> {
  const name = uniqueDbName(label);
  const db = createDatabase({ uri: mongodbUri(), dbName: name, timeoutMs: 5000 });
  await db.repos.insertMany(names.map((fullName) => newRepoDocument({ owner: fullName.split('/')[0]!, name: fullName.split('/')[1]! }, new Date())));
  return { name, db };
}

async function start(env: Record<string, string>) {
  const service = await startService({
    MONGODB_URI: mongodbUri(),
    UPSTREAM_URL: github.url,
    GITHUB_TOKEN: 'roles-test-token',
    SYNC_SCHEDULE: '* * * * * *',
    SYNC_CONCURRENCY: '1',
    ...env,
  });
  started.push(service);
  return service;
}

const runLines = (service: RunningService) => parseLogfmt(service.lines.filter((line) => line.includes('msg="sync run finished"')));
const lockOf = (db: Database) => db.db.collection('locks').findOne({ _id: 'sync' as never });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('ROLE=scheduler', () => {
  it('runs the sync on its schedule, serves only the metrics port, and finishes a running sync before it exits', async () => {
    const { name, db } = await trackedDatabase('role_scheduler', ['sched/one', 'sched/two']);
    const apiPort = await freePort();
    const service = await start({ ROLE: 'scheduler', MONGODB_DB: name, PORT: String(apiPort), METRICS_PORT: '0', SHUTDOWN_GRACE_MS: '5000' });
    expect(service.lines[0]).toMatch(/msg=listening .*role=scheduler/);
    expect(service.lines.find((line) => line.includes('msg=listening'))).not.toMatch(/ port=/);

    const line = await service.waitForLine(/msg="sync run finished".* outcome=success/);
    const run = parseLogfmt([line])[0]!;
    expect(run).toMatchObject({ trigger: 'schedule', updated: '2', run_id: expect.stringMatching(/^[0-9a-f]{12}$/) });
    expect(service.lines.some((entry) => entry.includes('msg="scheduler started"') && entry.includes('schedule="* * * * * *"'))).toBe(true);

    // No API: the port it would use is closed; the metrics port serves metrics and health only.
    await expect(fetch(`http://127.0.0.1:${apiPort}/healthz`)).rejects.toThrow();
    expect((await call(service.url, 'GET', '/healthz')).status).toBe(200);
    expect((await call(service.url, 'GET', '/repos')).status).toBe(404);
    const m = await scrape(service.url);
    expect(sampleOf(m, 'sync_runs_total', { outcome: 'success' })?.value).toBeGreaterThanOrEqual(1);
    expect(sampleOf(m, 'repos_tracked', {})?.value).toBe(2);
    expect(sampleOf(m, 'upstream_requests_total', { status_code: '200' })?.value).toBe(2);

    // A slow upstream keeps the next run going when SIGTERM comes: it is let finish.
    github.control.addFault({ type: 'delay', ms: 600 });
    const before = runLines(service).length;
    await service.waitForLine(new RegExp(`msg="sync run started"(?![\\s\\S]*${run.run_id})`));
    await sleep(50);
    service.process.kill('SIGTERM');
    expect(await service.exited).toBe(0);
    github.control.clearFaults();
    const last = runLines(service).slice(before);
    expect(last.at(-1)).toMatchObject({ outcome: 'success', not_modified: '2' });
    expect(service.lines.at(-1)).toMatch(/msg=stopped/);
    expect(await lockOf(db)).toBeNull();
    await db.close();
  });
});

describe('ROLE=api', () => {
  it('serves the API and its cache metrics but runs no scheduler; POST /sync still syncs on demand', async () => {
    const { name, db } = await trackedDatabase('role_api', ['api/one']);
    const requests = github.control.stats().requests;
    const service = await start({ ROLE: 'api', MONGODB_DB: name });
    await sleep(1500); // a second and a half of an every-second schedule
    expect(service.lines.some((line) => /scheduler started|sync run/.test(line))).toBe(false);
    expect(github.control.stats().requests).toBe(requests);
    const m = await scrape(service.url);
    expect(sampleOf(m, 'repos_tracked', {})?.value).toBe(1);
    expect(sampleOf(m, 'repos_stale', {})?.value).toBe(1);
    expect(sampleOf(m, 'sync_runs_total', { outcome: 'success' })?.value).toBe(0);

    const response = await call(service.url, 'POST', '/sync', { headers: { prefer: 'wait=10' } });
    expect(response.status).toBe(200);
    expect(response.json.summary).toMatchObject({ outcome: 'success', trigger: 'http', counts: { updated: 1 } });
    await service.waitForLine(/msg="sync run finished".* trigger=http/);
    expect((await call(service.url, 'GET', '/repos/api/one')).json.sync).toMatchObject({ status: 'ok', stale: false });
    await service.stop();
    await db.close();
  });
});

describe('two schedulers on one database', () => {
  it('never sync at the same time, and one stopping past its grace period aborts its run and frees the lease', async () => {
    const { name, db } = await trackedDatabase('role_twins', ['twin/one', 'twin/two']);
    github.control.addFault({ type: 'delay', ms: 400 });
    const env = { ROLE: 'scheduler', MONGODB_DB: name, METRICS_PORT: '0', SHUTDOWN_GRACE_MS: '100' };
    const [a, b] = await Promise.all([start(env), start(env)]);
    await sleep(3500);

    const runs = [...runLines(a), ...runLines(b)];
    const ran = runs.filter((run) => run.outcome !== 'skipped');
    expect(runs.some((run) => run.outcome === 'skipped')).toBe(true);
    expect(ran.length).toBeGreaterThanOrEqual(1);
    const spans = ran.map((run) => [Date.parse(run.started_at!), Date.parse(run.started_at!) + Number(run.duration_ms)] as const).sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) expect(spans[i]![0]).toBeGreaterThanOrEqual(spans[i - 1]![1]);

    // Stop both just as one starts a run (two 400 ms requests): past the 100 ms grace it is aborted.
    const startedRuns = (service: RunningService) => service.lines.filter((line) => line.includes('msg="sync run started"')).length;
    const seen = [a, b].map(startedRuns);
    let holder: RunningService | undefined;
    while (!holder) {
      await sleep(10);
      holder = [a, b].find((service, i) => startedRuns(service) > seen[i]!);
    }
    await Promise.all([a.stop(), b.stop()]);
    github.control.clearFaults();
    expect(await a.exited).toBe(0);
    expect(await b.exited).toBe(0);
    expect(runLines(holder).at(-1)).toMatchObject({ stopped_by: 'aborted' });
    expect(holder.lines.some((line) => line.includes('msg="sync runs still going after the grace period were aborted"'))).toBe(true);
    expect(await lockOf(db)).toBeNull();
    await db.close();
  });
});
