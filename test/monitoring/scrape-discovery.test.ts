import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freeAddress, startPrometheus, waitFor, type MonitoringProcess } from '../live/monitoring-processes.ts';
import { readYaml, RULES_DIR } from './helpers.ts';

/**
 * prometheus.yml's swarm discovery, relabelling and runbook links, run by a real Prometheus.
 * No swarm here: the targets reach Prometheus through a file_sd file carrying the
 * __meta_dockerswarm_* labels dockerswarm_sd_configs gives a task, and the scrape job keeps
 * prometheus.yml's own relabel rules. The targets are small loopback servers exposing the
 * series the app and cAdvisor expose; Alertmanager is a loopback server recording what
 * Prometheus sends it.
 */
const RUNBOOK_BASE_URL = 'https://runbooks.example.org/docs/alerts.md';
/** How long each test waits for Prometheus to show what it checks. */
const TIMEOUT_MS = 20_000;

interface Exposition {
  server: Server;
  port: number;
}

async function serve(handler: Parameters<typeof createServer>[1]): Promise<Exposition> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, port: (server.address() as AddressInfo).port };
}

const metrics = (body: string) => serve((_request, response) => response.writeHead(200, { 'content-type': 'text/plain; version=0.0.4' }).end(body));

/** The labels dockerswarm_sd_configs (role tasks) gives one task on one network. */
function swarmTask(options: { service: string; slot?: string; network: string; node: string; labels: Record<string, string>; state?: string }) {
  const serviceLabels = Object.fromEntries(
    Object.entries(options.labels).map(([key, value]) => [`__meta_dockerswarm_service_label_${key.replace(/\W/g, '_')}`, value]),
  );
  return {
    // A task without published ports is given the SD config's port (80 by default).
    targets: ['127.0.0.1:80'],
    labels: {
      __meta_dockerswarm_service_name: options.service,
      __meta_dockerswarm_task_slot: options.slot ?? '',
      __meta_dockerswarm_task_state: options.state ?? 'running',
      __meta_dockerswarm_network_name: options.network,
      __meta_dockerswarm_node_hostname: options.node,
      ...serviceLabels,
    },
  };
}

describe('a real Prometheus with prometheus.yml\'s swarm scrape job', () => {
  let prometheus: MonitoringProcess;
  let dir: string;
  let app: Exposition;
  let cadvisor: Exposition;
  let alertmanager: Exposition;
  const sentAlerts: Array<{ labels: Record<string, string>; annotations: Record<string, string> }> = [];

  const query = async (expr: string) => {
    const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await response.json()) as { data: { result: Array<{ metric: Record<string, string> }> } };
    return body.data.result.map((sample) => sample.metric);
  };

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'scrape-discovery-'));
    app = await metrics('app_build_info{version="1.2.3",node_version="v26.0.0"} 1\n');
    cadvisor = await metrics(
      'container_start_time_seconds{container_label_com_docker_swarm_service_name="repo-monitor_api",' +
        'container_label_com_docker_swarm_task_name="repo-monitor_api.2.q1w2e3r4t5y6",id="/docker/abc",name="repo-monitor_api.2.q1w2e3r4t5y6"} 1.7e9\n',
    );
    alertmanager = await serve((request, response) => {
      let body = '';
      request.on('data', (chunk) => (body += chunk));
      request.on('end', () => {
        if (request.url === '/api/v2/alerts') sentAlerts.push(...JSON.parse(body));
        response.writeHead(200).end();
      });
    });

    const tasks = [
      swarmTask({ service: 'repo-monitor_api', slot: '2', network: 'repo-monitor_monitoring', node: 'n1', labels: { 'prometheus.job': 'api', 'prometheus.port': String(app.port) } }),
      // The same task on its other network, an unlabelled service, a task not running yet:
      // none of them is a target.
      swarmTask({ service: 'repo-monitor_api', slot: '2', network: 'repo-monitor_app', node: 'n1', labels: { 'prometheus.job': 'api', 'prometheus.port': String(app.port) } }),
      swarmTask({ service: 'repo-monitor_mongo', slot: '1', network: 'repo-monitor_app', node: 'n1', labels: {} }),
      swarmTask({ service: 'repo-monitor_api', slot: '3', network: 'repo-monitor_monitoring', node: 'n2', labels: { 'prometheus.job': 'api', 'prometheus.port': String(app.port) }, state: 'preparing' }),
      // A global service: no slot, one task per node.
      swarmTask({ service: 'repo-monitor_cadvisor', network: 'repo-monitor_monitoring', node: 'n1', labels: { 'prometheus.job': 'cadvisor', 'prometheus.port': String(cadvisor.port) } }),
    ];
    writeFileSync(join(dir, 'tasks.json'), JSON.stringify(tasks));

    const stackConfig = readYaml('monitoring/prometheus/prometheus.yml');
    const swarm = stackConfig.scrape_configs.find((job: any) => job.job_name === 'swarm');
    const config = {
      global: { ...stackConfig.global, scrape_interval: '1s', evaluation_interval: '1s' },
      rule_files: [join(RULES_DIR, 'monitoring.rules.yml')],
      alerting: {
        alert_relabel_configs: stackConfig.alerting.alert_relabel_configs,
        alertmanagers: [{ static_configs: [{ targets: [`127.0.0.1:${alertmanager.port}`] }] }],
      },
      scrape_configs: [
        {
          job_name: 'swarm',
          file_sd_configs: [{ files: [join(dir, 'tasks.json')], refresh_interval: '1s' }],
          relabel_configs: swarm.relabel_configs,
          metric_relabel_configs: swarm.metric_relabel_configs,
        },
      ],
    };
    prometheus = await startPrometheus(
      dir,
      await freeAddress(),
      JSON.stringify(config),
      { RUNBOOK_BASE_URL },
      // A firing alert is sent again after this delay: should its first notification go out
      // before Prometheus has found the Alertmanager (a loaded machine), the next one comes a
      // second later rather than after the default minute, past this test's wait.
      ['--rules.alert.resend-delay=1s'],
    );
  }, 30_000);

  afterAll(async () => {
    await prometheus?.stop();
    for (const exposition of [app, cadvisor, alertmanager]) exposition?.server.close();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('scrapes only running, labelled tasks, on the monitoring network, at their prometheus.port', async () => {
    const targets = await waitFor('two healthy targets in Prometheus', async () => {
      const response = await fetch(`${prometheus.url}/api/v1/targets?state=active`);
      const body = (await response.json()) as { data: { activeTargets: Array<{ labels: Record<string, string>; health: string }> } };
      const active = body.data.activeTargets;
      return active.length >= 2 && active.every((target) => target.health === 'up') ? active : undefined;
    }, TIMEOUT_MS, 250);
    expect(targets.map((target) => target.labels).sort((a, b) => a.job!.localeCompare(b.job!))).toEqual([
      { job: 'api', instance: `127.0.0.1:${app.port}`, task: 'repo-monitor_api.2', node: 'n1' },
      { job: 'cadvisor', instance: `127.0.0.1:${cadvisor.port}`, node: 'n1' },
    ]);
  });

  it('names each replica of the app by service and slot', async () => {
    const series = await waitFor('app_build_info in Prometheus', async () => (await query('app_build_info')).at(0), TIMEOUT_MS, 250);
    expect(series).toMatchObject({ job: 'api', task: 'repo-monitor_api.2', node: 'n1', version: '1.2.3' });
  });

  it('gives cAdvisor\'s series the swarm service and task in short labels, the long ones dropped', async () => {
    const series = await waitFor('container_start_time_seconds in Prometheus', async () => (await query('container_start_time_seconds')).at(0), TIMEOUT_MS, 250);
    expect(series).toEqual({
      __name__: 'container_start_time_seconds',
      job: 'cadvisor',
      instance: `127.0.0.1:${cadvisor.port}`,
      node: 'n1',
      service: 'repo-monitor_api',
      task: 'repo-monitor_api.2',
      id: '/docker/abc',
      name: 'repo-monitor_api.2.q1w2e3r4t5y6',
    });
  });

  it('builds absolute runbook links from RUNBOOK_BASE_URL, and keeps the URL out of the alert\'s labels', async () => {
    const watchdog = await waitFor('the Watchdog sent to Alertmanager', () => sentAlerts.find((alert) => alert.labels.alertname === 'Watchdog'), TIMEOUT_MS, 250);
    expect(watchdog.annotations.runbook_url).toBe(`${RUNBOOK_BASE_URL}#runbook-watchdog`);
    expect(watchdog.labels).toEqual({ alertname: 'Watchdog', severity: 'none', stack: 'repo-monitor' });
  });
});
