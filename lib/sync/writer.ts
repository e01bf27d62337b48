import type { BulkWriteResult, Collection } from 'mongodb';
import type { RepoDocument } from '../repos/model.ts';
import type { RepoWrite } from './classify.ts';

/**
 * Writes a run's record changes. `batched` (the default) collects them and sends one
 * unordered bulkWrite per `batchSize` while the run keeps fetching, one batch at a time;
 * `per-record` sends one updateOne each (the benchmark's comparison). Before each write the
 * run checks it still holds its lease (`beforeWrite`); if not, the batch is dropped (counted
 * as refused) and the error propagates, so nothing is written under a lost lease.
 */
export type WriteMode = 'batched' | 'per-record';

export interface WriteStats {
  commands: number;
  documents: number;
  refused: number;
}

export interface RecordWriterOptions {
  mode: WriteMode;
  batchSize: number;
  /** Throws when writing must not happen (the lease is lost). */
  beforeWrite: () => Promise<void>;
}

export class RecordWriter {
  readonly stats: WriteStats = { commands: 0, documents: 0, refused: 0 };
  readonly #repos: Collection<RepoDocument>;
  readonly #options: RecordWriterOptions;
  #batch: RepoWrite[] = [];
  #tail: Promise<void> = Promise.resolve();
  #failure: unknown;

  constructor(repos: Collection<RepoDocument>, options: RecordWriterOptions) {
    this.#repos = repos;
    this.#options = options;
  }

  /** Queues (batched) or performs (per-record) one write. Rejects if an earlier batch failed. */
  async add(write: RepoWrite): Promise<void> {
    this.#throwIfFailed();
    if (this.#options.mode === 'per-record') {
      await this.#write([write]);
      return;
    }
    this.#batch.push(write);
    if (this.#batch.length < this.#options.batchSize) return;
    const batch = this.#batch;
    this.#batch = [];
    // Batches are written one after another, never side by side (FerretDB would run out of
    // connections); whoever filled one waits while the one before it is still being written.
    const previous = this.#tail;
    this.#tail = previous.then(() => this.#write(batch)).catch((error: unknown) => {
      this.#failure ??= error;
    });
    await previous;
    this.#throwIfFailed();
  }

  /** Writes whatever is queued and waits for it; rethrows the first failure. */
  async flush(): Promise<void> {
    await this.#tail;
    this.#throwIfFailed();
    const batch = this.#batch;
    this.#batch = [];
    if (batch.length > 0) await this.#write(batch);
  }

  /** Drops what is not sent yet (the run may not write any more), counting it as refused; waits for the batch being sent. */
  async discard(): Promise<void> {
    await this.#tail;
    this.stats.refused += this.#batch.length;
    this.#batch = [];
  }

  async #write(batch: RepoWrite[]): Promise<void> {
    try {
      await this.#options.beforeWrite();
    } catch (error) {
      this.stats.refused += batch.length;
      throw error;
    }
    this.stats.commands++;
    if (batch.length === 1 && this.#options.mode === 'per-record') {
      const { updateOne } = batch[0] as Extract<RepoWrite, { updateOne: unknown }>;
      const result = await this.#repos.updateOne(updateOne.filter, updateOne.update);
      this.#count(1, result.matchedCount, result.modifiedCount);
      return;
    }
    const result: BulkWriteResult = await this.#repos.bulkWrite(batch, { ordered: false });
    this.#count(batch.length, result.matchedCount, result.modifiedCount);
  }

  #count(sent: number, matched: number, modified: number) {
    this.stats.documents += modified;
    this.stats.refused += sent - matched;
  }

  #throwIfFailed() {
    if (this.#failure !== undefined) throw this.#failure;
  }
}
