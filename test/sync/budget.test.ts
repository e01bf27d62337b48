import { afterEach, describe, expect, it } from 'vitest';
import { repoNames, startHarness, type Harness } from './harness.ts';

/**
 * The rate limit, over real HTTP with a simulated clock shared by the fake upstream, the
 * client's waits and the scheduler-like loop: the watch list is larger than the limit, runs
 * come every five minutes, and the fake counts every request it charged per window.
 */
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
let h: Harness | undefined;
afterEach(async () => {
  await h?.stop();
  h = undefined;
});

/** Runs the sync at every five-minute mark until `until` (simulated), like the scheduler. */
async function scheduledRuns(harness: Harness, until: number) {
  const summaries = [];
  while (harness.time.now() < until) {
    const start = harness.time.now();
    summaries.push(await harness.run());
    const next = start + 5 * MINUTE;
    harness.time.advance(Math.max(0, next - harness.time.now()));
  }
  return summaries;
}

describe('the rate-limit budget across runs', () => {
  it('is never exceeded across simulated hours with 150 repositories and a limit of 60, least recently synced first', async () => {
    h = await startHarness({ env: { SYNC_DEADLINE: '4m', STALE_AFTER: '6h' }, fake: { limit: 60, windowSeconds: 3600, changeEverySeconds: 0 } });
    await h.track(repoNames(150));
    const start = h.time.now();
    const summaries = await scheduledRuns(h, start + 3 * HOUR);

    const stats = h.github.control.stats();
    expect(stats.rateLimit.refused).toBe(0);
    expect(stats.rateLimit.maxPerWindow).toBeLessThanOrEqual(60);
    expect(stats.byStatus[403] ?? 0).toBe(0);
    // It used what it had: three windows' worth, minus the last window's few in flight.
    expect(stats.requests).toBeGreaterThanOrEqual(3 * 60 - 6);
    expect(summaries.every((summary) => summary.outcome === 'success')).toBe(true);
    // Spread over each window, not one burst: every five-minute run sends a handful.
    expect(Math.max(...summaries.map((summary) => summary.requestsSpent))).toBeLessThanOrEqual(6);

    // Never-synced first: all 150 before any second visit; then the oldest first.
    const updated = summaries.reduce((sum, summary) => sum + summary.counts.updated, 0);
    expect(updated).toBe(150);
    const lastOfFirstPass = (await h.db.repos.findOne({ _id: 'acme/repo-149' }))!.sync.lastSyncedAt!;
    const revisited = await h.db.repos.find({ 'sync.lastSyncedAt': { $gt: lastOfFirstPass } }).sort({ _id: 1 }).toArray();
    expect(revisited.length).toBeGreaterThan(20);
    expect(revisited.map((doc) => doc._id)).toEqual(repoNames(revisited.length));
  });

  it('honours retry-after: waits as long as the upstream asked before the next request', async () => {
    h = await startHarness({ env: { GITHUB_TOKEN: 'budget-test-token' }, fake: { changeEverySeconds: 0 } });
    await h.track(repoNames(3));
    h.github.control.addFault({ type: 'secondary_rate_limit', retryAfter: 45, count: 1 });
    const summary = await h.run();
    expect(summary).toMatchObject({ outcome: 'success', counts: { updated: 3 } });
    expect(h.time.sleeps).toContain(45_000);
    expect(h.github.control.stats().byStatus).toMatchObject({ 429: 1, 200: 3 });
    const retry = h.parsedLogs().find((line) => line.msg === 'upstream request failed; retrying');
    expect(retry).toMatchObject({ reason: 'rate_limited', status: '429', retry: 'true', wait_ms: '45000', run_id: summary.runId });
    expect((await h.scrape()).get('upstream_retries_total')?.samples.find((s) => s.labels.reason === 'rate_limited')?.value).toBe(1);
  });

  it('honours the reset: once the limit is spent it sends nothing until the window resets', async () => {
    h = await startHarness({ env: { SYNC_DEADLINE: '4m' }, fake: { limit: 60, changeEverySeconds: 0 } });
    await h.track(repoNames(3));
    expect((await h.run()).counts.updated).toBe(3);
    h.github.control.exhaust();
    h.github.control.forceChange();
    h.time.advance(5 * MINUTE);

    // The first request learns the limit is spent (403, remaining 0, reset in ~55 minutes).
    const refused = await h.run();
    expect(refused).toMatchObject({ outcome: 'failed', stoppedBy: 'rate_limited', counts: { failed: 1 }, requestsSpent: 1 });
    const reset = Date.parse(refused.nextRunHint!);
    expect(reset).toBeGreaterThan(h.time.now() + 50 * MINUTE);

    // Runs before the reset send nothing at all.
    const requests = h.github.control.stats().requests;
    h.time.advance(10 * MINUTE);
    const waiting = await h.run();
    expect(waiting).toMatchObject({ outcome: 'success', stoppedBy: 'budget', requestsSpent: 0, counts: { failed: 0 } });
    expect(Date.parse(waiting.nextRunHint!)).toBeGreaterThanOrEqual(reset);
    expect(h.github.control.stats().requests).toBe(requests);

    // After it, the sync picks up where it stopped.
    h.time.advance(Math.max(0, reset - h.time.now()) + MINUTE);
    const after = await h.run();
    expect(after).toMatchObject({ outcome: 'success', counts: { updated: 3 } });
    expect(h.github.control.stats().rateLimit.maxPerWindow).toBeLessThanOrEqual(60);
  });
});
