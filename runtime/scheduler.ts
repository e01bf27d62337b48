import { Cron } from 'croner';
import type { Logger } from '../lib/logging/logger.ts';

/**
 * Runs the sync on SYNC_SCHEDULE with croner. `protect` keeps runs from overlapping inside
 * this process (a trigger that finds the previous run still going is skipped, and says so);
 * across processes the sync's lease does the same. The run itself logs its summary line.
 */
export interface Scheduler {
  nextRun(): Date | null;
  /** No more triggers; a run in progress goes on (SyncRuns.drain waits for it). */
  stop(): void;
}

export function startScheduler(options: { schedule: string; deadlineMs: number; log: Logger; run: () => Promise<unknown> }): Scheduler {
  const { schedule, log } = options;
  const job = new Cron(
    schedule,
    {
      mode: '5-or-6-parts',
      protect: (self) =>
        log.warn('the previous sync run is still going; this scheduled run is skipped', {
          schedule,
          running_since: self.currentRun()?.toISOString(),
        }),
      catch: (error) => log.error('the scheduled sync failed', { err: error instanceof Error ? error : String(error) }),
    },
    async () => {
      await options.run();
    },
  );
  log.info('scheduler started', { schedule, next_run: job.nextRun()?.toISOString(), deadline_ms: options.deadlineMs });
  const [next, after] = job.nextRuns(2);
  if (next && after && options.deadlineMs >= after.getTime() - next.getTime()) {
    log.warn('SYNC_DEADLINE is not shorter than the interval between scheduled runs: a long run makes the next one skip', {
      deadline_ms: options.deadlineMs,
      interval_ms: after.getTime() - next.getTime(),
    });
  }
  return { nextRun: () => job.nextRun(), stop: () => job.stop() };
}
