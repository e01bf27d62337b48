import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';
import { sampleOf } from '../helpers/metrics.ts';
import { repoNames, startHarness, type Harness } from './harness.ts';

/**
 * Two processes' worth of sync (two harnesses: own client, budget, metrics and app) on one
 * database, in real time, with an upstream slowed down so that a run lasts long enough to
 * collide with: whichever comes second is skipped (or answered 409), never run in parallel.
 */
let github: FakeGitHub;
let first: Harness;
let second: Harness;

beforeAll(async () => {
  // A big limit keeps real-time pacing short (5,000 an hour would space requests 0.72 s apart).
  github = await startFakeGitHub({ changeEverySeconds: 0, authenticatedLimit: 1_000_000 });
  const env = { GITHUB_TOKEN: 'parallel-test-token' };
  first = await startHarness({ github, env, realTime: true });
  second = await startHarness({ github, env, realTime: true, dbName: first.dbName });
  await first.track(repoNames(4));
});
/** Resolves once a run in `h`'s database holds the sync lease. */
async function leaseTaken(h: Harness) {
  for (let waited = 0; waited < 5000; waited += 10) {
    const lease = await h.db.db.collection('locks').findOne({ _id: 'sync' as never });
    if (lease && lease.token > 0) return lease;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error('no run took the lease within 5 s');
}

afterAll(async () => {
  await first?.stop();
  await second?.stop();
  await github?.stop();
});

describe('a second scheduler', () => {
  it('cannot run a sync while another holds the lease: skipped in-process, 409 over HTTP', async () => {
    github.control.addFault({ type: 'delay', ms: 150 });
    const running = first.run();
    await leaseTaken(first);

    // The holder says so on /metrics while it runs.
    for (let tries = 0; tries < 100 && sampleOf(await first.scrape(), 'sync_lease_held', {})?.value !== 1; tries++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(sampleOf(await first.scrape(), 'sync_lease_held', {})?.value).toBe(1);
    expect(sampleOf(await second.scrape(), 'sync_lease_held', {})?.value).toBe(0);

    const skipped = await second.run();
    expect(skipped).toMatchObject({ outcome: 'skipped', stoppedBy: 'lease_held', requestsSpent: 0, counts: { updated: 0 } });
    const conflict = await second.api('POST', '/sync');
    expect(conflict.status).toBe(409);
    expect(conflict.json.error.code).toBe('sync_in_progress');
    expect(conflict.headers.get('retry-after')).toMatch(/^\d+$/);
    // It names the run holding the lease, in the other process, and links to it.
    const holder = conflict.json.run.id;
    expect(conflict.json.run.href).toBe(`/sync/runs/${holder}`);
    expect(conflict.json.error.message).toContain(holder);
    expect((await second.api('GET', `/sync/runs/${holder}`)).json).toMatchObject({ id: holder, state: 'running', trigger: 'schedule' });
    // The same process's own second run is refused too (the lease is per run, not per process).
    expect((await first.api('POST', '/sync')).status).toBe(409);

    const done = await running;
    github.control.clearFaults();
    expect(done).toMatchObject({ outcome: 'success', counts: { updated: 4 } });
    expect(done.runId).toBe(holder);
    expect(github.control.stats().byStatus[200]).toBe(4); // nobody fetched twice

    const line = second.parsedLogs().find((entry) => entry.msg === 'sync run finished' && entry.run_id === skipped.runId);
    expect(line).toMatchObject({ outcome: 'skipped', stopped_by: 'lease_held', lease_holder: expect.stringContaining(done.runId) });
    const m = await second.scrape();
    expect(sampleOf(m, 'sync_runs_total', { outcome: 'skipped' })?.value).toBe(2);
    expect(sampleOf(m, 'sync_duration_seconds', {})?.count).toBe(0); // skipped runs are not timed
    expect(sampleOf(await first.scrape(), 'sync_lease_held', {})?.value).toBe(0);
  });

  it('runs as soon as the lease is released', async () => {
    const summary = await second.run();
    expect(summary).toMatchObject({ outcome: 'success', counts: { not_modified: 4 } });
    expect(await first.db.db.collection('locks').findOne({ _id: 'sync' as never })).toBeNull();
  });

  it('stops a run whose lease was taken over mid-run, and writes nothing after that', async () => {
    const lossy = await startHarness({ github, env: { GITHUB_TOKEN: 'parallel-test-token', SYNC_BATCH_SIZE: '2' }, realTime: true });
    try {
      await lossy.track(repoNames(6, 'lossy'));
      github.control.addFault({ type: 'delay', ms: 100 });
      const running = lossy.run();
      const ours = await leaseTaken(lossy);
      // Another process took the lease over (as if ours had expired during a long pause).
      const locks = lossy.db.db.collection('locks');
      await locks.deleteOne({ _id: 'sync' as never });
      await locks.insertOne({ _id: 'sync' as never, owner: 'intruder', token: ours.token + 1, acquiredAt: new Date(), expiresAt: new Date(Date.now() + 60_000) });
      const summary = await running;
      github.control.clearFaults();
      expect(summary).toMatchObject({ stoppedBy: 'lease_lost', writes: { commands: 0, documents: 0, refused: 2 } });
      expect(await lossy.db.repos.countDocuments({ 'sync.status': 'pending' })).toBe(6);
      // Its release did not touch the new holder's lease.
      expect(await locks.findOne({ _id: 'sync' as never })).toMatchObject({ owner: 'intruder' });
      expect(lossy.parsedLogs().find((line) => line.msg === 'sync run finished')).toMatchObject({ stopped_by: 'lease_lost', writes_refused: '2' });
    } finally {
      await lossy.stop();
    }
  });
});
