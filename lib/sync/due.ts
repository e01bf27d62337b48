import type { Collection, Filter } from 'mongodb';
import type { RepoDocument } from '../repos/model.ts';
import type { CheckMemory } from './check-memory.ts';

/**
 * Tracked repositories in the order a sync run visits them: least recently confirmed first,
 * never-synced ones before all others. "Confirmed" is the later of the stored
 * `sync.lastSyncedAt` and this process's CheckMemory.
 *
 * Pages are read by keyset on (sync.lastSyncedAt, _id), a fresh query each, so no cursor
 * stays open through a long, paced run. Records the memory says are fresher than stored
 * wait in a small sorted queue and are merged back in at their real place. Each record comes
 * at most once per run (`visited`): one this run has just written reappears at the end of
 * the order with its new date, and is skipped there.
 */
const PROJECTION = { tags: 0, notes: 0 } as const;

export async function* dueRepos(
  repos: Collection<RepoDocument>,
  options: { checks: CheckMemory; visited: ReadonlySet<string>; pageSize: number },
): AsyncGenerator<RepoDocument> {
  const { pageSize } = options;
  const order = new DueOrder(options.checks, options.visited);
  let last: RepoDocument | undefined;
  for (;;) {
    const page = (await repos
      .find(last ? after(last) : {}, { projection: PROJECTION })
      .sort({ 'sync.lastSyncedAt': 1, _id: 1 })
      .limit(pageSize)
      .toArray()) as RepoDocument[];
    last = page.at(-1) ?? last;
    yield* order.page(page);
    if (page.length < pageSize) break;
  }
  yield* order.rest();
}

/**
 * The pure half of the order: takes pages in stored order (lastSyncedAt, _id) and yields
 * records in due order, holding back those the check memory says are fresher than stored
 * until the stored order reaches their real date.
 */
export class DueOrder {
  readonly #checks: Pick<CheckMemory, 'checkedAt'>;
  readonly #visited: ReadonlySet<string>;
  readonly #waiting: { at: number; doc: RepoDocument }[] = [];

  constructor(checks: Pick<CheckMemory, 'checkedAt'>, visited: ReadonlySet<string>) {
    this.#checks = checks;
    this.#visited = visited;
  }

  *page(page: readonly RepoDocument[]): Generator<RepoDocument> {
    for (const doc of page) {
      if (this.#visited.has(doc._id)) continue;
      const stored = doc.sync.lastSyncedAt?.getTime() ?? -Infinity;
      const checked = this.#checks.checkedAt(doc._id);
      if (checked !== undefined && checked > stored) {
        insertSorted(this.#waiting, { at: checked, doc });
        continue;
      }
      while (this.#waiting.length > 0 && this.#waiting[0]!.at <= stored) yield* fresh(this.#waiting.shift()!.doc, this.#visited);
      yield doc;
    }
  }

  /** What is still held back, once the stored order is exhausted. */
  *rest(): Generator<RepoDocument> {
    while (this.#waiting.length > 0) yield* fresh(this.#waiting.shift()!.doc, this.#visited);
  }
}

function* fresh(doc: RepoDocument, visited: ReadonlySet<string>) {
  if (!visited.has(doc._id)) yield doc;
}

/** Everything after `doc` in (sync.lastSyncedAt ascending, nulls first; _id ascending). */
export function after(doc: RepoDocument): Filter<RepoDocument> {
  const at = doc.sync.lastSyncedAt;
  if (at === null) return { $or: [{ 'sync.lastSyncedAt': null, _id: { $gt: doc._id } }, { 'sync.lastSyncedAt': { $ne: null } }] };
  return { $or: [{ 'sync.lastSyncedAt': { $gt: at } }, { 'sync.lastSyncedAt': at, _id: { $gt: doc._id } }] };
}

function insertSorted(queue: { at: number; doc: RepoDocument }[], item: { at: number; doc: RepoDocument }) {
  let low = 0;
  let high = queue.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if (queue[mid]!.at <= item.at) low = mid + 1;
    else high = mid;
  }
  queue.splice(low, 0, item);
}
