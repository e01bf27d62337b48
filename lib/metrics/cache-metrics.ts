import { Gauge, type Registry, type RegistryContentType } from 'prom-client';
import type { Database } from '../db.ts';
import type { Clock } from '../clock.ts';
import { cacheAges } from '../repos/freshness.ts';

/**
 * How fresh the cache is, read from the database at scrape time in every process (api and
 * scheduler alike: whichever Prometheus reaches shows the truth, and the alert rules take
 * max() across them). The four gauges share one set of queries per scrape. When the database
 * does not answer they keep their last values; mongodb_up says why.
 */
export interface CacheMetricsOptions {
  db: Database;
  staleAfterMs: number;
  clock: Clock;
}

interface Snapshot {
  tracked: number;
  stale: number;
  oldestAgeSeconds: number;
}

export function registerCacheMetrics(registry: Registry<RegistryContentType>, options: CacheMetricsOptions): void {
  const { db, staleAfterMs, clock } = options;
  let inFlight: Promise<Snapshot | null> | undefined;
  // Every gauge's collect() runs in the same scrape: the first starts the queries, the others share them.
  const snapshot = () =>
    (inFlight ??= (async () => {
      try {
        const view = { now: clock.now(), staleAfterMs };
        const [tracked, ages] = await Promise.all([db.repos.countDocuments({}), cacheAges(db.repos, {}, view)]);
        return { tracked, stale: ages.staleCount, oldestAgeSeconds: ages.oldestAgeSeconds ?? 0 };
      } catch {
        return null;
      }
    })().finally(() => setImmediate(() => (inFlight = undefined))));

  const registers = [registry];
  const fromSnapshot = (pick: (s: Snapshot) => number) =>
    async function collect(this: Gauge) {
      const current = await snapshot();
      if (current) this.set(pick(current));
    };
  new Gauge({ name: 'repos_tracked', help: 'Repositories tracked.', registers, collect: fromSnapshot((s) => s.tracked) });
  new Gauge({
    name: 'repos_stale',
    help: 'Tracked repositories never synced or not confirmed against GitHub for STALE_AFTER.',
    registers,
    collect: fromSnapshot((s) => s.stale),
  });
  new Gauge({
    name: 'cache_oldest_record_age_seconds',
    help: 'Seconds since the least recently synced repository was synced (never synced: since it was tracked); 0 with none.',
    registers,
    collect: fromSnapshot((s) => s.oldestAgeSeconds),
  });
  new Gauge({
    name: 'cache_stale_after_seconds',
    help: 'The configured STALE_AFTER: records older than this are served marked stale.',
    registers,
  }).set(staleAfterMs / 1000);
}
