import { request } from 'node:http';
import { createRoute } from '@hono/zod-openapi';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineFunction, json, type ServiceFunction } from '../lib/function.ts';
import { mongodbUri, uniqueDbName } from './helpers/database.ts';
import { exchange, parseResponse } from './hardening/lib/raw-http.ts';
import { startInProcess } from './helpers/in-process.ts';
import { bucketCount, parseMetrics, sampleOf, scrape, seriesCount } from './helpers/metrics.ts';
import { call, startService, TEST_TOKEN, GENERATED_REQUEST_ID, type RunningService } from './helpers/service.ts';

/** Sends a raw HTTP request (any method, chunked bodies) and resolves with the status. */
function rawRequest(url: string, options: { method: string; path: string; chunks?: string[]; headers?: Record<string, string> }) {
  return new Promise<number>((resolve, reject) => {
    const req = request(`${url}${options.path}`, { method: options.method, headers: options.headers }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    });
    req.on('error', reject);
    for (const chunk of options.chunks ?? []) req.write(chunk);
    req.end();
  });
}

describe('request metrics on the running service', () => {
  let service: RunningService;
  beforeAll(async () => {
    service = await startService({ MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('metrics') });
  });
  afterAll(async () => {
    await service?.stop();
  });

  it('counts by method, route template and status code, with exact sizes in the right buckets', async () => {
    const body = JSON.stringify({ owner: 'prom', name: 'client', notes: 'x'.repeat(200) });
    const created = await call(service.url, 'POST', '/repos', { rawBody: body, headers: { 'content-type': 'application/json' } });
    expect(created.status).toBe(201);
    await call(service.url, 'GET', '/repos/prom/client');
    await call(service.url, 'GET', '/repos/Prom/Client');
    await call(service.url, 'GET', '/repos/prom/missing');
    const health = await call(service.url, 'GET', '/healthz');

    const m = await scrape(service.url);
    const get = { method: 'GET', path: '/repos/:owner/:name' };
    expect(sampleOf(m, 'http_requests_total', { ...get, status_code: '200' })?.value).toBe(2);
    expect(sampleOf(m, 'http_requests_total', { ...get, status_code: '404' })?.value).toBe(1);
    expect(sampleOf(m, 'http_requests_total', { method: 'POST', path: '/repos', status_code: '201' })?.value).toBe(1);
    // Never the raw URL.
    expect(JSON.stringify([...m.values()])).not.toContain('/repos/prom/client');

    const requestSize = sampleOf(m, 'http_request_size_bytes', { method: 'POST', path: '/repos' });
    expect(requestSize?.sum).toBe(Buffer.byteLength(body));
    expect(bucketCount(requestSize, '64')).toBe(0);
    expect(bucketCount(requestSize, '256')).toBe(1);

    const responseSize = sampleOf(m, 'http_response_size_bytes', { method: 'POST', path: '/repos', status_code: '201' });
    expect(responseSize?.sum).toBe(Buffer.byteLength(created.text));
    const healthSize = sampleOf(m, 'http_response_size_bytes', { method: 'GET', path: '/healthz', status_code: '200' });
    expect(healthSize?.sum).toBe(Buffer.byteLength(health.text));
    expect(bucketCount(healthSize, '64')).toBe(1);

    const duration = sampleOf(m, 'http_request_duration_seconds', { ...get, status_code: '200' });
    expect(duration?.count).toBe(2);
    expect(duration?.sum).toBeGreaterThan(0);
    expect(sampleOf(m, 'http_requests_in_flight', {})?.value).toBe(0);
    expect(m.get('app_build_info')?.samples[0]?.labels).toMatchObject({ version: '0.1.0', node_version: process.version });
    // (nodejs_gc_duration_seconds appears only after the first garbage collection.)
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'mongodb_up']) {
      expect(m.has(name), name).toBe(true);
    }
    expect(sampleOf(m, 'mongodb_up', {})?.value).toBe(1);
  });

  it('counts chunked request bodies by the bytes really received', async () => {
    const chunks = ['{"owner":"chunked",', '"name":"upload",', `"notes":"${'y'.repeat(500)}"}`];
    const status = await rawRequest(service.url, {
      method: 'POST',
      path: '/repos',
      chunks,
      headers: { 'content-type': 'application/json', 'transfer-encoding': 'chunked', authorization: `Bearer ${TEST_TOKEN}` },
    });
    expect(status).toBe(201);
    const m = await scrape(service.url);
    const size = sampleOf(m, 'http_request_size_bytes', { method: 'POST', path: '/repos' });
    const total = chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk), 0);
    expect(size?.count).toBe(2);
    expect(size?.sum).toBe(Buffer.byteLength(JSON.stringify({ owner: 'prom', name: 'client', notes: 'x'.repeat(200) })) + total);
  });

  it('labels unknown routes with one fixed path and nonstandard methods as _OTHER', async () => {
    // A method /repos does not answer: 405, under the same fixed path.
    expect(await rawRequest(service.url, { method: 'PURGE', path: '/repos' })).toBe(405);
    await call(service.url, 'GET', '/wp-admin/login.php');
    await call(service.url, 'GET', '/.env');
    const m = await scrape(service.url);
    expect(sampleOf(m, 'http_requests_total', { method: '_OTHER', path: '__unmatched__', status_code: '405' })?.value).toBe(1);
    expect(sampleOf(m, 'http_requests_total', { method: 'GET', path: '__unmatched__', status_code: '404' })?.value).toBe(2);
  });

  it('counts requests answered before the app, each with a request id: unreadable, no Host header, a bad Expect, a body over the limit', async () => {
    const port = Number(new URL(service.url).port);
    const hostless = parseResponse(await exchange(port, 'GET /healthz HTTP/1.1\r\nConnection: close\r\n\r\n'));
    expect(hostless.status).toBe(400);
    expect(hostless.headers['x-request-id']).toMatch(GENERATED_REQUEST_ID);
    const badExpect = parseResponse(await exchange(port, 'GET /healthz HTTP/1.1\r\nHost: x\r\nExpect: 100-banana\r\nConnection: close\r\n\r\n'));
    expect(badExpect.status).toBe(417);
    expect(badExpect.headers['x-request-id']).toMatch(GENERATED_REQUEST_ID);
    const unreadable = parseResponse(await exchange(port, 'G(T /healthz HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(unreadable.status).toBe(400);
    expect(unreadable.headers['x-request-id']).toMatch(GENERATED_REQUEST_ID);
    const oversized = 'x'.repeat(70_000);
    const tooLarge = await call(service.url, 'POST', '/repos', { rawBody: oversized, headers: { 'content-type': 'application/json' } });
    expect(tooLarge.status).toBe(413);
    expect(tooLarge.headers.get('x-request-id')).toMatch(GENERATED_REQUEST_ID);

    const m = await scrape(service.url);
    expect(sampleOf(m, 'http_requests_total', { method: 'GET', path: '__unmatched__', status_code: '400' })?.value).toBe(1);
    expect(sampleOf(m, 'http_requests_total', { method: 'GET', path: '__unmatched__', status_code: '417' })?.value).toBe(1);
    // Refused by Node's parser: no method to speak of, no duration.
    expect(sampleOf(m, 'http_requests_total', { method: '_OTHER', path: '__unmatched__', status_code: '400' })?.value).toBe(1);
    const unreadableSize = sampleOf(m, 'http_response_size_bytes', { method: '_OTHER', path: '__unmatched__', status_code: '400' });
    expect(unreadableSize?.sum).toBe(Buffer.byteLength(unreadable.body));
    // Refused before the route ran, still labelled with the route it was sent to.
    expect(sampleOf(m, 'http_requests_total', { method: 'POST', path: '/repos', status_code: '413' })?.value).toBe(1);
    const received = sampleOf(m, 'http_request_size_bytes', { method: 'POST', path: '/repos' });
    expect(bucketCount(received, '65536')).toBeLessThan(received!.count!);
  });

  it('keeps the series count flat under 10,000 random URLs', async () => {
    await call(service.url, 'GET', '/warm-up-unmatched');
    await call(service.url, 'GET', '/repos/warm/up');
    const first = await scrape(service.url);
    const before = seriesCount(first, 'http_');
    const notFound = { method: 'GET', path: '/repos/:owner/:name', status_code: '404' };
    const notFoundBefore = sampleOf(first, 'http_requests_total', notFound)?.value ?? 0;
    const random = () => Math.random().toString(36).slice(2);
    const urls = Array.from({ length: 10_000 }, (_, i) =>
      i % 2 ? `/${random()}/${random()}?q=${random()}` : `/repos/${random()}/${random()}`,
    );
    for (let i = 0; i < urls.length; i += 100) {
      await Promise.all(urls.slice(i, i + 100).map((url) => fetch(service.url + url).then((r) => r.arrayBuffer())));
    }
    const m = await scrape(service.url);
    expect(seriesCount(m, 'http_')).toBe(before);
    expect(sampleOf(m, 'http_requests_total', notFound)?.value).toBe(notFoundBefore + 5000);
  }, 120_000);

  it('serves the classic format by default and OpenMetrics with request-id exemplars on request, never counting itself', async () => {
    const traced = await call(service.url, 'GET', '/healthz', { headers: { 'x-request-id': 'trace-me-0001' } });
    expect(traced.status).toBe(200);
    const classic = await fetch(`${service.url}/metrics`);
    expect(classic.headers.get('content-type')).toBe('text/plain; version=0.0.4; charset=utf-8');
    const classicText = await classic.text();
    expect(classicText).not.toContain('# {request_id=');

    const open = await fetch(`${service.url}/metrics`, {
      headers: { accept: 'application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5' },
    });
    expect(open.headers.get('content-type')).toBe('application/openmetrics-text; version=1.0.0; charset=utf-8');
    const openText = await open.text();
    expect(openText.trimEnd().endsWith('# EOF')).toBe(true);
    expect(openText).toMatch(
      /^http_request_duration_seconds_bucket\{le="[^"]+",method="GET",path="\/healthz",status_code="200"\} \d+ # \{request_id="trace-me-0001"\} [\d.e-]+ [\d.]+$/m,
    );
    // A classic scrape after an OpenMetrics one still shows the counters' _total names.
    const again = parseMetrics(await (await fetch(`${service.url}/metrics`)).text());
    expect(again.has('http_requests_total')).toBe(true);
    expect(JSON.stringify(again.get('http_requests_total'))).not.toContain('/metrics');
  });

  it('serves /metrics on METRICS_PORT instead when it is set', async () => {
    const separate = await startService({ MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('metricsport'), METRICS_PORT: '0' });
    try {
      const line = await separate.waitForLine(/msg=listening/);
      const metricsPort = Number(/ metrics_port=(\d+)/.exec(line)?.[1]);
      expect(metricsPort).not.toBe(separate.port);
      expect((await call(separate.url, 'GET', '/metrics')).status).toBe(404);
      const m = await scrape(`http://127.0.0.1:${metricsPort}`);
      expect(m.has('http_requests_total')).toBe(true);
      expect((await call(`http://127.0.0.1:${metricsPort}`, 'GET', '/healthz')).status).toBe(200);
    } finally {
      await separate.stop();
    }
  });
});

/** The in-process app's metrics once nothing is in flight (see scrape in helpers/metrics.ts). */
async function settledMetrics(app: { metrics: { render(accept: undefined): Promise<{ body: string }> } }) {
  for (let attempt = 0; ; attempt++) {
    const families = parseMetrics((await app.metrics.render(undefined)).body);
    if ((families.get('http_requests_in_flight')?.samples[0]?.value ?? 0) === 0 || attempt >= 100) return families;
    await sleep(10);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const route = (path: string) => createRoute({ method: 'get', path, responses: { 200: { description: 'test' } } });
const testFunctions = [
  defineFunction({
    name: 'throws-string',
    route: route('/throws-string'),
    async handler() {
      throw 'not an Error';
    },
  }),
  defineFunction({
    name: 'throws-error',
    route: route('/throws-error'),
    async handler() {
      throw new Error('secret internals at /srv/app.ts:12');
    },
  }),
  defineFunction({
    name: 'streams',
    route: route('/stream'),
    async handler() {
      const encoder = new TextEncoder();
      const body = new ReadableStream<Uint8Array>({
        async start(controller) {
          controller.enqueue(encoder.encode('first chunk;'));
          await sleep(300);
          controller.enqueue(encoder.encode('second chunk, after a pause'));
          controller.close();
        },
      });
      return { status: 200, body, headers: { 'content-type': 'text/plain' } };
    },
  }),
  defineFunction({
    name: 'slow',
    route: route('/slow'),
    async handler() {
      await sleep(400);
      return json(200, { done: true });
    },
  }),
] as ServiceFunction[];

describe('request metrics at the edges (test handlers on the real runtime)', () => {
  let app: Awaited<ReturnType<typeof startInProcess>>;
  beforeAll(async () => {
    app = await startInProcess(testFunctions);
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('records a handler that throws anything as 500, with the JSON envelope and no internals', async () => {
    for (const path of ['/throws-string', '/throws-error']) {
      const response = await call(app.url, 'GET', path);
      expect(response.status).toBe(500);
      expect(response.json).toEqual({ error: { code: 'internal_error', message: expect.any(String) } });
      expect(response.text).not.toContain('/srv/app.ts');
    }
    const m = await settledMetrics(app);
    expect(sampleOf(m, 'http_requests_total', { method: 'GET', path: '/throws-string', status_code: '500' })?.value).toBe(1);
    expect(sampleOf(m, 'http_requests_total', { method: 'GET', path: '/throws-error', status_code: '500' })?.value).toBe(1);
  });

  it('measures a streamed response until its last byte, and counts its bytes without Content-Length', async () => {
    const response = await fetch(`${app.url}/stream`);
    expect(response.headers.get('content-length')).toBeNull();
    const text = await response.text();
    const m = await settledMetrics(app);
    const labels = { method: 'GET', path: '/stream', status_code: '200' };
    const duration = sampleOf(m, 'http_request_duration_seconds', labels);
    expect(bucketCount(duration, '0.25')).toBe(0);
    expect(bucketCount(duration, '0.5')).toBe(1);
    expect(sampleOf(m, 'http_response_size_bytes', labels)?.sum).toBe(Buffer.byteLength(text));
  });

  it('counts a client that disconnects before the response as 499, once, and frees the in-flight slot', async () => {
    const aborted = fetch(`${app.url}/slow`, { signal: AbortSignal.timeout(100) });
    await expect(aborted).rejects.toThrow();
    await sleep(600); // the handler finishes after the client left
    const m = await settledMetrics(app);
    expect(sampleOf(m, 'http_requests_total', { method: 'GET', path: '/slow', status_code: '499' })?.value).toBe(1);
    expect(sampleOf(m, 'http_requests_total', { method: 'GET', path: '/slow', status_code: '200' })).toBeUndefined();
    expect(sampleOf(m, 'http_requests_in_flight', {})?.value).toBe(0);
    expect(app.lines.some((line) => /lvl=WARN .*msg=request .*path=\/slow status_code=499/.test(line))).toBe(true);
  });
});

describe('the series cap', () => {
  it('records label sets beyond METRICS_MAX_SERIES under path="__overflow__"', async () => {
    const manyRoutes = Array.from({ length: 30 }, (_, i) =>
      defineFunction({ name: `r${i}`, route: route(`/r${i}`), handler: async () => json(200, {}) }),
    ) as ServiceFunction[];
    const app = await startInProcess(manyRoutes, { maxSeries: 10 });
    try {
      for (let i = 0; i < 30; i++) await call(app.url, 'GET', `/r${i}`);
      const m = await settledMetrics(app);
      const requests = m.get('http_requests_total')!.samples;
      expect(requests).toHaveLength(11);
      expect(sampleOf(m, 'http_requests_total', { method: 'GET', path: '__overflow__', status_code: '200' })?.value).toBe(20);
    } finally {
      await app.stop();
    }
  });
});
