import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parser as logqlParser } from '@grafana/lezer-logql';
import { parser as promqlParser } from '@prometheus-io/lezer-promql';
import { describe, expect, it } from 'vitest';
import { stringify as toYaml } from 'yaml';
import { alertRules, dashboardFiles, dashboardQueries, EXPORTER_METRICS, expandGrafanaMacros, readDashboard, readText, readYaml, recordingRules, run } from './helpers.ts';

/**
 * Every PromQL and LogQL expression the stack runs, wherever it is written (rules,
 * dashboards, variables, datasource links, agent selectors), must parse, and every metric
 * it reads must be one the service exports. Nothing here needs a server; the live
 * Prometheus test shows the expressions return data.
 */

/** The service's metrics, by the names the observability and sync issues fixed. */
const HISTOGRAMS = [
  'http_request_duration_seconds',
  'http_request_size_bytes',
  'http_response_size_bytes',
  'sync_duration_seconds',
  'upstream_request_duration_seconds',
  'nodejs_gc_duration_seconds',
  'mongodb_driver_command_duration_seconds',
  'mongodb_driver_pool_checkout_duration_seconds',
];
const KNOWN_METRICS = new Set([
  ...HISTOGRAMS.flatMap((name) => [`${name}_bucket`, `${name}_sum`, `${name}_count`]),
  'http_requests_total',
  'http_requests_in_flight',
  'app_build_info',
  'process_cpu_seconds_total',
  'process_resident_memory_bytes',
  'nodejs_heap_size_used_bytes',
  'nodejs_eventloop_lag_p99_seconds',
  'nodejs_eventloop_lag_p50_seconds',
  'nodejs_heap_space_size_used_bytes',
  'nodejs_external_memory_bytes',
  'nodejs_active_resources',
  'nodejs_active_handles_total',
  'process_open_fds',
  'process_max_fds',
  'process_start_time_seconds',
  'app_cpu_limit_cores',
  'app_memory_limit_bytes',
  'mongodb_up',
  'mongodb_driver_pool_connections',
  'mongodb_driver_pool_checked_out_connections',
  'mongodb_driver_pool_wait_queue_size',
  'mongodb_driver_pool_max_connections',
  'mongodb_driver_pool_cleared_total',
  'mongodb_driver_pool_checkout_failures_total',
  'sync_runs_total',
  'sync_last_success_timestamp_seconds',
  'sync_history_last_success_timestamp_seconds',
  'sync_history_last_run_timestamp_seconds',
  'sync_run_repos_done',
  'sync_run_repos_due',
  'sync_last_run_timestamp_seconds',
  'sync_records_total',
  'upstream_requests_total',
  'upstream_ratelimit_limit',
  'upstream_ratelimit_remaining',
  'upstream_ratelimit_reset_timestamp_seconds',
  'upstream_retries_total',
  'sync_lease_held',
  'repos_tracked',
  'repos_stale',
  'cache_oldest_record_age_seconds',
  'cache_stale_after_seconds',
  'up', // written by Prometheus for every target
  ...EXPORTER_METRICS,
  // The recording rules' series (the SLO ratios).
  ...recordingRules().map((rule) => rule.record),
]);

interface Source {
  where: string;
  expr: string;
}

const ruleExpressions = (): Source[] => [
  ...alertRules().map((rule) => ({ where: `${rule.file} ${rule.alert}`, expr: rule.expr })),
  ...recordingRules().map((rule) => ({ where: `${rule.file} ${rule.record}`, expr: rule.expr })),
];

const dashboardExpressions = (uid: 'prometheus' | 'loki'): Source[] =>
  dashboardQueries()
    .filter((query) => query.datasource === uid)
    .map((query) => ({ where: `${query.dashboard} "${query.panel}"`, expr: expandGrafanaMacros(query.expr) }));

/** label_values(<selector>, label) of each Prometheus query variable: the selector is PromQL. */
const variableSelectors = (): Source[] =>
  dashboardFiles().flatMap((file) =>
    (readDashboard(file).templating?.list ?? [])
      .filter((variable: any) => variable.type === 'query' && variable.datasource?.uid === 'prometheus')
      .map((variable: any) => {
        const selector = /^label_values\((.+),\s*\w+\)$/.exec(variable.query)?.[1];
        if (!selector) throw new Error(`${file} $${variable.name}: not label_values(selector, label): ${variable.query}`);
        return { where: `${file} $${variable.name}`, expr: expandGrafanaMacros(selector) };
      }),
  );

/** Grafana provisioning writes $$ for a literal $ (it expands environment variables). */
const unescapeProvisioning = (text: string) => text.replaceAll('$$', '$');

const logqlFromProvisioning = (): Source[] => {
  const datasources = readYaml('monitoring/grafana/provisioning/datasources/datasources.yml').datasources;
  const loki = datasources.find((source: any) => source.uid === 'loki');
  const prometheus = datasources.find((source: any) => source.uid === 'prometheus');
  const derived = loki.jsonData.derivedFields.map((field: any) => ({
    where: `Loki derived field ${field.name}`,
    expr: expandGrafanaMacros(unescapeProvisioning(field.url)),
  }));
  const exemplarLinks = prometheus.jsonData.exemplarTraceIdDestinations.map((destination: any) => {
    const panes = new URL(unescapeProvisioning(destination.url), 'http://grafana').searchParams.get('panes')!;
    const queries = Object.values(JSON.parse(panes) as Record<string, { queries: Array<{ expr: string }> }>).flatMap((pane) => pane.queries);
    return { where: `exemplar link ${destination.name}`, expr: expandGrafanaMacros(queries[0]!.expr) };
  });
  return [...derived, ...exemplarLinks];
};

const agentSelectors = (): Source[] => {
  const promtail = readYaml('monitoring/promtail/promtail.yml');
  const match = promtail.scrape_configs[0].pipeline_stages.find((stage: any) => stage.match).match;
  const alloy = /selector\s*=\s*"((?:[^"\\]|\\.)*)"/.exec(readText('monitoring/alloy/config.alloy'))?.[1];
  return [
    { where: 'promtail match selector', expr: match.selector },
    { where: 'alloy stage.match selector', expr: JSON.parse(`"${alloy}"`) },
  ];
};

/** Syntax errors as lezer reports them: error nodes in the tree, with the text around them. */
function syntaxErrors(parser: typeof promqlParser | typeof logqlParser, expr: string): string[] {
  const errors: string[] = [];
  parser.parse(expr).iterate({
    enter(node) {
      if (node.type.isError) errors.push(`at ${node.from}: ...${expr.slice(Math.max(0, node.from - 20), node.from + 20)}...`);
    },
  });
  return errors;
}

function metricNames(expr: string): string[] {
  const names: string[] = [];
  promqlParser.parse(expr).iterate({
    enter(node) {
      if (node.name === 'Identifier' && node.node.parent?.name === 'VectorSelector') names.push(expr.slice(node.from, node.to));
    },
  });
  return names;
}

describe('PromQL', () => {
  const sources = () => [...ruleExpressions(), ...dashboardExpressions('prometheus'), ...variableSelectors()];

  it('every expression in rules, dashboards and variables parses (lezer-promql)', () => {
    expect(sources().length).toBeGreaterThan(40);
    const failures = sources().flatMap(({ where, expr }) => syntaxErrors(promqlParser, expr).map((error) => `${where}: ${error}`));
    expect(failures).toEqual([]);
  });

  it('every dashboard expression passes Prometheus\'s own parser and type checks (promtool)', () => {
    // Recording rules hold any expression; promtool check rules runs Prometheus's parser on them.
    const rules = dashboardExpressions('prometheus').map(({ expr }, index) => ({ record: `dashboard:check:${index}`, expr }));
    const dir = mkdtempSync(join(tmpdir(), 'dashboard-rules-'));
    try {
      writeFileSync(join(dir, 'dashboards.rules.yml'), toYaml({ groups: [{ name: 'dashboards', rules }] }));
      const result = run('promtool', ['check', 'rules', 'dashboards.rules.yml'], { cwd: dir });
      expect(result.status, result.output).toBe(0);
      expect(result.output).toContain(`SUCCESS: ${rules.length} rules found`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reads only metrics the service exports (no typo silently shows "No data")', () => {
    const unknown = sources().flatMap(({ where, expr }) =>
      metricNames(expr)
        .filter((name) => !KNOWN_METRICS.has(name))
        .map((name) => `${where}: ${name}`),
    );
    expect(unknown).toEqual([]);
  });

  it('the check above can fail: a misspelt metric and a broken expression are caught', () => {
    expect(metricNames('sum(rate(http_request_total[5m]))').filter((name) => !KNOWN_METRICS.has(name))).toEqual(['http_request_total']);
    expect(syntaxErrors(promqlParser, 'sum(rate(http_requests_total[5m])')).not.toEqual([]);
  });
});

describe('LogQL', () => {
  const sources = () => [...dashboardExpressions('loki'), ...logqlFromProvisioning(), ...agentSelectors()];

  it('every expression in dashboards, datasource links and agent selectors parses (lezer-logql)', () => {
    expect(sources().length).toBeGreaterThanOrEqual(8);
    const failures = sources().flatMap(({ where, expr }) => syntaxErrors(logqlParser, expr).map((error) => `${where}: ${error}`));
    expect(failures).toEqual([]);
    expect(syntaxErrors(logqlParser, '{service="api"} | logfmt |=')).not.toEqual([]);
  });

  it('uses only the labels the agents attach; request_id and run_id stay structured metadata', () => {
    const labels = new Set(['service', 'stack', 'stream', 'level', 'task']);
    for (const { where, expr } of sources()) {
      const selector = /^[^{]*\{([^}]*)\}/.exec(expr)?.[1] ?? '';
      for (const [, name] of selector.matchAll(/(\w+)\s*[=!]~?/g)) expect(labels, `${where} selects on ${name}`).toContain(name);
    }
  });
});
