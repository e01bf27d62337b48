/**
 * Which repositories this process confirmed unchanged upstream (a 304, or a 200 with the
 * content already stored) without writing anything, and when.
 *
 * A confirmation writes nothing while the stored `sync.lastSyncedAt` is recent (see
 * classify.ts), so the database alone would keep offering the same records as "least
 * recently synced" run after run while others wait. This memory puts them back in their
 * true place in the order (see due.ts). It lives as long as the process, like the
 * rate-limit budget; after a restart the worst case is one extra check of those records.
 */
export class CheckMemory {
  readonly #checkedAt = new Map<string, number>();

  /** `id` was confirmed unchanged at `at` (epoch ms). */
  record(id: string, at: number): void {
    this.#checkedAt.set(id, at);
  }

  /** The stored document now says as much (a write happened); nothing left to remember. */
  forget(id: string): void {
    this.#checkedAt.delete(id);
  }

  checkedAt(id: string): number | undefined {
    return this.#checkedAt.get(id);
  }

  get size(): number {
    return this.#checkedAt.size;
  }
}
