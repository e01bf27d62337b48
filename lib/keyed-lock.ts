/**
 * Runs tasks for the same key one after another inside this process.
 *
 * MongoDB applies a conditional update atomically, so `{_id, version}` filters alone give
 * compare-and-swap. The embedded test server (FerretDB v1) reads then writes without a
 * re-check, so two concurrent PATCHes could both pass; serialising them per document
 * here keeps the outcome right there too, for a single process.
 */
export class KeyedLock {
  readonly #tails = new Map<string, Promise<unknown>>();

  async run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.#tails.get(key) ?? Promise.resolve();
    const current = previous.then(task, task);
    const tail = current.catch(() => undefined);
    this.#tails.set(key, tail);
    try {
      return await current;
    } finally {
      if (this.#tails.get(key) === tail) this.#tails.delete(key);
    }
  }
}
