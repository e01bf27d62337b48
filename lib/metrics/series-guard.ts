/**
 * A hard cap on distinct label sets. Route templates already bound the `path` label, but a
 * cap makes the bound a guarantee: once `max` distinct sets have been seen, new ones are
 * refused and the caller records them under an overflow value instead, so no client can
 * grow the series count without limit.
 */
export const OVERFLOW = '__overflow__';

export class SeriesGuard {
  readonly #seen = new Set<string>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  /** True when this label set is already known or still fits under the cap. */
  admit(key: string): boolean {
    if (this.#seen.has(key)) return true;
    if (this.#seen.size >= this.#max) return false;
    this.#seen.add(key);
    return true;
  }
}
