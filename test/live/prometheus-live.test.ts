import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startFakeGitHub } from '../../tools/fake-github/server.ts';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../scripts/lib/embedded-mongo.ts';
import { call, startService, type RunningService } from '../helpers/service.ts';
import { alertRules, dashboardQueries, EXPORTER_METRICS } from '../monitoring/helpers.ts';
import { freeAddress, sleep, startAlertmanager, startPrometheus, startWebhook, type MonitoringProcess } from './monitoring-processes.ts';
import { alertmanagerConfigForTest, prometheusConfigForLoopback, prometheusEnvironment, writeRuleFiles } from './stack-configs.ts';

/**
 * The monitoring as it runs: a real Prometheus on loopback, with the stack's own
 * prometheus.yml and rule files, scrapes a real API process and a real scheduler process
 * (their METRICS_PORTs, as the stack does), itself and a real Alertmanager running the
 * stack's alertmanager.yml, after the test has driven requests and syncs against the fake
 * upstream; then it answers every expression the dashboards and rules use. The two files
 * are changed by code (stack-configs.ts) only where the swarm cannot be had on loopback:
 * - prometheus.yml: each job's `dns_sd_configs` on `tasks.<service>` (swarm DNS) becomes a
 *   static loopback target; jobs with nothing on loopback (Loki, Grafana, the exporters)
 *   are left out; the alerting block's `tasks.alertmanager` becomes the test's
 *   Alertmanager; the 15s scrape and evaluation interval becomes 1s.
 * - alertmanager.yml: every receiver's notification configs become one webhook to the test.
 */

/**
 * Series of the exporters, the log agents and the edge (Caddy), which the stack runs but
 * this test does not: the rules reading them are checked by their promtool unit tests
 * instead, and the edge's also by test/edge/edge-monitoring.test.ts with a real Caddy.
 */
const NOT_RUN_HERE_UP = ['up{job=~"promtail|alloy"}', 'up{job="caddy"}'];
const fromExporters = (selector: string) => EXPORTER_METRICS.has(/^\w+/.exec(selector)?.[0] ?? '') || NOT_RUN_HERE_UP.includes(selector);

/** Grafana's macros and variables, as Grafana would send them for "all values" over a short range. */
function asGrafanaSends(expr: string): string {
  return expr
    .replace(/\$__(rate_interval|interval|range|auto)\b/g, '30s')
    .replace(/(\w+)\s*(=~|=|!=|!~)\s*"([^"]*\$[^"]*)"/g, (_all, label: string) => `${label}=~".*"`);
}

/** The vector selectors in an expression (metric names with their matchers). */
function selectors(expr: string): string[] {
  const found: string[] = [];
  const tree = promqlParser.parse(expr);
  tree.iterate({
    enter(node) {
      if (node.name === 'VectorSelector') {
        found.push(expr.slice(node.from, node.to));
        return false;
      }
      return undefined;
    },
  });
  return found;
}

describe('a real Prometheus scraping the running service', () => {
  let upstream: Awaited<ReturnType<typeof startFakeGitHub>>;
  let api: RunningService;
  let scheduler: RunningService;
  let prometheus: MonitoringProcess;
  let alertmanager: MonitoringProcess;
  let webhook: Awaited<ReturnType<typeof startWebhook>>;
  let promUrl: string;
  let dataDir: string;
  let database: EmbeddedMongo | undefined;

  const query = async (expr: string) => {
    const response = await fetch(`${promUrl}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { status: string; error?: string; data: { result: unknown[] } };
    return body;
  };

  beforeAll(async () => {
    upstream = await startFakeGitHub({ port: 0, changeEverySeconds: 1 });
    // A database of this test's own, so that it can take it away for a moment: the 5xx
    // panels and the database alert need a few real 503s to have data.
    dataDir = mkdtempSync(join(tmpdir(), 'repo-monitor-live-'));
    const dbListen = await freeAddress();
    database = await startEmbeddedMongo({ dataDir: join(dataDir, 'mongo'), listen: dbListen });
    // A token for both roles: the fake's authenticated limit paces three repositories in a
    // second or two; 60 an hour would space them a minute apart, and a run (the api's
    // POST /sync included) would hold the lease past the test's end.
    const env = { MONGODB_URI: database.uri, DB_TIMEOUT_MS: '500', UPSTREAM_URL: upstream.url, METRICS_PORT: '0', GITHUB_TOKEN: 'live-test-token' };
    api = await startService({ ...env, ROLE: 'api' });
    scheduler = await startService({ ...env, ROLE: 'scheduler', SYNC_SCHEDULE: '*/2 * * * * *' });

    // Traffic of every kind the dashboards break down: created, read, missing, invalid, unknown.
    for (const name of ['alpha', 'beta', 'gamma']) {
      await call(api.url, 'POST', '/repos', { body: { owner: 'live', name } });
    }
    await call(api.url, 'GET', '/repos?sort=stars');
    await call(api.url, 'GET', '/repos/live/alpha', { headers: { 'x-request-id': 'live-exemplar-01' } });
    await call(api.url, 'GET', '/repos/live/missing');
    await call(api.url, 'GET', '/no-such-route');
    // POST /sync has alert rules of its own (SyncTriggerSlow) and is left out of the latency SLO.
    await call(api.url, 'POST', '/sync');
    // Enough allocation for a garbage collection: the GC histograms exist only after the first.
    for (let i = 0; i < 20; i++) {
      await Promise.all(Array.from({ length: 20 }, () => call(api.url, 'GET', '/repos?limit=100')));
    }
    await database.stop();
    for (let i = 0; i < 3; i++) expect((await call(api.url, 'GET', '/repos/live/alpha')).status).toBe(503);
    database = await startEmbeddedMongo({ dataDir: join(dataDir, 'mongo'), listen: dbListen });
    for (let attempt = 0; attempt < 40 && (await call(api.url, 'GET', '/readyz')).status !== 200; attempt++) await sleep(250);
    webhook = await startWebhook();
    const [promAddress, amAddress] = [await freeAddress(), await freeAddress()];
    alertmanager = await startAlertmanager(dataDir, amAddress, alertmanagerConfigForTest({ webhook: webhook.url, scaled: false }));
    writeRuleFiles(dataDir, { scaled: false });
    const services = {
      api: `127.0.0.1:${api.metricsPort}`,
      scheduler: `127.0.0.1:${scheduler.metricsPort}`,
      prometheus: promAddress,
      alertmanager: amAddress,
    };
    prometheus = await startPrometheus(dataDir, promAddress, prometheusConfigForLoopback({ services }), prometheusEnvironment());
    promUrl = prometheus.url;

    // Wait for both targets to be up and for a sync to have run and been scraped.
    for (let attempt = 0; attempt < 60; attempt++) {
      await sleep(500);
      const up = await query('sum(up)').catch(() => undefined);
      const synced = await query('sum(sync_runs_total{outcome="success"}) > 0').catch(() => undefined);
      if (up?.data.result.length && synced?.data.result.length) break;
    }
    await sleep(3000); // a few scrapes more, so rate() and increase() have two samples
  }, 120_000);

  afterAll(async () => {
    await Promise.all([prometheus?.stop(), alertmanager?.stop(), webhook?.stop()]);
    await Promise.all([api?.stop(), scheduler?.stop(), upstream?.stop()]);
    await database?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it('scrapes the api, the scheduler, itself and Alertmanager, with the stack\'s external labels', async () => {
    const up = await query('up');
    const jobs = (up.data.result as { metric: { job: string }; value: [number, string] }[]).map((r) => [r.metric.job, r.value[1]]);
    expect(jobs.sort()).toEqual([
      ['alertmanager', '1'],
      ['api', '1'],
      ['prometheus', '1'],
      ['scheduler', '1'],
    ]);
    const config = (await (await fetch(`${promUrl}/api/v1/status/config`)).json()) as { data: { yaml: string } };
    expect(config.data.yaml).toContain('stack: repo-monitor');
  });

  it('loads every rule file and sends its alerts to the Alertmanager running the stack\'s configuration', async () => {
    const rules = (await (await fetch(`${promUrl}/api/v1/rules`)).json()) as { data: { groups: { rules: { name: string; health: string }[] }[] } };
    const loaded = rules.data.groups.flatMap((group) => group.rules.filter((rule) => rule.health !== 'err').map((rule) => rule.name));
    for (const rule of alertRules()) expect(loaded, rule.alert).toContain(rule.alert);
    const managers = (await (await fetch(`${promUrl}/api/v1/alertmanagers`)).json()) as { data: { activeAlertmanagers: { url: string }[] } };
    expect(managers.data.activeAlertmanagers.map((manager) => manager.url)).toEqual([`${alertmanager.url}/api/v2/alerts`]);
    expect((await query('alertmanager_config_last_reload_successful')).data.result).toEqual([
      expect.objectContaining({ value: [expect.any(Number), '1'] }),
    ]);
  });

  it('has data for every series every alert rule reads, and evaluates every rule', async () => {
    const missing: string[] = [];
    for (const rule of alertRules()) {
      const evaluated = await query(rule.expr);
      expect(evaluated.status, `${rule.alert}: ${evaluated.error}`).toBe('success');
      for (const selector of selectors(rule.expr).filter((selector) => !fromExporters(selector))) {
        const result = await query(selector);
        if (!result.data.result.length) missing.push(`${rule.alert}: ${selector}`);
      }
    }
    expect(missing).toEqual([]);
  });

  it('answers every dashboard query with data', async () => {
    const all = dashboardQueries().filter((q) => q.datasource === 'prometheus');
    // node-exporter and cAdvisor do not run here: their panels must evaluate, and cannot have data.
    const readsExporters = (expr: string) => selectors(asGrafanaSends(expr)).some((selector) => EXPORTER_METRICS.has(/^\w+/.exec(selector)![0]));
    for (const panel of all.filter((q) => readsExporters(q.expr))) {
      const result = await query(asGrafanaSends(panel.expr));
      expect(result.status, `${panel.dashboard} / ${panel.panel}: ${result.error}`).toBe('success');
    }
    const panels = all.filter((q) => !readsExporters(q.expr));
    expect(panels.length).toBeGreaterThan(all.length / 2);
    let empty: string[] = [];
    // The GC histograms exist only after a process's first collection: allocate and look again.
    for (let attempt = 0; attempt < 6; attempt++) {
      empty = [];
      for (const panel of panels) {
        const result = await query(asGrafanaSends(panel.expr));
        expect(result.status, `${panel.dashboard} / ${panel.panel}: ${result.error}`).toBe('success');
        if (!result.data.result.length) empty.push(`${panel.dashboard} / ${panel.panel}: ${panel.expr}`);
      }
      if (empty.length === 0) break;
      await Promise.all(Array.from({ length: 100 }, () => call(api.url, 'GET', '/repos?limit=100')));
      await sleep(2000);
    }
    expect(empty).toEqual([]);
  }, 60_000);

  it('reads a 5xx ratio of 0 for a route that never failed, not "No data"', async () => {
    // Traffic Prometheus sees (it started after the rest): creations, none of which fails.
    for (let i = 0; i < 5; i++) expect((await call(api.url, 'POST', '/repos', { body: { owner: 'ratio', name: `r${i}` } })).status).toBe(201);
    await sleep(3000);
    const table = dashboardQueries().find((q) => q.panel === 'Routes: rate, errors, duration' && q.expr.includes('status_code=~"5.."'))!;
    const result = await query(table.expr.replaceAll('$__range', '1m').replace(/(\w+)\s*(=~|=|!=|!~)\s*"([^"]*\$[^"]*)"/g, '$1=~".*"'));
    const ratios = (result.data.result as { metric: { method: string; path: string }; value: [number, string] }[]).map((r) => [
      `${r.metric.method} ${r.metric.path}`,
      Number(r.value[1]),
    ]);
    // Without the zero fill this route would have no row: it has no 5xx series at all.
    expect(ratios).toContainEqual(['POST /repos', 0]);
  });

  it('stores the request id exemplars the latency panels link to the logs with', async () => {
    const now = Date.now() / 1000;
    const response = await fetch(
      `${promUrl}/api/v1/query_exemplars?query=${encodeURIComponent('http_request_duration_seconds_bucket{job="api"}')}&start=${now - 600}&end=${now + 60}`,
    );
    const body = (await response.json()) as { data: { exemplars: { labels: Record<string, string> }[] }[] };
    const ids = body.data.flatMap((series) => series.exemplars.map((exemplar) => exemplar.labels.request_id));
    expect(ids).toContain('live-exemplar-01');
  });
});
