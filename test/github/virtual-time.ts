import { manualClock } from '../../tools/fake-github/clock.ts';

/**
 * One clock for the fake and the client: the client's sleeps move it forward at once, so a
 * simulated hour of pacing, backoff and resets costs milliseconds, while requests still go
 * over real HTTP. `sleeps` records every wait the client asked for.
 */
export function virtualTime() {
  const clock = manualClock();
  const sleeps: number[] = [];
  return {
    now: clock.now,
    advance: clock.advance,
    sleeps,
    sleep: async (ms: number, signal?: AbortSignal) => {
      signal?.throwIfAborted();
      sleeps.push(ms);
      clock.advance(ms);
    },
  };
}
