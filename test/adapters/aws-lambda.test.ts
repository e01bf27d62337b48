import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { mongodbUri, uniqueDbName } from '../helpers/database.ts';
import { parseLogfmt } from '../helpers/logs.ts';
import { GENERATED_REQUEST_ID, TEST_TOKEN } from '../helpers/service.ts';

/**
 * The Lambda handler (runtime/adapters/aws-lambda.ts) given real API Gateway HTTP API
 * (payload 2.0) events, in a process of its own as in a Lambda sandbox, against the embedded
 * database: the same answers as over HTTP, X-Request-Id, and one access line per invocation
 * on stdout before the invocation returns.
 */
const FIXTURE = fileURLToPath(new URL('../fixtures/lambda-invocations.ts', import.meta.url));

interface Call {
  method: string;
  path: string;
  query?: string;
  headers?: Record<string, string>;
  body?: unknown;
}

/** An API Gateway v2 event as the HTTP API sends it (the fields a real one has). */
function apiGatewayEvent({ method, path, query = '', headers = {}, body }: Call, i: number) {
  const allHeaders: Record<string, string> = { host: 'abc123.execute-api.eu-west-1.amazonaws.com', 'user-agent': 'lambda-test/1.0', ...headers };
  if (body !== undefined) allHeaders['content-type'] ??= 'application/json';
  const text = body === undefined ? undefined : JSON.stringify(body);
  if (text !== undefined) allHeaders['content-length'] = String(Buffer.byteLength(text));
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: query,
    headers: allHeaders,
    requestContext: {
      accountId: '123456789012',
      apiId: 'abc123',
      domainName: 'abc123.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'abc123',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '198.51.100.23', userAgent: allHeaders['user-agent'] },
      requestId: `Wq3xRgK1oAMEV-${i}=`,
      routeKey: '$default',
      stage: '$default',
      time: '01/Dec/2026:00:40:00 +0000',
      timeEpoch: 1796085600000 + i,
    },
    ...(text !== undefined && { body: text }),
    isBase64Encoded: false,
  };
}

interface LambdaResult {
  statusCode: number;
  headers: Record<string, string>;
  body: string;
  isBase64Encoded: boolean;
}

function invoke(calls: Call[]) {
  const result = spawnSync(process.execPath, [FIXTURE], {
    input: JSON.stringify(calls.map(apiGatewayEvent)),
    env: { PATH: process.env.PATH, MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('lambda'), API_TOKENS: `test:${TEST_TOKEN}`, SERVICE_INSTANCE: 'lambda-test' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  if (result.status !== 0) throw new Error(`fixture failed (${result.status}): ${result.stderr}`);
  const results = JSON.parse(result.stderr) as LambdaResult[];
  return { results, stdout: result.stdout.trim().split('\n') };
}

const auth = { authorization: `Bearer ${TEST_TOKEN}` };

describe('the AWS Lambda adapter', () => {
  const calls: Call[] = [
    { method: 'POST', path: '/repos', headers: { ...auth, 'x-request-id': 'lambda-create-01' }, body: { owner: 'honojs', name: 'hono', tags: ['web'] } },
    { method: 'GET', path: '/repos/honojs/hono' },
    { method: 'PATCH', path: '/repos/honojs/hono', headers: { ...auth, 'if-match': '"1"' }, body: { notes: 'from a Lambda' } },
    { method: 'GET', path: '/repos', query: 'tag=web&limit=5' },
    { method: 'POST', path: '/repos', headers: auth, body: { owner: 'honojs', name: 'hono' } },
    { method: 'POST', path: '/repos', body: { owner: 'no', name: 'token' } },
    { method: 'GET', path: '/repos', query: 'limit=1000' },
    { method: 'GET', path: '/no/such/route' },
    { method: 'DELETE', path: '/repos/honojs/hono', headers: auth },
    { method: 'GET', path: '/repos/honojs/hono' },
  ];
  const { results, stdout } = invoke(calls);
  const body = (i: number) => JSON.parse(results[i]!.body) as Record<string, any>;

  it('answers CRUD calls, errors included, as the HTTP service does', () => {
    expect(results.map((r) => r.statusCode)).toEqual([201, 200, 200, 200, 409, 401, 400, 404, 204, 404]);
    expect(body(0)).toMatchObject({ fullName: 'honojs/hono', tags: ['web'] });
    expect(results[0]!.headers.location).toBe('/repos/honojs/hono');
    expect(body(1)).toMatchObject({ owner: 'honojs', name: 'hono' });
    expect(results[1]!.headers.etag).toBe('"1"');
    expect(body(2)).toMatchObject({ notes: 'from a Lambda' });
    expect(body(3)).toMatchObject({ total: 1, limit: 5 });
    expect(body(4).error.code).toBe('already_tracked');
    expect(body(5).error.code).toBe('unauthorized');
    expect(results[5]!.headers['www-authenticate']).toMatch(/^Bearer realm=/);
    expect(body(6).error.code).toBe('validation_failed');
    expect(body(7).error.code).toBe('not_found');
    expect(results[8]!.body).toBe('');
  });

  it('returns X-Request-Id on every answer: the caller’s when well-formed, a new one otherwise', () => {
    expect(results[0]!.headers['x-request-id']).toBe('lambda-create-01');
    for (const result of results.slice(1)) expect(result.headers['x-request-id']).toMatch(GENERATED_REQUEST_ID);
  });

  it('writes one access line per invocation before the invocation returns', () => {
    for (let i = 0; i < calls.length; i++) {
      const returned = stdout.indexOf(`--- invocation ${i} returned`);
      const previous = i === 0 ? -1 : stdout.indexOf(`--- invocation ${i - 1} returned`);
      const lines = stdout.slice(previous + 1, returned).filter((line) => line.includes('msg=request '));
      expect(lines, `invocation ${i}`).toHaveLength(1);
      const [access] = parseLogfmt(lines);
      expect(access).toMatchObject({
        method: calls[i]!.method,
        status_code: String(results[i]!.statusCode),
        request_id: results[i]!.headers['x-request-id'],
        remote_addr: '198.51.100.23',
        user_agent: 'lambda-test/1.0',
        instance: 'lambda-test',
        file: 'runtime/observe/request-observer.ts',
      });
      expect(Number(access!.res_bytes)).toBe(Buffer.byteLength(results[i]!.body));
    }
    const paths = parseLogfmt(stdout.filter((line) => line.includes('msg=request '))).map((r) => r.path);
    expect(paths).toEqual([
      '/repos', '/repos/:owner/:name', '/repos/:owner/:name', '/repos', '/repos', '/repos', '/repos', '__unmatched__', '/repos/:owner/:name', '/repos/:owner/:name',
    ]);
  });
});
