import type { Clock } from '../clock.ts';
import type { RepoDocument } from '../repos/model.ts';
import { classify } from './classify.ts';
import type { SyncDeps } from './deps.ts';
import type { ProgressTracker } from './progress.ts';
import { logFailure } from './report.ts';
import type { RunStop } from './stop.ts';
import type { RecordCounts } from './summary.ts';
import type { RecordWriter } from './writer.ts';
import type { Logger } from '../logging/logger.ts';

/**
 * One step of a run: ask the upstream about one repository, decide what the answer means for
 * the stored record (classify.ts), count it, queue its write, and stop the run when the
 * answer says the upstream is down, refusing, unreachable or out of budget.
 */
export interface VisitContext {
  sync: SyncDeps;
  clock: Clock;
  log: Logger;
  /** The run's fencing token. */
  token: number;
  deadline: number;
  markerIntervalMs: number;
  counts: RecordCounts;
  progress: ProgressTracker;
  writer: RecordWriter;
  stop: RunStop;
}

export async function visit(doc: RepoDocument, context: VisitContext): Promise<void> {
  const { sync, clock, counts, stop } = context;
  const answer = await sync.github.fetchRepo(doc.owner, doc.name, doc.sync.etag, { signal: stop.signal, deadline: context.deadline });
  const now = clock.now();
  const outcome = classify(doc, answer, { now, token: context.token, markerIntervalMs: context.markerIntervalMs });
  if (outcome.result) {
    counts[outcome.result]++;
    context.progress.visited();
    sync.observer.recordVisited?.(outcome.result);
  }
  // An unreachable upstream is said once, by the run's own line.
  if (answer.kind === 'failed' && outcome.result === 'failed' && answer.reason !== 'unreachable') logFailure(context.log, doc, answer);
  if (outcome.confirmed) sync.checks.record(doc._id, now.getTime());
  if (outcome.write) {
    sync.checks.forget(doc._id);
    await context.writer.add(outcome.write);
  }
  if (!outcome.stop) return;
  let reason = outcome.stop;
  // The budget would allow a request, only not before the deadline: the deadline stopped us.
  if (reason === 'budget' && sync.github.budget.availableAt(now.getTime()) <= now.getTime()) reason = 'deadline';
  const retryAt = answer.kind === 'failed' && reason !== 'deadline' && reason !== 'aborted' ? answer.retryAt : undefined;
  const detail = answer.kind === 'failed' && reason === 'upstream_unreachable' ? answer.message : undefined;
  stop.halt(reason, { abortInFlight: reason === 'upstream_down' || reason === 'rate_limited' || reason === 'upstream_unreachable', retryAt, detail });
}
