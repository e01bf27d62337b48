import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongodbUri, uniqueDbName } from './helpers/database.ts';
import { call, startService, TEST_TOKEN, GENERATED_REQUEST_ID, type RunningService } from './helpers/service.ts';

let service: RunningService;
const api = (method: string, path: string, options?: Parameters<typeof call>[3]) =>
  call(service.url, method, path, options);

beforeAll(async () => {
  service = await startService({ MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('crud') });
});
afterAll(async () => {
  await service?.stop();
});

const expectError = (response: { status: number; json: any }, status: number, code: string) => {
  expect(response.status).toBe(status);
  expect(response.json).toEqual({ error: expect.objectContaining({ code, message: expect.any(String) }) });
};

describe('POST /repos', () => {
  it('tracks a repository: 201, Location, ETag, empty stats until the first sync', async () => {
    const response = await api('POST', '/repos', { body: { owner: 'honojs', name: 'hono', tags: ['web'], notes: 'fast' } });
    expect(response.status).toBe(201);
    expect(response.headers.get('location')).toBe('/repos/honojs/hono');
    expect(response.headers.get('etag')).toBe('"1"');
    expect(response.json).toMatchObject({
      owner: 'honojs',
      name: 'hono',
      fullName: 'honojs/hono',
      tags: ['web'],
      notes: 'fast',
      stats: null,
      sync: { status: 'pending', lastSyncedAt: null },
      version: 1,
    });
    expect(Date.parse(response.json.createdAt)).not.toBeNaN();
  });

  it('answers 409 for a repository already tracked, whatever its case', async () => {
    await api('POST', '/repos', { body: { owner: 'nodejs', name: 'node' } });
    expectError(await api('POST', '/repos', { body: { owner: 'NodeJS', name: 'Node' } }), 409, 'already_tracked');
  });

  it.each([
    ['missing name', { owner: 'a' }, 'body.name'],
    ['owner with a leading hyphen', { owner: '-bad', name: 'x' }, 'body.owner'],
    ['owner too long', { owner: 'a'.repeat(40), name: 'x' }, 'body.owner'],
    ['owner with a double hyphen', { owner: 'a--b', name: 'x' }, 'body.owner'],
    ['name with a slash', { owner: 'a', name: 'x/y' }, 'body.name'],
    ['name ..', { owner: 'a', name: '..' }, 'body.name'],
    ['name too long', { owner: 'a', name: 'x'.repeat(101) }, 'body.name'],
    ['unknown field', { owner: 'a', name: 'x', stars: 5 }, 'body'],
    ['tag with upper case', { owner: 'a', name: 'x', tags: ['Web'] }, 'body.tags.0'],
    ['duplicate tags', { owner: 'a', name: 'x', tags: ['a', 'a'] }, 'body.tags'],
    ['too many tags', { owner: 'a', name: 'x', tags: Array.from({ length: 21 }, (_, i) => `t${i}`) }, 'body.tags'],
    ['notes too long', { owner: 'a', name: 'x', notes: 'n'.repeat(2001) }, 'body.notes'],
    ['owner as an operator object', { owner: { $gt: '' }, name: 'x' }, 'body.owner'],
  ])('rejects %s with 400 and a field detail', async (_label, body, path) => {
    const response = await api('POST', '/repos', { body });
    expectError(response, 400, 'validation_failed');
    expect(response.json.error.details.map((detail: { path: string }) => detail.path)).toContain(path);
  });

  it('rejects malformed JSON with 400 and a non-JSON content type with 415', async () => {
    expectError(
      await api('POST', '/repos', { rawBody: '{"owner":', headers: { 'content-type': 'application/json' } }),
      400,
      'invalid_json',
    );
    expectError(
      await api('POST', '/repos', { rawBody: 'owner=a&name=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } }),
      415,
      'unsupported_media_type',
    );
  });

  it('rejects a body that is not valid UTF-8 with 400 instead of storing altered text', async () => {
    const bytes = Buffer.concat([Buffer.from('{"owner":"utf8","name":"notes","notes":"a'), Buffer.from([0xff, 0xfe]), Buffer.from('b"}')]);
    const response = await fetch(`${service.url}/repos`, {
      method: 'POST',
      body: bytes,
      headers: { 'content-type': 'application/json', authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(response.status).toBe(400);
    expect(((await response.json()) as { error: { code: string } }).error.code).toBe('invalid_json');
    expect((await api('GET', '/repos/utf8/notes')).status).toBe(404);
    // Valid multi-byte text still goes through untouched.
    const fine = await api('POST', '/repos', { body: { owner: 'utf8', name: 'notes', notes: 'aé€😀b' } });
    expect(fine.status).toBe(201);
    expect(fine.json).toMatchObject({ notes: 'aé€😀b' });
  });

  it('rejects a body over the size limit with 413', async () => {
    const response = await api('POST', '/repos', { body: { owner: 'a', name: 'b', notes: 'x'.repeat(70_000) } });
    expectError(response, 413, 'payload_too_large');
  });
});

describe('GET /repos/:owner/:name', () => {
  it('finds a repository case-insensitively', async () => {
    await api('POST', '/repos', { body: { owner: 'Vitest-Dev', name: 'Vitest' } });
    const response = await api('GET', '/repos/vitest-dev/vitest');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ owner: 'Vitest-Dev', name: 'Vitest', stats: null });
    expect(response.headers.get('etag')).toBe('"1"');
  });

  it('answers 404 for an untracked repository and 400 for an invalid name', async () => {
    expectError(await api('GET', '/repos/nobody/nothing'), 404, 'not_found');
    expectError(await api('GET', '/repos/-bad-/x'), 400, 'validation_failed');
  });
});

describe('PATCH /repos/:owner/:name', () => {
  it('changes tags and notes with the current ETag, then refuses the stale one with 412', async () => {
    const created = await api('POST', '/repos', { body: { owner: 'unjs', name: 'ofetch' } });
    const etag = created.headers.get('etag')!;
    const updated = await api('PATCH', '/repos/unjs/ofetch', {
      headers: { 'if-match': etag },
      body: { tags: ['http'], notes: 'fetch wrapper' },
    });
    expect(updated.status).toBe(200);
    expect(updated.json).toMatchObject({ tags: ['http'], notes: 'fetch wrapper', version: 2 });
    expect(updated.headers.get('etag')).toBe('"2"');

    const stale = await api('PATCH', '/repos/unjs/ofetch', { headers: { 'if-match': etag }, body: { notes: 'lost?' } });
    expectError(stale, 412, 'precondition_failed');
    expect(stale.headers.get('etag')).toBe('"2"');
    expect((await api('GET', '/repos/unjs/ofetch')).json.notes).toBe('fetch wrapper');
  });

  it('needs If-Match (428), accepts * on purpose, and can clear notes with null', async () => {
    await api('POST', '/repos', { body: { owner: 'hapijs', name: 'hapi', notes: 'old' } });
    expectError(await api('PATCH', '/repos/hapijs/hapi', { body: { notes: 'x' } }), 428, 'precondition_required');
    const response = await api('PATCH', '/repos/hapijs/hapi', { headers: { 'if-match': '*' }, body: { notes: null } });
    expect(response.status).toBe(200);
    expect(response.json.notes).toBeNull();
  });

  it('refuses fields other than tags and notes, and an empty change', async () => {
    await api('POST', '/repos', { body: { owner: 'koajs', name: 'koa' } });
    const headers = { 'if-match': '*' };
    expectError(await api('PATCH', '/repos/koajs/koa', { headers, body: { owner: 'evil' } }), 400, 'validation_failed');
    expectError(await api('PATCH', '/repos/koajs/koa', { headers, body: {} }), 400, 'validation_failed');
    expectError(await api('PATCH', '/repos/koajs/koa', { headers, body: { tags: 'web' } }), 400, 'validation_failed');
  });

  it('answers 404 for an untracked repository', async () => {
    expectError(await api('PATCH', '/repos/nobody/nothing', { headers: { 'if-match': '"1"' }, body: { notes: 'x' } }), 404, 'not_found');
  });

  it('lets exactly one of several concurrent PATCHes with the same ETag win', async () => {
    await api('POST', '/repos', { body: { owner: 'expressjs', name: 'express' } });
    const attempts = await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        api('PATCH', '/repos/expressjs/express', { headers: { 'if-match': '"1"' }, body: { notes: `writer ${i}` } }),
      ),
    );
    const statuses = attempts.map((attempt) => attempt.status).sort();
    expect(statuses).toEqual([200, ...Array(9).fill(412)]);
    const winner = attempts.find((attempt) => attempt.status === 200)!;
    const stored = await api('GET', '/repos/expressjs/express');
    expect(stored.json.notes).toBe(winner.json.notes);
    expect(stored.json.version).toBe(2);
  });
});

describe('DELETE /repos/:owner/:name', () => {
  it('answers 204, then 404', async () => {
    await api('POST', '/repos', { body: { owner: 'fastify', name: 'fastify' } });
    const first = await api('DELETE', '/repos/fastify/fastify');
    expect(first.status).toBe(204);
    expect(first.text).toBe('');
    expectError(await api('DELETE', '/repos/fastify/fastify'), 404, 'not_found');
    expectError(await api('GET', '/repos/fastify/fastify'), 404, 'not_found');
  });
});

describe('health and unknown routes', () => {
  it('reports alive and ready', async () => {
    expect(await api('GET', '/healthz')).toMatchObject({ status: 200, json: { status: 'ok' } });
    expect(await api('GET', '/readyz')).toMatchObject({ status: 200, json: { status: 'ready' } });
  });

  it('answers unknown routes with a JSON 404, and unknown methods of a route with a JSON 405', async () => {
    expectError(await api('GET', '/nope'), 404, 'not_found');
    expectError(await api('PUT', '/repos'), 405, 'method_not_allowed');
    expectError(await api('GET', '/repos/a/b/c'), 404, 'not_found');
  });

  it('echoes a well-formed X-Request-Id and replaces a hostile one', async () => {
    const kept = await api('GET', '/healthz', { headers: { 'x-request-id': 'client-req-0001' } });
    expect(kept.headers.get('x-request-id')).toBe('client-req-0001');
    const replaced = await api('GET', '/healthz', { headers: { 'x-request-id': 'a b"c' } });
    expect(replaced.headers.get('x-request-id')).toMatch(GENERATED_REQUEST_ID);
  });
});
