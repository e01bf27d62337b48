import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../lib/db.ts';
import { mongodbUri } from '../helpers/database.ts';
import type { RunningService } from '../helpers/service.ts';
import { operatorKeys, problemsWith } from './lib/invariants.ts';
import { send, startHardenedService, type Sent } from './lib/service.ts';

/**
 * No client value reaches MongoDB as an operator: operator objects in any field, `$`-prefixed
 * and dotted keys at any depth, in bodies, queries, path parameters, cursors and If-Match, are
 * refused with 400, and the database (read directly) shows nothing stored or changed.
 * Strings that merely contain `$` or dots are data, and stored as such.
 */
let service: RunningService & { dbName: string };
let db: Database;

beforeAll(async () => {
  service = await startHardenedService('injection');
  db = createDatabase({ uri: mongodbUri(), dbName: service.dbName, timeoutMs: 5000 });
  expect((await send(service.url, 'POST', '/repos', { body: { owner: 'victim', name: 'repo', tags: ['keep'], notes: 'original' } })).status).toBe(201);
});
afterAll(async () => {
  await service?.stop();
  await db?.close();
});

const expect400 = (response: Sent) => {
  expect(problemsWith(response), response.text).toEqual([]);
  expect(response.status, `${response.method} ${response.path}: ${response.text}`).toBe(400);
  expect(response.json.error.code).toMatch(/^(validation_failed|invalid_cursor)$/);
};

const snapshot = async () => (await db.repos.find({}).sort({ _id: 1 }).toArray()).map((doc) => JSON.stringify(doc));

const gt = { $gt: '' };
const deep = (value: unknown, depth: number): unknown => (depth === 0 ? value : { nested: deep(value, depth - 1) });

describe('operators and dotted keys in bodies', () => {
  it.each([
    ['owner as {$gt}', { owner: gt, name: 'x' }],
    ['name as {$gt}', { owner: 'a', name: gt }],
    ['name as {$ne: null}', { owner: 'a', name: { $ne: null } }],
    ['owner as {$where}', { owner: { $where: 'sleep(1000) || true' }, name: 'x' }],
    ['owner as {$regex}', { owner: { $regex: '.*' }, name: 'x' }],
    ['tags as {$gt}', { owner: 'a', name: 'x', tags: gt }],
    ['a tag as {$gt}', { owner: 'a', name: 'x', tags: [gt] }],
    ['a tag as a nested array of operators', { owner: 'a', name: 'x', tags: [[{ $ne: null }]] }],
    ['notes as {$gt}', { owner: 'a', name: 'x', notes: gt }],
    ['notes as {$set}', { owner: 'a', name: 'x', notes: { $set: { version: 99 } } }],
    ['notes with an operator three levels down', { owner: 'a', name: 'x', notes: deep(gt, 3) }],
    ['a top-level $where', { owner: 'a', name: 'x', $where: 'true' }],
    ['a top-level $set', { owner: 'a', name: 'x', $set: { stats: { stars: 1e9 } } }],
    ['a dotted key', { owner: 'a', name: 'x', 'stats.stars': 1e9 }],
    ['a dotted key at depth', { owner: 'a', name: 'x', notes: { 'a.b': { 'c.d': 1 } } }],
    ['a $-prefixed key at depth', { owner: 'a', name: 'x', tags: [{ $each: ['x'] }] }],
    ['only operators', { $gt: '' }],
    ['an array body', [{ owner: 'a', name: 'x' }]],
  ])('POST /repos with %s: 400, nothing stored', async (_label, body) => {
    const before = await snapshot();
    expect400(await send(service.url, 'POST', '/repos', { body }));
    expect(await snapshot()).toEqual(before);
  });

  it.each([
    ['tags as {$gt}', { tags: gt }],
    ['notes as {$set}', { notes: { $set: { version: 99 } } }],
    ['a top-level $set', { $set: { version: 99 } }],
    ['a top-level $inc with valid tags', { tags: ['ok'], $inc: { version: 5 } }],
    ['a top-level $unset', { notes: 'x', $unset: { tags: '' } }],
    ['a dotted key', { 'tags.0': 'x' }],
    ['a $rename at depth', { notes: deep({ $rename: { owner: 'x' } }, 2) }],
    ['owner and a dotted key', { notes: 'x', 'sync.status': 'ok' }],
  ])('PATCH with %s: 400, the document unchanged', async (_label, body) => {
    const before = await snapshot();
    expect400(await send(service.url, 'PATCH', '/repos/victim/repo', { body, headers: { 'if-match': '*' } }));
    expect(await snapshot()).toEqual(before);
  });
});

describe('operators in queries, path parameters, cursors and If-Match', () => {
  const cursor = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

  it.each([
    ['owner[$ne]', '?owner[$ne]=nobody'],
    ['tag[$gt]', '?tag[$gt]='],
    ['owner as JSON', `?owner=${encodeURIComponent('{"$gt":""}')}`],
    ['tag $where', '?tag=$where'],
    ['an owner and an owner[$regex]', '?owner=victim&owner[$regex]=.*'],
    ['a $where key', '?$where=true'],
    ['a dotted key', '?stats.stars=1'],
    ['limit as an operator', '?limit[$gt]=0'],
    ['a cursor whose id is an operator', `?cursor=${cursor({ s: 'name', id: gt })}`],
    ['a cursor whose key is an operator', `?sort=stars&cursor=${cursor({ s: 'stars', id: 'a/b', k: { $gt: -1 } })}`],
    ['a cursor with an extra $where', `?cursor=${cursor({ s: 'name', id: 'a/b', $where: 'true' })}`],
  ])('GET /repos with %s: 400, no data', async (_label, query) => {
    const response = await send(service.url, 'GET', `/repos${query}`);
    expect400(response);
    expect(response.text).not.toContain('victim');
  });

  it.each([
    ['GET', '/repos/%24gt/x'],
    ['GET', `/repos/${encodeURIComponent('{"$gt":""}')}/repo`],
    ['GET', '/repos/victim/%24where'],
    ['DELETE', `/repos/${encodeURIComponent('{"$ne":null}')}/${encodeURIComponent('{"$ne":null}')}`],
    ['DELETE', '/repos/victim/%24ne'],
  ])('%s %s: 400, nothing deleted', async (method, path) => {
    const before = await snapshot();
    expect400(await send(service.url, method, path));
    expect(await snapshot()).toEqual(before);
  });

  it('treats an operator-shaped If-Match as a version that never matches', async () => {
    const before = await snapshot();
    const response = await send(service.url, 'PATCH', '/repos/victim/repo', { body: { notes: 'x' }, headers: { 'if-match': '{"$gt":0}' } });
    expect(response.status).toBe(412);
    expect(await snapshot()).toEqual(before);
  });
});

describe('text that looks like operators is data', () => {
  it('stores `$` and dots inside string values verbatim, as strings', async () => {
    const body = { owner: 'dollar', name: 'a.b', tags: ['x.y', 'a.b.c'], notes: '{"$gt": ""} and $where: sleep(1)' };
    const created = await send(service.url, 'POST', '/repos', { body });
    expect(created.status).toBe(201);
    const stored = await db.repos.findOne({ _id: 'dollar/a.b' });
    expect(stored).toMatchObject({ owner: 'dollar', name: 'a.b', tags: ['x.y', 'a.b.c'], notes: body.notes });
    const patched = await send(service.url, 'PATCH', '/repos/dollar/a.b', { body: { notes: '$set' }, headers: { 'if-match': '*' } });
    expect(patched.status).toBe(200);
    expect((await db.repos.findOne({ _id: 'dollar/a.b' }))?.notes).toBe('$set');
  });

  it('leaves no operator-shaped key anywhere in the collection', async () => {
    const all = await db.repos.find({}).toArray();
    expect(all.map((doc) => doc._id).sort()).toEqual(['dollar/a.b', 'victim/repo']);
    for (const doc of all) expect(operatorKeys(doc), doc._id).toEqual([]);
    const victim = await db.repos.findOne({ _id: 'victim/repo' });
    expect(victim).toMatchObject({ tags: ['keep'], notes: 'original', version: 1 });
  });
});
