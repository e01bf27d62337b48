import * as common from '@grafana/grafana-foundation-sdk/common';
import type { DynamicConfigValue } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { ERROR_BUDGET, errorRatio, PROMETHEUS, promTable } from './common.ts';

/**
 * RED per route: one row per (method, route template) with its request rate, 5xx ratio and
 * p95 latency over the dashboard's time range. Three instant queries (A, B, C) merged on
 * their labels; cells turn orange where a route spends more than the error budget (0.5%)
 * or nears the latency objective (500 ms), red at ten times the budget or past 500 ms.
 */
const byRoute = ['method', 'path'];

const column = (refId: string, displayName: string, unit: string, properties: DynamicConfigValue[] = []) => ({
  matcher: { id: 'byName', options: `Value #${refId}` },
  properties: [{ id: 'displayName', value: displayName }, { id: 'unit', value: unit }, ...properties],
});

const colouredAbove = (orange: number, red: number): DynamicConfigValue[] => [
  { id: 'custom.cellOptions', value: { type: common.TableCellDisplayMode.ColorText } },
  {
    id: 'thresholds',
    value: {
      mode: 'absolute',
      steps: [
        { value: null, color: 'green' },
        { value: orange, color: 'orange' },
        { value: red, color: 'red' },
      ],
    },
  },
];

export function redTable(selector: string): TablePanel {
  const rate = `sum by (method, path) (rate(http_requests_total{${selector}}[$__range]))`;
  const p95 = `histogram_quantile(0.95, sum by (le, method, path) (rate(http_request_duration_seconds_bucket{${selector}}[$__range])))`;
  return new TablePanel()
    .title('Routes: rate, errors, duration')
    .description('Over the selected time range, per method and route template: requests per second, share answered 5xx (0 when none failed), 95th percentile latency. Sorted by traffic.')
    .datasource(PROMETHEUS)
    .withTarget(promTable(rate, 'A'))
    .withTarget(promTable(errorRatio(selector, '$__range', byRoute), 'B'))
    .withTarget(promTable(p95, 'C'))
    .withTransformation({ id: 'merge', options: {} })
    .withTransformation({ id: 'organize', options: { excludeByName: { Time: true }, renameByName: { method: 'Method', path: 'Route' } } })
    .withOverride(column('A', 'Requests/s', 'reqps'))
    .withOverride(column('B', '5xx ratio', 'percentunit', colouredAbove(ERROR_BUDGET, 10 * ERROR_BUDGET)))
    .withOverride(column('C', 'p95', 's', colouredAbove(0.25, 0.5)))
    .sortBy([new common.TableSortByFieldStateBuilder().displayName('Requests/s').desc(true)])
    .span(24)
    .height(8);
}
