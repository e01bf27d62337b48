import { describe, expect, it } from 'vitest';
import type { FetchRepoResult } from '../../lib/github/client.ts';
import { newRepoDocument, type RepoDocument, type RepoStats } from '../../lib/repos/model.ts';
import { classify, sameStats } from '../../lib/sync/classify.ts';

/** What each upstream answer does to a stored record: pure, no server. */
const now = new Date('2026-11-25T12:00:00Z');
const context = { now, token: 7, markerIntervalMs: 90 * 60_000 };
const stats: RepoStats = {
  stars: 10, forks: 2, openIssues: 1, watchers: 3, language: 'TypeScript', description: 'x',
  defaultBranch: 'main', archived: false, pushedAt: new Date('2026-11-01T00:00:00Z'), htmlUrl: 'https://github.com/acme/one',
};

function synced(overrides: Partial<RepoDocument['sync']> = {}, docStats: RepoStats | null = stats): RepoDocument {
  const doc = newRepoDocument({ owner: 'acme', name: 'one' }, new Date('2026-11-20T00:00:00Z'));
  return { ...doc, stats: docStats, version: 3, sync: { ...doc.sync, status: 'ok', etag: '"e1"', lastSyncedAt: new Date(now.getTime() - 60_000), ...overrides } };
}
const ok = (s: RepoStats, etag = '"e1"'): FetchRepoResult => ({ kind: 'ok', stats: s, etag, owner: 'acme', name: 'one', attempts: 1 });
const failed = (reason: Extract<FetchRepoResult, { kind: 'failed' }>['reason']): FetchRepoResult => ({ kind: 'failed', reason, message: reason, attempts: 1 });

describe('classify', () => {
  it('stores new content with version + 1, only over the version read and no newer fence', () => {
    const outcome = classify(synced(), ok({ ...stats, stars: 11 }, '"e2"'), context);
    expect(outcome).toMatchObject({ result: 'updated', confirmed: false, stop: null });
    const { filter, update } = (outcome.write as any).updateOne;
    expect(filter).toMatchObject({ _id: 'acme/one', version: 3, 'sync.fence': { $not: { $gt: 7 } } });
    expect(update.$set).toMatchObject({ version: 4, 'sync.etag': '"e2"', 'sync.fence': 7, 'sync.lastSyncedAt': now });
    expect(update.$set.stats.stars).toBe(11);
  });

  it('writes nothing for a recent confirmation, and only the marker once it is a quarter of STALE_AFTER old', () => {
    expect(classify(synced(), ok(stats), context)).toEqual({ result: 'unchanged', write: null, confirmed: true, stop: null });
    expect(classify(synced(), { kind: 'not_modified', etag: '"e1"', attempts: 1 }, context)).toMatchObject({ result: 'not_modified', write: null, confirmed: true });
    const old = synced({ lastSyncedAt: new Date(now.getTime() - 2 * 3_600_000) });
    const marker = classify(old, { kind: 'not_modified', etag: '"e1"', attempts: 1 }, context);
    expect(marker.confirmed).toBe(false);
    expect((marker.write as any).updateOne.update.$set).toEqual({ 'sync.lastSyncedAt': now, 'sync.fence': 7 });
  });

  it('stores a changed ETag alone, without a new version', () => {
    const outcome = classify(synced(), ok(stats, '"e9"'), context);
    expect(outcome.result).toBe('unchanged');
    expect((outcome.write as any).updateOne.update.$set).toEqual({ 'sync.etag': '"e9"', 'sync.lastSyncedAt': now, 'sync.fence': 7 });
  });

  it('flags a repository gone once, keeping its stats', () => {
    const outcome = classify(synced(), { kind: 'gone', status: 404, attempts: 1 }, context);
    expect(outcome.result).toBe('gone');
    expect((outcome.write as any).updateOne.update.$set).toMatchObject({ 'sync.status': 'gone', version: 4 });
    expect((outcome.write as any).updateOne.update.$set.stats).toBeUndefined();
    expect(classify(synced({ status: 'gone' }), { kind: 'gone', status: 410, attempts: 1 }, context)).toMatchObject({ result: 'gone', write: null });
  });

  it('stops the run for what retrying within it cannot fix, and goes on past one broken answer', () => {
    const stops = Object.fromEntries(
      (['network', 'server_error', 'timeout', 'rate_limited', 'unreachable', 'budget_exhausted', 'aborted', 'invalid_response', 'http_error'] as const).map(
        (reason) => [reason, classify(synced(), failed(reason), context)],
      ),
    );
    expect(stops.network).toMatchObject({ result: 'failed', stop: 'upstream_down', write: null });
    expect(stops.server_error).toMatchObject({ result: 'failed', stop: 'upstream_down' });
    expect(stops.timeout).toMatchObject({ result: 'failed', stop: 'upstream_down' });
    expect(stops.rate_limited).toMatchObject({ result: 'failed', stop: 'rate_limited' });
    expect(stops.unreachable).toMatchObject({ result: 'failed', stop: 'upstream_unreachable' });
    expect(stops.budget_exhausted).toMatchObject({ result: null, stop: 'budget' });
    expect(stops.aborted).toMatchObject({ result: null, stop: 'aborted' });
    expect(stops.invalid_response).toMatchObject({ result: 'failed', stop: null });
    expect(stops.http_error).toMatchObject({ result: 'failed', stop: null });
  });

  it('compares every stat, dates by their time', () => {
    expect(sameStats(stats, { ...stats, pushedAt: new Date(stats.pushedAt!.getTime()) })).toBe(true);
    expect(sameStats(stats, { ...stats, archived: true })).toBe(false);
    expect(sameStats(null, stats)).toBe(false);
  });
});
