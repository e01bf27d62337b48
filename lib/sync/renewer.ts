import type { Clock } from '../clock.ts';
import type { Logger } from '../logging/logger.ts';
import type { Lease } from './lease.ts';

/**
 * Keeps a run's lease: renews it when a third of its TTL has passed, on a real-time heartbeat
 * (long paced waits) and after each record by the run's clock (a simulated clock moves
 * faster than the heartbeat). Calls `onLost` when another holder took it over.
 */
export interface Renewer {
  /** Renews if a third of the TTL has passed by the run's clock. */
  ifDue(): Promise<void>;
  stop(): void;
}

export function keepLease(lease: Lease, options: { ttlMs: number; clock: Clock; log: Logger; onLost: () => void }): Renewer {
  const { clock, log, onLost } = options;
  const everyMs = options.ttlMs / 3;
  let last = clock.now().getTime();
  let pending: Promise<void> | undefined;
  const renew = () =>
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
  const heartbeat = setInterval(() => void renew(), everyMs);
  heartbeat.unref();
  return {
    ifDue: () => (clock.now().getTime() - last >= everyMs ? renew() : Promise.resolve()),
    stop: () => clearInterval(heartbeat),
  };
}
