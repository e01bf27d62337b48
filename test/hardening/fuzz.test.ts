import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDatabase, type Database } from '../../lib/db.ts';
import { mongodbUri } from '../helpers/database.ts';
import { scrape, seriesCount, type Family } from '../helpers/metrics.ts';
import type { RunningService } from '../helpers/service.ts';
import { problemsWith, operatorKeys } from './lib/invariants.ts';
import { fetchSpec, type OpenApiSpec } from './lib/openapi-spec.ts';
import { rawHttp, type RawRequest, type RawResponse } from './lib/raw-http.ts';
import { HARDENING_TOKEN, send, startHardenedService } from './lib/service.ts';

/**
 * Property-based tests against the live service over HTTP: a few thousand generated requests
 * (arbitrary methods, paths with encoded junk, dots and very long segments, query strings,
 * headers, bodies of any JSON, operator-shaped JSON, invalid UTF-8 and non-JSON), sent over a
 * bare socket so nothing is normalised on the way. Whatever comes in: no 5xx, errors in the
 * JSON envelope, answers of the app as the OpenAPI document says, nothing of the server's
 * insides in a body; afterwards the service is up, logged no error, stored nothing
 * operator-shaped, and its request metrics grew only by route templates, never by URL.
 */
let service: RunningService & { dbName: string };
let spec: OpenApiSpec;
let db: Database;
let metricsBefore: Map<string, Family>;
const statusesSeen = new Set<number>();
let sent = 0;

beforeAll(async () => {
  service = await startHardenedService('fuzz');
  spec = await fetchSpec(service.url);
  db = createDatabase({ uri: mongodbUri(), dbName: service.dbName, timeoutMs: 5000 });
  // Something to find, change and page through.
  for (let i = 0; i < 5; i++) {
    const created = await send(service.url, 'POST', '/repos', { body: { owner: 'fuzz', name: `seed-${i}`, tags: ['seed'] } });
    expect(created.status).toBe(201);
    statusesSeen.add(created.status);
  }
  metricsBefore = await scrape(service.url);
});
afterAll(async () => {
  await service?.stop();
  await db?.close();
});

/** Sends one generated request and checks the answer; returns it for further checks. */
async function exchangeChecked(request: RawRequest): Promise<RawResponse> {
  sent++;
  const response = await rawHttp(service.port, { timeoutMs: 5000, ...request });
  statusesSeen.add(response.status);
  const problems = problemsWith({ status: response.status, contentType: response.headers['content-type'], text: response.text, method: request.method });
  // Answers of the app must also be what the document says for their operation; those
  // written before the app (runtime/server.ts) are about HTTP syntax, not operations.
  if (!answeredBeforeTheApp(response) && request.method !== 'HEAD') {
    const path = pathAsServed(request.target);
    if (path !== '/metrics' && path !== '/openapi.json') {
      const contentType = response.headers['content-type'] ?? null;
      problems.push(...spec.check({ method: request.method, path, status: response.status, contentType, text: response.text, headers: response.headers }).problems);
    }
  }
  if (response.ms > 5000) problems.push(`took ${Math.round(response.ms)} ms`);
  if (problems.length > 0) {
    throw new Error(`${request.method} ${request.target.slice(0, 300)} -> ${response.status}: ${problems.join('; ')}`);
  }
  return response;
}

/**
 * What runtime/server.ts answers itself: Node's parser refusing the request (400, 408, 431),
 * a missing Host (400) or an unsupported Expect (417). The app's own 400s have codes of their
 * own (validation_failed, invalid_json, ...).
 */
function answeredBeforeTheApp(response: RawResponse): boolean {
  if ([408, 417, 431].includes(response.status)) return true;
  let code: unknown;
  try {
    code = (JSON.parse(response.text) as { error?: { code?: unknown } }).error?.code;
  } catch {
    return false;
  }
  return response.status === 400 && code === 'bad_request';
}

/** The path the app routes on: @hono/node-server resolves the target against the Host, as here. */
function pathAsServed(target: string): string {
  try {
    return new URL(`http://127.0.0.1${target}`).pathname;
  } catch {
    return target.split('?')[0]!;
  }
}

// ---------------------------------------------------------------- generators

const percentEncodeBytes = (bytes: Uint8Array) => [...bytes].map((byte) => `%${byte.toString(16).padStart(2, '0')}`).join('');

const segment = fc.oneof(
  fc.constantFrom('repos', 'repos', 'healthz', 'readyz', 'metrics', 'openapi.json', '.', '..', '%2e%2e', '%2E', '%2F', '%00', '%ff', '%', '%zz', '~', '$where', '$gt', '__proto__', 'constructor', 'a.b', ''),
  fc.stringMatching(/^[A-Za-z0-9._-]{1,40}$/),
  fc.string({ maxLength: 30 }).map(encodeURIComponent),
  fc.string({ unit: 'binary', maxLength: 20 }).map(encodeURIComponent),
  fc.uint8Array({ minLength: 1, maxLength: 12 }).map(percentEncodeBytes),
  fc.integer({ min: 200, max: 4000 }).map((length) => 'x'.repeat(length)),
  // Characters no client should send unencoded; Node's parser rejects some of them.
  fc.string({ unit: fc.constantFrom(' ', '"', '<', '>', '\\', '^', '`', '{', '|', '}', 'é', '\t'), minLength: 1, maxLength: 5 }),
);

const path = fc.oneof(
  { weight: 3, arbitrary: fc.array(segment, { maxLength: 6 }).map((segments) => `/${segments.join('/')}`) },
  { weight: 2, arbitrary: fc.tuple(segment, segment).map(([owner, name]) => `/repos/${owner}/${name}`) },
  { weight: 1, arbitrary: fc.constantFrom('/repos', '/repos/fuzz/seed-1', '/healthz', '/repos/', '//repos', '/repos/fuzz/seed-1/', '/repos/../healthz') },
);

const queryKey = fc.oneof(
  fc.constantFrom('tag', 'owner', 'sort', 'limit', 'cursor', 'tag[$gt]', 'owner[$ne]', '$where', '__proto__', 'constructor', 'a.b', 'limit[]', ''),
  fc.string({ maxLength: 20 }).map(encodeURIComponent),
);
const queryValue = fc.oneof(
  fc.constantFrom('', 'web', 'seed', 'fuzz', 'name', 'stars', 'updated', '0', '1', '100', '101', '-1', '1e3', 'NaN', '{"$gt":""}', '%', '%zz', '%ff%fe'),
  fc.string({ maxLength: 60 }).map(encodeURIComponent),
  fc.uint8Array({ maxLength: 20 }).map(percentEncodeBytes),
  fc.integer({ min: 500, max: 3000 }).map((length) => 'q'.repeat(length)),
);
const query = fc.option(
  fc.array(fc.tuple(queryKey, queryValue), { maxLength: 6 }).map((pairs) => `?${pairs.map(([key, value]) => `${key}=${value}`).join('&')}`),
  { nil: '' },
);

/** Header values Node accepts: printable ASCII, tabs, obs-text bytes; never CR or LF. */
const headerText = (maxLength: number) =>
  fc.string({ unit: fc.oneof(fc.integer({ min: 0x20, max: 0x7e }), fc.integer({ min: 0x80, max: 0xff })).map((code) => String.fromCharCode(code)), maxLength });

const headers = fc
  .record(
    {
      'Content-Type': fc.oneof(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'application/vnd.api+json',
          'APPLICATION/JSON',
          'application/json;charset=latin1',
          'text/plain',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/jsonx',
          'json',
          '',
        ),
        headerText(60),
      ),
      'If-Match': fc.oneof(fc.constantFrom('*', '"1"', '"2", "1"', 'W/"1"', '"abc"', '""', ',', '"999999999999999999999"'), headerText(1200)),
      'X-Request-Id': fc.oneof(fc.stringMatching(/^[A-Za-z0-9._:-]{8,128}$/), headerText(300)),
      Authorization: fc.oneof(
        fc.constant(`Bearer ${HARDENING_TOKEN}`),
        fc.constantFrom('Bearer', 'Bearer ', 'bearer x', 'Basic dXNlcjpwYXNz', `Bearer ${HARDENING_TOKEN} extra`),
        headerText(200),
      ),
      Accept: headerText(100),
      'X-Pad': fc.integer({ min: 1000, max: 12_000 }).map((length) => 'p'.repeat(length)),
    },
    { requiredKeys: [] },
  )
  .map((record) => Object.entries(record) as [string, string][]);

/** JSON values MongoDB would read as operators or paths, at any depth. */
const operatorJson: fc.Arbitrary<unknown> = fc.letrec<{ value: unknown }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.constantFrom({ $gt: '' }, { $ne: null }, { $where: 'sleep(100)' }, { $regex: '.*' }, { $in: ['a'] }, { 'a.b': 1 }, { $set: { version: 0 } }, '$gt', 'a.b'),
    fc.jsonValue({ maxDepth: 2 }),
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(fc.oneof(fc.constantFrom('$gt', '$where', 'a.b', '$', '.', 'owner', 'name', 'tags', 'notes'), fc.string({ maxLength: 8 })), tie('value'), {
      maxKeys: 4,
    }),
  ),
})).value;

const repoShapedBody = fc.record(
  {
    owner: fc.oneof(fc.stringMatching(/^[A-Za-z0-9-]{1,39}$/), operatorJson),
    name: fc.oneof(fc.stringMatching(/^[A-Za-z0-9._-]{1,100}$/), operatorJson),
    tags: fc.oneof(fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,39}$/), { maxLength: 4 }), operatorJson),
    notes: fc.oneof(fc.string({ maxLength: 200 }), fc.constant(null), operatorJson),
    extra: operatorJson,
  },
  { requiredKeys: [] },
);

const updateShapedBody = fc.record(
  {
    tags: fc.oneof(fc.array(fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,39}$/), { maxLength: 4 }), operatorJson),
    notes: fc.oneof(fc.string({ maxLength: 200 }), fc.constant(null), operatorJson),
  },
  { requiredKeys: [] },
);

const body = fc.oneof(
  fc.constant(undefined),
  fc.jsonValue({ maxDepth: 4 }).map((value) => JSON.stringify(value) ?? 'null'),
  repoShapedBody.map((value) => JSON.stringify(value)),
  operatorJson.map((value) => JSON.stringify(value) ?? 'null'),
  fc.integer({ min: 1, max: 30_000 }).map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`),
  fc.integer({ min: 1, max: 20_000 }).map((depth) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`),
  fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
  fc.uint8Array({ maxLength: 20 }).map((bytes) => Buffer.concat([Buffer.from('{"owner":"a","name":"'), Buffer.from(bytes), Buffer.from('"}')])),
  fc.string({ maxLength: 200 }),
  fc.integer({ min: 60_000, max: 70_000 }).map((size) => JSON.stringify({ owner: 'a', name: 'b', notes: 'n'.repeat(size) })),
);

const method = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom('GET', 'POST', 'PATCH', 'DELETE') },
  { weight: 2, arbitrary: fc.constantFrom('PUT', 'HEAD', 'OPTIONS', 'TRACE', 'PURGE', 'PROPFIND', 'CONNECT') },
  { weight: 1, arbitrary: fc.stringMatching(/^[A-Za-z!#$%&'*+.^_`|~-]{1,12}$/) },
);

const RUNS = { anything: 1400, bodies: 800, queries: 400 };

describe('generated requests against the live service', () => {
  it(`any method, path, query, headers and body (${RUNS.anything} requests)`, async () => {
    await fc.assert(
      fc.asyncProperty(method, path, query, headers, body, async (verb, target, search, headerList, payload) => {
        await exchangeChecked({ method: verb, target: `${target}${search}`, headers: headerList, body: payload });
      }),
      { numRuns: RUNS.anything },
    );
  }, 60_000);

  it(`JSON bodies, operators and dotted keys included, at the write endpoints (${RUNS.bodies} requests)`, async () => {
    const targets = fc.constantFrom(['POST', '/repos'], ['PATCH', '/repos/fuzz/seed-0'], ['PATCH', '/repos/fuzz/seed-1'], ['PATCH', '/repos/fuzz/missing']);
    await fc.assert(
      fc.asyncProperty(targets, fc.oneof(repoShapedBody, updateShapedBody, operatorJson, fc.constant({ owner: 'fuzz', name: 'seed-0' })), fc.constantFrom('*', '"1"', undefined), async ([verb, target], value, ifMatch) => {
        const headerList: [string, string][] = [
          ['Content-Type', 'application/json'],
          ['Authorization', `Bearer ${HARDENING_TOKEN}`],
          ...(ifMatch ? [['If-Match', ifMatch] as [string, string]] : []),
        ];
        const response = await exchangeChecked({ method: verb, target, headers: headerList, body: JSON.stringify(value) ?? 'null' });
        const allowed = verb === 'POST' ? [201, 400, 409, 413] : [200, 400, 404, 412, 413, 428];
        if (!allowed.includes(response.status)) throw new Error(`${verb} ${target} -> ${response.status}: ${response.text.slice(0, 300)}`);
        // Accepted only if nothing in it is operator-shaped.
        if (response.status < 300 && operatorKeys(value).length > 0) throw new Error(`accepted ${JSON.stringify(value)}`);
      }),
      { numRuns: RUNS.bodies },
    );
  }, 60_000);

  it(`list queries, operator-shaped keys and values included (${RUNS.queries} requests)`, async () => {
    await fc.assert(
      fc.asyncProperty(query, async (search) => {
        const response = await exchangeChecked({ method: 'GET', target: `/repos${search}` });
        if (response.status !== 200 && response.status !== 400) throw new Error(`GET /repos${search} -> ${response.status}`);
      }),
      { numRuns: RUNS.queries },
    );
  }, 60_000);

  it('leaves the service up, error-free, with nothing operator-shaped stored', async () => {
    expect(sent).toBeGreaterThanOrEqual(RUNS.anything + RUNS.bodies + RUNS.queries);
    // The generators reached the app's answers, not only its validation.
    for (const status of [200, 201, 400, 401, 404, 409, 412, 413, 415, 428, 431]) expect(statusesSeen, String(status)).toContain(status);
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect(service.process.exitCode).toBeNull();
    expect(service.lines.filter((line) => /lvl=(ERROR|FATAL)/.test(line))).toEqual([]);
    expect(service.stderr).toEqual([]);

    const stored = await db.repos.find({}).toArray();
    // Seeds may have been deleted by generated DELETEs; some remain.
    expect(stored.length).toBeGreaterThan(0);
    for (const doc of stored) {
      expect(operatorKeys(doc), doc._id).toEqual([]);
      expect(typeof doc.owner === 'string' && typeof doc.name === 'string', doc._id).toBe(true);
      expect(doc.tags.every((tag) => typeof tag === 'string'), doc._id).toBe(true);
      expect(doc.notes === null || typeof doc.notes === 'string', doc._id).toBe(true);
    }
  });

  it('grew the request metrics only by route templates, methods and status codes, never by URL', async () => {
    const after = await scrape(service.url);
    const templates = new Set([
      ...Object.keys(spec.document.paths).map((template) => template.replaceAll(/\{(\w+)\}/g, ':$1')),
      '/openapi.json',
      '__unmatched__',
    ]);
    const methods = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT', '_OTHER']);
    const statuses = new Set([...statusesSeen, 499].map(String));
    const strays: string[] = [];
    const combos = (families: Map<string, Family>) => families.get('http_requests_total')?.samples.length ?? 0;
    for (const family of after.values()) {
      if (!family.name.startsWith('http_')) continue;
      for (const { labels } of family.samples) {
        if (labels.path !== undefined && !templates.has(labels.path)) strays.push(`${family.name} path=${labels.path.slice(0, 80)}`);
        if (labels.method !== undefined && !methods.has(labels.method)) strays.push(`${family.name} method=${labels.method.slice(0, 80)}`);
        if (labels.status_code !== undefined && !statuses.has(labels.status_code)) strays.push(`${family.name} status_code=${labels.status_code}`);
      }
    }
    expect(strays).toEqual([]);
    // Per (method, path, status): a counter, a duration histogram (11 buckets + +Inf, sum,
    // count) and a response-size histogram (8 + 3); per (method, path) a request-size one.
    const newCombos = combos(after) - combos(metricsBefore);
    expect(newCombos).toBeLessThanOrEqual(methods.size * templates.size * statuses.size);
    expect(seriesCount(after, 'http_') - seriesCount(metricsBefore, 'http_')).toBeLessThanOrEqual(newCombos * (1 + 15 + 12 + 12));
    // Thousands of distinct URLs went in; a few dozen label sets came out.
    expect(combos(after)).toBeLessThan(150);
  });

  it('then stops on SIGTERM at once: no connection left behind holds it up', async () => {
    const started = performance.now();
    expect(await service.stop()).toBe(0);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
