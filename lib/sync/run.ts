import { randomBytes } from 'node:crypto';
import type { Config } from '../config.ts';
import type { Database } from '../db.ts';
import type { Clock } from '../clock.ts';
import type { FetchRepoResult } from '../github/client.ts';
import type { Fields, Logger } from '../logging/logger.ts';
import type { RepoDocument } from '../repos/model.ts';
import { classify } from './classify.ts';
import type { SyncDeps } from './deps.ts';
import { dueRepos } from './due.ts';
import { acquireLease, type Lease, type LockDocument } from './lease.ts';
import { emptyCounts, outcomeOf, type StopReason, type SyncSummary } from './summary.ts';
import { RecordWriter } from './writer.ts';

/**
 * One sync run: take the lease, then refresh tracked repositories least recently confirmed
 * first, as many as the rate-limit budget and SYNC_DEADLINE allow, with SYNC_CONCURRENCY
 * requests in flight at most; write the changes in batches; stop early when the upstream is
 * down or refuses; release the lease; report. See classify.ts for what each answer does to
 * a record, and docs/sync.md for the design.
 */
export interface RunSyncDeps {
  config: Pick<Config, 'SYNC_DEADLINE' | 'SYNC_CONCURRENCY' | 'STALE_AFTER'>;
  db: Database;
  clock: Clock;
  log: Logger;
  sync: SyncDeps;
}

export const SYNC_LEASE = 'sync';

/** Past this share of STALE_AFTER, a confirmation with nothing new rewrites lastSyncedAt. */
const MARKER_SHARE = 1 / 4;

class LeaseLostError extends Error {
  override name = 'LeaseLostError';
}

export const locksCollection = (db: Database) => db.db.collection<LockDocument>('locks');

export async function runSync(deps: RunSyncDeps, trigger: string): Promise<SyncSummary> {
  const { config, db, clock, sync } = deps;
  const runId = randomBytes(6).toString('hex');
  const log = deps.log.child({ run_id: runId });
  const handle = sync.runs.begin(log);
  const budget = sync.github.budget;
  const startedAt = clock.now();
  const spentBefore = budget.state(startedAt.getTime()).spent;
  const counts = emptyCounts();
  let writes = { commands: 0, documents: 0, refused: 0 };
  let stoppedBy: StopReason;
  let nextRunAt: number | null = null;
  let tracked: number | null = null;
  let holder: { owner: string; expiresAt: Date } | null = null;
  let failure: unknown;
  let lease: Lease | undefined;
  let heartbeat: NodeJS.Timeout | undefined;

  try {
    const got = await acquireLease(locksCollection(db), {
      name: SYNC_LEASE,
      owner: `${sync.processId}:${runId}`,
      ttlMs: sync.options.leaseTtlMs,
      now: () => clock.now(),
    });
    if (!got.acquired) {
      stoppedBy = 'lease_held';
      holder = got.holder;
    } else {
      lease = got.lease;
      const held = lease;
      sync.observer.leaseHeld(true);
      log.debug('sync run started', { trigger, fence: held.token }); // not "token": logs mask that key
      tracked = await db.repos.countDocuments({});

      const stopRun = new AbortController();
      const signal = AbortSignal.any([handle.signal, stopRun.signal]);
      let stop: StopReason | null = null;
      const halt = (reason: StopReason, abortInFlight = false) => {
        stop ??= reason;
        if (abortInFlight) stopRun.abort();
      };

      const renewEveryMs = sync.options.leaseTtlMs / 3;
      const renewal = renewer(held, renewEveryMs, clock, log, () => halt('lease_lost', true));
      // Real time keeps the lease alive through long paced waits; the clock check after each
      // record keeps it alive when the clock is simulated.
      heartbeat = setInterval(() => void renewal.now(), renewEveryMs);
      heartbeat.unref();

      const writer = new RecordWriter(db.repos, {
        mode: sync.options.writeMode,
        batchSize: sync.options.batchSize,
        beforeWrite: async () => {
          if (!(await held.verify())) throw new LeaseLostError('the sync lease is no longer ours');
        },
      });
      const deadline = startedAt.getTime() + config.SYNC_DEADLINE;
      const markerIntervalMs = config.STALE_AFTER * MARKER_SHARE;
      const visited = new Set<string>();
      const due = dueRepos(db.repos, { checks: sync.checks, visited, pageSize: sync.options.pageSize });

      const visit = async (doc: RepoDocument) => {
        const answer = await sync.github.fetchRepo(doc.owner, doc.name, doc.sync.etag, { signal, deadline });
        const now = clock.now();
        const outcome = classify(doc, answer, { now, token: held.token, markerIntervalMs });
        if (outcome.result) counts[outcome.result]++;
        if (answer.kind === 'failed' && outcome.result === 'failed') logFailure(log, doc, answer);
        if (outcome.confirmed) sync.checks.record(doc._id, now.getTime());
        if (outcome.write) {
          sync.checks.forget(doc._id);
          await writer.add(outcome.write);
        }
        if (outcome.stop) {
          let reason = outcome.stop;
          // The budget would allow a request, only not before the deadline: the deadline stopped us.
          if (reason === 'budget' && budget.availableAt(now.getTime()) <= now.getTime()) reason = 'deadline';
          if (reason !== 'deadline' && reason !== 'aborted' && answer.kind === 'failed' && answer.retryAt !== undefined) {
            nextRunAt = Math.max(nextRunAt ?? 0, answer.retryAt);
          }
          halt(reason, reason === 'upstream_down' || reason === 'rate_limited');
        }
        await renewal.ifDue();
      };

      /** Visits the next due repository; false when the run is over. */
      const step = async (): Promise<boolean> => {
        if (stop !== null) return false;
        if (signal.aborted) return (halt('aborted'), false);
        if (clock.now().getTime() >= deadline) return (halt('deadline'), false);
        const next = await due.next();
        if (next.done || stop !== null) return false;
        visited.add(next.value._id);
        await visit(next.value);
        return true;
      };

      // A worker that fails stops the others (in-flight requests aborted) and lets them end,
      // so nothing is still fetching or writing once the run reports and releases the lease.
      let workerError: unknown;
      const worker = async (once = false) => {
        try {
          while ((await step()) && !once);
        } catch (error) {
          if (error instanceof LeaseLostError) return halt('lease_lost', true);
          workerError ??= error;
          halt('error', true);
        }
      };
      try {
        // Until an answer confirms the real limit, one request alone: a concurrent first burst
        // could overshoot a limit smaller than assumed (another consumer, a smaller quota).
        const concurrency = config.SYNC_CONCURRENCY;
        if (concurrency > 1 && !budget.state().confirmed) await worker(true);
        await Promise.all(Array.from({ length: concurrency }, () => worker()));
        if (workerError !== undefined) {
          await writer.discard(); // a batch still being sent ends before the lease is released
          throw workerError;
        }
        if (stop === 'lease_lost') await writer.discard();
        else await writer.flush();
      } catch (error) {
        if (!(error instanceof LeaseLostError)) throw error;
        await writer.discard();
        halt('lease_lost');
      } finally {
        writes = { ...writer.stats };
        await due.return(undefined);
      }
      stoppedBy = stop ?? 'done';
    }
  } catch (error) {
    failure = error;
    stoppedBy = 'error';
  } finally {
    clearInterval(heartbeat);
    if (lease) {
      await lease.release().catch((error: unknown) => log.warn('releasing the sync lease failed', { err: error as Error }));
      sync.observer.leaseHeld(false);
    }
    handle.end();
  }

  const finishedAt = clock.now();
  const state = budget.state(finishedAt.getTime());
  const summary: SyncSummary = {
    runId,
    outcome: failure === undefined ? outcomeOf(counts, stoppedBy) : 'failed',
    stoppedBy,
    trigger,
    startedAt: startedAt.toISOString(),
    durationMs: Math.max(0, finishedAt.getTime() - startedAt.getTime()),
    tracked,
    counts,
    requestsSpent: state.spent - spentBefore,
    rateLimit: state.confirmed ? { limit: state.limit, remaining: state.remaining, reset: new Date(state.resetAt).toISOString() } : null,
    writes,
    nextRunHint: nextRunAt === null ? null : new Date(nextRunAt).toISOString(),
    ...(failure !== undefined && { error: failure instanceof Error ? failure.message : String(failure) }),
  };
  sync.observer.runFinished(summary);
  logSummary(log, summary, holder);
  if (failure !== undefined) throw failure;
  return summary;
}

/** Keeps the lease: renews when a third of its TTL has passed (by the run's clock) or on the heartbeat. */
function renewer(lease: Lease, everyMs: number, clock: Clock, log: Logger, onLost: () => void) {
  let last = clock.now().getTime();
  let pending: Promise<void> | undefined;
  const now = () =>
    (pending ??= (async () => {
      try {
        const ours = await lease.renew();
        last = clock.now().getTime();
        if (!ours) {
          log.error('the sync lease was taken over; stopping this run', { fence: lease.token });
          onLost();
        }
      } catch (error) {
        log.warn('renewing the sync lease failed', { err: error as Error });
      } finally {
        pending = undefined;
      }
    })());
  return {
    now,
    ifDue: () => (clock.now().getTime() - last >= everyMs ? now() : Promise.resolve()),
  };
}

type Failed = Extract<FetchRepoResult, { kind: 'failed' }>;

/** One line per upstream failure the run gives up on (retried attempts are logged by the client hook). */
function logFailure(log: Logger, doc: RepoDocument, answer: Failed) {
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

function logSummary(log: Logger, summary: SyncSummary, holder: { owner: string; expiresAt: Date } | null) {
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
    lease_holder: holder?.owner,
    lease_until: holder?.expiresAt.toISOString(),
    err: summary.error,
  };
  if (summary.outcome === 'failed') log.error('sync run finished', fields);
  else if (summary.outcome === 'partial') log.warn('sync run finished', fields);
  else log.info('sync run finished', fields);
}
