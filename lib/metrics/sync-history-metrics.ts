import { Gauge, type Registry, type RegistryContentType } from 'prom-client';
import type { Database } from '../db.ts';
import { syncRuns, type RunState } from '../sync/run-store.ts';

/**
 * When the last sync runs ended, read at scrape time from the run history in the database
 * (collection sync_runs, lib/sync/run-store.ts) in every process: right after a restart, in
 * a process that never ran a sync, and whichever replica ran it. The in-process
 * sync_last_*_timestamp_seconds only know the runs of their own process since it started.
 *
 * Both read 0 while the history holds no such run (it keeps the newest SYNC_HISTORY runs):
 * queries take `> 0`. When the database does not answer they keep their last values.
 */
const ENDED: RunState[] = ['succeeded', 'partial', 'failed'];

export function registerSyncHistoryMetrics(registry: Registry<RegistryContentType>, db: Database): void {
  const lastEnded = async (states: RunState[]): Promise<number> => {
    const [run] = await syncRuns(db)
      .find({ state: { $in: states } }, { projection: { finishedAt: 1 } })
      .sort({ finishedAt: -1 })
      .limit(1)
      .toArray();
    return run?.finishedAt ? run.finishedAt.getTime() / 1000 : 0;
  };
  const fromHistory = (states: RunState[]) =>
    async function collect(this: Gauge) {
      try {
        this.set(await lastEnded(states));
      } catch {
        // Database unreachable: keep the last value; mongodb_up says why.
      }
    };
  new Gauge({
    name: 'sync_history_last_success_timestamp_seconds',
    help: 'When the newest successful sync run in the database\'s run history ended, whichever process ran it (Unix time); 0 with none.',
    registers: [registry],
    collect: fromHistory(['succeeded']),
  });
  new Gauge({
    name: 'sync_history_last_run_timestamp_seconds',
    help: 'When the newest sync run in the database\'s run history ended, whatever its outcome (skipped runs excluded; Unix time); 0 with none.',
    registers: [registry],
    collect: fromHistory(ENDED),
  });
}
