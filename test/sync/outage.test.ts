import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sampleOf, type Family } from '../helpers/metrics.ts';
import { startHarness, type Harness } from './harness.ts';

/**
 * A full outage (every connection reset), end to end through the HTTP runtime (POST /sync
 * with Prefer: wait, GET /repos, /metrics): the run stops at the first failure instead of
 * trying every repository, the API keeps
 * serving the last data and says it is stale once STALE_AFTER passes, the metrics show it,
 * and the next run after the upstream returns brings everything back to fresh.
 */
let h: Harness;
const HOUR = 3_600_000;
const names = ['acme/one', 'acme/two', 'acme/three', 'other/four', 'other/five'];

beforeAll(async () => {
  h = await startHarness({ env: { STALE_AFTER: '6h', GITHUB_TOKEN: 'outage-test-token' }, fake: { changeEverySeconds: 0 } });
  for (const fullName of names) {
    const [owner, name] = fullName.split('/');
    expect((await h.api('POST', '/repos', { body: { owner, name, tags: [owner!] } })).status).toBe(201);
  }
});
afterAll(() => h?.stop());

const value = (m: Map<string, Family>, name: string, labels: Record<string, string> = {}) => sampleOf(m, name, labels)?.value;

describe('before the first sync', () => {
  it('serves tracked repositories as pending and stale, with no age, and never calls GitHub', async () => {
    const list = await h.api('GET', '/repos');
    expect(list.status).toBe(200);
    expect(list.json.items[0].sync).toEqual({ status: 'pending', lastSyncedAt: null, stale: true, ageSeconds: null });
    expect(list.json).toMatchObject({ total: 5, staleCount: 5, oldestSyncAgeSeconds: 0 });
    expect(h.github.control.stats().requests).toBe(0);
    const m = await h.scrape();
    expect(value(m, 'repos_tracked')).toBe(5);
    expect(value(m, 'repos_stale')).toBe(5);
    expect(value(m, 'cache_stale_after_seconds')).toBe(6 * 3600);
  });
});

describe('POST /sync', () => {
  it('needs a token like every write, and runs the sync with it', async () => {
    expect((await h.api('POST', '/sync', { token: null })).status).toBe(401);
    const response = await h.api('POST', '/sync', { headers: { prefer: 'wait=30' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('preference-applied')).toBe('wait=30');
    expect(response.json).toMatchObject({ state: 'succeeded', trigger: 'http', href: `/sync/runs/${response.json.id}` });
    expect(response.json.summary).toMatchObject({ outcome: 'success', counts: { updated: 5 }, runId: response.json.id, trigger: 'http' });

    const one = await h.api('GET', '/repos/acme/one');
    expect(one.json.stats.stars).toEqual(expect.any(Number));
    expect(one.json.sync).toMatchObject({ status: 'ok', stale: false, ageSeconds: expect.any(Number) });
    expect(one.json.sync.ageSeconds).toBeLessThan(60);
    const list = await h.api('GET', '/repos?owner=other');
    expect(list.json).toMatchObject({ total: 2, staleCount: 0 });

    const m = await h.scrape();
    expect(value(m, 'sync_runs_total', { outcome: 'success' })).toBe(1);
    expect(value(m, 'sync_records_total', { result: 'updated' })).toBe(5);
    expect(value(m, 'upstream_requests_total', { status_code: '200' })).toBe(5);
    expect(sampleOf(m, 'upstream_request_duration_seconds', {})?.count).toBe(5);
    expect(sampleOf(m, 'sync_duration_seconds', {})?.count).toBe(1);
    expect(value(m, 'upstream_ratelimit_limit')).toBe(5000);
    expect(value(m, 'upstream_ratelimit_remaining')).toBe(4995);
    expect(value(m, 'upstream_ratelimit_reset_timestamp_seconds')).toBeGreaterThan(h.time.now() / 1000);
    expect(value(m, 'sync_last_success_timestamp_seconds')).toBe(value(m, 'sync_last_run_timestamp_seconds'));
    expect(value(m, 'sync_last_success_timestamp_seconds')).toBeCloseTo(h.time.now() / 1000, 0);
    expect(value(m, 'sync_lease_held')).toBe(0);
    expect(value(m, 'repos_stale')).toBe(0);
  });
});

describe('a full outage', () => {
  it('stops the run at the first failure, leaves the data as it was, and logs each failure', async () => {
    const before = await h.api('GET', '/repos?sort=name');
    h.github.control.addFault({ type: 'outage', mode: 'reset' }); // every connection reset: the request reached it
    h.time.advance(HOUR);
    const { status, summary } = await h.syncOverHttp();
    const response = { json: summary };
    expect(status).toBe(200);
    expect(summary).toMatchObject({ outcome: 'failed', stoppedBy: 'upstream_down', counts: { failed: 1, not_modified: 0 } });
    // One repository's attempts (the client's 4), not five repositories' worth.
    expect(response.json.requestsSpent).toBe(4);
    expect(response.json.nextRunHint).toEqual(expect.any(String));

    const after = await h.api('GET', '/repos?sort=name');
    const strip = (items: any[]) => items.map(({ sync, ...rest }) => ({ ...rest, lastSyncedAt: sync.lastSyncedAt }));
    expect(strip(after.json.items)).toEqual(strip(before.json.items));

    const lines = h.parsedLogs().filter((line) => line.run_id === response.json.runId);
    const retries = lines.filter((line) => line.msg === 'upstream request failed; retrying');
    expect(retries).toHaveLength(3);
    for (const line of retries) expect(line).toMatchObject({ reason: 'network', retry: 'true', wait_ms: expect.stringMatching(/^\d+$/) });
    expect(lines.filter((line) => line.msg === 'upstream request failed; giving up')).toEqual([
      expect.objectContaining({ reason: 'network', retry: 'false', attempts: '4' }),
    ]);
    expect(lines.filter((line) => line.msg === 'sync run finished')).toEqual([
      expect.objectContaining({ lvl: 'ERROR', outcome: 'failed', stopped_by: 'upstream_down', failed: '1', requests_spent: '4' }),
    ]);

    const m = await h.scrape();
    expect(value(m, 'sync_runs_total', { outcome: 'failed' })).toBe(1);
    expect(value(m, 'sync_records_total', { result: 'failed' })).toBe(1);
    expect(value(m, 'upstream_requests_total', { status_code: 'network' })).toBe(4);
    expect(value(m, 'upstream_retries_total', { reason: 'network' })).toBe(3);
    // The last success stays where it was; the last run moved.
    expect(value(m, 'sync_last_run_timestamp_seconds')).toBeGreaterThan(value(m, 'sync_last_success_timestamp_seconds')!);
  });

  it('keeps serving the last data past STALE_AFTER, marked stale, and the metrics say so', async () => {
    h.time.advance(6 * HOUR);
    expect((await h.syncOverHttp()).summary.outcome).toBe('failed');
    const one = await h.api('GET', '/repos/acme/one');
    expect(one.status).toBe(200);
    expect(one.json.stats.stars).toEqual(expect.any(Number));
    expect(one.json.sync).toMatchObject({ status: 'ok', stale: true });
    expect(one.json.sync.ageSeconds).toBeGreaterThan(7 * 3600);
    const list = await h.api('GET', '/repos?tag=acme');
    expect(list.json).toMatchObject({ total: 3, staleCount: 3 });
    expect(list.json.oldestSyncAgeSeconds).toBeGreaterThan(7 * 3600);
    expect(list.json.items.every((item: any) => item.sync.stale && item.stats !== null)).toBe(true);

    const m = await h.scrape();
    expect(value(m, 'repos_stale')).toBe(5);
    expect(value(m, 'cache_oldest_record_age_seconds')).toBeGreaterThan(value(m, 'cache_stale_after_seconds')!);
  });

  it('recovers on the first run after the upstream is back', async () => {
    h.github.control.clearFaults();
    h.time.advance(60_000);
    const response = { json: (await h.syncOverHttp()).summary };
    expect(response.json).toMatchObject({ outcome: 'success', counts: { not_modified: 5, failed: 0 } });
    // Old markers are rewritten (a quarter of STALE_AFTER has long passed): fresh again.
    expect(response.json.writes).toMatchObject({ commands: 1, documents: 5 });
    const list = await h.api('GET', '/repos');
    expect(list.json).toMatchObject({ staleCount: 0 });
    expect(list.json.oldestSyncAgeSeconds).toBeLessThan(60);
    const m = await h.scrape();
    expect(value(m, 'repos_stale')).toBe(0);
    expect(value(m, 'cache_oldest_record_age_seconds')).toBeLessThan(60);
    expect(value(m, 'sync_runs_total', { outcome: 'success' })).toBe(2);
    expect(value(m, 'sync_records_total', { result: 'not_modified' })).toBe(5);
    expect(value(m, 'upstream_requests_total', { status_code: '304' })).toBe(5);
  });
});
