import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import { join } from 'node:path';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { readYaml, RULES_DIR, ruleFiles } from '../monitoring/helpers.ts';
import { scaledWait, scaleDuration, scalePromQL, SCRAPE_INTERVAL } from './time-scale.ts';

/**
 * The stack's own monitoring configuration (monitoring/prometheus/prometheus.yml, its rule
 * files, monitoring/alertmanager/alertmanager.yml), changed by code for processes on loopback.
 * Each function lists exactly what it replaces; everything else is the file as deployed.
 */
const PROMETHEUS_YML = 'monitoring/prometheus/prometheus.yml';
const ALERTMANAGER_YML = 'monitoring/alertmanager/alertmanager.yml';

const isDiscovery = (key: string) => key === 'static_configs' || key.endsWith('_sd_configs');
const withoutDiscovery = (entry: Record<string, any>) => Object.fromEntries(Object.entries(entry).filter(([key]) => !isDiscovery(key)));

/** The stack's name when deployed (`docker stack deploy ... repo-monitor`): swarm prefixes it. */
const STACK = 'repo-monitor';

export interface PrometheusOnLoopback {
  /** host:port of the process playing each stack.yml service (api, scheduler, prometheus, alertmanager). */
  services: Record<string, string>;
}

/**
 * prometheus.yml for a Prometheus on loopback. Replaced, and nothing else:
 * - service discovery, which only works inside the swarm, by static loopback targets that
 *   carry the labels the discovery would have given them, so the job's relabelling runs
 *   as deployed: `dockerswarm_sd_configs` (role tasks) yields one target per network of
 *   each stack.yml service that has deploy labels and a process on loopback, with the
 *   `__meta_dockerswarm_*` labels of its task (its `prometheus.port` label, the metrics
 *   port, is the process's loopback port); `dns_sd_configs` on `tasks.<service>` yields
 *   the service's process with `__meta_dns_name`; a static address of the swarm becomes
 *   the loopback process of the service named like the job. Jobs with nothing on loopback
 *   (Loki, Grafana, the exporters: they cannot run here) are left out.
 * - the alerting block's discovery (`tasks.alertmanager`) by the loopback Alertmanager.
 * - `global.scrape_interval` and `evaluation_interval` (15s) by SCRAPE_INTERVAL: the tests
 *   need data within seconds.
 * Kept as deployed: rule_files (relative: rules/ beside the written file), external labels,
 * relabel and metric relabel configs, alert relabelling, storage settings.
 */
export function prometheusConfigForLoopback({ services }: PrometheusOnLoopback): string {
  const config = readYaml(PROMETHEUS_YML);
  config.global = { ...config.global, scrape_interval: SCRAPE_INTERVAL, evaluation_interval: SCRAPE_INTERVAL };
  config.scrape_configs = (config.scrape_configs as Array<Record<string, any>>).flatMap((job) => {
    const targets = loopbackTargets(job, services);
    return targets.length > 0 ? [{ ...withoutDiscovery(job), static_configs: targets }] : [];
  });
  if (config.alerting?.alertmanagers) {
    config.alerting.alertmanagers = (config.alerting.alertmanagers as Array<Record<string, any>>)
      .map((entry) => ({ ...withoutDiscovery(entry), static_configs: loopbackTargets(entry, services) }))
      .filter((entry) => entry.static_configs.length > 0);
  }
  return toYaml(config);
}

interface StaticConfig {
  targets: string[];
  labels?: Record<string, string>;
}

/** What the entry's discovery would find, as static configs pointing at loopback processes. */
function loopbackTargets(entry: Record<string, any>, services: Record<string, string>): StaticConfig[] {
  const found: StaticConfig[] = [];
  for (const sd of entry.dockerswarm_sd_configs ?? []) {
    if (sd.role !== 'tasks') throw new Error(`dockerswarm_sd_configs role ${sd.role}: only role tasks is reproduced on loopback`);
    found.push(...swarmTasks(services));
  }
  for (const sd of entry.dns_sd_configs ?? []) {
    for (const name of sd.names as string[]) {
      const address = services[name.replace(/^tasks\./, '')];
      if (address) found.push({ targets: [address], labels: { __meta_dns_name: name } });
    }
  }
  if (entry.static_configs && entry.job_name && services[entry.job_name]) found.push({ targets: [services[entry.job_name]!] });
  return found;
}

/** The tasks dockerswarm_sd (role tasks) reports for the stack.yml services running on loopback. */
function swarmTasks(services: Record<string, string>): StaticConfig[] {
  const stack = readYaml('stack.yml');
  return Object.entries(stack.services as Record<string, any>).flatMap(([name, service]) => {
    const address = services[name];
    const deployLabels = (service.deploy?.labels ?? {}) as Record<string, string>;
    if (!address || Object.keys(deployLabels).length === 0) return [];
    const global = service.deploy?.mode === 'global';
    const labels: Record<string, string> = {
      __meta_dockerswarm_service_name: `${STACK}_${name}`,
      __meta_dockerswarm_service_mode: global ? 'global' : 'replicated',
      __meta_dockerswarm_task_state: 'running',
      __meta_dockerswarm_task_desired_state: 'running',
      __meta_dockerswarm_node_hostname: hostname(),
      __meta_dockerswarm_node_role: 'manager',
      ...(global ? {} : { __meta_dockerswarm_task_slot: '1' }),
    };
    for (const [key, value] of Object.entries(deployLabels)) {
      labels[`__meta_dockerswarm_service_label_${key.replace(/[^a-zA-Z0-9_]/g, '_')}`] = key === 'prometheus.port' ? address.split(':').pop()! : String(value);
    }
    const networks = Array.isArray(service.networks) ? service.networks : Object.keys(service.networks ?? { default: null });
    return networks.map((network: string) => ({ targets: [address], labels: { ...labels, __meta_dockerswarm_network_name: `${STACK}_${network}` } }));
  });
}

/**
 * The environment stack.yml gives the Prometheus service, each `${VARIABLE}` in it replaced
 * by a placeholder naming the variable (rule templates read some, e.g. a runbook base URL).
 */
export function prometheusEnvironment(): Record<string, string> {
  const declared = readYaml('stack.yml').services.prometheus?.environment ?? {};
  const environment: Record<string, string> = Array.isArray(declared)
    ? Object.fromEntries(declared.map((entry: string) => [entry.split('=')[0], entry.split('=').slice(1).join('=')]))
    : declared;
  return Object.fromEntries(Object.entries(environment).map(([key, value]) => [key, String(value).includes('${') ? `http://${key.toLowerCase()}.test` : String(value)]));
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
  const config = readYaml(ALERTMANAGER_YML);
  config.receivers = (config.receivers as Array<{ name: string }>).map(({ name }) => ({
    name,
    webhook_configs: [{ url: `${webhook}/${encodeURIComponent(name)}`, send_resolved: true }],
  }));
  if (scaled) scaleRoute(config.route);
  return toYaml(config);
}

function scaleRoute(route: Record<string, any>): void {
  for (const key of ['group_wait', 'group_interval', 'repeat_interval']) if (route[key]) route[key] = scaledWait(route[key]);
  for (const child of route.routes ?? []) scaleRoute(child);
}

/** The alert names an inhibit rule of alertmanager.yml mutes while `cause` fires. */
export function symptomsOf(cause: string): string[] {
  const config = readYaml(ALERTMANAGER_YML);
  const names = (matchers: string[] = []) => matchers.flatMap((matcher) => /^alertname\s*=~?\s*"?([^"]+)"?$/.exec(matcher)?.[1]?.split('|') ?? []);
  return (config.inhibit_rules as Array<{ source_matchers?: string[]; target_matchers?: string[] }>)
    .filter((rule) => names(rule.source_matchers).includes(cause))
    .flatMap((rule) => names(rule.target_matchers));
}
