import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseLogfmt } from '../helpers/logs.ts';
import { alertRules, readText, readYaml, ROOT, run, stopProcess } from './helpers.ts';
import { freePort } from '../helpers/free-port.ts';
import { freeAddress, startAlertmanager, waitFor, type MonitoringProcess } from '../live/monitoring-processes.ts';

/**
 * Alertmanager's routes and inhibitions, checked with amtool and with a real Alertmanager
 * on loopback: alerts are posted to it and its API says which ones it suppressed.
 */
const CONFIG = 'monitoring/alertmanager/alertmanager.yml';

describe('alertmanager.yml', () => {
  it('passes amtool check-config', () => {
    const result = run('amtool', ['check-config', CONFIG]);
    expect(result.status, result.output).toBe(0);
  });

  it('routes every alert rule by its severity: page to oncall, ticket to tickets, the Watchdog to the dead man\'s switch', () => {
    const receiverFor = { page: 'oncall', ticket: 'tickets', none: 'deadmansswitch' } as Record<string, string>;
    for (const rule of alertRules()) {
      const severity = rule.labels!.severity!;
      const result = run('amtool', ['config', 'routes', 'test', `--config.file=${CONFIG}`, `alertname=${rule.alert}`, `severity=${severity}`]);
      expect(result.status, result.output).toBe(0);
      expect(result.output.trim().split('\n')[0], rule.alert).toBe(receiverFor[severity]);
    }
  });

  it('reads every destination from a secret the alertmanager service is given', () => {
    const config = readYaml(CONFIG);
    const files = config.receivers.flatMap((receiver: any) =>
      [...(receiver.slack_configs ?? []), ...(receiver.webhook_configs ?? [])].map((entry: any) => entry.api_url_file ?? entry.url_file),
    );
    expect(files).toHaveLength(3);
    const secrets = readYaml('stack.yml').services.alertmanager.secrets as string[];
    for (const file of files) expect(secrets, file).toContain(/^\/run\/secrets\/(\w+)$/.exec(file)?.[1]);
    expect(readText(CONFIG)).not.toMatch(/https?:\/\//);
  });

  it('inhibits only with alert names that exist in the rules', () => {
    const known = new Set(alertRules().map((rule) => rule.alert));
    const config = readYaml(CONFIG);
    for (const inhibit of config.inhibit_rules) {
      for (const matcher of [...inhibit.source_matchers, ...inhibit.target_matchers] as string[]) {
        const names = /^alertname=~?"(.+)"$/.exec(matcher)?.[1];
        if (!names) continue;
        for (const name of names.split('|')) expect(known, `${matcher} names ${name}`).toContain(name);
      }
    }
  });
});

describe('a real Alertmanager with this configuration', () => {
  let server: MonitoringProcess;
  let dataDir: string;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
    server = await startAlertmanager(dataDir, await freeAddress(), readText(CONFIG));
  });

  afterAll(async () => {
    await server?.stop();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const post = async (alerts: Array<Record<string, string>>) => {
    const startsAt = new Date().toISOString();
    const response = await fetch(`${server.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts.map((labels) => ({ labels, startsAt }))),
    });
    expect(response.status).toBe(200);
  };

  /** alertname/severity/job/instance/mountpoint/stack/site of every alert Alertmanager holds, and whether it is inhibited. */
  const states = async () => {
    const alerts = (await (await fetch(`${server.url}/api/v2/alerts`)).json()) as any[];
    return Object.fromEntries(
      alerts.map((alert) => [
        ['alertname', 'severity', 'job', 'instance', 'mountpoint', 'stack', 'site'].map((key) => alert.labels[key]).filter(Boolean).join('/'),
        alert.status.inhibitedBy.length > 0 ? 'inhibited' : 'active',
      ]),
    );
  };

  it('silences the symptoms of a cause in the same stack, and nothing else', async () => {
    await post([
      { alertname: 'DatabaseUnreachable', severity: 'page', stack: 'repo-monitor', job: 'api', instance: 'a:9464' },
      { alertname: 'ErrorBudgetBurn', severity: 'page', stack: 'repo-monitor' },
      { alertname: 'LatencyBudgetBurn', severity: 'page', stack: 'repo-monitor' },
      { alertname: 'SyncTriggerSlow', severity: 'ticket', stack: 'repo-monitor' },
      { alertname: 'ErrorBudgetBurn', severity: 'page', stack: 'staging' },
      { alertname: 'ErrorBudgetBurn', severity: 'ticket', stack: 'staging' },
      { alertname: 'SchedulerMissing', severity: 'ticket', stack: 'repo-monitor', job: 'scheduler' },
      { alertname: 'DataStale', severity: 'ticket', stack: 'repo-monitor' },
      { alertname: 'TargetDown', severity: 'ticket', stack: 'repo-monitor', job: 'scheduler', instance: 's:9464' },
      { alertname: 'TargetDown', severity: 'ticket', stack: 'repo-monitor', job: 'api', instance: 'b:9464' },
      { alertname: 'TargetDown', severity: 'page', stack: 'staging', job: 'api' },
      { alertname: 'TargetDown', severity: 'ticket', stack: 'staging', job: 'api', instance: 'c:9464' },
      { alertname: 'EdgeDown', severity: 'page', stack: 'repo-monitor', job: 'caddy' },
      { alertname: 'TargetDown', severity: 'ticket', stack: 'repo-monitor', job: 'caddy', instance: 'e:9180' },
      { alertname: 'TargetDown', severity: 'ticket', stack: 'staging', job: 'caddy', instance: 'f:9180' },
      { alertname: 'EdgeErrors', severity: 'page', stack: 'staging', site: 'api', host: 'api.staging.example.org' },
      { alertname: 'EdgeErrors', severity: 'page', stack: 'staging', site: 'grafana', host: 'grafana.staging.example.org' },
      { alertname: 'EdgeErrors', severity: 'page', stack: 'repo-monitor', site: 'api', host: 'api.example.org' },
      { alertname: 'UpstreamThrottled', severity: 'ticket', stack: 'repo-monitor' },
      { alertname: 'RateLimitBudgetLow', severity: 'ticket', stack: 'repo-monitor', job: 'scheduler', instance: 's:9464' },
      { alertname: 'DiskFillingUp', severity: 'page', stack: 'repo-monitor', instance: 'n1:9100', mountpoint: '/' },
      { alertname: 'DiskFillingUp', severity: 'ticket', stack: 'repo-monitor', instance: 'n1:9100', mountpoint: '/' },
      { alertname: 'DiskFillingUp', severity: 'ticket', stack: 'repo-monitor', instance: 'n2:9100', mountpoint: '/' },
      { alertname: 'Watchdog', severity: 'none', stack: 'repo-monitor' },
    ]);
    expect(await states()).toEqual({
      'DatabaseUnreachable/page/api/a:9464/repo-monitor': 'active',
      'ErrorBudgetBurn/page/repo-monitor': 'inhibited',
      'LatencyBudgetBurn/page/repo-monitor': 'inhibited',
      'SyncTriggerSlow/ticket/repo-monitor': 'inhibited',
      'ErrorBudgetBurn/page/staging': 'active', // another stack's database is not the cause
      'ErrorBudgetBurn/ticket/staging': 'inhibited', // its page says it already
      'SchedulerMissing/ticket/scheduler/repo-monitor': 'active',
      'DataStale/ticket/repo-monitor': 'inhibited',
      'TargetDown/ticket/scheduler/s:9464/repo-monitor': 'inhibited',
      'TargetDown/ticket/api/b:9464/repo-monitor': 'active',
      'TargetDown/page/api/staging': 'active',
      'TargetDown/ticket/api/c:9464/staging': 'inhibited', // no api replica at all covers it
      'EdgeDown/page/caddy/repo-monitor': 'active',
      'TargetDown/ticket/caddy/e:9180/repo-monitor': 'inhibited', // EdgeDown says it
      'TargetDown/ticket/caddy/f:9180/staging': 'active',
      'EdgeErrors/page/staging/api': 'inhibited', // no api replica at all: why the edge answers 502
      'EdgeErrors/page/staging/grafana': 'active',
      'EdgeErrors/page/repo-monitor/api': 'active', // some api replicas are still up here
      'UpstreamThrottled/ticket/repo-monitor': 'active',
      'RateLimitBudgetLow/ticket/scheduler/s:9464/repo-monitor': 'inhibited',
      'DiskFillingUp/page/n1:9100///repo-monitor': 'active',
      'DiskFillingUp/ticket/n1:9100///repo-monitor': 'inhibited', // the same filesystem pages
      'DiskFillingUp/ticket/n2:9100///repo-monitor': 'active',
      'Watchdog/none/repo-monitor': 'active',
    });
  });
});

describe('notifications from a real Alertmanager through the receivers\' secret files', () => {
  let alertmanager: MonitoringProcess;
  let sink: ChildProcess;
  let dir: string;
  const sinkLines: string[] = [];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'alert-delivery-'));
    // The demo's sink on loopback, as the receivers' destination.
    const sinkPort = await freePort();
    sink = spawn(process.execPath, [join(ROOT, 'monitoring/alertmanager/webhook-sink.ts')], {
      env: { ...process.env, ALERT_SINK_HOST: '127.0.0.1', ALERT_SINK_PORT: String(sinkPort) },
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    sink.stdout!.setEncoding('utf8').on('data', (chunk: string) => sinkLines.push(...chunk.split('\n').filter(Boolean)));
    await waitFor('the sink answering', async () => (await fetch(`http://127.0.0.1:${sinkPort}/`)).ok || undefined, 10_000, 100);
    // The secrets as swarm mounts them: one file each, here with a trailing newline as `echo` writes.
    for (const receiver of ['oncall', 'tickets', 'deadmansswitch']) {
      const secret = { oncall: 'alert_slack_api_url', tickets: 'alert_webhook_url', deadmansswitch: 'alert_deadmansswitch_url' }[receiver]!;
      writeFileSync(join(dir, secret), `http://127.0.0.1:${sinkPort}/${receiver}\n`);
    }
    // The configuration under test, with the secrets' directory moved and the first wait
    // of each group shortened from 30 s so the test does not sit through it.
    const config = readText(CONFIG).replaceAll('/run/secrets/', `${dir}/`).replace(/group_wait: 30s/, 'group_wait: 1s');
    alertmanager = await startAlertmanager(dir, await freeAddress(), config);
  });

  afterAll(async () => {
    await Promise.all([alertmanager?.stop(), stopProcess(sink)]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  const runbook = (alert: string) => `https://runbooks.example.org/alerts#runbook-${alert.toLowerCase()}`;
  const alert = (labels: Record<string, string>) => ({
    labels: { stack: 'repo-monitor', ...labels },
    annotations: { summary: `${labels.alertname} summary`, description: 'what it means', runbook_url: runbook(labels.alertname!) },
    startsAt: new Date().toISOString(),
  });

  it('delivers the Watchdog to the dead man\'s switch, a page to Slack with its runbook link, a ticket to the webhook', async () => {
    const response = await fetch(`${alertmanager.url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify([
        alert({ alertname: 'Watchdog', severity: 'none' }),
        alert({ alertname: 'ErrorBudgetBurn', severity: 'page' }),
        alert({ alertname: 'DataStale', severity: 'ticket' }),
      ]),
    });
    expect(response.status).toBe(200);
    const notified = (receiver: string) => sinkLines.some((line) => line.includes(`receiver=${receiver} `));
    await waitFor('a notification logged by the sink for each receiver', () => ['deadmansswitch', 'oncall', 'tickets'].every(notified) || undefined, 20_000).catch((error: Error) => {
      throw new Error(`${error.message}; it logged:\n${sinkLines.join('\n')}`);
    });

    const fields = (receiver: string) => parseLogfmt(sinkLines.filter((line) => line.includes(`receiver=${receiver} `)))[0]!;
    expect(fields('deadmansswitch')).toMatchObject({ msg: 'alert notification', status: 'firing', alertname: 'Watchdog', severity: 'none' });
    expect(fields('oncall')).toMatchObject({
      msg: 'alert notification',
      title: '[FIRING:1] ErrorBudgetBurn (repo-monitor)',
      runbook_url: runbook('ErrorBudgetBurn'),
    });
    expect(fields('oncall').text).toContain('ErrorBudgetBurn summary');
    expect(fields('oncall').text).toContain(`Runbook: ${runbook('ErrorBudgetBurn')}`);
    expect(fields('tickets')).toMatchObject({ alertname: 'DataStale', severity: 'ticket', runbook_url: runbook('DataStale') });
    // Each receiver got only its own alert.
    expect(sinkLines.filter((line) => line.includes('msg="alert notification"'))).toHaveLength(3);
  }, 30_000);
});
