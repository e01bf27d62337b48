import * as common from '@grafana/grafana-foundation-sdk/common';
import { RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as HeatmapPanel, HeatmapColorOptionsBuilder, HeatmapColorMode, YAxisConfigBuilder } from '@grafana/grafana-foundation-sdk/heatmap';
import { PromQueryFormat } from '@grafana/grafana-foundation-sdk/prometheus';
import { dashboard, ERROR_BUDGET, errorRatio, labelValuesVariable, perReplica, prom, PROMETHEUS, stat, timeseries, withThresholdLine, zeroFilledRatio } from './common.ts';
import { redTable } from './red-table.ts';

/**
 * The API as its clients see it (RED: rate, errors, duration), filtered by method and
 * route template. The p99 latency query carries exemplars: each dot is one request, and
 * its request_id opens that request's log lines in Loki (datasource provisioning).
 */
const selector = 'job="api", method=~"$method", path=~"$path"';

const quantile = (q: number, refId: string) =>
  prom(
    `histogram_quantile(${q}, sum by (le, method, path) (rate(http_request_duration_seconds_bucket{${selector}}[$__rate_interval])))`,
    `p${Math.round(q * 100)} {{method}} {{path}}`,
    refId,
  );

const sizeHeatmap = (title: string, metric: string, description: string) =>
  new HeatmapPanel()
    .title(title)
    .description(description)
    .datasource(PROMETHEUS)
    .withTarget(
      prom(`sum by (le) (increase(${metric}_bucket{${selector}}[$__rate_interval]))`, '{{le}}').format(PromQueryFormat.Heatmap),
    )
    // The buckets come from the histogram itself: Grafana must not re-bucket them.
    .calculate(false)
    .yAxis(new YAxisConfigBuilder().unit('bytes'))
    .color(new HeatmapColorOptionsBuilder().mode(HeatmapColorMode.Scheme).scheme('Oranges'))
    .cellGap(1)
    .span(12);

/**
 * The edge (Caddy) as clients see it, per site: what reaches the API and the UIs, and what
 * Caddy itself answers 5xx (502/504: the service behind it unreachable or too slow), which
 * the service's own metrics never show. `_other` is requests to no site (the scrapes).
 */
const edgeRequests = (extra = '') => `sum by (host) (rate(caddy_http_request_duration_seconds_count{job="caddy", host!="_other"${extra}}[$__rate_interval]))`;
/** EdgeErrors' threshold (monitoring/prometheus/rules/edge.rules.yml). */
const EDGE_ERROR_THRESHOLD = 0.05;

export function serviceDashboard(): Dashboard {
  return dashboard('repo-monitor-service', 'repo-monitor / Service', 'Requests, errors and latency of the API, by route template.')
    .withVariable(labelValuesVariable('method', 'Method', 'http_requests_total{job="api"}'))
    .withVariable(labelValuesVariable('path', 'Route', 'http_requests_total{job="api"}'))
    .withPanel(stat('API replicas up', 'short', 'api targets that answered their last scrape.').withTarget(prom('count(up{job="api"} == 1)', 'replicas')))
    .withPanel(
      stat('MongoDB reachable', 'bool_yes_no', 'Whether every api replica\'s last database ping succeeded (min of mongodb_up).').withTarget(
        prom('min(mongodb_up{job="api"})', 'mongodb_up'),
      ),
    )
    .withPanel(stat('Requests per second', 'reqps', 'All routes selected above.').withTarget(prom(`sum(rate(http_requests_total{${selector}}[$__rate_interval]))`, 'req/s')))
    .withPanel(
      stat('Version', 'none', 'Replicas per running version: the image\'s VERSION build argument (app_build_info). Deploys are marked on every graph.')
        .withTarget(prom('count by (version) (app_build_info{job="api"})', '{{version}}'))
        .textMode(common.BigValueTextMode.ValueAndName)
        .graphMode(common.BigValueGraphMode.None),
    )
    .withRow(new RowBuilder('Per route (RED)'))
    .withPanel(redTable(selector))
    .withRow(new RowBuilder('Rate and errors'))
    .withPanel(
      timeseries('Requests by status code', 'reqps', '499 is a client that closed the connection before the answer.')
        .withTarget(prom(`sum by (status_code) (rate(http_requests_total{${selector}}[$__rate_interval]))`, '{{status_code}}'))
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
        .fillOpacity(30)
        .span(12),
    )
    .withPanel(
      withThresholdLine(
        timeseries('5xx error ratio', 'percentunit', 'Share of requests answered 5xx (0 when none failed). Dashed: the error budget (0.5% over 30 days); ErrorBudgetBurn pages when the last hour fails 14.4 times that.')
          .withTarget(prom(errorRatio(selector, '$__rate_interval'), '5xx ratio'))
          .min(0)
          .span(12),
        ERROR_BUDGET,
      ),
    )
    .withRow(new RowBuilder('Duration'))
    .withPanel(
      withThresholdLine(
        timeseries(
          'Latency p50 / p95 / p99 by route',
          's',
          'Until the last byte is written. Dots are exemplars (p99 query): click one to open that request\'s logs. Dashed: the latency objective, 99% of requests within 500 ms.',
        )
          .withTarget(quantile(0.5, 'A'))
          .withTarget(quantile(0.95, 'B'))
          .withTarget(quantile(0.99, 'C').exemplar(true))
          .span(24)
          .height(10),
        0.5,
      ),
    )
    .withPanel(
      timeseries('Requests in flight', 'short', 'Requests received and not yet answered, per replica.')
        .withTarget(prom(perReplica('http_requests_in_flight{job="api"}', 'job="api"'), '{{service_instance}}'))
        .span(24)
        .height(6),
    )
    .withRow(new RowBuilder('Edge (Caddy)'))
    .withPanel(
      timeseries('Requests through the edge by site', 'reqps', 'Every request Caddy received for each site, whatever the answer, the 401s of the logins included.')
        .withTarget(prom(edgeRequests(), '{{host}}'))
        .span(12),
    )
    .withPanel(
      withThresholdLine(
        timeseries('Edge 5xx ratio by site', 'percentunit', 'Share of each site\'s requests Caddy answered 5xx (502: the service behind it unreachable; 504: too slow). Dashed: EdgeErrors pages above it for 5 minutes.')
          .withTarget(prom(zeroFilledRatio(edgeRequests(', code=~"5.."'), edgeRequests()), '{{host}}'))
          .min(0)
          .span(12),
        EDGE_ERROR_THRESHOLD,
      ),
    )
    .withRow(new RowBuilder('Sizes'))
    .withPanel(sizeHeatmap('Request body sizes', 'http_request_size_bytes', 'Bytes received per request (bodies really read, not Content-Length).'))
    .withPanel(sizeHeatmap('Response body sizes', 'http_response_size_bytes', 'Bytes sent per response, streamed bodies included.'))
    .build();
}
