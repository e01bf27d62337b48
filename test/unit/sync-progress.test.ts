import { describe, expect, it } from 'vitest';
import { preferredWait } from '../../lib/prefer.ts';
import { expectedFinish } from '../../lib/sync/progress.ts';
import { afterRunCursor, decodeRunCursor, encodeRunCursor, RUN_CURSOR } from '../../lib/sync/run-store.ts';
import { emptyCounts, outcomeOf, summarize } from '../../lib/sync/summary.ts';
import { describe as describeProgress } from '../../scripts/lib/sync-progress.ts';

/** The run's progress estimate, outcome, summary, history cursor and Prefer parsing: pure, no server. */
const MIN = 60_000;

describe('expectedFinish', () => {
  const base = { now: 10 * MIN, startedAt: 0, deadline: 100 * MIN, budgetLeft: 1000, resetAt: 60 * MIN };
  it('is unknown before the due count and before the first repository', () => {
    expect(expectedFinish({ ...base, done: 0, due: null })).toBeNull();
    expect(expectedFinish({ ...base, done: 0, due: 10 })).toBeNull();
  });
  it('extends the pace so far over what is left', () => {
    expect(expectedFinish({ ...base, done: 5, due: 10 })).toBe(20 * MIN);
    expect(expectedFinish({ ...base, done: 10, due: 10 })).toBe(10 * MIN);
  });
  it('takes the budget pace when the budget cannot cover the rest, and never passes the deadline', () => {
    // 2 left in the window for 5 repositories: 25 min apart, slower than the 2 min pace so far.
    expect(expectedFinish({ ...base, done: 5, due: 10, budgetLeft: 2, deadline: 200 * MIN })).toBe(base.now + 5 * 25 * MIN);
    expect(expectedFinish({ ...base, done: 5, due: 10, budgetLeft: 2, deadline: 30 * MIN })).toBe(30 * MIN);
  });
});

describe('outcomeOf and summarize', () => {
  it('calls a run cut short by budget or deadline a success, and one with failures partial or failed', () => {
    expect(outcomeOf({ ...emptyCounts(), updated: 3 }, 'budget')).toBe('success');
    expect(outcomeOf({ ...emptyCounts(), updated: 3, failed: 1 }, 'done')).toBe('partial');
    expect(outcomeOf({ ...emptyCounts(), failed: 1 }, 'upstream_unreachable')).toBe('failed');
    expect(outcomeOf(emptyCounts(), 'lease_held')).toBe('skipped');
  });
  it('says failed with the error when the database broke the run, and the rate limit only once confirmed', () => {
    const input = { runId: 'r', trigger: 'http', startedAt: new Date(0), finishedAt: new Date(1500), stoppedBy: 'error' as const };
    const unconfirmed = { limit: 60, remaining: 60, resetAt: 0, confirmed: false };
    expect(summarize({ ...input, failure: new Error('db down') }, unconfirmed)).toMatchObject({
      outcome: 'failed', durationMs: 1500, tracked: null, error: 'db down', rateLimit: null, nextRunHint: null,
    });
    const confirmed = { limit: 60, remaining: 7, resetAt: 3_600_000, confirmed: true };
    const body = { tracked: 4, counts: { ...emptyCounts(), updated: 4 }, writes: { commands: 1, documents: 4, refused: 0 }, nextRunAt: 7_200_000 };
    expect(summarize({ ...input, stoppedBy: 'done', body, requestsSpent: 4 }, confirmed)).toMatchObject({
      outcome: 'success', tracked: 4, requestsSpent: 4, rateLimit: { limit: 60, remaining: 7, reset: '1970-01-01T01:00:00.000Z' },
      nextRunHint: '1970-01-01T02:00:00.000Z',
    });
  });
});

describe('the history cursor', () => {
  it('round-trips and selects what comes after it, newest first', () => {
    const run = { _id: 'abcdef012345', queuedAt: new Date('2026-11-25T12:00:00Z') };
    const cursor = encodeRunCursor(run);
    expect(cursor).toMatch(RUN_CURSOR);
    expect(decodeRunCursor(cursor)).toEqual({ at: run.queuedAt, id: 'abcdef012345' });
    expect(afterRunCursor(decodeRunCursor(cursor))).toEqual({ $or: [{ queuedAt: { $lt: run.queuedAt } }, { queuedAt: run.queuedAt, _id: { $lt: 'abcdef012345' } }] });
  });
  it('has a documented form that refuses what this API did not make', () => {
    for (const bad of ['nope', '12~ABCDEF012345', '12~abc', '~abcdef012345', '1764547200000~abcdef012345~']) expect(bad).not.toMatch(RUN_CURSOR);
  });
});

describe('preferredWait (RFC 7240)', () => {
  it('reads wait among other preferences, caps it, and ignores what it cannot read', () => {
    expect(preferredWait('wait=10', 60)).toBe(10);
    expect(preferredWait('respond-async, Wait=5', 60)).toBe(5);
    expect(preferredWait('wait="7"', 60)).toBe(7);
    expect(preferredWait('wait=600', 60)).toBe(60);
    expect(preferredWait('wait=soon', 60)).toBeNull();
    expect(preferredWait('return=minimal', 60)).toBeNull();
    expect(preferredWait(undefined, 60)).toBeNull();
  });
});

describe("invoke's progress line", () => {
  it('shows done/due, requests, budget and the expected finish, with a bar on a terminal', () => {
    const progress = { done: 3, due: 12, requestsSpent: 4, budgetLeft: 56, expectedFinishAt: new Date('2026-11-25T12:05:31Z'), updatedAt: new Date() };
    expect(describeProgress(progress, false)).toBe('3/12 repositories, 4 requests, 56 left in the rate limit, done by 12:05:31 UTC');
    expect(describeProgress(progress, true)).toMatch(/^\[######-{18}\] 3\/12 repositories/);
  });
});
