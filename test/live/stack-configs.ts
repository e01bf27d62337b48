import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { ROOT, RULES_DIR, ruleFiles } from '../monitoring/helpers.ts';
import { scaleDuration, scalePromQL, SCRAPE_INTERVAL } from './time-scale.ts';

/**
 * The stack's own monitoring configuration (monitoring/prometheus/prometheus.yml, its rule
 * files, monitoring/alertmanager/alertmanager.yml), changed by code for processes on loopback.
 * Each function lists exactly what it replaces; everything else is the file as deployed.
 */
export const PROMETHEUS_YML = join(ROOT, 'monitoring/prometheus/prometheus.yml');
export const ALERTMANAGER_YML = join(ROOT, 'monitoring/alertmanager/alertmanager.yml');

const readYamlFile = (path: string): any => parseYaml(readFileSync(path, 'utf8'), { merge: true });
const isDiscovery = (key: string) => key === 'static_configs' || key.endsWith('_sd_configs');

/** The labels a discovery sets on what it finds, as the static replacement sets them. */
function discoveryLabels(entry: Record<string, any>): Record<string, string> {
  const dnsName = entry.dns_sd_configs?.[0]?.names?.[0];
  return dnsName ? { __meta_dns_name: dnsName } : {};
}

/** One static target in place of whatever discovery the entry had; other keys kept. */
function withStaticTarget(entry: Record<string, any>, target: string): Record<string, any> {
  const kept = Object.fromEntries(Object.entries(entry).filter(([key]) => !isDiscovery(key)));
  const labels = discoveryLabels(entry);
  return { ...kept, static_configs: [{ targets: [target], ...(Object.keys(labels).length > 0 && { labels }) }] };
}

export interface PrometheusOnLoopback {
  /** host:port of the process playing each scrape job, by job name. */
  targets: Record<string, string>;
  /** host:port of the test's Alertmanager; without it Prometheus sends alerts nowhere. */
  alertmanager?: string;
}

/**
 * prometheus.yml for a Prometheus on loopback. Replaced, and nothing else:
 * - each scrape job's discovery (`dns_sd_configs` on `tasks.<service>`, which resolves only
 *   inside the swarm, or a static address of the swarm) by a static loopback target, with
 *   the `__meta_dns_name` label DNS discovery would have set, so relabelling sees what it sees
 *   in the swarm. Jobs with no process on loopback (Loki, Grafana: they cannot run here) are
 *   left out, so they do not show as targets down.
 * - the alerting block's discovery (`tasks.alertmanager`) by the test's Alertmanager.
 * - `global.scrape_interval` and `evaluation_interval` (15s) by SCRAPE_INTERVAL: the tests
 *   need data within seconds.
 * Kept as deployed: rule_files (relative, so rules/ beside the written file), external labels,
 * relabel configs, alert relabelling, storage settings.
 */
export function prometheusConfigForLoopback({ targets, alertmanager }: PrometheusOnLoopback): string {
  const config = readYamlFile(PROMETHEUS_YML);
  config.global = { ...config.global, scrape_interval: SCRAPE_INTERVAL, evaluation_interval: SCRAPE_INTERVAL };
  config.scrape_configs = (config.scrape_configs as Array<Record<string, any>>)
    .filter((job) => targets[job.job_name] !== undefined)
    .map((job) => withStaticTarget(job, targets[job.job_name]!));
  const managers = (config.alerting?.alertmanagers ?? []) as Array<Record<string, any>>;
  if (config.alerting) config.alerting.alertmanagers = alertmanager ? managers.map((entry) => withStaticTarget(entry, alertmanager)) : [];
  return toYaml(config);
}

/**
 * Writes the rule files where prometheus.yml's relative `rule_files` finds them (dir/rules/):
 * as deployed, or with every duration scaled (time-scale.ts) for the alert test.
 */
export function writeRuleFiles(dir: string, { scaled }: { scaled: boolean }): void {
  mkdirSync(join(dir, 'rules'), { recursive: true });
  for (const file of ruleFiles()) {
    const text = readFileSync(join(RULES_DIR, file), 'utf8');
    writeFileSync(join(dir, 'rules', file), scaled ? toYaml(scaleRuleFile(parseYaml(text))) : text);
  }
}

/** A rule file with `for:`, `keep_firing_for:` and every duration in its expressions scaled. */
function scaleRuleFile(doc: { groups: Array<{ interval?: string; rules: Array<Record<string, any>> }> }) {
  for (const group of doc.groups) {
    if (group.interval) group.interval = SCRAPE_INTERVAL;
    for (const rule of group.rules) {
      rule.expr = scalePromQL(String(rule.expr));
      for (const key of ['for', 'keep_firing_for']) if (rule[key]) rule[key] = scaleDuration(rule[key]);
    }
  }
  return doc;
}

export interface AlertmanagerOptions {
  /** Base URL of the test's webhook; each receiver posts to `<base>/<receiver name>`. */
  webhook: string;
  /** Scale the route tree's group_wait, group_interval and repeat_interval (time-scale.ts). */
  scaled: boolean;
}

/**
 * alertmanager.yml delivering to the test's webhook. Replaced, and nothing else: each
 * receiver's notification configs (whatever kinds the file defines: e-mail, chat, pager,
 * with their secret files) by one webhook to `<webhook>/<receiver name>` with send_resolved,
 * so the test sees which receiver the route tree chose; with `scaled`, the route tree's timing.
 * Kept as deployed: the route tree, its matchers and grouping, the inhibit rules.
 */
export function alertmanagerConfigForTest({ webhook, scaled }: AlertmanagerOptions): string {
  const config = readYamlFile(ALERTMANAGER_YML);
  config.receivers = (config.receivers as Array<{ name: string }>).map(({ name }) => ({
    name,
    webhook_configs: [{ url: `${webhook}/${encodeURIComponent(name)}`, send_resolved: true }],
  }));
  if (scaled) scaleRoute(config.route);
  return toYaml(config);
}

function scaleRoute(route: Record<string, any>): void {
  for (const key of ['group_wait', 'group_interval', 'repeat_interval']) if (route[key]) route[key] = scaleDuration(route[key]);
  for (const child of route.routes ?? []) scaleRoute(child);
}

/** The alert names an inhibit rule of alertmanager.yml mutes while `cause` fires. */
export function symptomsOf(cause: string): string[] {
  const config = readYamlFile(ALERTMANAGER_YML);
  const names = (matchers: string[] = []) => matchers.flatMap((matcher) => /^alertname\s*=~?\s*"?([^"]+)"?$/.exec(matcher)?.[1]?.split('|') ?? []);
  return (config.inhibit_rules as Array<{ source_matchers?: string[]; target_matchers?: string[] }>)
    .filter((rule) => names(rule.source_matchers).includes(cause))
    .flatMap((rule) => names(rule.target_matchers));
}
