import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { alertRules, readYaml, ROOT, run, toolPath } from './helpers.ts';

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

  it('routes every alert rule by its severity: page to oncall, ticket to tickets', () => {
    const receiverFor = { page: 'oncall', ticket: 'tickets' } as Record<string, string>;
    for (const rule of alertRules()) {
      const severity = rule.labels!.severity!;
      const result = run('amtool', ['config', 'routes', 'test', `--config.file=${CONFIG}`, `alertname=${rule.alert}`, `severity=${severity}`]);
      expect(result.status, result.output).toBe(0);
      expect(result.output.trim().split('\n')[0], rule.alert).toBe(receiverFor[severity]);
    }
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
  let server: ChildProcess;
  let url: string;
  let dataDir: string;

  beforeAll(async () => {
    const binary = toolPath('alertmanager');
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    dataDir = mkdtempSync(join(tmpdir(), 'alertmanager-'));
    server = spawn(
      binary,
      [`--config.file=${join(ROOT, CONFIG)}`, `--storage.path=${dataDir}`, `--web.listen-address=127.0.0.1:${port}`, '--cluster.listen-address='],
      { stdio: 'ignore' },
    );
    await waitForReady(`${url}/-/ready`);
  });

  afterAll(() => {
    server?.kill();
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  const post = async (alerts: Array<Record<string, string>>) => {
    const startsAt = new Date().toISOString();
    const response = await fetch(`${url}/api/v2/alerts`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(alerts.map((labels) => ({ labels, startsAt }))),
    });
    expect(response.status).toBe(200);
  };

  /** alertname/job/stack of every alert Alertmanager holds, and whether it is inhibited. */
  const states = async () => {
    const alerts = (await (await fetch(`${url}/api/v2/alerts`)).json()) as any[];
    return Object.fromEntries(
      alerts.map((alert) => [
        [alert.labels.alertname, alert.labels.job, alert.labels.stack].filter(Boolean).join('/'),
        alert.status.inhibitedBy.length > 0 ? 'inhibited' : 'active',
      ]),
    );
  };

  it('silences the symptoms of a cause in the same stack, and nothing else', async () => {
    await post([
      { alertname: 'DatabaseUnreachable', severity: 'page', stack: 'repo-monitor', job: 'api', instance: 'a:9464' },
      { alertname: 'HighErrorRatio', severity: 'page', stack: 'repo-monitor' },
      { alertname: 'LatencySLOBreached', severity: 'page', stack: 'repo-monitor' },
      { alertname: 'HighErrorRatio', severity: 'page', stack: 'staging' },
      { alertname: 'SchedulerMissing', severity: 'ticket', stack: 'repo-monitor', job: 'scheduler' },
      { alertname: 'DataStale', severity: 'ticket', stack: 'repo-monitor' },
      { alertname: 'TargetDown', severity: 'ticket', stack: 'repo-monitor', job: 'scheduler', instance: 's:9464' },
      { alertname: 'TargetDown', severity: 'ticket', stack: 'repo-monitor', job: 'api', instance: 'b:9464' },
      { alertname: 'UpstreamThrottled', severity: 'ticket', stack: 'repo-monitor' },
      { alertname: 'RateLimitBudgetLow', severity: 'ticket', stack: 'repo-monitor', job: 'scheduler', instance: 's:9464' },
    ]);
    expect(await states()).toEqual({
      'DatabaseUnreachable/api/repo-monitor': 'active',
      'HighErrorRatio/repo-monitor': 'inhibited',
      'LatencySLOBreached/repo-monitor': 'inhibited',
      'HighErrorRatio/staging': 'active', // another stack's database is not the cause
      'SchedulerMissing/scheduler/repo-monitor': 'active',
      'DataStale/repo-monitor': 'inhibited',
      'TargetDown/scheduler/repo-monitor': 'inhibited',
      'TargetDown/api/repo-monitor': 'active',
      'UpstreamThrottled/repo-monitor': 'active',
      'RateLimitBudgetLow/scheduler/repo-monitor': 'inhibited',
    });
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

async function waitForReady(readyUrl: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      if ((await fetch(readyUrl)).ok) return;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`Alertmanager not ready at ${readyUrl} after ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
