import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  AnnotationQueryBuilder,
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  QueryVariableBuilder,
  ThresholdsConfigBuilder,
  ThresholdsMode,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { DataqueryBuilder as LokiQuery } from '@grafana/grafana-foundation-sdk/loki';
import { DataqueryBuilder as PromQuery, PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';

/**
 * What every repo-monitor dashboard shares: the datasource uids provisioned in
 * provisioning/datasources/datasources.yml, a tag that links the dashboards to each other,
 * and panels with the legend and tooltip settings a reader expects.
 */
export const PROMETHEUS = { type: 'prometheus', uid: 'prometheus' };
export const LOKI = { type: 'loki', uid: 'loki' };
export const TAG = 'repo-monitor';

/** A dashboard with the shared tag, time range, refresh, deploy annotations and links to its siblings. */
export function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
    .annotation(deployAnnotation())
    .annotation(restartAnnotation())
    .uid(uid)
    .description(description)
    .tags([TAG])
    .time({ from: 'now-3h', to: 'now' })
    .refresh('30s')
    .timezone('browser')
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .link(
      new DashboardLinkBuilder('repo-monitor')
        .type(DashboardLinkType.Dashboards)
        .tags([TAG])
        .asDropdown(true)
        .keepTime(true)
        .includeVars(false),
    );
}

/** A Prometheus range query; refId orders the queries of one panel (A, B, ...). */
export function prom(expr: string, legend: string, refId = 'A'): PromQuery {
  return new PromQuery().datasource(PROMETHEUS).expr(expr).legendFormat(legend).range().refId(refId);
}

/** A Prometheus instant query as a table (one row per series, labels as columns), for table panels. */
export function promTable(expr: string, refId: string): PromQuery {
  return new PromQuery().datasource(PROMETHEUS).expr(expr).legendFormat('__auto').instant().format(PromQueryFormat.Table).refId(refId);
}

/**
 * The share of `selector`'s requests answered 5xx, per `by` labels: 0, not "No data", where
 * nothing failed (the 5xx series of a route that never failed do not exist), and no value
 * only where there was no traffic at all.
 */
export function errorRatio(selector: string, window: string, by: string[] = []): string {
  const sum = by.length > 0 ? `sum by (${by.join(', ')})` : 'sum';
  const all = `${sum} (rate(http_requests_total{${selector}}[${window}]))`;
  const failed = `${sum} (rate(http_requests_total{${selector}, status_code=~"5.."}[${window}]))`;
  return zeroFilledRatio(failed, all);
}

/**
 * The availability objective's error budget: 0.5% of API requests may fail (5xx) over 30
 * days (monitoring/prometheus/rules/service.rules.yml). Dashed on the error ratio panels.
 */
export const ERROR_BUDGET = 0.005;

/**
 * failed / all: 0 wherever there was traffic and `failed` has no series (nothing failed yet),
 * and no value, rather than NaN, where there was no traffic.
 */
export function zeroFilledRatio(failed: string, all: string): string {
  return `(${failed} or 0 * ${all}) / (${all} > 0)`;
}

/**
 * `expr` with each line named by its replica's stable task name (app_build_info's
 * service_instance, e.g. api.1, rather than an overlay IP), keeping only the replicas that
 * `buildInfoSelector` selects. `expr` must keep the job and instance labels.
 */
export function perReplica(expr: string, buildInfoSelector: string): string {
  return `(${expr}) * on (job, instance) group_left (service_instance) app_build_info{${buildInfoSelector}}`;
}

/**
 * Deploys as annotations on every time series panel: one mark per version, when its first
 * replica still running started (process start time joined with app_build_info's version).
 */
export function deployAnnotation(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Deploys')
    .datasource(PROMETHEUS)
    .enable(true)
    .iconColor('blue')
    .target(
      new PromQuery()
        .expr(
          'min by (version) (process_start_time_seconds{job=~"api|scheduler"} * on (job, instance) group_left (version) app_build_info{job=~"api|scheduler"}) * 1000',
        )
        .refId('Anno')
        .range(),
    )
    .titleFormat('Deploy {{version}}')
    .useValueForTime(true);
}

/** Process starts (deploys, crashes, rescheduled tasks) as annotations; off until switched on at the top. */
export function restartAnnotation(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Restarts')
    .datasource(PROMETHEUS)
    .enable(false)
    .iconColor('orange')
    .target(
      new PromQuery()
        .expr('process_start_time_seconds{job=~"api|scheduler"} * on (job, instance) group_left (service_instance) app_build_info * 1000')
        .refId('Anno')
        .range(),
    )
    .titleFormat('{{service_instance}} started')
    .useValueForTime(true);
}

export function lokiQuery(expr: string, legend: string, refId = 'A'): LokiQuery {
  return new LokiQuery().datasource(LOKI).expr(expr).legendFormat(legend).refId(refId);
}

/** A time series with a visible legend and a tooltip listing every series at that time. */
export function timeseries(title: string, unit: string, description: string): TimeseriesPanel {
  return new TimeseriesPanel()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .unit(unit)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true),
    )
    .tooltip(new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending));
}

/** A dashed threshold line at `limit` (red above), e.g. an alert rule's threshold. */
export function withThresholdLine(panel: TimeseriesPanel, limit: number): TimeseriesPanel {
  return panel
    .thresholds(
      new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
        { value: null, color: 'green' },
        { value: limit, color: 'red' },
      ]),
    )
    .thresholdsStyle(new common.GraphThresholdsStyleConfigBuilder().mode(common.GraphThresholdsStyleMode.Dashed));
}

/** Counts per interval as bars, series stacked on each other (runs by outcome, lines by level). */
export function asStackedBars(panel: TimeseriesPanel): TimeseriesPanel {
  return panel.drawStyle(common.GraphDrawStyle.Bars).stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal));
}

/** A single number: the last value of one query. */
export function stat(title: string, unit: string, description: string): StatPanel {
  return new StatPanel()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .unit(unit)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .graphMode(common.BigValueGraphMode.Area)
    .span(6)
    .height(4);
}

/**
 * A multi-value variable holding the values of the label `label` (by default its own name)
 * among the series of `selector`; "All" means `.*`, so that `label=~"$name"` matches every value.
 */
export function labelValuesVariable(name: string, title: string, selector: string, label = name): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(title)
    .datasource(PROMETHEUS)
    .query(`label_values(${selector}, ${label})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}
