import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../lib/config.ts';
import { Logger } from '../../lib/logging/logger.ts';
import type { Metrics } from '../../lib/metrics/registry.ts';
import { startServer, type RunningServer } from '../../runtime/server.ts';
import { createService, type Service } from '../../runtime/service.ts';
import { startFakeGitHub, type FakeGitHub } from '../../tools/fake-github/server.ts';
import { parseLogfmt } from '../helpers/logs.ts';
import { parseMetrics, sampleOf } from '../helpers/metrics.ts';
import { call, TEST_TOKEN } from '../helpers/service.ts';

/** With the database unreachable, a sync cannot even take its lease: 503, counted failed, logged, nothing sent upstream. */
let github: FakeGitHub;
let service: Service;
let server: RunningServer;
let metrics: Metrics;
const lines: string[] = [];

beforeAll(async () => {
  github = await startFakeGitHub();
  // Nothing listens on the discard port: connection refused, quickly.
  const config = loadConfig({
    MONGODB_URI: 'mongodb://127.0.0.1:9/?directConnection=true',
    MONGODB_DB: 'unreachable',
    DB_TIMEOUT_MS: '300',
    API_TOKENS: `test:${TEST_TOKEN}`,
    UPSTREAM_URL: github.url,
    METRICS_EXEMPLARS: 'false',
  });
  const log = new Logger({ level: 'debug', write: (line) => lines.push(line.trimEnd()), callSite: false });
  service = createService(config, { log, version: 'test', metrics: { maxSeries: 100, runtime: false } });
  metrics = service.metrics;
  server = await startServer(service.app, { port: 0, host: '127.0.0.1' });
});
afterAll(async () => {
  await server?.close(0);
  await service?.close();
  await github?.stop();
});

describe('GET /readyz with the database down', () => {
  // First: the driver's first failed connection closes its topology, and later calls say only that.
  it('names the dependency and a reason code, and keeps the driver text for the log', async () => {
    const response = await call(`http://127.0.0.1:${server.port}`, 'GET', '/readyz');
    expect(response.status).toBe(503);
    expect(response.json.error).toMatchObject({ code: 'database_unavailable', details: [{ path: 'database', message: 'connection_refused' }] });
    expect(response.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|Mongo\w*Error/);
    const [line] = parseLogfmt(lines.filter((entry) => entry.includes('msg="not ready: database unreachable"')));
    expect(line).toMatchObject({ lvl: 'WARN', reason: 'connection_refused', err: expect.stringMatching(/ECONNREFUSED/) });
  });
});

describe('POST /sync with the database down', () => {
  it('answers 503, counts a failed run, logs it, and sends nothing upstream', async () => {
    const response = await call(`http://127.0.0.1:${server.port}`, 'POST', '/sync');
    expect(response.status).toBe(503);
    expect(response.json.error.code).toBe('database_unavailable');
    expect(github.control.stats().requests).toBe(0);
    const run = parseLogfmt(lines.filter((line) => line.includes('msg="sync run finished"')));
    expect(run).toEqual([expect.objectContaining({ lvl: 'ERROR', outcome: 'failed', stopped_by: 'error', err: expect.any(String) })]);

    // The scrape still works; the cache gauges have nothing to report (mongodb_up says why).
    const m = parseMetrics((await metrics.render(undefined)).body);
    expect(sampleOf(m, 'sync_runs_total', { outcome: 'failed' })?.value).toBe(1);
    expect(sampleOf(m, 'sync_lease_held', {})?.value).toBe(0);
    expect(sampleOf(m, 'cache_stale_after_seconds', {})?.value).toBe(6 * 3600);
  });
});
