import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { Logger } from '../../lib/logging/logger.ts';
import { DOCS_PATH } from '../../runtime/pages/api-docs.ts';
import { createService } from '../../runtime/service.ts';
import type { RunningService } from '../helpers/service.ts';
import { fetchSpec, HTTP_METHODS, type OpenApiSpec } from './lib/openapi-spec.ts';
import { send, startHardenedService, type Sent } from './lib/service.ts';

/**
 * /openapi.json against the service itself: the document is well-formed OpenAPI 3.1 and
 * describes every route the app serves; then a scripted tour over HTTP (every operation, its
 * successes and its errors) checks each answer against the schema documented for its status.
 */
let service: RunningService;
let spec: OpenApiSpec;
const observed: Sent[] = [];

beforeAll(async () => {
  service = await startHardenedService('openapi');
  spec = await fetchSpec(service.url);
});
afterAll(async () => {
  await service?.stop();
});

/** Sends and records; every recorded answer is checked against the document at the end. */
const api = async (...args: Parameters<typeof send> extends [string, ...infer Rest] ? Rest : never) => {
  const response = await send(service.url, ...args);
  observed.push(response);
  return response;
};

const oversized = JSON.stringify({ notes: 'x'.repeat(70_000) });

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1 with the parts the specification requires', () => {
    const doc = spec.document;
    expect(doc.openapi).toMatch(/^3\.1\.\d+$/);
    expect(doc.info.title).toEqual(expect.any(String));
    expect(doc.info.version).toEqual(expect.any(String));
    expect(Object.keys(doc.paths).length).toBeGreaterThan(0);

    const problems: string[] = [];
    for (const { method, path, operation } of spec.operations()) {
      const name = `${method.toUpperCase()} ${path}`;
      if (!path.startsWith('/')) problems.push(`${name}: path must start with /`);
      const templated = [...path.matchAll(/\{(\w+)\}/g)].map((match) => match[1]);
      const parameters = operation.parameters ?? [];
      const pathParameters = parameters.filter((p) => p.in === 'path').map((p) => p.name);
      if (JSON.stringify([...templated].sort()) !== JSON.stringify([...pathParameters].sort())) {
        problems.push(`${name}: path parameters ${pathParameters} do not match the template's ${templated}`);
      }
      for (const parameter of parameters) {
        if (!['query', 'header', 'path', 'cookie'].includes(parameter.in)) problems.push(`${name}: parameter ${parameter.name} in ${parameter.in}`);
        if (parameter.in === 'path' && parameter.required !== true) problems.push(`${name}: path parameter ${parameter.name} must be required`);
        if (parameter.schema === undefined) problems.push(`${name}: parameter ${parameter.name} has no schema`);
      }
      const keys = parameters.map((p) => `${p.in}:${p.name}`);
      if (new Set(keys).size !== keys.length) problems.push(`${name}: duplicate parameters ${keys}`);
      if (operation.requestBody && !operation.requestBody.content?.['application/json']?.schema) {
        problems.push(`${name}: request body without a JSON schema`);
      }

      const statuses = Object.keys(operation.responses);
      if (!statuses.some((status) => /^2\d\d$/.test(status))) problems.push(`${name}: no success response`);
      for (const [status, response] of Object.entries(operation.responses)) {
        if (!/^[1-5]\d\d$/.test(status) && status !== 'default') problems.push(`${name}: response key ${status}`);
        if (typeof response.description !== 'string') problems.push(`${name} ${status}: no description`);
        const schema = response.content?.['application/json']?.schema;
        if (status === '204' || status === '304') {
          if (response.content) problems.push(`${name} ${status}: a ${status} has no body`);
        } else if (schema === undefined) {
          problems.push(`${name} ${status}: no application/json schema`);
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has schemas a JSON Schema 2020-12 validator compiles in strict mode, every $ref resolving', () => {
    const failures: string[] = [];
    const compile = (schema: unknown, where: string) => {
      try {
        spec.validator(schema, `structure ${where}`);
      } catch (error) {
        failures.push(`${where}: ${(error as Error).message}`);
      }
    };
    for (const name of Object.keys(spec.document.components?.schemas ?? {})) {
      compile({ $ref: `#/components/schemas/${name}` }, `components.schemas.${name}`);
    }
    for (const { method, path, operation } of spec.operations()) {
      for (const parameter of operation.parameters ?? []) compile(parameter.schema, `${method} ${path} ${parameter.in}:${parameter.name}`);
      const body = operation.requestBody?.content?.['application/json']?.schema;
      if (body) compile(body, `${method} ${path} request body`);
      for (const [status, response] of Object.entries(operation.responses)) {
        const schema = response.content?.['application/json']?.schema;
        if (schema) compile(schema, `${method} ${path} ${status}`);
      }
    }
    expect(failures).toEqual([]);
  });

  it('describes every route the app serves, with its methods, and nothing it does not serve', () => {
    const config = loadConfig({ MONGODB_URI: 'mongodb://unused' });
    // Built, never connected: the routes are all this reads.
    const { app } = createService(config, { log: new Logger({ level: 'error', write: () => {} }), metrics: { runtime: false } });
    // The app's own routes, minus the middleware, the document itself and the UI that shows
    // it (/docs: a page, not an operation; /metrics is not mounted without metrics).
    const served = new Set(
      app.routes
        .filter((route) => HTTP_METHODS.includes(route.method.toLowerCase() as never))
        .filter((route) => route.path !== '/openapi.json' && route.path !== '/metrics')
        .filter((route) => route.path !== DOCS_PATH && !route.path.startsWith(`${DOCS_PATH}/`))
        .map((route) => `${route.method.toUpperCase()} ${route.path.replaceAll(/:(\w+)/g, '{$1}')}`),
    );
    const documented = new Set(spec.operations().map(({ method, path }) => `${method.toUpperCase()} ${path}`));
    expect([...documented].sort()).toEqual([...served].sort());
    expect(documented).toContain('POST /repos');
  });
});

describe('every answer matches the document', () => {
  it('tours create, list with filters and cursor, get, patch, delete and their errors', async () => {
    // Create, and the ways creating fails.
    for (const [owner, name, tags] of [
      ['openapi-tour', 'alpha', ['web', 'tour']],
      ['openapi-tour', 'beta', ['tour']],
      ['Other-Owner', 'gamma', ['web']],
      ['openapi-tour', 'delta.js', []],
      ['openapi-tour', 'epsilon_', ['tour', 'x.y']],
    ] as const) {
      expect((await api('POST', '/repos', { body: { owner, name, tags, notes: `${name} notes` } })).status).toBe(201);
    }
    expect((await api('POST', '/repos', { body: { owner: 'OPENAPI-TOUR', name: 'ALPHA' } })).status).toBe(409);
    expect((await api('POST', '/repos', { body: { owner: '-bad', name: 'x', extra: 1 } })).status).toBe(400);
    expect((await api('POST', '/repos', { body: { owner: { $gt: '' }, name: 'x' } })).status).toBe(400);
    // Valid JSON, but no Unicode text: stored, it would come back as U+FFFD.
    expect((await api('POST', '/repos', { raw: '{"owner":"a","name":"b","notes":"x\\ud800"}', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await api('POST', '/repos', { raw: '{"owner":', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await api('POST', '/repos', { raw: '', headers: { 'content-type': 'application/json' } })).status).toBe(400);
    expect((await api('POST', '/repos', { raw: 'owner=a&name=b', headers: { 'content-type': 'application/x-www-form-urlencoded' } })).status).toBe(415);
    expect((await api('POST', '/repos', { raw: '{"owner":"a","name":"b"}' })).status).toBe(415);
    expect((await api('POST', '/repos', { raw: oversized, headers: { 'content-type': 'application/json' } })).status).toBe(413);
    await api('POST', '/repos', { body: { owner: 'no-token', name: 'x' }, auth: false });

    // List: filters, sort orders, pages by cursor, and bad queries.
    const all = await api('GET', '/repos');
    expect(all.status).toBe(200);
    expect(all.json.total).toBe(5);
    for (const query of ['?tag=web', '?owner=openapi-tour', '?owner=OTHER-OWNER&tag=web', '?sort=stars', '?sort=updated', '?tag=nothing']) {
      expect((await api('GET', `/repos${query}`)).status, query).toBe(200);
    }
    for (const sort of ['name', 'stars', 'updated']) {
      let cursor: string | null = null;
      const seen: string[] = [];
      do {
        const query: string = `?sort=${sort}&limit=2${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
        const page = await api('GET', `/repos${query}`);
        expect(page.status, query).toBe(200);
        seen.push(...page.json.items.map((item: { fullName: string }) => item.fullName));
        cursor = page.json.nextCursor;
      } while (cursor);
      expect(seen, sort).toHaveLength(5);
    }
    const firstPage = await api('GET', '/repos?sort=name&limit=1');
    // A cursor is a position, good for any sort order.
    expect((await api('GET', `/repos?sort=stars&cursor=${encodeURIComponent(firstPage.json.nextCursor)}`)).status).toBe(200);
    for (const query of [
      '?limit=0',
      '?limit=101',
      '?limit=abc',
      '?sort=random',
      '?tag=UPPER',
      '?owner=-x',
      '?unknown=1',
      '?cursor=not-a-cursor',
      `?cursor=${'x'.repeat(600)}`,
      '?limit=1&limit=2',
    ]) {
      expect((await api('GET', `/repos${query}`)).status, query).toBe(400);
    }

    // One repository.
    const one = await api('GET', '/repos/openapi-tour/alpha');
    expect(one.status).toBe(200);
    expect((await api('GET', '/repos/OpenAPI-Tour/ALPHA')).status).toBe(200);
    expect((await api('GET', '/repos/openapi-tour/missing')).status).toBe(404);
    expect((await api('GET', '/repos/-bad-/x')).status).toBe(400);
    expect((await api('GET', `/repos/a/${'n'.repeat(101)}`)).status).toBe(400);

    // Change it, with and without the right If-Match, and the ways that fails.
    const etag = one.headers.get('etag')!;
    const patched = await api('PATCH', '/repos/openapi-tour/alpha', { headers: { 'if-match': etag }, body: { notes: 'changed' } });
    expect(patched.status).toBe(200);
    expect((await api('PATCH', '/repos/openapi-tour/alpha', { headers: { 'if-match': etag }, body: { notes: 'stale' } })).status).toBe(412);
    expect((await api('PATCH', '/repos/openapi-tour/alpha', { headers: { 'if-match': 'W/"junk", xyz' }, body: { notes: 'junk' } })).status).toBe(412);
    expect((await api('PATCH', '/repos/openapi-tour/alpha', { body: { notes: 'no precondition' } })).status).toBe(428);
    expect((await api('PATCH', '/repos/openapi-tour/alpha', { headers: { 'if-match': '*' }, body: { tags: ['any'], notes: null } })).status).toBe(200);
    expect((await api('PATCH', '/repos/openapi-tour/alpha', { headers: { 'if-match': '*' }, body: {} })).status).toBe(400);
    expect((await api('PATCH', '/repos/openapi-tour/alpha', { headers: { 'if-match': '*' }, body: { owner: 'evil' } })).status).toBe(400);
    expect((await api('PATCH', '/repos/openapi-tour/alpha', { headers: { 'if-match': '*' }, raw: '{', })).status).toBe(415);
    expect((await api('PATCH', '/repos/openapi-tour/alpha', { headers: { 'if-match': '*', 'content-type': 'application/json' }, raw: '{' })).status).toBe(400);
    expect((await api('PATCH', '/repos/openapi-tour/alpha', { headers: { 'if-match': '*', 'content-type': 'application/json' }, raw: oversized })).status).toBe(413);
    expect((await api('PATCH', '/repos/openapi-tour/missing', { headers: { 'if-match': '*' }, body: { notes: 'x' } })).status).toBe(404);
    expect((await api('PATCH', '/repos/-bad-/x', { headers: { 'if-match': '*' }, body: { notes: 'x' } })).status).toBe(400);
    await api('PATCH', '/repos/openapi-tour/beta', { headers: { 'if-match': '*' }, body: { notes: 'x' }, auth: false });

    // Stop tracking it.
    expect((await api('DELETE', '/repos/openapi-tour/beta')).status).toBe(204);
    expect((await api('DELETE', '/repos/openapi-tour/beta')).status).toBe(404);
    expect((await api('DELETE', '/repos/-bad-/x')).status).toBe(400);
    expect((await api('DELETE', '/repos/openapi-tour/gamma', { headers: { 'content-type': 'application/json' }, raw: oversized })).status).toBe(413);
    await api('DELETE', '/repos/openapi-tour/delta.js', { auth: false });

    // Probes, and routes that are no operation: JSON error envelope, whatever the status.
    expect((await api('GET', '/healthz')).status).toBe(200);
    expect((await api('GET', '/readyz')).status).toBe(200);
    expect((await api('GET', '/nope')).status).toBe(404);
    expect((await api('PUT', '/repos')).status).toBe(405);
    expect((await api('OPTIONS', '/repos/a/b')).status).toBe(204);
    expect((await api('POST', '/healthz')).status).toBe(405);
    expect((await api('GET', '/repos/a/b/c')).status).toBe(404);
    expect((await api('GET', '/repos/')).status).toBe(404);
    expect((await api('POST', '/nope', { headers: { 'content-type': 'application/json' }, raw: oversized })).status).toBe(413);
  });

  it('probes every documented operation, including ones this tour does not know, with answers decided before any handler runs', async () => {
    const example = (path: string) => path.replaceAll(/\{(\w+)\}/g, 'probe-$1');
    for (const { method, path, operation } of spec.operations()) {
      const target = example(path);
      if (method === 'get') {
        await api('GET', target);
        continue;
      }
      // The body limit applies before routing: a large body never reaches a handler.
      expect((await api(method.toUpperCase(), target, { headers: { 'content-type': 'application/json', 'if-match': '*' }, raw: oversized })).status).toBe(413);
      if (operation.requestBody) {
        const status = (await api(method.toUpperCase(), target, { headers: { 'content-type': 'text/plain', 'if-match': '*' }, raw: 'x' })).status;
        expect(status, `${method} ${path}`).toBe(415);
      }
    }
  });

  it('has a checker that does reject what the document does not allow', () => {
    const base = { method: 'GET', path: '/repos/a/b', contentType: 'application/json' };
    const good = observed.find((response) => response.status === 200 && response.path === '/repos/openapi-tour/alpha')!.text;
    expect(spec.check({ ...base, status: 200, text: good }).problems).toEqual([]);
    const withoutVersion = JSON.stringify({ ...JSON.parse(good), version: undefined });
    expect(spec.check({ ...base, status: 200, text: withoutVersion }).problems).toEqual([expect.stringContaining("must have required property 'version'")]);
    expect(spec.check({ ...base, status: 200, text: good, contentType: 'text/plain' }).problems).toHaveLength(1);
    expect(spec.check({ ...base, status: 418, text: '{}' }).problems).toEqual([expect.stringContaining('not documented')]);
    expect(spec.check({ ...base, status: 404, text: '{"error":{"code":"x"}}' }).problems).toHaveLength(1);
    expect(spec.check({ ...base, method: 'DELETE', status: 204, text: 'body' }).problems).toHaveLength(1);
    expect(spec.check({ ...base, path: '/nope', status: 404, text: 'Not Found', contentType: 'text/plain' }).problems).toHaveLength(1);
  });

  it('holds with reads behind a token too (READS_REQUIRE_TOKEN)', async () => {
    const guarded = await startHardenedService('openapi_reads', { READS_REQUIRE_TOKEN: 'true' });
    try {
      const answers: Sent[] = [];
      const hit = async (...args: Parameters<typeof send> extends [string, ...infer Rest] ? Rest : never) => {
        const response = await send(guarded.url, ...args);
        answers.push(response);
        return response.status;
      };
      expect(await hit('GET', '/repos', { auth: false })).toBe(401);
      expect(await hit('GET', '/repos/a/b', { auth: false })).toBe(401);
      expect(await hit('GET', '/repos/a/b', { headers: { authorization: 'Bearer wrong-token-0123456789' } })).toBe(401);
      expect(await hit('POST', '/repos', { body: { owner: 'a', name: 'b' }, auth: false })).toBe(401);
      expect(await hit('PATCH', '/repos/a/b', { body: { notes: 'x' }, headers: { 'if-match': '*' }, auth: false })).toBe(401);
      expect(await hit('DELETE', '/repos/a/b', { auth: false })).toBe(401);
      expect(await hit('GET', '/repos')).toBe(200);
      expect(await hit('GET', '/repos/a/b')).toBe(404);
      expect(await hit('GET', '/healthz', { auth: false })).toBe(200);
      expect(await hit('GET', '/readyz', { auth: false })).toBe(200);
      expect(answers.flatMap((response) => spec.check(response).problems)).toEqual([]);
    } finally {
      await guarded.stop();
    }
  });

  it('found every status the service answered documented, with a matching body', () => {
    const problems = observed.flatMap((response) => spec.check(response).problems);
    expect(problems).toEqual([]);

    // The tour really saw these (else the check above proves less than it seems).
    const seen = new Set(observed.map((response) => `${spec.check(response).operation ?? 'none'} ${response.status}`));
    for (const expected of [
      'POST /repos 201', 'POST /repos 400', 'POST /repos 409', 'POST /repos 413', 'POST /repos 415',
      'GET /repos 200', 'GET /repos 400',
      'GET /repos/{owner}/{name} 200', 'GET /repos/{owner}/{name} 400', 'GET /repos/{owner}/{name} 404',
      'PATCH /repos/{owner}/{name} 200', 'PATCH /repos/{owner}/{name} 400', 'PATCH /repos/{owner}/{name} 404',
      'PATCH /repos/{owner}/{name} 412', 'PATCH /repos/{owner}/{name} 413', 'PATCH /repos/{owner}/{name} 415',
      'PATCH /repos/{owner}/{name} 428',
      'DELETE /repos/{owner}/{name} 204', 'DELETE /repos/{owner}/{name} 400', 'DELETE /repos/{owner}/{name} 404',
      'DELETE /repos/{owner}/{name} 413',
      'GET /healthz 200', 'GET /readyz 200', 'none 404', 'none 413',
    ]) {
      expect(seen, expected).toContain(expected);
    }
  });
});
