/**
 * The one place where the end-to-end alert test speeds time up. The stack's alert rules wait
 * minutes (`for: 5m`, `[1h]` windows) and Alertmanager batches for minutes (group_interval);
 * the test derives copies of the real files with every duration multiplied by TIME_SCALE, so
 * each alert goes through the same states in the same order, 120 times faster.
 *
 * Scaled: rule `for:` and `keep_firing_for:`, every duration literal in PromQL (range
 * selectors, subqueries, offsets), and Alertmanager's group_wait, group_interval and
 * repeat_interval, these three to no less than two evaluation intervals (scaledWait). Not
 * scaled: plain numbers in expressions (thresholds such as `reset - time() > 600`), which
 * the alerts this test drives do not use, and the scrape and evaluation interval, which
 * stays at SCRAPE_INTERVAL so every scaled window still holds at least two samples.
 */
export const TIME_SCALE = 1 / 120;

/** Scrape and rule evaluation interval of the test's Prometheus (the stack's is 15s). */
export const SCRAPE_INTERVAL = '1s';

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000, y: 31_536_000_000 };
const DURATION = /(\d+)(ms|[smhdwy])/g;
const WHOLE_DURATION = /^(?:\d+(?:ms|[smhdwy]))+$/;

/** A Prometheus duration ("1h30m", "5m", "250ms") in milliseconds. */
export function durationMs(duration: string): number {
  if (!WHOLE_DURATION.test(duration)) throw new Error(`not a Prometheus duration: ${duration}`);
  return [...duration.matchAll(DURATION)].reduce((sum, [, amount, unit]) => sum + Number(amount) * UNIT_MS[unit!]!, 0);
}

/** The duration multiplied by TIME_SCALE, in whole milliseconds (at least 1ms). */
export const scaleDuration = (duration: string): string => `${Math.max(1, Math.round(durationMs(duration) * TIME_SCALE))}ms`;

/**
 * An Alertmanager wait scaled, but never under two evaluation intervals: group_wait exists
 * so that a cause and its symptoms, which fire an evaluation or so apart, reach a group
 * together and the inhibition holds from the first notification. The stack waits 30s for
 * 15s evaluations; scaled to 250ms against the test's 1s evaluations it would not.
 */
export const scaledWait = (duration: string): string => `${Math.max(durationMs(scaleDuration(duration)), 2 * durationMs(SCRAPE_INTERVAL))}ms`;

/** Every duration literal of a PromQL expression scaled: `[5m]`, `[1h:1m]`, `offset 15m`. */
export function scalePromQL(expr: string): string {
  return expr
    .replace(/\[\s*([\dmshdwy]+)\s*(?::\s*([\dmshdwy]*)\s*)?\]/g, (_all, range: string, step?: string) =>
      step === undefined ? `[${scaleDuration(range)}]` : `[${scaleDuration(range)}:${step ? scaleDuration(step) : ''}]`,
    )
    .replace(/\boffset\s+(-?)([\dmshdwy]+)/g, (_all, sign: string, offset: string) => `offset ${sign}${scaleDuration(offset)}`);
}
