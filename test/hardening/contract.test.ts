import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';
import { parseJsonOrUndefined, type RunningService } from '../helpers/service.ts';
import { parametersOf, requestsFor, requestsForDocument, schemaContext, type Generated, type Runs, type Values } from './lib/generated-requests.ts';
import { problemsWith } from './lib/invariants.ts';
import { LinkedValues } from './lib/openapi-links.ts';
import { fetchSpec, type OpenApiSpec } from './lib/openapi-spec.ts';
import { rawHttp } from './lib/raw-http.ts';
import { invalid, valid, type Schema } from './lib/schema-arbitrary.ts';
import { AUTH, send, startHardenedService, type Sent } from './lib/service.ts';

/**
 * The contract, tested from the document alone (schemathesis-style): for every operation in
 * /openapi.json, requests generated from its parameter and body schemas, valid ones and ones
 * broken in a single place, go to the real service; every answer must be one the document
 * lists for that operation, with the documented body and headers. A valid request never gets
 * a 400, 413, 415 or 428, an invalid one always gets the 400 (or 415, or 428 for a missing
 * If-Match) it earned, and an operation that needs the token answers 401 without it. Values
 * the document links from one answer to the next operation (a created repository's owner and
 * name, its ETag, the next page's cursor) are fed back in, so requests reach existing
 * resources too. Every path answers the methods it does not document with 405 and Allow,
 * and OPTIONS with 204 and Allow.
 *
 * Nothing here names an operation: a new route is covered as soon as it is in the document.
 * CONTRACT_SEED=<n> replays a run; the seed is in every failure message.
 */
const SEED = Number(process.env.CONTRACT_SEED ?? Date.now() % 1_000_000);

let github: FakeGitHub;
let service: RunningService;

// A short sync deadline: POST /sync is an operation like any other here.
const startWithUpstream = (label: string, env: Record<string, string> = {}) =>
  startHardenedService(label, { UPSTREAM_URL: github.url, SYNC_DEADLINE: '1s', ...env });

beforeAll(async () => {
  github = await startFakeGitHub({ limit: 100_000, authenticatedLimit: 100_000 });
  service = await startWithUpstream('contract');
});
afterAll(async () => {
  await service?.stop();
  await github?.stop();
});

interface Answered {
  request: Generated;
  response: Sent;
}

/** Sends the requests the service's document generates, and judges every answer. */
async function runContract(base: string, runs: Runs) {
  const spec = await fetchSpec(base);
  const links = new LinkedValues(spec);
  const answers: Answered[] = [];
  const problems: string[] = [];
  for (const request of requestsForDocument(spec, runs, SEED)) {
    const values = links.valuesFor(request);
    const response = await sendGenerated(base, request, values);
    answers.push({ request, response });
    links.collect(request, values, response);
    problems.push(...judge(spec, request, response).map((problem) => `${problem} (seed ${SEED}: ${describeExchange(request, response)})`));
  }
  return { spec, answers, problems };
}

function sendGenerated(base: string, request: Generated, values: Values): Promise<Sent> {
  const path = request.template.replaceAll(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values.path[name] ?? ''));
  const query = Object.entries(values.query)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`)
    .join('&');
  const headers = { ...values.header, ...(request.contentType && { 'content-type': request.contentType }) };
  return send(base, request.method, `${path}${query ? `?${query}` : ''}`, {
    headers,
    ...(request.body !== undefined && { raw: request.body }),
    auth: request.auth,
  });
}

const describeExchange = (request: Generated, response: Sent) =>
  `${request.method} ${response.path} ${request.body?.slice(0, 300) ?? ''} -> ${response.status} ${response.text.slice(0, 300)}`;

/** What is wrong with one answer, for the request it answers. */
function judge(spec: OpenApiSpec, request: Generated, response: Sent): string[] {
  const problems = [...problemsWith(response), ...spec.check(response).problems, ...requestIdProblems(spec, request.values.header['x-request-id'], response)];
  const operation = spec.document.paths[request.template]![request.method.toLowerCase()] as { security?: unknown[] };
  if (!request.auth && Array.isArray(operation.security)) {
    if (response.status !== 401) problems.push('no token, yet not 401');
  } else if (!request.kind.valid) {
    if (!request.kind.expect.includes(response.status)) problems.push(`broke ${request.kind.broke}: expected ${request.kind.expect}`);
  } else {
    if ([400, 401, 413, 415, 428].includes(response.status)) problems.push('a valid request was refused');
    if (response.status >= 200 && response.status < 300) problems.push(...echoProblems(request.body, response.json));
  }
  return problems;
}

/**
 * The X-Request-Id a client sent comes back when the document's pattern for the answered
 * header accepts it (what the document calls well-formed); otherwise the answer has a new one.
 */
function requestIdProblems(spec: OpenApiSpec, sent: string | undefined, response: Sent): string[] {
  const pattern = (spec.everyResponseHeaders()['X-Request-Id']?.schema as { pattern?: string } | undefined)?.pattern;
  if (!pattern) return ['the document declares no X-Request-Id pattern on every response'];
  const answered = response.headers.get('x-request-id');
  if (sent === undefined) return [];
  if (new RegExp(pattern).test(sent)) return answered === sent ? [] : [`sent X-Request-Id ${sent}, answered ${answered}`];
  return answered === sent ? [`a malformed X-Request-Id ${JSON.stringify(sent)} came back`] : [];
}

/** What a successful write answers with carries the fields it was sent, as they were sent. */
function echoProblems(body: string | undefined, answer: unknown): string[] {
  if (body === undefined || answer === null || typeof answer !== 'object') return [];
  const sent = JSON.parse(body) as Record<string, unknown>;
  const got = answer as Record<string, unknown>;
  return Object.keys(sent)
    .filter((key) => key in got && JSON.stringify(got[key]) !== JSON.stringify(sent[key]))
    .map((key) => `${key} came back changed: sent ${JSON.stringify(sent[key])}, got ${JSON.stringify(got[key])}`);
}

const statusesBy = (answers: Answered[]) => {
  const seen = new Map<string, Set<number>>();
  for (const { request, response } of answers) seen.set(request.operation, (seen.get(request.operation) ?? new Set()).add(response.status));
  return seen;
};

describe('requests generated from /openapi.json against the live service', () => {
  it('answers every operation, valid and invalid requests alike, only as the document says', async () => {
    const { spec, answers, problems } = await runContract(service.url, { valid: 50, invalid: 30, withoutToken: 5, constant: 3 });
    expect(problems.slice(0, 20)).toEqual([]);

    // It reached what it claims to: a success for every operation, and through the links.
    const statuses = statusesBy(answers);
    for (const { method, path } of spec.operations()) {
      const seen = [...(statuses.get(`${method.toUpperCase()} ${path}`) ?? [])];
      expect(seen.some((status) => status >= 200 && status < 300), `${method} ${path}: ${seen}`).toBe(true);
    }
    expect(answers.some(({ request, response }) => request.link !== undefined && request.method === 'PATCH' && response.status === 200)).toBe(true);
    expect(answers.some(({ request, response }) => request.method === 'DELETE' && response.status === 204)).toBe(true);
  }, 60_000);

  it('holds with reads behind the token too (READS_REQUIRE_TOKEN): the document says so, and reads without it get 401', async () => {
    const guarded = await startWithUpstream('contract_reads', { READS_REQUIRE_TOKEN: 'true' });
    try {
      const { spec, answers, problems } = await runContract(guarded.url, { valid: 8, invalid: 4, withoutToken: 3, constant: 1 });
      expect(problems.slice(0, 20)).toEqual([]);
      expect((spec.document.paths['/repos']!.get as { security?: unknown }).security).toBeDefined();
      expect(answers.some(({ request, response }) => request.method === 'GET' && !request.auth && response.status === 401)).toBe(true);
    } finally {
      await guarded.stop();
    }
  }, 30_000);

  it('answers the methods a path does not document with 405 and Allow, OPTIONS with 204 and Allow, HEAD as GET', async () => {
    const spec = await fetchSpec(service.url);
    const problems: string[] = [];
    for (const template of Object.keys(spec.document.paths)) {
      const path = template.replaceAll(/\{(\w+)\}/g, 'probe-$1');
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PURGE']) {
        if (spec.document.paths[template]![method.toLowerCase()]) continue;
        const bodiless = method === 'GET' || method === 'HEAD';
        const response = await send(service.url, method, path, { headers: { 'content-type': 'application/json' }, ...(!bodiless && { raw: '{}' }) });
        problems.push(...spec.check(response).problems);
      }
    }
    expect(problems).toEqual([]);
    const options = await send(service.url, 'OPTIONS', '/repos/a/b');
    expect([options.status, options.headers.get('allow')]).toEqual([204, 'GET, HEAD, PATCH, DELETE, OPTIONS']);
    const put = await send(service.url, 'PUT', '/repos', { body: {} });
    expect([put.status, put.headers.get('allow'), put.json.error.code]).toEqual([405, 'GET, HEAD, POST, OPTIONS', 'method_not_allowed']);
  });

  it('answers every operation and every other request with X-Request-Id: the client\'s when well-formed, else a new one', async () => {
    const spec = await fetchSpec(service.url);
    expect(Object.keys(spec.everyResponseHeaders())).toContain('X-Request-Id');
    const problems: string[] = [];
    const targets = [
      ...spec.operations().map(({ method, path }) => [method.toUpperCase(), path.replaceAll(/\{(\w+)\}/g, 'probe-$1')] as const),
      ['PUT', '/repos'] as const,
      ['OPTIONS', '/repos'] as const,
      ['GET', '/no/such/route'] as const,
    ];
    for (const [method, path] of targets) {
      for (const id of ['client-id.0001:a_b', 'x'.repeat(128), 'short', 'x'.repeat(129), 'has space in it', undefined]) {
        const bodiless = ['GET', 'HEAD', 'OPTIONS'].includes(method);
        const response = await send(service.url, method, path, {
          headers: { ...(id !== undefined && { 'x-request-id': id }), ...(!bodiless && { 'content-type': 'application/json' }) },
          ...(!bodiless && { raw: '{}' }),
        });
        const where = `${method} ${path} with ${JSON.stringify(id)} -> ${response.status}`;
        problems.push(...spec.check(response).problems, ...requestIdProblems(spec, id, response).map((problem) => `${where}: ${problem}`));
        if (!response.headers.get('x-request-id')) problems.push(`${where}: no X-Request-Id`);
      }
    }
    expect(problems).toEqual([]);
  });

  it('refuses exactly the header values the document refuses, also those fetch cannot send (a tab inside, bytes beyond ASCII)', async () => {
    const spec = await fetchSpec(service.url);
    const context = schemaContext(spec);
    const port = Number(new URL(service.url).port);
    const problems: string[] = [];
    for (const entry of spec.operations()) {
      const [request] = fc.sample(requestsFor(context, entry, { valid: 1, invalid: 0, withoutToken: 0, constant: 1 }), { numRuns: 1, seed: SEED })[0]!;
      const path = request!.template.replaceAll(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(request!.values.path[name]!));
      for (const parameter of parametersOf(entry.operation).filter((candidate) => candidate.in === 'header')) {
        const accepts = context.validator(parameter.schema);
        for (const value of ['"1",\t"2"', 'caf\u00e9', 'wait=1\u00a0']) {
          const headers = { ...AUTH, ...request!.values.header, ...(request!.contentType && { 'content-type': request!.contentType }), [parameter.name]: value };
          const answer = await rawHttp(port, { method: request!.method, target: path, headers: Object.entries(headers), ...(request!.body !== undefined && { body: request!.body }) });
          const details = (parseJsonOrUndefined(answer.text) as { error?: { details?: { path: string }[] } } | undefined)?.error?.details ?? [];
          const refused = answer.status === 400 && details.some((detail) => detail.path === `headers.${parameter.name}`);
          if (refused === accepts(value)) {
            problems.push(`${request!.method} ${path} ${parameter.name}: ${JSON.stringify(value)} ${accepts(value) ? 'is documented as valid' : 'breaks the documented schema'}, answered ${answer.status} ${answer.text.slice(0, 200)}`);
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });

  it('has generators whose valid values the document accepts and whose invalid ones it refuses', async () => {
    const spec = await fetchSpec(service.url);
    const context = schemaContext(spec);
    // What requests are made of: every request body and parameter schema.
    const schemas = spec.operations().flatMap(({ method, path, operation }) => [
      ...(operation.requestBody ? [[`${method} ${path} body`, operation.requestBody.content?.['application/json']?.schema] as const] : []),
      ...(operation.parameters ?? []).map((parameter) => [`${method} ${path} ${parameter.in} ${parameter.name}`, parameter.schema] as const),
    ]);
    for (const [where, schema] of schemas as [string, Schema][]) {
      const validate = context.validator(schema);
      for (const value of fc.sample(valid(schema, context), { numRuns: 30, seed: SEED })) expect(validate(value), `${where} ${JSON.stringify(value)}`).toBe(true);
      for (const value of fc.sample(invalid(schema, context), { numRuns: 30, seed: SEED })) expect(validate(value), `${where} ${JSON.stringify(value)}`).toBe(false);
    }
  });
});
