import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startEmbeddedMongo, type EmbeddedMongo } from '../../scripts/lib/embedded-mongo.ts';
import { startFakeGitHub } from '../../tools/fake-github/server.ts';
import { call, startService, type RunningService } from '../helpers/service.ts';
import { readYaml, run } from '../monitoring/helpers.ts';
import { firingAlerts, freeAddress, instantQuery, sleep, startAlertmanager, startPrometheus, startWebhook, waitFor, type MonitoringProcess } from './monitoring-processes.ts';
import { alertmanagerConfigForTest, prometheusConfigForLoopback, prometheusEnvironment, symptomsOf, writeRuleFiles } from './stack-configs.ts';
import { durationMs, scaledWait, TIME_SCALE } from './time-scale.ts';

/**
 * Alerts delivered end to end, from a real fault to a real notification: a real api and
 * scheduler process, the fake GitHub, a database of this test's own (the shared one must
 * survive), a real Prometheus with the stack's prometheus.yml and rule files, a real
 * Alertmanager with the stack's alertmanager.yml, and a webhook that records what arrives.
 *
 * The rules wait minutes before firing and Alertmanager batches for minutes, so the rule
 * files and the route timing are derived copies with every duration scaled by TIME_SCALE
 * (time-scale.ts, the one place); what else is changed for loopback is in stack-configs.ts.
 * Each phase prints the time from the fault (or the repair) to the notification.
 */
const CAUSE = 'DatabaseUnreachable';
const SYMPTOMS = symptomsOf(CAUSE);

describe('alerts from a real fault to the webhook', () => {
  let dir: string;
  let dbAddress: string;
  let database: EmbeddedMongo;
  let upstream: Awaited<ReturnType<typeof startFakeGitHub>>;
  let api: RunningService;
  let scheduler: RunningService;
  let webhook: Awaited<ReturnType<typeof startWebhook>>;
  let alertmanager: MonitoringProcess;
  let prometheus: MonitoringProcess;
  let alertmanagerYml: string;

  /** Alerts Prometheus has firing now, by name. */
  const firingInPrometheus = async () => (await firingAlerts(prometheus.url)).map((alert) => alert.labels.alertname!);
  /** The first delivered alert of that name and status received at or after `since`. */
  const delivered = (name: string, status: 'firing' | 'resolved', since: number) =>
    webhook.delivered().find((alert) => alert.labels.alertname === name && alert.status === status && alert.at >= since);
  /** Waits for the notification and prints the time from the fault to its arrival. */
  const notified = async (name: string, status: 'firing' | 'resolved', faultAt: number, timeoutMs: number) => {
    const alert = await waitFor(`${name} ${status} at the webhook`, () => delivered(name, status, faultAt), timeoutMs);
    const seconds = (alert.at - faultAt) / 1000;
    process.stdout.write(`alert e2e: ${name} ${status} delivered ${seconds.toFixed(1)} s after the ${status === 'firing' ? 'fault' : 'repair'} (durations x${TIME_SCALE.toFixed(4)})\n`);
    return alert;
  };
  /** The receiver alertmanager.yml's route tree gives these labels (amtool, on the file under test). */
  const receiverFor = (labels: Record<string, string>) =>
    run('amtool', ['config', 'routes', 'test', `--config.file=${alertmanagerYml}`, ...Object.entries(labels).map(([key, value]) => `${key}=${value}`)]).output.trim().split('\n')[0];

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'repo-monitor-alerts-'));
    dbAddress = await freeAddress();
    database = await startEmbeddedMongo({ dataDir: join(dir, 'mongo'), listen: dbAddress });
    upstream = await startFakeGitHub({ port: 0 });
    const env = {
      MONGODB_URI: database.uri,
      UPSTREAM_URL: upstream.url,
      GITHUB_TOKEN: 'alerts-e2e-token',
      METRICS_PORT: '0',
      // mongodb_up pings at scrape time: the ping must give up well within the 1s scrape.
      DB_TIMEOUT_MS: '300',
    };
    [api, scheduler] = await Promise.all([
      startService({ ...env, ROLE: 'api' }),
      startService({ ...env, ROLE: 'scheduler', SYNC_SCHEDULE: '* * * * * *', SYNC_DEADLINE: '1s' }),
    ]);
    expect((await call(api.url, 'POST', '/repos', { body: { owner: 'alerts', name: 'e2e' } })).status).toBe(201);

    webhook = await startWebhook();
    const [promAddress, amAddress] = [await freeAddress(), await freeAddress()];
    alertmanager = await startAlertmanager(dir, amAddress, alertmanagerConfigForTest({ webhook: webhook.url, scaled: true }));
    alertmanagerYml = join(dir, 'alertmanager.yml');
    writeRuleFiles(dir, { scaled: true });
    const services = { api: `127.0.0.1:${api.metricsPort}`, scheduler: `127.0.0.1:${scheduler.metricsPort}`, prometheus: promAddress, alertmanager: amAddress };
    prometheus = await startPrometheus(dir, promAddress, prometheusConfigForLoopback({ services }), prometheusEnvironment());
    // Healthy first: the database answers both processes and a sync has succeeded.
    await waitFor('a healthy, synced service in Prometheus', async () => ((await instantQuery(prometheus.url, 'min(mongodb_up) == 1 and sum(sync_runs_total{outcome="success"}) > 0')).length ? true : undefined), 30_000);
  }, 60_000);

  afterAll(async () => {
    await Promise.all([prometheus?.stop(), alertmanager?.stop(), webhook?.stop()]);
    await Promise.all([api?.stop(), scheduler?.stop(), upstream?.stop()]);
    await database?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('the inhibit rules name symptoms of a lost database', () => {
    expect(SYMPTOMS.length).toBeGreaterThan(0);
  });

  it(`database down: ${CAUSE} reaches the webhook, its symptoms fire but are not delivered while it does; back up: resolved`, async () => {
    await database.stop();
    const faultAt = Date.now();
    // Clients keep calling during the outage: every answer is a 503, the symptoms' cause.
    let clients = true;
    const traffic = (async () => {
      while (clients) await Promise.all(Array.from({ length: 5 }, () => call(api.url, 'GET', '/repos/alerts/e2e').catch(() => undefined)));
    })();

    const firing = await notified(CAUSE, 'firing', faultAt, 30_000);
    expect(firing.receiver).toBe(receiverFor({ ...firing.labels }));
    expect(firing.labels.stack).toBe('repo-monitor'); // the external label, which the inhibit rules compare
    // A symptom fires in Prometheus and reaches Alertmanager, which holds it back.
    const symptom = await waitFor('a symptom firing in Prometheus', async () => (await firingInPrometheus()).find((name) => SYMPTOMS.includes(name)), 30_000);
    process.stdout.write(`alert e2e: ${symptom} fires in Prometheus while ${CAUSE} does\n`);
    await waitFor(`${symptom} inhibited in Alertmanager`, async () => {
      const alerts = (await (await fetch(`${alertmanager.url}/api/v2/alerts?filter=alertname%3D%22${symptom}%22`)).json()) as any[];
      return alerts.some((alert) => alert.status.inhibitedBy.length > 0) || undefined;
    }, 10_000);

    // One more notification cycle of its group while inhibited: nothing may come of it.
    await sleep(durationMs(scaledWait(readYaml('monitoring/alertmanager/alertmanager.yml').route.group_interval)) + 1000);

    database = await startEmbeddedMongo({ dataDir: join(dir, 'mongo'), listen: dbAddress });
    const restoredAt = Date.now();
    clients = false;
    await traffic;
    // While the database was down no symptom was delivered. (Inhibition lasts as long as the
    // cause fires: a symptom still firing after that, such as a burn-rate alert whose long
    // window still holds the outage's errors, is delivered then, as it should be.)
    expect(webhook.delivered().filter((alert) => SYMPTOMS.includes(alert.labels.alertname!) && alert.at < restoredAt)).toEqual([]);
    await notified(CAUSE, 'resolved', restoredAt, 30_000);
  }, 120_000);

  it('upstream outage: SyncFailing reaches the webhook', async () => {
    const fault = upstream.control.addFault({ type: 'outage', mode: 'unavailable' });
    const faultAt = Date.now();
    try {
      const firing = await notified('SyncFailing', 'firing', faultAt, 60_000);
      expect(firing.receiver).toBe(receiverFor({ ...firing.labels }));
    } finally {
      upstream.control.removeFault(fault.id);
    }
  }, 90_000);

  it('scheduler stopped: SchedulerMissing reaches the webhook', async () => {
    await scheduler.stop();
    const faultAt = Date.now();
    const firing = await notified('SchedulerMissing', 'firing', faultAt, 30_000);
    expect(firing.receiver).toBe(receiverFor({ ...firing.labels }));
  }, 60_000);
});
