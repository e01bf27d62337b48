import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRoute } from '@hono/zod-openapi';
import { defineFunction, type ServiceFunction } from '../lib/function.ts';
import { Logger, type LoggerOptions } from '../lib/logging/logger.ts';
import { startInProcess } from './helpers/in-process.ts';
import { mongodbUri, uniqueDbName } from './helpers/database.ts';
import { exchange, parseResponse } from './hardening/lib/raw-http.ts';
import { parseLogfmt, parseLogfmtPairs } from './helpers/logs.ts';
import { call, startService, TEST_TOKEN, type RunningService } from './helpers/service.ts';

const DESIGN_KEYS = ['tsp', 'lvl', 'proc', 'file', 'line', 'msg'];
const fixed = new Date('2026-11-25T12:00:00.123Z');

function capture(options: LoggerOptions = {}) {
  const lines: string[] = [];
  const log = new Logger({ now: () => fixed, callSite: false, write: (line) => lines.push(line), ...options });
  return { log, lines: () => lines.map((line) => line.replace(/\n$/, '')) };
}

describe('log line format', () => {
  it('starts with the design keys in order, then custom fields bound to a child and given per call', () => {
    const { log, lines } = capture();
    log.child({ request_id: 'req-1', remote_addr: '127.0.0.1' }).info('hello world', { status_code: 200, ok: true });
    const [pairs] = parseLogfmtPairs(lines());
    expect(pairs!.map(([key]) => key)).toEqual([...DESIGN_KEYS, 'request_id', 'remote_addr', 'status_code', 'ok']);
    expect(Object.fromEntries(pairs!)).toMatchObject({
      tsp: '2026-11-25T12:00:00.123Z',
      lvl: 'INFO',
      proc: `${process.pid}:0`,
      msg: 'hello world',
      request_id: 'req-1',
      status_code: '200',
      ok: 'true',
    });
    expect(lines()[0]).toMatch(/^tsp=\S+ lvl=INFO proc=\d+:\d+ /);
  });

  it('keeps a hostile message on one line and gives it back exactly', () => {
    const hostile = 'he said "hi" \\ then\nlvl=ERROR msg=fake\r\tend = \u0001';
    const { log, lines } = capture();
    log.warn(hostile, { detail: hostile, 'bad key=x"': 'v' });
    expect(lines()).toHaveLength(1);
    expect(lines()[0]).not.toMatch(/[\n\r]/);
    const [fields] = parseLogfmt(lines());
    expect(fields!.msg).toBe(hostile);
    expect(fields!.detail).toBe(hostile);
    expect(fields!.lvl).toBe('WARN');
    expect(fields!.bad_key_x_).toBe('v');
  });

  it('masks secrets by key and credentials inside text', () => {
    const { log, lines } = capture();
    log.info('connecting to mongodb://admin:hunter2@db:27017/x with Bearer abc.def', {
      authorization: 'Bearer abc.def',
      github_token: 'ghp_secret',
      password: 'p4ss',
      api_key: 'k',
      uri: 'mongodb://admin:hunter2@db:27017/x',
      err: new Error('auth failed for mongodb://admin:hunter2@db'),
    });
    const text = lines()[0]!;
    for (const secret of ['hunter2', 'abc.def', 'ghp_secret', 'p4ss']) expect(text).not.toContain(secret);
    const [fields] = parseLogfmt(lines());
    expect(fields).toMatchObject({ authorization: '***', github_token: '***', password: '***', api_key: '***' });
    expect(fields!.uri).toBe('mongodb://***@db:27017/x');
    expect(fields!.msg).toContain('Bearer ***');
  });

  it('filters by level and writes the same fields as JSON with LOG_FORMAT=json', () => {
    const warnOnly = capture({ level: 'warn' });
    warnOnly.log.info('dropped');
    warnOnly.log.error('kept');
    expect(warnOnly.lines()).toHaveLength(1);

    const json = capture({ format: 'json' });
    json.log.child({ run_id: 'r1' }).error('as json', { n: 3, 'a b': 'c' });
    const record = JSON.parse(json.lines()[0]!);
    expect(Object.keys(record)).toEqual([...DESIGN_KEYS, 'run_id', 'n', 'a_b']);
    expect(record).toMatchObject({ lvl: 'ERROR', msg: 'as json', run_id: 'r1', n: 3, a_b: 'c' });
  });
});

describe('call site', () => {
  it('is the calling line of the project source, read from V8 call sites, not the logger', () => {
    const fixture = fileURLToPath(new URL('./fixtures/log-call-site.ts', import.meta.url));
    const result = spawnSync(process.execPath, [fixture], { encoding: 'utf8' });
    expect(result.status).toBe(0);
    const source = readFileSync(fixture, 'utf8').split('\n');
    const lineOf = (marker: string) => source.findIndex((line) => line.includes(`// CALL-SITE ${marker}`)) + 1;
    const records = parseLogfmt(result.stdout.trim().split('\n'));
    expect(records.map((r) => [r.msg, r.file, Number(r.line)])).toEqual([
      ['from the top level', 'test/fixtures/log-call-site.ts', lineOf('top')],
      ['from a nested function', 'test/fixtures/log-call-site.ts', lineOf('nested')],
      ['from a callback', 'test/fixtures/log-call-site.ts', lineOf('callback')],
      ['debug line', 'test/fixtures/log-call-site.ts', lineOf('debug')],
    ]);
    expect(records[1]!.run_id).toBe('fixture');
  });
});

describe('logs of the running service', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('logs') });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('writes one access line per request, and every line of a request carries its id', async () => {
    const response = await call(service.url, 'POST', '/repos?access_token=s3cr3t', {
      body: { owner: 'grafana', name: 'loki' },
      headers: { 'user-agent': 'test-agent/1.0', 'x-request-id': 'loki-req-0001' },
    });
    expect(response.headers.get('x-request-id')).toBe('loki-req-0001');
    await service.waitForLine(/msg=request .*request_id=loki-req-0001/);
    const mine = service.lines.filter((line) => line.includes('request_id=loki-req-0001'));
    expect(mine.join('\n')).not.toContain('s3cr3t');
    expect(mine.join('\n')).not.toContain(TEST_TOKEN);
    const records = parseLogfmt(mine);
    expect(records.map((r) => r.msg)).toEqual(['repository tracked', 'request']);

    const tracked = records[0]!;
    expect(tracked.file).toBe('functions/create-repo.ts');
    const sourceLine = readFileSync(new URL('../functions/create-repo.ts', import.meta.url), 'utf8').split('\n')[
      Number(tracked.line) - 1
    ];
    expect(sourceLine).toContain("log.info('repository tracked'");

    const access = records[1]!;
    expect(Object.keys(access).slice(0, 6)).toEqual(DESIGN_KEYS);
    expect(access).toMatchObject({
      lvl: 'INFO',
      request_id: 'loki-req-0001',
      remote_addr: '127.0.0.1',
      method: 'POST',
      url: '/repos?access_token=***',
      path: '/repos',
      status_code: '201',
      req_bytes: String(Buffer.byteLength(JSON.stringify({ owner: 'grafana', name: 'loki' }))),
      res_bytes: String(Buffer.byteLength(response.text)),
      user_agent: 'test-agent/1.0',
      client: 'test',
    });
    expect(Number(access.duration_ms)).toBeGreaterThan(0);
    expect(Date.parse(access.tsp!)).not.toBeNaN();
  });

  it('writes an access line for a request Node could not even parse, with the id it answered with', async () => {
    const answer = parseResponse(await exchange(Number(new URL(service.url).port), 'GET /a b HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(answer.status).toBe(400);
    const id = answer.headers['x-request-id']!;
    await service.waitForLine(new RegExp(`msg=request .*request_id=${id}`));
    const [line] = parseLogfmt(service.lines.filter((l) => l.includes(`request_id=${id}`)));
    expect(line).toMatchObject({
      lvl: 'INFO',
      file: 'runtime/observe/request-observer.ts',
      remote_addr: '127.0.0.1',
      path: '__unmatched__',
      status_code: '400',
      res_bytes: String(answer.body.length),
      error: 'HPE_INVALID_CONSTANT', // llhttp's code for a request line it cannot read
    });
  });

  it('logs an unexpected error once, with its stack, and the access line says 500', async () => {
    const explode = defineFunction({
      name: 'explode',
      route: createRoute({ method: 'get', path: '/explode', responses: { 200: { description: 'never' } } }),
      async handler() {
        throw new TypeError('cannot read x of undefined');
      },
    }) as ServiceFunction;
    const app = await startInProcess([explode]);
    try {
      const response = await call(app.url, 'GET', '/explode', { headers: { 'x-request-id': 'explode-req-01' } });
      expect(response.status).toBe(500);
      expect(response.text).not.toContain('cannot read x');
      await new Promise((resolve) => setTimeout(resolve, 50));
      const records = parseLogfmt(app.lines.filter((line) => line.includes('explode-req-01')).map((line) => line.trimEnd()));
      expect(records.map((r) => [r.lvl, r.msg])).toEqual([
        ['ERROR', 'unhandled error'],
        ['ERROR', 'request'],
      ]);
      expect(records[0]!.err).toBe('TypeError: cannot read x of undefined');
      expect(records[0]!.stack).toContain('test/logging.test.ts');
      expect(records[1]!.status_code).toBe('500');
    } finally {
      await app.stop();
    }
  });
});
