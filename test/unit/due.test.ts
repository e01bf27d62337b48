import { describe, expect, it } from 'vitest';
import { newRepoDocument, type RepoDocument } from '../../lib/repos/model.ts';
import { CheckMemory } from '../../lib/sync/check-memory.ts';
import { after, DueOrder } from '../../lib/sync/due.ts';

/** The order a run visits repositories in, from pages in stored order: pure, no server. */
const at = (minutes: number | null) => (minutes === null ? null : new Date(Date.UTC(2026, 10, 25, 12, minutes)));
function doc(name: string, syncedAtMinute: number | null): RepoDocument {
  const base = newRepoDocument({ owner: 'acme', name }, new Date(Date.UTC(2026, 10, 1)));
  return { ...base, sync: { ...base.sync, lastSyncedAt: at(syncedAtMinute) } };
}
const ids = (docs: Iterable<RepoDocument>) => [...docs].map((d) => d._id.slice(5));

describe('DueOrder', () => {
  it('keeps the stored order when the process remembers nothing newer', () => {
    const order = new DueOrder(new CheckMemory(), new Set());
    expect(ids(order.page([doc('a', null), doc('b', 1), doc('c', 2)]))).toEqual(['a', 'b', 'c']);
    expect(ids(order.rest())).toEqual([]);
  });

  it('holds back a record confirmed more recently than stored until the order reaches that time', () => {
    const checks = new CheckMemory();
    checks.record('acme/a', at(5)!.getTime()); // confirmed at :05, stored :01
    const order = new DueOrder(checks, new Set());
    expect(ids(order.page([doc('a', 1), doc('b', 2)]))).toEqual(['b']);
    expect(ids(order.page([doc('c', 4), doc('d', 6)]))).toEqual(['c', 'a', 'd']);
  });

  it('yields what is still held back at the end, oldest confirmation first', () => {
    const checks = new CheckMemory();
    checks.record('acme/a', at(9)!.getTime());
    checks.record('acme/b', at(8)!.getTime());
    const order = new DueOrder(checks, new Set());
    expect(ids(order.page([doc('a', 1), doc('b', 2), doc('c', 3)]))).toEqual(['c']);
    expect(ids(order.rest())).toEqual(['b', 'a']);
  });

  it('never yields a record this run has visited, even one it wrote that reappears later', () => {
    const visited = new Set(['acme/b']);
    const order = new DueOrder(new CheckMemory(), visited);
    expect(ids(order.page([doc('a', 1), doc('b', 2)]))).toEqual(['a']);
  });
});

describe('after (the next page of the stored order)', () => {
  it('continues past a never-synced record within the nulls, then every synced one', () => {
    expect(after(doc('m', null))).toEqual({ $or: [{ 'sync.lastSyncedAt': null, _id: { $gt: 'acme/m' } }, { 'sync.lastSyncedAt': { $ne: null } }] });
  });

  it('continues past a synced record by date, then by id on the same date', () => {
    expect(after(doc('m', 3))).toEqual({ $or: [{ 'sync.lastSyncedAt': { $gt: at(3) } }, { 'sync.lastSyncedAt': at(3), _id: { $gt: 'acme/m' } }] });
  });
});
