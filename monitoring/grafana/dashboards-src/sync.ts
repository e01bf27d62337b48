import * as common from '@grafana/grafana-foundation-sdk/common';
import { RowBuilder, type Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { asStackedBars, dashboard, perReplica, prom, stat, timeseries } from './common.ts';

/**
 * The scheduled sync and the upstream it reads: is the cache fresh, do runs succeed, how
 * much of GitHub's rate limit is left. Cache gauges come from every process (api and
 * scheduler) and agree, hence max(); sync and upstream series come from the scheduler
 * (or an api replica that ran POST /sync).
 */
export function syncDashboard(): Dashboard {
  return dashboard('repo-monitor-sync', 'repo-monitor / Sync and upstream', 'Freshness of the cache, sync runs, and the GitHub rate limit.')
    .withPanel(
      stat('Since last successful sync', 's', 'Time since a sync run last ended in success, from the run history in the database: right after a scheduler restart too. Empty while the history (the newest SYNC_HISTORY runs) holds no success.')
        .withTarget(prom('time() - max(sync_history_last_success_timestamp_seconds > 0)', 'age'))
        .noValue('none in the history'),
    )
    .withPanel(
      stat('Since last run', 's', 'Time since any sync run (not skipped) last ended, whatever its outcome, from the run history in the database.')
        .withTarget(prom('time() - max(sync_history_last_run_timestamp_seconds > 0)', 'age'))
        .noValue('none in the history'),
    )
    .withPanel(stat('Repositories tracked', 'short', 'Tracked repositories in the cache.').withTarget(prom('max(repos_tracked)', 'tracked')))
    .withPanel(stat('Repositories stale', 'short', 'Tracked repositories older than STALE_AFTER.').withTarget(prom('max(repos_stale)', 'stale')))
    .withRow(new RowBuilder('Freshness and runs'))
    .withPanel(
      timeseries('Oldest record age against STALE_AFTER', 's', 'DataStale fires when the first line stays above the second for 15 minutes.')
        .withTarget(prom('max(cache_oldest_record_age_seconds)', 'oldest record age', 'A'))
        .withTarget(prom('max(cache_stale_after_seconds)', 'STALE_AFTER', 'B'))
        .span(12),
    )
    .withPanel(
      asStackedBars(
        timeseries('Runs by outcome', 'short', 'success, partial (budget or deadline left some for the next run), failed, skipped (lease held elsewhere).')
          .withTarget(prom('sum by (outcome) (increase(sync_runs_total[$__rate_interval]))', '{{outcome}}')),
      )
        .span(12),
    )
    .withPanel(
      timeseries('Run duration', 's', 'Mean and p95 over the last 30 minutes of runs.')
        .withTarget(prom('sum(rate(sync_duration_seconds_sum[30m])) / sum(rate(sync_duration_seconds_count[30m]))', 'mean', 'A'))
        .withTarget(prom('histogram_quantile(0.95, sum by (le) (rate(sync_duration_seconds_bucket[30m])))', 'p95', 'B'))
        .span(12),
    )
    .withPanel(
      asStackedBars(
        timeseries('Records by result', 'short', 'not_modified: 304, no write; unchanged: 200 with the same content, no write; gone: 404/410 upstream.')
          .withTarget(prom('sum by (result) (increase(sync_records_total[$__rate_interval]))', '{{result}}')),
      )
        .span(12),
    )
    .withPanel(
      timeseries('Run in progress', 'short', 'Repositories the running sync has visited, against those it has to visit: a line that stops rising is a run stuck or paced by the rate limit. Both 0 between runs.')
        .withTarget(prom(perReplica('max by (job, instance) (sync_run_repos_done)', 'job=~".+"'), 'done {{service_instance}}', 'A'))
        .withTarget(prom(perReplica('max by (job, instance) (sync_run_repos_due)', 'job=~".+"'), 'due {{service_instance}}', 'B'))
        .min(0)
        .span(12),
    )
    .withPanel(
      timeseries('Lease holder', 'short', 'sync_lease_held per process: at most one line at 1, or SchedulerDuplicated fires.')
        .withTarget(prom(perReplica('max by (job, instance) (sync_lease_held)', 'job=~".+"'), '{{service_instance}}'))
        .min(0)
        .max(1)
        .span(12),
    )
    .withRow(new RowBuilder('Upstream (GitHub)'))
    .withPanel(
      timeseries('Rate limit: remaining against limit', 'short', 'From the x-ratelimit-* headers of the last response.')
        .withTarget(prom('max(upstream_ratelimit_remaining)', 'remaining', 'A'))
        .withTarget(prom('max(upstream_ratelimit_limit)', 'limit', 'B'))
        .min(0)
        .span(12),
    )
    .withPanel(
      timeseries('Time to rate-limit reset', 's', 'x-ratelimit-reset minus now.')
        .withTarget(prom('max(upstream_ratelimit_reset_timestamp_seconds) - time()', 'until reset'))
        .span(12),
    )
    .withPanel(
      timeseries('Upstream responses by status code', 'reqps', '"network" and "timeout" are requests that got no response.')
        .withTarget(prom('sum by (status_code) (rate(upstream_requests_total[$__rate_interval]))', '{{status_code}}'))
        .stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal))
        .fillOpacity(30)
        .span(12),
    )
    .withPanel(
      timeseries('Upstream latency', 's', 'p50 and p95 of GitHub response times.')
        .withTarget(prom('histogram_quantile(0.5, sum by (le) (rate(upstream_request_duration_seconds_bucket[$__rate_interval])))', 'p50', 'A'))
        .withTarget(prom('histogram_quantile(0.95, sum by (le) (rate(upstream_request_duration_seconds_bucket[$__rate_interval])))', 'p95', 'B'))
        .span(12),
    )
    .withPanel(
      timeseries('Retries by reason', 'short', 'Retries per second: rate_limited (retry-after or reset honoured), server_error, network, timeout.')
        .withTarget(prom('sum by (reason) (rate(upstream_retries_total[$__rate_interval]))', '{{reason}}'))
        .span(24)
        .height(6),
    )
    .build();
}
