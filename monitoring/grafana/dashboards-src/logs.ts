import * as common from '@grafana/grafana-foundation-sdk/common';
import { CustomVariableBuilder, RowBuilder, TextBoxVariableBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as LogsPanel } from '@grafana/grafana-foundation-sdk/logs';
import { asStackedBars, dashboard, ERROR_BUDGET, errorRatio, labelValuesVariable, LOKI, lokiQuery, prom, timeseries, withThresholdLine } from './common.ts';

/**
 * The service's log lines from Loki. Labels are only service, stack, stream and level
 * (promtail.yml); everything else, path included, is parsed from the logfmt line at query
 * time, and request_id/run_id are structured metadata (links in each line's details).
 * The top row puts the 5xx ratio (Prometheus) beside the ERROR line rate (Loki) so a
 * spike in one can be matched with the other over the same time range.
 */
const streams = '{service=~".+_(api|scheduler)", level=~"$level"}';
// `| logfmt path` extracts only the key filtered on: parsing every key in a metric query
// would make one series per request_id before the sum.
const pathFilter = '| logfmt path | path=~"${path:regex}"';

export function logsDashboard(): Dashboard {
  return dashboard('repo-monitor-logs', 'repo-monitor / Logs', 'Log lines of api and scheduler, with errors beside the error ratio.')
    .withVariable(
      new CustomVariableBuilder('level')
        .label('Level')
        .values('DEBUG,INFO,WARN,ERROR')
        .multi(true)
        .includeAll(true)
        .allValue('.*'),
    )
    .withVariable(labelValuesVariable('path', 'Route', 'http_requests_total{job="api"}'))
    .withVariable(new TextBoxVariableBuilder('search').label('Line contains').defaultValue(''))
    .withRow(new RowBuilder('Errors: metrics beside logs'))
    .withPanel(
      withThresholdLine(
        timeseries('5xx error ratio', 'percentunit', 'From Prometheus: share of requests answered 5xx on the selected routes (0 when none failed).')
          .withTarget(prom(errorRatio('job="api", path=~"$path"', '$__rate_interval'), '5xx ratio'))
          .min(0)
          .span(12),
        ERROR_BUDGET,
      ),
    )
    .withPanel(
      timeseries('ERROR lines', 'short', 'From Loki: ERROR lines per interval, by service, on the selected routes (lines without a path count under All).')
        .datasource(LOKI)
        .withTarget(
          lokiQuery(`sum by (service) (count_over_time({service=~".+_(api|scheduler)", level="ERROR"} |= "$search" ${pathFilter} [$__auto]))`, '{{service}}'),
        )
        .drawStyle(common.GraphDrawStyle.Bars)
        .span(12),
    )
    .withPanel(
      asStackedBars(
        timeseries('Lines by level', 'short', 'All lines per interval, by level.')
          .datasource(LOKI)
          .withTarget(lokiQuery(`sum by (level) (count_over_time(${streams} |= "$search" ${pathFilter} [$__auto]))`, '{{level}}')),
      )
        .span(24)
        .height(6),
    )
    .withRow(new RowBuilder('Lines'))
    .withPanel(
      new LogsPanel()
        .title('api and scheduler')
        .description('Newest first. Choosing a route keeps the access lines of that route. Open a line for its request_id or run_id link.')
        .datasource(LOKI)
        .withTarget(lokiQuery(`${streams} |= "$search" | logfmt | path=~"\${path:regex}"`, ''))
        .showTime(true)
        .wrapLogMessage(true)
        .enableLogDetails(true)
        .sortOrder(common.LogsSortOrder.Descending)
        .dedupStrategy(common.LogsDedupStrategy.None)
        .span(24)
        .height(18),
    )
    .withRow(new RowBuilder('Log shipping'))
    .withPanel(
      timeseries('Lines shipped to Loki', 'short', 'Lines per second each node\'s agent (Promtail or Alloy) sent to Loki. A node at 0 while its services log: LogShippingStopped.')
        .withTarget(prom('sum by (node) (rate(promtail_sent_entries_total[$__rate_interval]) or rate(loki_write_sent_entries_total[$__rate_interval]))', '{{node}}'))
        .min(0)
        .span(12),
    )
    .withPanel(
      timeseries('Lines dropped', 'short', 'Lines an agent gave up on after its retries (Loki down or refusing them): lost for good (LogLinesDropped).')
        .withTarget(
          prom('sum by (node) (increase(promtail_dropped_entries_total[$__rate_interval]) or increase(loki_write_dropped_entries_total[$__rate_interval]))', '{{node}}'),
        )
        .min(0)
        .span(12),
    )
    .build();
}
