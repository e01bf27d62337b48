/**
 * Where the service reads the time: handlers, the sync and the cache metrics take a Clock
 * rather than calling `new Date()`, so tests can simulate an hour of rate-limit pacing or
 * STALE_AFTER in milliseconds.
 */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
