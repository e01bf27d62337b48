import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Database } from '../lib/db.ts';
import { newRepoDocument, type RepoDocument } from '../lib/repos/model.ts';
import { openTestDatabase } from './helpers/database.ts';
import { call, startService, type RunningService } from './helpers/service.ts';
import { mongodbUri } from './helpers/database.ts';

let service: RunningService;
let db: Database & { name: string };
const get = (path: string) => call(service.url, 'GET', path);

/** 25 repositories across three owners, every third one never synced, stars and update times all distinct. */
function fixtures(): RepoDocument[] {
  return Array.from({ length: 25 }, (_, i) => {
    const owner = ['alpha', 'beta', 'gamma'][i % 3]!;
    const doc = newRepoDocument(
      { owner, name: `repo-${String(i).padStart(2, '0')}`, tags: i % 2 === 0 ? ['even'] : ['odd'] },
      new Date(Date.UTC(2026, 0, 1, 0, i)),
    );
    if (i % 3 !== 2) {
      doc.stats = {
        stars: (i * 37) % 101,
        forks: i,
        openIssues: 0,
        watchers: 0,
        language: 'TypeScript',
        description: null,
        defaultBranch: 'main',
        archived: false,
        pushedAt: null,
        htmlUrl: `https://github.com/${owner}/${doc.name}`,
      };
      doc.starsSort = doc.stats.stars;
      doc.sync = { status: 'ok', lastSyncedAt: new Date(Date.UTC(2026, 0, 2)), etag: '"x"' };
    }
    return doc;
  });
}

beforeAll(async () => {
  db = await openTestDatabase('list');
  await db.repos.insertMany(fixtures());
  service = await startService({ MONGODB_URI: mongodbUri(), MONGODB_DB: db.name });
});
afterAll(async () => {
  await service?.stop();
  await db?.close();
});

/** Follows nextCursor to the end and returns every fullName in order. */
async function walk(query: string): Promise<string[]> {
  const names: string[] = [];
  let cursor: string | null = null;
  for (let page = 0; page < 50; page++) {
    const response: Awaited<ReturnType<typeof get>> = await get(`/repos?${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(response.status).toBe(200);
    names.push(...response.json.items.map((item: { fullName: string }) => item.fullName));
    cursor = response.json.nextCursor;
    if (!cursor) return names;
  }
  throw new Error('pagination did not end');
}

describe('GET /repos', () => {
  it('lists by name with a total and a default page size of 20', async () => {
    const response = await get('/repos');
    expect(response.status).toBe(200);
    expect(response.json.total).toBe(25);
    expect(response.json.limit).toBe(20);
    expect(response.json.items).toHaveLength(20);
    expect(response.json.items[0].fullName).toBe('alpha/repo-00');
    expect(response.json.nextCursor).toEqual(expect.any(String));
  });

  it('pages through every repository exactly once, for every sort order', async () => {
    const all = fixtures();
    const byName = all.map((doc) => `${doc.owner}/${doc.name}`).sort();
    expect(await walk('limit=7')).toEqual(byName);

    const byStars = [...all]
      .sort((a, b) => b.starsSort - a.starsSort || a._id.localeCompare(b._id))
      .map((doc) => `${doc.owner}/${doc.name}`);
    expect(await walk('sort=stars&limit=4')).toEqual(byStars);

    const byUpdated = [...all]
      .sort((a, b) => b.updatedAt.getTime() - a.updatedAt.getTime())
      .map((doc) => `${doc.owner}/${doc.name}`);
    expect(await walk('sort=updated&limit=6')).toEqual(byUpdated);
  });

  it('filters by tag and by owner (case-insensitive), with a matching total', async () => {
    const even = await get('/repos?tag=even&limit=100');
    expect(even.json.total).toBe(13);
    expect(even.json.items.every((item: { tags: string[] }) => item.tags.includes('even'))).toBe(true);

    const beta = await get('/repos?owner=BETA&limit=100');
    expect(beta.json.total).toBe(8);
    expect(new Set(beta.json.items.map((item: { owner: string }) => item.owner))).toEqual(new Set(['beta']));

    expect(await walk('owner=gamma&tag=odd&limit=2')).toEqual(
      fixtures()
        .filter((doc) => doc.owner === 'gamma' && doc.tags.includes('odd'))
        .map((doc) => `${doc.owner}/${doc.name}`),
    );
  });

  it('shows synced stats and null stats for repositories never synced', async () => {
    const response = await get('/repos?owner=gamma&limit=1');
    expect(response.json.items[0]).toMatchObject({ name: 'repo-02', stats: null, sync: { status: 'pending' } });
    const synced = await get('/repos?owner=alpha&limit=1');
    expect(synced.json.items[0].stats).toMatchObject({ stars: 0, language: 'TypeScript' });
  });

  it.each([
    ['limit=101', 'query.limit'],
    ['limit=0', 'query.limit'],
    ['limit=abc', 'query.limit'],
    ['sort=random', 'query.sort'],
    ['tag=NOT%20A%20TAG', 'query.tag'],
    ['owner=-x', 'query.owner'],
    ['unknown=1', 'query'],
  ])('rejects %s with 400', async (query, path) => {
    const response = await get(`/repos?${query}`);
    expect(response.status).toBe(400);
    expect(response.json.error.code).toBe('validation_failed');
    expect(response.json.error.details.map((detail: { path: string }) => detail.path)).toContain(path);
  });

  it('rejects what is not a cursor, and continues any sort order from a cursor of another', async () => {
    for (const cursor of ['garbage', 'eyJzIjoibmFtZSJ9', '1~2~Upper~case', '-2~1~a~b', `1~2~a~${'b'.repeat(101)}`]) {
      const response = await get(`/repos?cursor=${cursor}`);
      expect(response.status, cursor).toBe(400);
      expect(response.json.error.details.map((detail: { path: string }) => detail.path)).toEqual(['query.cursor']);
    }
    // A cursor is a position: the page after that item, in whichever order is asked for.
    const byStars = await walk('sort=stars&limit=25');
    const first = await get('/repos?limit=1');
    const afterFirst = await get(`/repos?sort=stars&limit=25&cursor=${first.json.nextCursor}`);
    expect(afterFirst.status).toBe(200);
    const firstName = first.json.items[0].fullName;
    expect(afterFirst.json.items.map((item: { fullName: string }) => item.fullName)).toEqual(byStars.slice(byStars.indexOf(firstName) + 1));
  });
});
