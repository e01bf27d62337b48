import { Counter, Gauge, Histogram, type Registry, type RegistryContentType } from 'prom-client';
import type { GitHubClientHooks, RequestErrorEvent, ResponseEvent, RetryEvent } from '../github/client.ts';
import type { SyncObserver } from '../sync/deps.ts';
import type { RunProgress } from '../sync/run-store.ts';
import { recordResults, syncOutcomes, type RecordResult, type SyncSummary } from '../sync/summary.ts';

/**
 * The sync's and the upstream's metrics, fed by the sync run (runFinished, leaseHeld, and as
 * it goes: recordVisited, progress) and by the GitHub client's hooks. Names and labels are what monitoring/ (dashboards, alert rules)
 * query. Every label value is bounded: outcomes, results and retry reasons are fixed lists,
 * status_code an HTTP status or "network"/"timeout".
 *
 * upstream_ratelimit_* mirror the x-ratelimit-* headers of the latest answer; they read 0
 * until a first answer arrives (the alert's remaining/limit is then NaN, so it stays quiet).
 */
const RUN_SECONDS = [0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600];
const REQUEST_SECONDS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const RETRY_REASONS = ['rate_limited', 'server_error', 'network', 'timeout'] as const;

export interface SyncMetrics extends SyncObserver {
  clientHooks: GitHubClientHooks;
}

export function registerSyncMetrics(registry: Registry<RegistryContentType>): SyncMetrics {
  const registers = [registry];
  const runs = new Counter({
    name: 'sync_runs_total',
    help: 'Sync runs by outcome: success, partial (some records failed or the upstream broke off), failed, skipped (lease held elsewhere).',
    labelNames: ['outcome'],
    registers,
  });
  const duration = new Histogram({
    name: 'sync_duration_seconds',
    help: 'How long sync runs took (skipped runs excluded).',
    buckets: RUN_SECONDS,
    registers,
  });
  const lastSuccess = new Gauge({
    name: 'sync_last_success_timestamp_seconds',
    help: 'When a sync run last ended in success (Unix time); 0 before the first.',
    registers,
  });
  const lastRun = new Gauge({
    name: 'sync_last_run_timestamp_seconds',
    help: 'When a sync run (not skipped) last ended, whatever its outcome (Unix time); 0 before the first.',
    registers,
  });
  const records = new Counter({
    name: 'sync_records_total',
    help: 'Repositories visited by sync runs, by result: updated, unchanged (200, same content), not_modified (304), gone (404/410), failed.',
    labelNames: ['result'],
    registers,
  });
  const requests = new Counter({
    name: 'upstream_requests_total',
    help: 'Requests to the upstream (GitHub) by status code; "network" or "timeout" when no answer came.',
    labelNames: ['status_code'],
    registers,
  });
  const requestDuration = new Histogram({
    name: 'upstream_request_duration_seconds',
    help: 'Upstream request time, answered or not.',
    buckets: REQUEST_SECONDS,
    registers,
  });
  const limit = new Gauge({ name: 'upstream_ratelimit_limit', help: 'x-ratelimit-limit of the latest upstream answer.', registers });
  const remaining = new Gauge({
    name: 'upstream_ratelimit_remaining',
    help: 'x-ratelimit-remaining of the latest upstream answer.',
    registers,
  });
  const reset = new Gauge({
    name: 'upstream_ratelimit_reset_timestamp_seconds',
    help: 'x-ratelimit-reset of the latest upstream answer: when the window resets (Unix time).',
    registers,
  });
  const retries = new Counter({
    name: 'upstream_retries_total',
    help: 'Upstream requests retried, by reason: rate_limited, server_error, network, timeout.',
    labelNames: ['reason'],
    registers,
  });
  const leaseHeld = new Gauge({ name: 'sync_lease_held', help: '1 while this process holds the sync lease, else 0.', registers });
  const reposDone = new Gauge({
    name: 'sync_run_repos_done',
    help: 'Repositories the sync run going in this process has visited so far; 0 when none is going.',
    registers,
  });
  const reposDue = new Gauge({
    name: 'sync_run_repos_due',
    help: 'Repositories the sync run going in this process has to visit (tracked when it started); 0 when none is going.',
    registers,
  });

  // Every known series exists from the start, so increase() sees their first step.
  for (const outcome of syncOutcomes) runs.inc({ outcome }, 0);
  for (const result of recordResults) records.inc({ result }, 0);
  for (const reason of RETRY_REASONS) retries.inc({ reason }, 0);
  // Throttling answers are what UpstreamThrottled watches: present (at 0) before the first one.
  for (const status_code of ['403', '429']) requests.inc({ status_code }, 0);

  const clientHooks: GitHubClientHooks = {
    onResponse(event: ResponseEvent) {
      requests.inc({ status_code: String(event.status) });
      requestDuration.observe(event.durationMs / 1000);
      if (event.rateLimit) {
        limit.set(event.rateLimit.limit);
        remaining.set(event.rateLimit.remaining);
        reset.set(event.rateLimit.reset / 1000);
      }
    },
    onRequestError(event: RequestErrorEvent) {
      requests.inc({ status_code: event.reason });
      requestDuration.observe(event.durationMs / 1000);
    },
    onRetry(event: RetryEvent) {
      retries.inc({ reason: event.reason });
    },
  };

  return {
    clientHooks,
    leaseHeld(held) {
      leaseHeld.set(held ? 1 : 0);
    },
    recordVisited(result: RecordResult) {
      records.inc({ result });
    },
    progress(progress: RunProgress | null) {
      reposDone.set(progress?.done ?? 0);
      reposDue.set(progress?.due ?? 0);
    },
    runFinished(summary: SyncSummary) {
      runs.inc({ outcome: summary.outcome });
      if (summary.outcome === 'skipped') return;
      const endedAt = (Date.parse(summary.startedAt) + summary.durationMs) / 1000;
      duration.observe(summary.durationMs / 1000);
      lastRun.set(endedAt);
      if (summary.outcome === 'success') lastSuccess.set(endedAt);
    },
  };
}
