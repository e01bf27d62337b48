import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoNames, startHarness, type Harness } from './harness.ts';

/**
 * What one run does to each record, over real HTTP against the fake upstream and the real
 * database: 200 stores, 304 writes nothing (a real count of write commands), 404/410 flags,
 * broken answers leave the cache untouched; the order is least recently synced first.
 */
let h: Harness;
const MINUTE = 60_000;

beforeAll(async () => {
  // With a token: 5,000 an hour and free 304s. Frozen stats unless a test changes them.
  h = await startHarness({
    env: { GITHUB_TOKEN: 'test-upstream-token', STALE_AFTER: '6h', SYNC_DEADLINE: '4m' },
    fake: { changeEverySeconds: 0 },
  });
  await h.track(repoNames(12));
});
afterAll(() => h?.stop());

const stored = (fullName: string) => h.db.repos.findOne({ _id: fullName.toLowerCase() });

describe('a sync run', () => {
  it('fetches every never-synced repository and stores its stats in batched writes', async () => {
    h.writes.reset();
    const summary = await h.run();
    expect(summary).toMatchObject({
      outcome: 'success',
      stoppedBy: 'done',
      trigger: 'schedule',
      tracked: 12,
      counts: { updated: 12, unchanged: 0, not_modified: 0, gone: 0, failed: 0 },
      requestsSpent: 12,
      writes: { commands: 1, documents: 12, refused: 0 },
      nextRunHint: null,
    });
    expect(summary.rateLimit).toMatchObject({ limit: 5000, remaining: 5000 - 12 });
    // One bulkWrite for the records, by the driver's own count.
    expect(h.writes.count('repos')).toBe(1);

    const doc = (await stored('acme/repo-003'))!;
    expect(doc.stats).toMatchObject({ stars: expect.any(Number), forks: expect.any(Number), htmlUrl: 'https://github.com/acme/repo-003' });
    expect(doc.starsSort).toBe(doc.stats!.stars);
    expect(doc.sync).toMatchObject({ status: 'ok', etag: expect.stringMatching(/^"/), fence: expect.any(Number) });
    // Paced: 5,000 an hour is one request every 0.72 s of (simulated) time.
    expect(doc.sync.lastSyncedAt!.getTime()).toBeGreaterThan(Date.parse(summary.startedAt));
    expect(doc.sync.lastSyncedAt!.getTime()).toBeLessThanOrEqual(h.clock.now().getTime());
    expect(doc.version).toBe(2);
    expect(doc.updatedAt).toEqual(doc.sync.lastSyncedAt);
  });

  it('spends no writes on a second pass with nothing changed: every answer a 304', async () => {
    h.time.advance(MINUTE);
    h.writes.reset();
    const before = await h.db.repos.find().sort({ _id: 1 }).toArray();
    const summary = await h.run();
    expect(summary.counts).toEqual({ updated: 0, unchanged: 0, not_modified: 12, gone: 0, failed: 0 });
    expect(summary.writes).toEqual({ commands: 0, documents: 0, refused: 0 });
    expect(h.writes.count('repos')).toBe(0);
    expect(await h.db.repos.find().sort({ _id: 1 }).toArray()).toEqual(before);
    // Authenticated 304s are free: the budget is where the first run left it.
    expect(summary.rateLimit?.remaining).toBe(5000 - 12);
    expect(h.github.control.stats().byStatus).toMatchObject({ 200: 12, 304: 12 });
  });

  it('writes only what changed upstream, with a new version, in one command', async () => {
    h.github.control.forceChange('acme/repo-005');
    h.time.advance(MINUTE);
    const old = (await stored('acme/repo-005'))!;
    h.writes.reset();
    const summary = await h.run();
    expect(summary.counts).toMatchObject({ updated: 1, not_modified: 11 });
    expect(summary.writes).toEqual({ commands: 1, documents: 1, refused: 0 });
    expect(h.writes.count('repos')).toBe(1);
    const doc = (await stored('acme/repo-005'))!;
    expect(doc.stats!.stars).toBe(old.stats!.stars + 1);
    expect(doc.version).toBe(old.version + 1);
    expect(doc.sync.etag).not.toBe(old.sync.etag);
  });

  it('stores only the new ETag when a 200 brings the content already stored', async () => {
    await h.db.repos.updateOne({ _id: 'acme/repo-007' }, { $set: { 'sync.etag': '"outdated"' } });
    const old = (await stored('acme/repo-007'))!;
    h.time.advance(MINUTE);
    const summary = await h.run();
    expect(summary.counts).toMatchObject({ unchanged: 1, not_modified: 11 });
    const doc = (await stored('acme/repo-007'))!;
    expect(doc.sync.etag).not.toBe('"outdated"');
    expect(doc.version).toBe(old.version); // the API's ETag does not move for bookkeeping
    expect(doc.stats).toEqual(old.stats);
  });

  it('flags a repository gone upstream (404 or 410), keeps its stats, and unflags it when it is back', async () => {
    h.github.control.setRepoStatus('acme/repo-001', 404);
    h.github.control.setRepoStatus('acme/repo-002', 410);
    const old = (await stored('acme/repo-001'))!;
    h.time.advance(MINUTE);
    const summary = await h.run();
    expect(summary.counts).toMatchObject({ gone: 2, not_modified: 10 });
    const doc = (await stored('acme/repo-001'))!;
    expect(doc.sync.status).toBe('gone');
    expect(doc.stats).toEqual(old.stats);
    expect(doc.version).toBe(old.version + 1);

    // Still gone: counted, not written again.
    h.time.advance(MINUTE);
    h.writes.reset();
    expect((await h.run()).counts).toMatchObject({ gone: 2 });
    expect(h.writes.count('repos')).toBe(0);

    h.github.control.setRepoStatus('acme/repo-001', 200);
    h.github.control.setRepoStatus('acme/repo-002', 200);
    h.time.advance(MINUTE);
    expect((await h.run()).counts).toMatchObject({ gone: 0, not_modified: 12 });
    expect((await stored('acme/repo-001'))!.sync.status).toBe('ok');
  });

  it('leaves the cached data untouched on a broken answer and goes on with the others', async () => {
    h.github.control.forceChange('acme/repo-009');
    h.github.control.addFault({ type: 'malformed', mode: 'wrong_shape', repo: 'acme/repo-009' });
    const old = (await stored('acme/repo-009'))!;
    h.time.advance(MINUTE);
    const summary = await h.run();
    h.github.control.clearFaults();
    expect(summary).toMatchObject({ outcome: 'partial', stoppedBy: 'done', counts: { failed: 1, not_modified: 11 } });
    expect(await stored('acme/repo-009')).toEqual(old);
    const giveUp = h.parsedLogs().find((line) => line.msg === 'upstream request failed; giving up');
    expect(giveUp).toMatchObject({ repo: 'acme/repo-009', reason: 'invalid_response', status: '200', retry: 'false' });
  });

  it('rewrites the check marker alone once the stored one is a quarter of STALE_AFTER old', async () => {
    h.time.advance(2 * 60 * MINUTE); // past 6h / 4
    const old = (await stored('acme/repo-004'))!;
    h.writes.reset();
    const summary = await h.run();
    expect(summary.counts).toMatchObject({ updated: 1, not_modified: 11 }); // repo-009's pending change
    expect(summary.writes).toMatchObject({ commands: 1, documents: 12 });
    const doc = (await stored('acme/repo-004'))!;
    expect(doc.sync.lastSyncedAt!.getTime()).toBeGreaterThan(Date.parse(summary.startedAt));
    expect(doc.version).toBe(old.version);
    expect(doc.updatedAt).toEqual(old.updatedAt);
  });
});

describe('a run with many requests in flight', () => {
  it('writes its batches one after another, never several bulkWrites at once', async () => {
    // FerretDB hangs when update commands together hold its 100 connections; MongoDB would
    // not mind, but one batch at a time is what keeps writes predictable on both.
    const busy = await startHarness({
      env: { GITHUB_TOKEN: 'busy-test-token', SYNC_CONCURRENCY: '8', SYNC_BATCH_SIZE: '5' },
      fake: { changeEverySeconds: 0, authenticatedLimit: 1_000_000 },
    });
    try {
      await busy.track(repoNames(80, 'busy'));
      busy.writes.reset();
      const summary = await busy.run();
      expect(summary).toMatchObject({ outcome: 'success', counts: { updated: 80 }, writes: { commands: 16, documents: 80 } });
      expect(busy.writes.count('repos')).toBe(16);
      expect(busy.writes.maxInFlight('repos')).toBe(1);
    } finally {
      await busy.stop();
    }
  });
});
