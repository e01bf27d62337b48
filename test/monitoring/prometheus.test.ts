import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { alertRules, readText, readYaml, RULES_DIR, ruleFiles, ruleTestFiles, run } from './helpers.ts';

/**
 * Prometheus's configuration and alert rules, checked by Prometheus's own tools (promtool
 * from Debian's prometheus package) rather than by reading them back.
 */
const ALERTS = [
  'ErrorBudgetBurn',
  'LatencyBudgetBurn',
  'TargetDown',
  'DataStale',
  'SyncFailing',
  'SyncTriggerSlow',
  'RateLimitBudgetLow',
  'UpstreamThrottled',
  'SchedulerMissing',
  'SchedulerDuplicated',
  'DatabaseUnreachable',
  'EventLoopLag',
  'MemoryGrowth',
  'Watchdog',
  'LogShippingStopped',
  'LogLinesDropped',
  'DiskFillingUp',
  'ContainerRestarting',
  'ContainerCPUThrottled',
  'EdgeDown',
  'EdgeErrors',
];
/** Fires always, by design: it has no quiet test. */
const ALWAYS_FIRING = 'Watchdog';

describe('prometheus.yml', () => {
  it('passes promtool check config, rule files included', () => {
    const result = run('promtool', ['check', 'config', 'monitoring/prometheus/prometheus.yml']);
    expect(result.output, result.output).toContain(`SUCCESS: ${ruleFiles().length} rule files found`);
    expect(result.status, result.output).toBe(0);
  });

  it('finds every api and scheduler replica through the swarm, on METRICS_PORT', () => {
    const config = readYaml('monitoring/prometheus/prometheus.yml');
    const stack = readYaml('stack.yml');
    const swarm = config.scrape_configs.find((entry: any) => entry.job_name === 'swarm');
    expect(swarm?.dockerswarm_sd_configs).toEqual([expect.objectContaining({ role: 'tasks', host: 'unix:///var/run/docker.sock' })]);
    for (const job of ['api', 'scheduler']) {
      const labels = stack.services[job].deploy.labels;
      expect(labels, job).toEqual({ 'prometheus.job': job, 'prometheus.port': stack.services[job].environment.METRICS_PORT });
    }
  });

  it('gives every alert its runbook base URL from the environment, and never as an alert label', () => {
    const config = readYaml('monitoring/prometheus/prometheus.yml');
    expect(config.global.external_labels.runbook_base_url).toBe('${RUNBOOK_BASE_URL}');
    expect(config.alerting.alert_relabel_configs).toContainEqual({ action: 'labeldrop', regex: 'runbook_base_url' });
    expect(readYaml('stack.yml').services.prometheus.environment.RUNBOOK_BASE_URL).toMatch(/^\$\{RUNBOOK_BASE_URL:\?/);
  });
});

describe('alert rules', () => {
  it('pass promtool check rules', () => {
    const result = run('promtool', ['check', 'rules', ...ruleFiles()], { cwd: RULES_DIR });
    expect(result.status, result.output).toBe(0);
  });

  it('pass their promtool unit tests', () => {
    const result = run('promtool', ['test', 'rules', ...ruleTestFiles()], { cwd: RULES_DIR });
    expect(result.status, result.output).toBe(0);
    expect(result.output.match(/SUCCESS/g)?.length, result.output).toBe(ruleTestFiles().length);
  });

  it('are the alerts the monitoring issue asks for, no more, no fewer', () => {
    expect(new Set(alertRules().map((rule) => rule.alert))).toEqual(new Set(ALERTS));
  });

  it('each have a unit test where they fire and one where they stay quiet', () => {
    const coverage = new Map<string, { fires: number; quiet: number }>(ALERTS.map((name) => [name, { fires: 0, quiet: 0 }]));
    for (const file of ruleTestFiles()) {
      const doc = parseYaml(readFileSync(join(RULES_DIR, file), 'utf8'));
      for (const test of doc.tests) {
        for (const check of test.alert_rule_test ?? []) {
          const entry = coverage.get(check.alertname);
          expect(entry, `${file}: "${test.name}" tests unknown alert ${check.alertname}`).toBeDefined();
          if ((check.exp_alerts ?? []).length > 0) entry!.fires++;
          else entry!.quiet++;
        }
      }
    }
    const missing = [...coverage]
      .filter(([name, { fires, quiet }]) => fires === 0 || (quiet === 0 && name !== ALWAYS_FIRING))
      .map(([name]) => name);
    expect(missing, 'alerts without a firing or a quiet test').toEqual([]);
  });

  it('MemoryGrowth\'s threshold follows the memory limit of api and scheduler in stack.yml', () => {
    const rule = alertRules().find((candidate) => candidate.alert === 'MemoryGrowth')!;
    const stack = readYaml('stack.yml');
    for (const service of ['api', 'scheduler']) {
      const limit = stack.services[service].deploy.resources.limits.memory as string;
      expect(limit, service).toMatch(/^\d+M$/);
      expect(rule.expr, service).toContain(`> 0.9 * ${parseInt(limit, 10)} * 1024 * 1024`);
    }
  });

  it('each carry a severity Alertmanager routes, a summary, a description and a runbook that exists', () => {
    const runbook = readText('docs/alerts.md');
    for (const rule of alertRules()) {
      expect(rule.alert === ALWAYS_FIRING ? ['none'] : ['page', 'ticket'], rule.alert).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.annotations?.description, rule.alert).toBeTruthy();
      const anchor = `runbook-${rule.alert.toLowerCase()}`;
      expect(rule.annotations?.runbook_url, rule.alert).toBe(`{{ $externalLabels.runbook_base_url }}#${anchor}`);
      expect(runbook, `docs/alerts.md has no anchor ${anchor}`).toContain(`<a id="${anchor}"></a>`);
    }
  });

  it('state their objective and window where the SLO alerts are', () => {
    const text = readText('monitoring/prometheus/rules/service.rules.yml');
    expect(text).toMatch(/rolling 30-day window/);
    expect(text).toMatch(/99\.5% of API requests/);
    expect(text).toMatch(/99% of API requests answered within 500 ms/);
  });
});
