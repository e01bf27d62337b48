import * as common from '@grafana/grafana-foundation-sdk/common';
import {
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
import { DataqueryBuilder as PromQuery } from '@grafana/grafana-foundation-sdk/prometheus';
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

/** A dashboard with the shared tag, time range, refresh and links to its siblings. */
export function dashboard(uid: string, title: string, description: string): DashboardBuilder {
  return new DashboardBuilder(title)
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
 * A multi-value variable holding the values of the label `name` among the series of
 * `selector`; "All" means `.*`, so that `name=~"$name"` matches every value.
 */
export function labelValuesVariable(name: string, title: string, selector: string): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(title)
    .datasource(PROMETHEUS)
    .query(`label_values(${selector}, ${name})`)
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(true)
    .includeAll(true)
    .allValue('.*');
}
