import { execFileSync, type ChildProcess } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';
import { buildAlertmanager, buildPrometheus, buildStackConfig } from '../../scripts/lib/monitoring-tools.ts';

/** Paths and small tools shared by the monitoring tests. */
export const ROOT = fileURLToPath(new URL('../../', import.meta.url));
export const MONITORING = join(ROOT, 'monitoring');
export const RULES_DIR = join(MONITORING, 'prometheus', 'rules');
export const DASHBOARDS_DIR = join(MONITORING, 'grafana', 'dashboards');

export const readText = (path: string) => readFileSync(join(ROOT, path), 'utf8');
/** YAML with merge keys (`<<: *anchor`) resolved, as Docker reads the stack files. */
export const readYaml = (path: string): any => parseYaml(readText(path), { merge: true });

/**
 * The tools the monitoring tests run, at the stack's versions, built from the Go module proxy
 * (scripts/lib/monitoring-tools.ts). Global setup builds them; here they are only looked up.
 */
const TOOLS = {
  prometheus: () => buildPrometheus().prometheus,
  promtool: () => buildPrometheus().promtool,
  alertmanager: () => buildAlertmanager().alertmanager,
  amtool: () => buildAlertmanager().amtool,
  'stack-config': () => buildStackConfig(),
};
export type ToolName = keyof typeof TOOLS;

/** The path of a Go-built tool (built now if global setup has not). */
export const toolPath = (name: ToolName): string => TOOLS[name]();

export interface RunResult {
  status: number;
  output: string;
}

/** Runs a tool to completion; never throws on a non-zero exit, so tests can show the output. */
export function run(tool: ToolName, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): RunResult {
  const file = toolPath(tool);
  try {
    const output = execFileSync(file, args, {
      cwd: options.cwd ?? ROOT,
      env: { ...process.env, ...options.env },
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 30_000,
    });
    return { status: 0, output };
  } catch (error) {
    const failed = error as { status?: number; stdout?: string; stderr?: string; message: string };
    return { status: failed.status ?? -1, output: `${failed.stdout ?? ''}${failed.stderr ?? ''}` || failed.message };
  }
}

/** The variables stack.yml requires (`${NAME:?...}`), as a deployment sets them. */
export const DEPLOY_ENV = { VERSION: 'test', RUNBOOK_BASE_URL: 'https://runbooks.example.org/alerts' };

/**
 * Stack files as Docker resolves them, validated, interpolated and merged (tools/stack-config,
 * compose-go, in place of `docker stack config`). It writes CPUs as numbers and sizes in bytes.
 */
export function resolveStack(files: string[], env: Record<string, string> = {}): RunResult {
  return run('stack-config', files.flatMap((file) => ['-c', file]), { env: { ...DEPLOY_ENV, ...env } });
}

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  file: string;
}

export const ruleFiles = () => readdirSync(RULES_DIR).filter((name) => name.endsWith('.rules.yml'));
export const ruleTestFiles = () => readdirSync(RULES_DIR).filter((name) => name.endsWith('.test.yml'));

export interface RecordingRule {
  record: string;
  expr: string;
  file: string;
}

function rules(): Array<Partial<AlertRule & RecordingRule> & { expr: string; file: string }> {
  return ruleFiles().flatMap((file) => {
    const doc = parseYaml(readFileSync(join(RULES_DIR, file), 'utf8'));
    return doc.groups.flatMap((group: { rules: AlertRule[] }) => group.rules.map((rule) => ({ ...rule, file })));
  });
}

/** The alerting rules of every rule file (recording rules left out). */
export const alertRules = (): AlertRule[] => rules().filter((rule): rule is AlertRule => typeof rule.alert === 'string');

/** The recording rules (the SLO ratios), whose names alert expressions read like metrics. */
export const recordingRules = (): RecordingRule[] => rules().filter((rule): rule is RecordingRule => typeof rule.record === 'string');

export const dashboardFiles = () => readdirSync(DASHBOARDS_DIR).filter((name) => name.endsWith('.json'));
export const readDashboard = (file: string): any => JSON.parse(readFileSync(join(DASHBOARDS_DIR, file), 'utf8'));

export interface PanelQuery {
  dashboard: string;
  panel: string;
  datasource: string;
  expr: string;
  exemplar: boolean;
}

/**
 * Every query of every panel, with the datasource uid it runs on (target's, else panel's),
 * and every annotation query (as panel "annotation <name>").
 */
export function dashboardQueries(): PanelQuery[] {
  return dashboardFiles().flatMap((file) => {
    const dashboard = readDashboard(file);
    const panels = dashboard.panels.flatMap((panel: any) => [panel, ...(panel.panels ?? [])]);
    const annotations = (dashboard.annotations?.list ?? [])
      .filter((annotation: any) => annotation.target?.expr)
      .map((annotation: any) => ({ title: `annotation ${annotation.name}`, datasource: annotation.datasource, targets: [annotation.target] }));
    return [...panels, ...annotations].flatMap((panel: any) =>
      (panel.targets ?? []).map((target: any) => ({
        dashboard: dashboard.uid,
        panel: panel.title,
        datasource: target.datasource?.uid ?? panel.datasource?.uid,
        expr: target.expr,
        exemplar: target.exemplar === true,
      })),
    );
  });
}

/**
 * Metrics that come from node-exporter, cAdvisor and the log agents (Promtail, Alloy), not
 * from the service: the live test has none running, so panels and rules on them must
 * evaluate there but cannot have data.
 */
export const EXPORTER_METRICS = new Set([
  'node_filesystem_avail_bytes',
  'node_filesystem_size_bytes',
  'container_cpu_cfs_throttled_periods_total',
  'container_cpu_cfs_periods_total',
  'container_cpu_usage_seconds_total',
  'container_memory_working_set_bytes',
  'container_spec_memory_limit_bytes',
  'container_start_time_seconds',
  'node_filesystem_readonly',
  'promtail_sent_entries_total',
  'promtail_dropped_entries_total',
  'loki_write_sent_entries_total',
  'loki_write_dropped_entries_total',
  // Caddy, the edge: test/edge/caddy.test.ts finds each caddy_ name here in the real Caddy's output.
  'caddy_http_request_duration_seconds_count',
]);

/**
 * Grafana replaces its macros and variables before a query reaches Prometheus or Loki;
 * the parsers must see what the server sees. Durations become 5m, variables a plain word
 * (every variable in these dashboards sits inside a quoted matcher value).
 */
export function expandGrafanaMacros(expr: string): string {
  return expr
    .replace(/\$__(rate_interval|interval|range|auto)\b/g, '5m')
    .replace(/\$\{(\w+)(?::\w+)?\}/g, 'x')
    .replace(/\$(\w+)/g, 'x');
}

/** Variables a query uses ($name or ${name} or ${name:format}), Grafana's built-ins excluded. */
export function variablesUsed(expr: string): string[] {
  const names = [...expr.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g)].map((match) => match[1] ?? match[2]!);
  return names.filter((name) => !name.startsWith('__'));
}

/**
 * Stops a child process and waits until it has exited: Alertmanager and Prometheus write their
 * state into their storage directory on SIGTERM, so removing it any earlier races them.
 */
export async function stopProcess(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await exited;
}
