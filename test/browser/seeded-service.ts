import { randomBytes } from 'node:crypto';
import { createDatabase } from '../../lib/db.ts';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';
import { call, startService, type RunningService } from '../helpers/service.ts';

/**
 * The real service, as a person would first see it: a dozen tracked repositories refreshed
 * by a real sync run from the fake GitHub (so stats, ETags and the rate-limit budget are
 * real), one deleted upstream, one tracked after the run (never synced) and one whose data
 * has aged past STALE_AFTER. The browser tests and `npm run screenshots` both use it.
 */
export const SEEDED_REPOS: { fullName: string; tags?: string[] }[] = [
  { fullName: 'honojs/hono', tags: ['web', 'framework'] },
  { fullName: 'nodejs/node', tags: ['runtime'] },
  { fullName: 'prometheus/prometheus', tags: ['monitoring'] },
  { fullName: 'prometheus/alertmanager', tags: ['monitoring'] },
  { fullName: 'grafana/grafana', tags: ['monitoring', 'dashboards'] },
  { fullName: 'mongodb/node-mongodb-native', tags: ['database'] },
  { fullName: 'unjs/ofetch', tags: ['http'] },
  { fullName: 'hexagon/croner', tags: ['scheduling'] },
  { fullName: 'siimon/prom-client', tags: ['monitoring'] },
  { fullName: 'vitest-dev/vitest', tags: ['testing'] },
  { fullName: 'acme/retired-tool' },
];
/** Answers 410 upstream: shown as gone. */
export const GONE_REPO = 'acme/retired-tool';
/** Tracked after the sync run: never synced. */
export const NEW_REPO = 'fastify/fastify';
/** Its last sync is moved back 9 hours: stale. */
export const STALE_REPO = 'grafana/grafana';

export interface SeededService {
  service: RunningService;
  github: FakeGitHub;
  url: string;
  stop(): Promise<void>;
}

export async function startSeededService(mongodbUri: string, env: Record<string, string> = {}): Promise<SeededService> {
  // A ten-minute rate-limit window: the sync paces its requests over what is left of the
  // window, and an hour's would make the seeding run take seconds.
  const github = await startFakeGitHub({ changeEverySeconds: 0, windowSeconds: 600, repos: { [GONE_REPO]: 410 } });
  const dbName = `seeded_${randomBytes(4).toString('hex')}`;
  const service = await startService({
    MONGODB_URI: mongodbUri,
    MONGODB_DB: dbName,
    UPSTREAM_URL: github.url,
    GITHUB_TOKEN: 'seeded-service',
    // The API only: runs come from POST /sync below, not from a schedule firing mid-test.
    ROLE: 'api',
    SYNC_SCHEDULE: '*/15 * * * *',
    ...env,
  });
  const stop = async () => {
    await service.stop();
    await github.stop();
  };
  try {
    for (const repo of SEEDED_REPOS) await track(service, repo.fullName, repo.tags);
    const run = await call(service.url, 'POST', '/sync', { headers: { prefer: 'wait=60' } });
    if (run.status !== 200 || run.json.state !== 'succeeded') throw new Error(`the seeding sync answered ${run.status}: ${run.text}`);
    await track(service, NEW_REPO, ['web']);
    await ageRepo(mongodbUri, dbName, STALE_REPO, 9 * 3_600_000);
  } catch (error) {
    await stop();
    throw error;
  }
  return { service, github, url: service.url, stop };
}

async function track(service: RunningService, fullName: string, tags: string[] = []) {
  const [owner, name] = fullName.split('/');
  const created = await call(service.url, 'POST', '/repos', { body: { owner, name, tags } });
  if (created.status !== 201) throw new Error(`tracking ${fullName} answered ${created.status}: ${created.text}`);
}

async function ageRepo(uri: string, dbName: string, fullName: string, byMs: number) {
  const database = createDatabase({ uri, dbName, timeoutMs: 5000 });
  try {
    const doc = await database.repos.findOne({ _id: fullName.toLowerCase() });
    const synced = doc?.sync.lastSyncedAt;
    if (!synced) throw new Error(`${fullName} was not synced`);
    await database.repos.updateOne({ _id: doc._id }, { $set: { 'sync.lastSyncedAt': new Date(synced.getTime() - byMs) } });
  } finally {
    await database.close();
  }
}
