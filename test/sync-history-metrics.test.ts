import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../tools/fake-github/server.ts';
import { mongodbUri, uniqueDbName } from './helpers/database.ts';
import { sampleOf, scrape } from './helpers/metrics.ts';
import { call, startService, type RunningService } from './helpers/service.ts';

/**
 * "Since the last successful sync" must survive restarts: a process started after the sync
 * ran (here an api replica, which never runs one itself) reads when it ended from the run
 * history in the database, where the in-process timestamp still reads 0.
 */
const value = async (service: RunningService, name: string) => sampleOf(await scrape(service.url), name, {})?.value;

describe('last sync times from the run history', () => {
  let github: FakeGitHub;
  const env = () => ({ MONGODB_URI: mongodbUri(), MONGODB_DB: dbName, UPSTREAM_URL: github.url });
  const dbName = uniqueDbName('sync_history');
  const running: RunningService[] = [];
  const start = async (extra: Record<string, string>) => {
    const service = await startService({ ...env(), ...extra });
    running.push(service);
    return service;
  };

  beforeAll(async () => {
    github = await startFakeGitHub({ changeEverySeconds: 0 });
  });
  afterAll(async () => {
    await Promise.all(running.map((service) => service.stop()));
    await github?.stop();
  });

  it('read 0 while the history holds no run', async () => {
    const api = await start({ ROLE: 'api' });
    expect(await value(api, 'sync_history_last_success_timestamp_seconds')).toBe(0);
    expect(await value(api, 'sync_history_last_run_timestamp_seconds')).toBe(0);
  });

  it('a process started after a successful run shows when it ended, though it never ran one', async () => {
    const first = await start({ ROLE: 'all', SYNC_SCHEDULE: '0 0 1 1 *' });
    expect((await call(first.url, 'POST', '/repos', { body: { owner: 'acme', name: 'history' } })).status).toBe(201);
    const before = Date.now() / 1000;
    const run = await call(first.url, 'POST', '/sync', { headers: { prefer: 'wait=30' } });
    expect(run.json).toMatchObject({ state: 'succeeded' });
    const ended = Date.parse(run.json.finishedAt) / 1000;
    expect(ended).toBeGreaterThanOrEqual(before - 1);
    await first.stop();

    const restarted = await start({ ROLE: 'api' });
    expect(await value(restarted, 'sync_last_success_timestamp_seconds')).toBe(0);
    expect(await value(restarted, 'sync_history_last_success_timestamp_seconds')).toBeCloseTo(ended, 3);
    expect(await value(restarted, 'sync_history_last_run_timestamp_seconds')).toBeCloseTo(ended, 3);
  });
});
