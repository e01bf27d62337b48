import { describe, expect, it } from 'vitest';
import { count, duration, relative, utc } from '../../runtime/pages/format.ts';

/** How the status page words times and numbers. */
const NBSP = '\u00a0';

describe('format', () => {
  it('words durations in the largest whole unit, rounded down, number and unit kept together', () => {
    expect([0, 59, 60, 3599, 3600, 86_399, 86_400, 200_000].map(duration)).toEqual(
      ['0 s', '59 s', '1 min', '59 min', '1 h', '23 h', '1 d', '2 d'].map((text) => text.replace(' ', NBSP)),
    );
  });

  it('says how far a time is from now, either way', () => {
    const now = new Date('2026-12-01T12:00:00Z');
    expect(relative(new Date('2026-12-01T11:56:00Z'), now)).toBe(`4${NBSP}min ago`);
    expect(relative(new Date('2026-12-01T14:00:00Z'), now)).toBe(`in 2${NBSP}h`);
    expect(relative(new Date('2026-12-01T12:00:00.400Z'), now)).toBe('just now');
  });

  it('writes UTC times to the minute', () => {
    expect(utc(new Date('2026-12-01T00:42:59.999Z'))).toBe('2026-12-01 00:42 UTC');
  });

  it('shortens large counts without rounding up', () => {
    expect([0, 999, 1000, 12_345, 99_999, 123_456, 2_500_000, 999_999].map(count)).toEqual(['0', '999', '1k', '12.3k', '99.9k', '123k', '2.5M', '999k']);
  });
});
