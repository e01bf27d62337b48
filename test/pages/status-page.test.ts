import { Cron } from 'croner';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import type { Database } from '../../lib/db.ts';
import { Logger } from '../../lib/logging/logger.ts';
import { newRepoDocument, type RepoDocument } from '../../lib/repos/model.ts';
import type { LockDocument } from '../../lib/sync/lease.ts';
import type { SyncRunDocument } from '../../lib/sync/run-store.ts';
import type { SyncSummary } from '../../lib/sync/summary.ts';
import { statusIndexSchema } from '../../runtime/pages/status-index.ts';
import { startServer } from '../../runtime/server.ts';
import { createService } from '../../runtime/service.ts';
import { mongodbUri, openTestDatabase } from '../helpers/database.ts';
import { sampleOf, scrape } from '../helpers/metrics.ts';
import { TEST_TOKEN } from '../helpers/service.ts';

/**
 * GET / over real HTTP, against a real database: the HTML page and the JSON index, what each
 * shows of a seeded database, who may see the repositories, how a database outage looks,
 * and that the page is counted and documented like every other route. (The page in a real
 * browser: test/browser/.)
 */
const HOUR = 3_600_000;
const now = Date.now();

function repo(owner: string, name: string, patch: Partial<RepoDocument> = {}): RepoDocument {
  const doc = newRepoDocument({ owner, name, tags: ['demo'] }, new Date(now - 48 * HOUR));
  return { ...doc, ...patch };
}

const stats = (stars: number, description: string) => ({
  stars,
  forks: 12,
  openIssues: 3,
  watchers: stars,
  language: 'TypeScript',
  description,
  defaultBranch: 'main',
  archived: false,
  pushedAt: new Date(now - HOUR),
  htmlUrl: 'https://github.com/example/repo',
});

const seeded: RepoDocument[] = [
  repo('acme', 'fresh', { stats: stats(1234, 'A <b>bold</b> & "quoted" description'), sync: { status: 'ok', lastSyncedAt: new Date(now - 60_000), etag: 'x' } }),
  repo('acme', 'stale', { stats: stats(5, 'Old data'), sync: { status: 'ok', lastSyncedAt: new Date(now - 9 * HOUR), etag: 'y' } }),
  repo('acme', 'waiting', { createdAt: new Date(now - 60_000) }),
  repo('acme', 'retired', {
    stats: { ...stats(7, 'Deleted upstream'), htmlUrl: 'javascript:alert(1)' },
    sync: { status: 'gone', lastSyncedAt: new Date(now - 2 * HOUR), etag: null },
  }),
];

/** The service's app on a loopback port, on `dbName` (or any database URI), as the composition root builds it. */
async function startPages(database: { uri: string; name: string }, env: Record<string, string> = {}) {
  const config = loadConfig({
    MONGODB_URI: database.uri,
    MONGODB_DB: database.name,
    DB_TIMEOUT_MS: '5000',
    API_TOKENS: `test:${TEST_TOKEN}`,
    SYNC_SCHEDULE: '0 * * * *',
    ...env,
  });
  const service = createService(config, { log: new Logger({ level: 'debug', write: () => {} }), version: 'test', metrics: { runtime: false } });
  const server = await startServer(service.app, { port: 0, host: '127.0.0.1' });
  return {
    url: `http://127.0.0.1:${server.port}`,
    async close() {
      await server.close(0);
      await service.close();
    },
  };
}

let db: Database & { name: string };
let server: Awaited<ReturnType<typeof startPages>>;
let url: string;
beforeAll(async () => {
  db = await openTestDatabase('status_page');
  await db.repos.insertMany(seeded);
  server = await startPages({ uri: mongodbUri(), name: db.name });
  url = server.url;
});
afterAll(async () => {
  await server?.close();
  await db?.close();
});

describe('GET / for people', () => {
  it('renders every tracked repository with its stats and freshness, as HTML that runs no script', async () => {
    const response = await fetch(`${url}/`, { headers: { accept: 'text/html,application/xhtml+xml,*/*;q=0.8' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    expect(response.headers.get('vary')).toMatch(/accept/i);
    expect(response.headers.get('cache-control')).toBe('no-cache');
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src/);
    const page = await response.text();
    expect(page).not.toMatch(/<script/i);
    for (const name of ['acme/fresh', 'acme/stale', 'acme/waiting', 'acme/retired']) expect(page).toContain(name);
    expect(page).toContain('1.2k'); // acme/fresh's stars
    expect(page).toMatch(/badge ok">fresh<\/span><span class="age">synced <time[^>]*>1\smin ago/);
    expect(page).toMatch(/badge stale">stale<\/span><span class="age">synced <time[^>]*>9\sh ago/);
    expect(page).toContain('badge pending">never synced');
    expect(page).toContain('badge gone">gone upstream');
    // Data from upstream is escaped, never markup, and only web addresses become links.
    expect(page).toContain('A &lt;b&gt;bold&lt;/b&gt; &amp; &quot;quoted&quot; description');
    expect(page).toContain('<a class="name" href="https://github.com/example/repo">acme/fresh</a>');
    expect(page).toContain('<strong class="name">acme/retired</strong>');
    expect(page).not.toContain('javascript:');
    for (const link of ['/docs', '/openapi.json', '/metrics']) expect(page).toContain(`href="${link}"`);
  });

  it('answers HEAD like GET without the body, and other methods with 405 and Allow', async () => {
    const head = await fetch(`${url}/`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(head.headers.get('content-type')).toMatch(/^text\/html/);
    expect(await head.text()).toBe('');
    const post = await fetch(`${url}/`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD, OPTIONS');
    expect(((await post.json()) as any).error.code).toBe('method_not_allowed');
  });

  it('is what a client gets without an Accept header, and what curl gets', async () => {
    for (const accept of [undefined, '*/*']) {
      const response = await fetch(`${url}/`, { headers: accept ? { accept } : {} });
      expect(response.headers.get('content-type')).toMatch(/^text\/html/);
    }
  });
});

describe('GET / with Accept: application/json', () => {
  it('answers the small index: counts, freshness, the sync and links, valid per its schema', async () => {
    const response = await fetch(`${url}/`, { headers: { accept: 'application/json' } });
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const index = statusIndexSchema.parse(await response.json());
    expect(index.repositories).toEqual({ tracked: 4, stale: 2, oldestSyncAgeSeconds: expect.any(Number), staleAfterSeconds: 6 * 3600 });
    // acme/stale, synced 9 h ago, is the oldest data; acme/waiting, never synced, was tracked a minute ago.
    expect(index.repositories.oldestSyncAgeSeconds).toBeGreaterThanOrEqual(9 * 3600);
    expect(index.repositories.oldestSyncAgeSeconds).toBeLessThan(10 * 3600);
    expect(index.sync.schedule).toBe('0 * * * *');
    expect(index.sync.nextRunAt).toBe(new Cron('0 * * * *', { paused: true }).nextRun()!.toISOString());
    expect(index.sync.lastRefreshAt).toBe(new Date(now - 60_000).toISOString());
    expect(index.sync.running).toBeNull();
    expect(index.sync.lastRun).toBeNull();
    expect(index.sync.rateLimit).toBeNull();
    expect(index.links).toEqual({
      docs: '/docs',
      openapi: '/openapi.json',
      repos: '/repos',
      syncRuns: '/sync/runs',
      metrics: '/metrics',
      health: '/healthz',
      ready: '/readyz',
    });
    expect(JSON.stringify(index)).not.toContain('acme/');
  });

  it('prefers what the client ranks higher', async () => {
    const json = await fetch(`${url}/`, { headers: { accept: 'text/html;q=0.5, application/json' } });
    expect(json.headers.get('content-type')).toMatch(/^application\/json/);
    const html = await fetch(`${url}/`, { headers: { accept: 'application/json;q=0.5, text/html' } });
    expect(html.headers.get('content-type')).toMatch(/^text\/html/);
  });

  it('shows the run holding the sync lease, the last finished run and the rate limit it reported', async () => {
    const runs = db.db.collection<SyncRunDocument>('sync_runs');
    const locks = db.db.collection<LockDocument>('locks');
    const at = (msAgo: number) => new Date(Date.now() - msAgo);
    const summary = (outcome: SyncSummary['outcome'], rateLimit: SyncSummary['rateLimit']): SyncSummary => ({
      runId: 'x', outcome, stoppedBy: outcome === 'skipped' ? 'lease_held' : 'budget', trigger: 'schedule', startedAt: at(0).toISOString(),
      durationMs: 2500, tracked: 4, counts: { updated: 2, unchanged: 0, not_modified: 1, gone: 0, failed: 1 }, requestsSpent: 4,
      rateLimit, writes: { commands: 1, documents: 2, refused: 0 }, nextRunHint: null,
    });
    const run = (id: string, state: SyncRunDocument['state'], minutesAgo: number, runSummary: SyncSummary | null): SyncRunDocument => ({
      _id: id, state, trigger: 'schedule', process: 'elsewhere:1', queuedAt: at(minutesAgo * 60_000), startedAt: at(minutesAgo * 60_000),
      finishedAt: runSummary ? at(minutesAgo * 60_000 - 2500) : null, summary: runSummary, heldBy: null,
      progress: { done: 3, due: 4, requestsSpent: 3, budgetLeft: 40, expectedFinishAt: at(-60_000), updatedAt: at(0) },
    });
    const reset = new Date(Date.now() + 30 * 60_000).toISOString();
    await runs.insertMany([
      run('aaaaaaaaaaa1', 'succeeded', 20, summary('success', { limit: 60, remaining: 50, reset })),
      run('aaaaaaaaaaa2', 'partial', 10, summary('partial', { limit: 60, remaining: 44, reset })),
      run('aaaaaaaaaaa3', 'skipped', 5, summary('skipped', null)),
      run('aaaaaaaaaaa4', 'running', 1, null),
    ]);
    await locks.insertOne({ _id: 'sync', owner: 'elsewhere:1:aaaaaaaaaaa4', token: 3, acquiredAt: at(60_000), expiresAt: at(-60_000) });
    try {
      const index = (await (await fetch(`${url}/`, { headers: { accept: 'application/json' } })).json()) as any;
      expect(index.sync.running).toEqual({ id: 'aaaaaaaaaaa4', href: '/sync/runs/aaaaaaaaaaa4', startedAt: expect.any(String), done: 3, due: 4, expectedFinishAt: expect.any(String) });
      // The skipped run is not "the last run": the partial one before it is.
      expect(index.sync.lastRun).toMatchObject({ id: 'aaaaaaaaaaa2', state: 'partial', refreshed: 3, failed: 1, requestsSpent: 4, stoppedBy: 'budget', durationMs: 2500 });
      expect(index.sync.rateLimit).toEqual({ limit: 60, remaining: 44, resetAt: reset, reportedAt: expect.any(String) });
      const page = await (await fetch(`${url}/`)).text();
      expect(page).toMatch(/badge ok">running<\/span> <a href="\/sync\/runs\/aaaaaaaaaaa4">aaaaaaaaaaa4<\/a> since .*, 3 of 4 repositories done/);
      expect(page).toMatch(/badge stale">partial<\/span> <a href="\/sync\/runs\/aaaaaaaaaaa2">/);
      expect(page).toContain('44 / 60');
    } finally {
      await locks.deleteOne({ _id: 'sync' });
      await runs.deleteMany({});
    }
  });

  it('says no run is going when the lease has expired, whatever the history says', async () => {
    const runs = db.db.collection<SyncRunDocument>('sync_runs');
    const locks = db.db.collection<LockDocument>('locks');
    const long = new Date(Date.now() - 3_600_000);
    await runs.insertOne({ _id: 'bbbbbbbbbbb1', state: 'running', trigger: 'schedule', process: 'gone:1', queuedAt: long, startedAt: long, finishedAt: null, summary: null, heldBy: null, progress: null });
    await locks.insertOne({ _id: 'sync', owner: 'gone:1:bbbbbbbbbbb1', token: 4, acquiredAt: long, expiresAt: new Date(long.getTime() + 60_000) });
    try {
      const index = (await (await fetch(`${url}/`, { headers: { accept: 'application/json' } })).json()) as any;
      expect(index.sync.running).toBeNull();
      expect(index.sync.lastRun).toBeNull();
    } finally {
      await locks.deleteOne({ _id: 'sync' });
      await runs.deleteMany({});
    }
  });
});

describe('GET / with more repositories than it lists', () => {
  it('lists the first 100 by name and says how many there are', async () => {
    const many = await openTestDatabase('status_page_many');
    await many.repos.insertMany(Array.from({ length: 105 }, (_, i) => repo('bulk', `repo-${String(i).padStart(3, '0')}`)));
    const service = await startPages({ uri: mongodbUri(), name: many.name });
    try {
      const page = await (await fetch(`${service.url}/`)).text();
      expect(page.match(/<tr>/g)).toHaveLength(100 + 1); // and the header row
      expect(page).toContain('bulk/repo-099');
      expect(page).not.toContain('bulk/repo-100');
      expect(page).toContain('100 of 105 shown, by name');
    } finally {
      await service.close();
      await many.close();
    }
  });
});

describe('GET / when reads need a token', () => {
  it('still answers without one, but lists no repository', async () => {
    const guarded = await startPages({ uri: mongodbUri(), name: db.name }, { READS_REQUIRE_TOKEN: 'true' });
    try {
      const base = guarded.url;
      expect((await fetch(`${base}/repos`)).status).toBe(401);
      const page = await (await fetch(`${base}/`)).text();
      expect(page).not.toContain('acme/');
      expect(page).toContain('Reading repositories needs a token');
      const index = await fetch(`${base}/`, { headers: { accept: 'application/json' } });
      expect(index.status).toBe(200);
      expect(((await index.json()) as any).repositories.tracked).toBe(4);
    } finally {
      await guarded.close();
    }
  });
});

describe('GET / with metrics on their own port', () => {
  it('does not link /metrics, which this port does not serve', async () => {
    const separate = await startPages({ uri: mongodbUri(), name: db.name }, { METRICS_PORT: '0' });
    try {
      const base = separate.url;
      const index = (await (await fetch(`${base}/`, { headers: { accept: 'application/json' } })).json()) as any;
      expect(index.links.metrics).toBeNull();
      expect(await (await fetch(`${base}/`)).text()).not.toContain('href="/metrics"');
    } finally {
      await separate.close();
    }
  });
});

describe('GET / while the database is unreachable', () => {
  it('answers 503: a page saying so for people, the JSON error envelope for clients', async () => {
    // Nothing listens on port 9 (discard) here.
    const downServer = await startPages({ uri: 'mongodb://127.0.0.1:9/', name: 'none' }, { DB_TIMEOUT_MS: '300' });
    try {
      const base = downServer.url;
      const page = await fetch(`${base}/`);
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('5');
      expect(await page.text()).toContain('The database is not reachable');
      const json = await fetch(`${base}/`, { headers: { accept: 'application/json' } });
      expect(json.status).toBe(503);
      expect(((await json.json()) as any).error.code).toBe('database_unavailable');
    } finally {
      await downServer.close();
    }
  });
});

describe('GET / like every other route', () => {
  it('is in the OpenAPI document with both representations, and /docs is not', async () => {
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as any;
    const operation = doc.paths['/'].get;
    expect(Object.keys(operation.responses['200'].content).sort()).toEqual(['application/json', 'text/html']);
    expect(operation.security).toBeUndefined();
    expect(Object.keys(doc.paths).filter((path) => path.startsWith('/docs'))).toEqual([]);
  });

  it('serves the API docs from the service: the page, its files gzipped when asked, and 404 for any other name', async () => {
    const page = await fetch(`${url}/docs`);
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const html = await page.text();
    for (const file of ['swagger-ui.css', 'swagger-ui-bundle.js', 'init.js']) expect(html).toContain(`/docs/${file}`);
    const plain = await fetch(`${url}/docs/swagger-ui-bundle.js`, { headers: { 'accept-encoding': 'identity' } });
    const plainBytes = (await plain.arrayBuffer()).byteLength;
    // fetch unzips the body; Content-Length is still the size sent.
    const gzipped = await fetch(`${url}/docs/swagger-ui-bundle.js`, { headers: { 'accept-encoding': 'gzip' } });
    expect(gzipped.headers.get('content-encoding')).toBe('gzip');
    expect(Number(gzipped.headers.get('content-length'))).toBeLessThan(plainBytes / 2);
    expect(await (await fetch(`${url}/docs/init.js`)).text()).toContain('"url":"/openapi.json"');
    const missing = await fetch(`${url}/docs/other.js`);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as any).error.code).toBe('not_found');
  });

  it('is counted by the request metrics under its route, as are the API docs', async () => {
    const counts = async () => {
      const families = await scrape(url);
      const requests = (path: string) => sampleOf(families, 'http_requests_total', { method: 'GET', path, status_code: '200' })?.value ?? 0;
      return [requests('/'), requests('/docs'), requests('/docs/init.js')];
    };
    const before = await counts();
    await fetch(`${url}/`);
    await fetch(`${url}/docs`);
    await fetch(`${url}/docs/init.js`);
    const after = await counts();
    expect(after.map((count, i) => count - before[i]!)).toEqual([1, 1, 1]);
  });
});
