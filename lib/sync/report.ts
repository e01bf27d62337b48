import type { FetchRepoResult } from '../github/client.ts';
import type { Fields, Logger } from '../logging/logger.ts';
import type { RepoDocument } from '../repos/model.ts';
import type { SyncSummary } from './summary.ts';

/** The sync's own log lines: one per upstream failure it gives up on, one per run. */
type Failed = Extract<FetchRepoResult, { kind: 'failed' }>;

/** One line per upstream failure the run gives up on (retried attempts are logged by the client hook). */
export function logFailure(log: Logger, doc: RepoDocument, answer: Failed): void {
  log.warn('upstream request failed; giving up', {
    repo: doc._id,
    reason: answer.reason,
    status: answer.status,
    attempts: answer.attempts,
    retry: false,
    retry_at: answer.retryAt === undefined ? undefined : new Date(answer.retryAt).toISOString(),
    err: answer.message,
  });
}

export interface RunContextForLog {
  /** Who held the lease when the run was skipped. */
  holder?: { owner: string; expiresAt: Date } | null;
  /** Why the upstream could not be reached, when that stopped the run. */
  unreachable?: string;
  /** When the scheduler runs the sync next, if this process schedules it. */
  nextRun?: Date | null;
}

/** The run's one line: its summary; INFO, WARN when partial, ERROR when failed. */
export function logSummary(log: Logger, summary: SyncSummary, context: RunContextForLog = {}): void {
  const fields: Fields = {
    outcome: summary.outcome,
    stopped_by: summary.stoppedBy,
    trigger: summary.trigger,
    started_at: summary.startedAt,
    duration_ms: summary.durationMs,
    tracked: summary.tracked ?? undefined,
    ...summary.counts,
    requests_spent: summary.requestsSpent,
    ratelimit_remaining: summary.rateLimit?.remaining,
    ratelimit_limit: summary.rateLimit?.limit,
    ratelimit_reset: summary.rateLimit?.reset,
    write_commands: summary.writes.commands,
    written: summary.writes.documents,
    writes_refused: summary.writes.refused,
    next_run_hint: summary.nextRunHint ?? undefined,
    lease_holder: context.holder?.owner,
    lease_until: context.holder?.expiresAt.toISOString(),
    unreachable: context.unreachable,
    next_run: context.nextRun?.toISOString(),
    err: summary.error,
  };
  if (summary.outcome === 'failed') log.error('sync run finished', fields);
  else if (summary.outcome === 'partial') log.warn('sync run finished', fields);
  else log.info('sync run finished', fields);
}
