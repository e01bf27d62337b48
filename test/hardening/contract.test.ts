import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';
import type { RunningService } from '../helpers/service.ts';
import { problemsWith } from './lib/invariants.ts';
import { fetchSpec, type Operation, type OpenApiSpec } from './lib/openapi-spec.ts';
import { invalid, valid, type Schema, type SchemaContext } from './lib/schema-arbitrary.ts';
import { send, startHardenedService, type Sent } from './lib/service.ts';

/**
 * The contract, tested from the document alone (schemathesis-style): for every operation in
 * /openapi.json, requests generated from its parameter and body schemas, valid ones and ones
 * broken in a single place, go to the real service; every answer must be one the document
 * lists for that operation, with the documented body and headers. A valid request never gets
 * a 400, 413, 415 or 428, an invalid one always gets the 400 (or 428 for a missing If-Match)
 * it earned, and a write without a token a 401. Values the document links from one answer to
 * the next operation (a created repository's owner and name, its ETag, the next page's cursor)
 * are fed back in, so requests reach existing resources too. Every path answers the methods
 * it does not document with 405 and Allow, and OPTIONS with 204 and Allow.
 *
 * Nothing here names an operation: a new route is covered as soon as it is in the document.
 * CONTRACT_SEED=<n> replays a run; the seed is in every failure message.
 */
const SEED = Number(process.env.CONTRACT_SEED ?? Date.now() % 1_000_000);
/** Per operation; an operation with nothing to vary (no parameters, no body) gets a few. */
const RUNS = { valid: 50, invalid: 30, withoutToken: 3, constant: 3 };

let github: FakeGitHub;
let service: RunningService;
let spec: OpenApiSpec;
let context: SchemaContext;
const answers: { request: Generated; response: Sent }[] = [];

beforeAll(async () => {
  github = await startFakeGitHub({ limit: 100_000, authenticatedLimit: 100_000 });
  // A short sync deadline: POST /sync is an operation like any other here.
  service = await startHardenedService('contract', { UPSTREAM_URL: github.url, SYNC_DEADLINE: '1s' });
  spec = await fetchSpec(service.url);
  context = {
    resolve: (ref) => spec.document.components?.schemas?.[ref.replace('#/components/schemas/', '')] as Schema,
    validator: (schema) => spec.validator(schema, `contract ${JSON.stringify(schema)}`),
  };
});
afterAll(async () => {
  await service?.stop();
  await github?.stop();
});

// ------------------------------------------------------------------ requests from the document

type Parameter = NonNullable<Operation['parameters']>[number] & { schema: Schema };
type Place = 'path' | 'query' | 'header';

interface Generated {
  operation: string;
  operationId: string | undefined;
  method: string;
  template: string;
  values: Record<Place, Record<string, string>>;
  body?: string;
  contentType?: string;
  auth: boolean;
  /** Which documented link's values to use instead, when some were collected. */
  link?: number;
  /** valid, or what was broken and the statuses that earns. */
  kind: { valid: true } | { valid: false; broke: string; expect: number[] };
}

const parametersOf = (operation: Operation) => (operation.parameters ?? []) as Parameter[];
const bodySchemaOf = (operation: Operation) => operation.requestBody?.content?.['application/json']?.schema as Schema | undefined;

/** A parameter's value as it goes on the wire. */
const wire = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value));

/** Values a path segment cannot carry: they change the path instead (empty, dot segments). */
const segmentSafe = (value: string) => value !== '' && value !== '.' && value !== '..';
/** What fetch can put in a header: visible ASCII and inner spaces. */
const headerSafe = (value: string) => /^[!-~](?:[ -~]*[!-~])?$/.test(value);

function validParameter(parameter: Parameter): fc.Arbitrary<string> {
  return valid(parameter.schema, context).map(wire);
}

/** Wire values the parameter's schema refuses, read as the server reads them (integers from text). */
function invalidParameter(parameter: Parameter): fc.Arbitrary<string> {
  const schema = context.resolve(parameter.schema.$ref ?? '') ?? parameter.schema;
  const validate = context.validator(schema);
  const accepted = (text: string) => validate(schema.type === 'integer' && /^-?\d+$/.test(text) ? Number(text) : text);
  const candidates =
    schema.type === 'integer'
      ? fc.oneof(
          fc.constantFrom('abc', '1.5', '', '1e400', '0x10'),
          fc.integer({ min: -1000, max: 1000 }).map(String),
          fc.integer({ min: 1_000_000, max: 2_000_000 }).map(String),
        )
      : invalid(schema, context).filter((value): value is string => typeof value === 'string');
  return candidates.filter((text) => !accepted(text));
}

function requestsFor(method: string, template: string, operation: Operation): fc.Arbitrary<Generated[]> {
  const parameters = parametersOf(operation).filter((parameter): parameter is Parameter & { in: Place } =>
    ['path', 'query', 'header'].includes(parameter.in),
  );
  const bodySchema = bodySchemaOf(operation);
  const validValues = (place: Place) => {
    const here = parameters.filter((parameter) => parameter.in === place);
    const model = Object.fromEntries(
      here.map((parameter) => {
        let arbitrary = validParameter(parameter);
        if (place === 'path') arbitrary = arbitrary.filter(segmentSafe);
        if (place === 'header') arbitrary = arbitrary.filter(headerSafe);
        return [parameter.name, arbitrary];
      }),
    );
    const requiredKeys = here.filter((parameter) => parameter.required).map((parameter) => parameter.name);
    return fc.record(model, { requiredKeys }) as fc.Arbitrary<Record<string, string>>;
  };
  const base = fc.record({
    values: fc.record({ path: validValues('path'), query: validValues('query'), header: validValues('header') }),
    body: bodySchema ? valid(bodySchema, context).map((value) => JSON.stringify(value)) : fc.constant(undefined),
    link: fc.option(fc.nat(), { freq: 2, nil: undefined }),
  });
  const common = { operation: `${method.toUpperCase()} ${template}`, operationId: operation.operationId, method: method.toUpperCase(), template };
  const make = (parts: { values: Generated['values']; body: string | undefined; link?: number | undefined }, rest: Partial<Generated>): Generated => ({
    ...common,
    values: parts.values,
    ...(parts.body !== undefined && { body: parts.body, contentType: 'application/json' }),
    auth: true,
    ...(parts.link !== undefined && { link: parts.link }),
    kind: { valid: true },
    ...rest,
  });

  const broken: fc.Arbitrary<Generated>[] = [];
  for (const parameter of parameters) {
    const expect = parameter.in === 'header' && parameter.name === 'if-match' ? [428] : [400];
    let wrong = invalidParameter(parameter);
    if (parameter.in === 'path') wrong = wrong.filter(segmentSafe);
    if (parameter.in === 'header') wrong = wrong.filter(headerSafe);
    broken.push(
      fc.tuple(base, wrong).map(([parts, value]) =>
        make(parts, {
          values: { ...parts.values, [parameter.in]: { ...parts.values[parameter.in], [parameter.name]: value } },
          kind: { valid: false, broke: `${parameter.in} ${parameter.name}`, expect: [400] },
        }),
      ),
    );
    if (parameter.required && parameter.in !== 'path') {
      broken.push(
        base.map((parts) => {
          const { [parameter.name]: _, ...others } = parts.values[parameter.in];
          return make(parts, { values: { ...parts.values, [parameter.in]: others }, kind: { valid: false, broke: `no ${parameter.name}`, expect } });
        }),
      );
    }
  }
  if (bodySchema) {
    broken.push(
      fc.tuple(base, invalid(bodySchema, context)).map(([parts, value]) =>
        make(parts, { body: JSON.stringify(value) ?? 'null', kind: { valid: false, broke: 'body', expect: [400] } }),
      ),
      fc.tuple(base, fc.constantFrom('{', '', '{"a":1', '[1,]', 'nul')).map(([parts, text]) =>
        make(parts, { body: text, contentType: 'application/json', kind: { valid: false, broke: 'body not JSON', expect: [400] } }),
      ),
      fc.tuple(base, fc.constantFrom('text/plain', 'application/x-www-form-urlencoded', 'application/xml')).map(([parts, type]) =>
        make(parts, { contentType: type, kind: { valid: false, broke: 'content-type', expect: [415] } }),
      ),
    );
  }

  const constant = parameters.length === 0 && !bodySchema;
  const count = (runs: number) => ({ minLength: runs, maxLength: runs });
  return fc
    .tuple(
      fc.array(base.map((parts) => make(parts, {})), count(constant ? RUNS.constant : RUNS.valid)),
      broken.length > 0 ? fc.array(fc.oneof(...broken), count(RUNS.invalid)) : fc.constant([]),
      fc.array(base.map((parts) => make(parts, { auth: false })), count(RUNS.withoutToken)),
    )
    .map((lists) => lists.flat());
}

// ------------------------------------------------------------------ documented links, collected

/** Parameter values for an operation, taken from earlier answers through the document's links. */
const linked = new Map<string, Record<Place, Record<string, string>>[]>();

function collectLinks(request: Generated, concrete: Record<Place, Record<string, string>>, response: Sent) {
  const operation = spec.document.paths[request.template]?.[request.method.toLowerCase()];
  const links = (operation?.responses[String(response.status)] as { links?: Record<string, { operationId: string; parameters: Record<string, string> }> })?.links;
  for (const link of Object.values(links ?? {})) {
    const target = spec.operations().find((candidate) => candidate.operation.operationId === link.operationId);
    if (!target) throw new Error(`link to unknown operationId ${link.operationId}`);
    const values: Record<Place, Record<string, string>> = { path: {}, query: {}, header: {} };
    let complete = true;
    for (const [key, expression] of Object.entries(link.parameters)) {
      const [place, name] = key.includes('.') ? (key.split('.', 2) as [Place, string]) : [parametersOf(target.operation).find((p) => p.name === key)?.in as Place, key];
      const value = evaluate(expression, concrete, response);
      if (value === undefined || value === null) complete = false;
      else values[place][name] = String(value);
    }
    if (!complete) continue;
    const list = linked.get(link.operationId) ?? [];
    list.push(values);
    if (list.length > 40) list.shift();
    linked.set(link.operationId, list);
  }
}

/** OpenAPI runtime expressions: $response.body#/pointer, $response.header.x, $request.path|query|header.x. */
function evaluate(expression: string, request: Record<Place, Record<string, string>>, response: Sent): unknown {
  if (expression.startsWith('$response.body#')) {
    return expression
      .slice('$response.body#'.length)
      .split('/')
      .slice(1)
      .reduce<unknown>((value, part) => (value as Record<string, unknown> | undefined)?.[part.replaceAll('~1', '/').replaceAll('~0', '~')], response.json);
  }
  const header = /^\$response\.header\.(.+)$/.exec(expression);
  if (header) return response.headers.get(header[1]!);
  const fromRequest = /^\$request\.(path|query|header)\.(.+)$/.exec(expression);
  if (fromRequest) return request[fromRequest[1] as Place][fromRequest[2]!];
  throw new Error(`runtime expression not understood: ${expression}`);
}

// ------------------------------------------------------------------ sending and judging

function concreteValues(request: Generated): Record<Place, Record<string, string>> {
  const choices = request.operationId ? linked.get(request.operationId) : undefined;
  if (request.link === undefined || !choices?.length || !request.kind.valid) return request.values;
  const chosen = choices[request.link % choices.length]!;
  return { path: { ...request.values.path, ...chosen.path }, query: { ...request.values.query, ...chosen.query }, header: { ...request.values.header, ...chosen.header } };
}

async function exchange(request: Generated): Promise<string[]> {
  const values = concreteValues(request);
  const path = request.template.replaceAll(/\{(\w+)\}/g, (_, name: string) => encodeURIComponent(values.path[name] ?? ''));
  const query = Object.entries(values.query).map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(value)}`).join('&');
  const headers = { ...values.header, ...(request.contentType && { 'content-type': request.contentType }) };
  const target = `${path}${query ? `?${query}` : ''}`;
  const response = await send(service.url, request.method, target, { headers, ...(request.body !== undefined && { raw: request.body }), auth: request.auth });
  answers.push({ request, response });
  collectLinks(request, values, response);

  const what = `seed ${SEED}: ${request.method} ${target} ${JSON.stringify(headers)} ${request.body?.slice(0, 300) ?? ''} -> ${response.status} ${response.text.slice(0, 300)}`;
  const problems = [...problemsWith(response), ...spec.check(response).problems];
  const operation = spec.document.paths[request.template]![request.method.toLowerCase()]!;
  const secured = Array.isArray((operation as { security?: unknown[] }).security);
  if (!request.auth && secured) {
    if (response.status !== 401) problems.push('no token, yet not 401');
  } else if (!request.kind.valid) {
    if (!request.kind.expect.includes(response.status)) problems.push(`broke ${request.kind.broke}: expected ${request.kind.expect}`);
  } else {
    if ([400, 401, 413, 415, 428].includes(response.status)) problems.push('a valid request was refused');
    if (response.status >= 200 && response.status < 300) problems.push(...echoProblems(request.body, response.json));
  }
  return problems.map((problem) => `${problem} (${what})`);
}

/** What a successful write answers with carries the fields it was sent, as they were sent. */
function echoProblems(body: string | undefined, answer: unknown): string[] {
  if (body === undefined || answer === null || typeof answer !== 'object') return [];
  const sent = JSON.parse(body) as Record<string, unknown>;
  return Object.entries(sent)
    .filter(([key]) => key in answer)
    .filter(([key, value]) => JSON.stringify((answer as Record<string, unknown>)[key]) !== JSON.stringify(value))
    .map(([key]) => `${key} came back changed: sent ${JSON.stringify(sent[key])}, got ${JSON.stringify((answer as Record<string, unknown>)[key])}`);
}

// ------------------------------------------------------------------ the tests

describe('requests generated from /openapi.json against the live service', () => {
  it('answers every operation, valid and invalid requests alike, only as the document says', async () => {
    // Every operation's requests, shuffled together: creations, reads, changes and deletions interleave.
    const everything = fc.tuple(...spec.operations().map(({ method, path, operation }) => requestsFor(method, path, operation))).chain((lists) => {
      const all = lists.flat();
      return fc.shuffledSubarray(all, { minLength: all.length });
    });
    const [requests] = fc.sample(everything, { numRuns: 1, seed: SEED });
    const problems: string[] = [];
    for (const request of requests!) problems.push(...(await exchange(request)));
    expect(problems.slice(0, 20)).toEqual([]);

    // It reached what it claims to: every operation, each with a success, and the links.
    const byOperation = new Map<string, Set<number>>();
    for (const { request, response } of answers) {
      byOperation.set(request.operation, (byOperation.get(request.operation) ?? new Set()).add(response.status));
    }
    for (const { method, path } of spec.operations()) {
      const statuses = [...(byOperation.get(`${method.toUpperCase()} ${path}`) ?? [])];
      expect(statuses.some((status) => status >= 200 && status < 300), `${method} ${path}: ${statuses}`).toBe(true);
    }
    expect(answers.some(({ request, response }) => request.link !== undefined && request.method === 'PATCH' && response.status === 200)).toBe(true);
    expect(answers.some(({ request, response }) => request.method === 'GET' && request.values.query.cursor && response.status === 200)).toBe(true);
  }, 60_000);

  it('answers the methods a path does not document with 405 and Allow, and OPTIONS with 204 and Allow', async () => {
    const problems: string[] = [];
    for (const template of Object.keys(spec.document.paths)) {
      const path = template.replaceAll(/\{(\w+)\}/g, 'probe-$1');
      for (const method of ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'PURGE']) {
        if (spec.document.paths[template]![method.toLowerCase()]) continue;
        const response = await send(service.url, method, path, { headers: { 'content-type': 'application/json', 'if-match': '*' }, raw: method === 'HEAD' || method === 'GET' ? undefined : '{}' });
        problems.push(...spec.check(response).problems);
      }
    }
    expect(problems).toEqual([]);
    const options = await send(service.url, 'OPTIONS', '/repos/a/b');
    expect([options.status, options.headers.get('allow')]).toEqual([204, 'GET, HEAD, PATCH, DELETE, OPTIONS']);
    const put = await send(service.url, 'PUT', '/repos', { body: {} });
    expect([put.status, put.headers.get('allow'), put.json.error.code]).toEqual([405, 'GET, HEAD, POST, OPTIONS', 'method_not_allowed']);
  });

  it('has a generator whose valid values the document accepts and whose invalid ones it refuses', () => {
    const create = { $ref: '#/components/schemas/CreateRepo' } as Schema;
    const validate = context.validator(create);
    for (const value of fc.sample(valid(create, context), { numRuns: 200, seed: SEED })) expect(validate(value), JSON.stringify(value)).toBe(true);
    for (const value of fc.sample(invalid(create, context), { numRuns: 200, seed: SEED })) expect(validate(value), JSON.stringify(value)).toBe(false);
  });
});
