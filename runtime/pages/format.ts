/**
 * How the status page words times and numbers for people: "4 min ago", "in 2 h", "12.3k".
 * The page is rendered once on the server, so relative times are as of that moment; the
 * exact UTC time goes beside them (in a <time> element's datetime and title).
 */
const UNITS: [limitSeconds: number, divisor: number, unit: string][] = [
  [60, 1, 's'],
  [3600, 60, 'min'],
  [86_400, 3600, 'h'],
  [Infinity, 86_400, 'd'],
];

/** 42 → "42 s", 125 → "2 min", 7300 → "2 h", 200000 → "2 d" (rounded down; a no-break space keeps number and unit together). */
export function duration(seconds: number): string {
  const abs = Math.max(0, Math.floor(Math.abs(seconds)));
  const [, divisor, unit] = UNITS.find(([limit]) => abs < limit)!;
  return `${Math.floor(abs / divisor)}\u00a0${unit}`;
}

/** "3 min ago" or "in 3 min", relative to `now`; "just now" within a second. */
export function relative(date: Date, now: Date): string {
  const seconds = (date.getTime() - now.getTime()) / 1000;
  if (Math.abs(seconds) < 1) return 'just now';
  return seconds < 0 ? `${duration(-seconds)} ago` : `in ${duration(seconds)}`;
}

/** "2026-12-01 00:42 UTC": short enough for a phone. */
export function utc(date: Date): string {
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/** 950 → "950", 12_345 → "12.3k", 2_500_000 → "2.5M". */
export function count(value: number): string {
  if (value < 1000) return String(value);
  if (value < 1_000_000) return `${trimmed(value / 1000)}k`;
  return `${trimmed(value / 1_000_000)}M`;
}

const trimmed = (value: number) => (value >= 100 ? Math.floor(value).toString() : (Math.floor(value * 10) / 10).toString());
