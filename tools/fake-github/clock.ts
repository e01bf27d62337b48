/**
 * Where the fake reads the time from, in epoch milliseconds. Rate-limit windows and the
 * slow drift of repository stats follow this clock, so a test can live through an hour
 * in milliseconds. Injected delays (the `delay` fault) stay in real time: they exist to
 * trip a client's real timeout.
 */
export type Now = () => number;

/** Real time sped up `scale` times from `origin`: with 60, one simulated hour per real minute. */
export function scaledClock(scale: number, origin: number = Date.now(), real: Now = Date.now): Now {
  if (!(scale > 0) || !Number.isFinite(scale)) throw new RangeError(`time scale must be a positive number, got ${scale}`);
  if (scale === 1 && origin === real()) return real;
  const start = real();
  return () => origin + (real() - start) * scale;
}

export interface ManualClock {
  now: Now;
  /** Moves time forward; never backwards, as a real clock would. */
  advance(ms: number): void;
}

/**
 * A clock that moves only when told. Hand the same one to the fake (`now`) and to a client
 * (`now`, and a `sleep` that calls `advance`) and a simulated hour costs no real time.
 */
export function manualClock(start: number = Date.parse('2026-01-01T00:00:00Z')): ManualClock {
  let time = start;
  return {
    now: () => time,
    advance(ms) {
      if (ms > 0) time += ms;
    },
  };
}
