import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGoTool } from '../../scripts/lib/go-tool.ts';
import { caddyPasswordHash } from '../../scripts/lib/stack/secrets.ts';
import { freePort } from '../helpers/free-port.ts';
import { dashboardQueries, expandGrafanaMacros } from '../monitoring/helpers.ts';
import { firingAlerts, freeAddress, instantQuery, startPrometheus, waitFor, type MonitoringProcess } from '../live/monitoring-processes.ts';
import { prometheusConfigForLoopback, prometheusEnvironment, writeRuleFiles } from '../live/stack-configs.ts';
import { adaptCaddyfile, forLoopback, upstreamsOf } from './caddy-loopback.ts';

/**
 * The edge watched end to end: the real Caddy with the stack's Caddyfile on loopback, and a
 * real Prometheus with prometheus.yml's caddy job (stack-configs.ts turns its swarm
 * discovery into the loopback target, with the labels a swarm task would have) and the
 * stack's rule files, durations scaled (test/live/time-scale.ts). The api's upstream is a
 * port nobody listens on, so its site answers 502, as when no api task runs.
 */
const dir = mkdtempSync(join(tmpdir(), 'edge-monitoring-'));
let caddyProcess: ChildProcess | undefined;
let prometheus: MonitoringProcess;
let metricsPort: number;
let httpsPort: number;
let rootCertificate: string;
const standIns: Server[] = [];

const standIn = () =>
  new Promise<string>((resolve) => {
    const server = createServer((_req, res) => res.writeHead(200).end('ok')).listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`));
    standIns.push(server);
  });

/** An HTTPS request for `host` through Caddy; resolves with the status. */
const visit = (host: string) =>
  new Promise<number>((resolve, reject) => {
    httpsRequest({ host: '127.0.0.1', port: httpsPort, path: '/', servername: host, ca: rootCertificate, headers: { host }, agent: false }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode!));
    })
      .on('error', reject)
      .end();
  });

const query = (expr: string) => instantQuery(prometheus.url, expr);
const firing = async (alertname: string) => (await firingAlerts(prometheus.url)).filter((alert) => alert.labels.alertname === alertname);

beforeAll(async () => {
  const caddy = buildGoTool('caddy', (line) => process.stderr.write(`${line}\n`));
  const hashFile = join(dir, 'edge_auth_hash');
  writeFileSync(hashFile, `${caddyPasswordHash('edge monitoring test')}\n`);
  // Prometheus scrapes from 127.0.0.1: here that is the edge-monitoring subnet.
  const config = adaptCaddyfile(caddy, { EDGE_AUTH_HASH_FILE: hashFile, EDGE_METRICS_FROM: '127.0.0.1' });
  const closed = `127.0.0.1:${await freePort()}`;
  const upstreams = Object.fromEntries(await Promise.all(upstreamsOf(config).map(async (dial) => [dial, dial === 'api:3000' ? closed : await standIn()] as const)));
  [httpsPort, metricsPort] = [await freePort(), await freePort()];
  const storage = join(dir, 'storage');
  const loopback = forLoopback(config, { upstreams, https: httpsPort, http: await freePort(), metrics: metricsPort, admin: await freePort(), storage });
  writeFileSync(join(dir, 'caddy.json'), JSON.stringify(loopback));
  let output = '';
  caddyProcess = spawn(caddy, ['run', '--config', join(dir, 'caddy.json')], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: dir } });
  caddyProcess.stdout!.on('data', (chunk) => (output += chunk));
  caddyProcess.stderr!.on('data', (chunk) => (output += chunk));
  const rootFile = join(storage, 'pki/authorities/local/root.crt');
  await waitFor(
    'caddy serving its sites and its metrics',
    async () => {
      if (caddyProcess!.exitCode !== null) throw new Error(`caddy exited:\n${output}`);
      if (!existsSync(rootFile)) return undefined;
      rootCertificate = readFileSync(rootFile, 'utf8');
      return (await visit('grafana.localhost')) === 200 && (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).ok ? true : undefined;
    },
    20_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\n${output}`);
  });

  writeRuleFiles(dir, { scaled: true });
  prometheus = await startPrometheus(dir, await freeAddress(), prometheusConfigForLoopback({ services: { caddy: `127.0.0.1:${metricsPort}` } }), prometheusEnvironment());
}, 60_000);

afterAll(async () => {
  caddyProcess?.kill('SIGTERM');
  await prometheus?.stop();
  await Promise.all(standIns.map((server) => new Promise((resolve) => server.close(resolve))));
  rmSync(dir, { recursive: true, force: true });
});

describe('the edge in a real Prometheus with the stack\'s configuration', () => {
  it('is one target of the caddy job, named by its swarm task and node like the app\'s replicas', async () => {
    const up = await waitFor('the caddy target scraped', async () => {
      const series = await query('up');
      return series.length > 0 && series.every((sample) => sample.value[1] === '1') ? series : undefined;
    }, 20_000);
    // One scrape only: not its address on the edge network, nor by the swarm job.
    expect(up.map((sample) => sample.metric)).toEqual([
      { __name__: 'up', job: 'caddy', instance: `127.0.0.1:${metricsPort}`, task: 'repo-monitor_caddy.1', node: hostname() },
    ]);
    // Absent before the first scrape, so it may have fired at start: it stops once Caddy answers.
    await waitFor('EdgeDown quiet while Caddy answers', async () => ((await firing('EdgeDown')).length === 0 ? true : undefined), 5_000, 250);
  });

  it('fires EdgeErrors for the site answering 502, and only for that one', async () => {
    const statuses = new Set<number>();
    const alerts = await waitFor('EdgeErrors firing', async () => {
      const answers = await Promise.all(['api.localhost', 'grafana.localhost'].flatMap((host) => Array.from({ length: 3 }, () => visit(host))));
      answers.forEach((status) => statuses.add(status));
      const found = await firing('EdgeErrors');
      return found.length > 0 ? found : undefined;
    }, 30_000, 250);
    expect([...statuses].sort()).toEqual([200, 502]);
    expect(alerts.map((alert) => alert.labels)).toEqual([expect.objectContaining({ alertname: 'EdgeErrors', host: 'api.localhost', severity: 'page' })]);
    const codes = await query('sum by (host, code) (caddy_http_request_duration_seconds_count{job="caddy", host=~"api.localhost|grafana.localhost"})');
    expect(codes.map((sample) => `${sample.metric.host} ${sample.metric.code}`).sort()).toEqual(['api.localhost 502', 'grafana.localhost 200']);
  }, 40_000);

  it('gives the Service dashboard\'s edge panels their data: requests per site, and the 5xx ratio of the failing one', async () => {
    const panel = (title: string) => dashboardQueries().find((query) => query.panel === title)!;
    const values = async (title: string) =>
      Object.fromEntries((await query(expandGrafanaMacros(panel(title).expr))).map((sample) => [sample.metric.host, Number(sample.value[1])]));
    const rates = await values('Requests through the edge by site');
    expect(rates['api.localhost']).toBeGreaterThan(0);
    expect(rates['grafana.localhost']).toBeGreaterThan(0);
    const ratios = await values('Edge 5xx ratio by site');
    // Every api request failed; grafana reads 0, not "No data".
    expect(ratios).toMatchObject({ 'api.localhost': 1, 'grafana.localhost': 0 });
  });

  it('fires EdgeDown when Caddy stops', async () => {
    const exited = new Promise((resolve) => caddyProcess!.once('exit', resolve));
    caddyProcess!.kill('SIGTERM');
    await exited;
    const alerts = await waitFor('EdgeDown firing', async () => {
      const found = await firing('EdgeDown');
      return found.length > 0 ? found : undefined;
    }, 20_000, 250);
    expect(alerts.map((alert) => alert.labels)).toEqual([expect.objectContaining({ alertname: 'EdgeDown', job: 'caddy', severity: 'page' })]);
  }, 30_000);
});
