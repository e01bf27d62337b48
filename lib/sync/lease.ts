import type { Collection } from 'mongodb';
import { isDuplicateKey } from '../db.ts';

/**
 * A lease in MongoDB: at most one holder of `name` at a time, across every process that
 * shares the database, with an expiry (a crashed holder cannot block others for longer than
 * its TTL) and a fencing token that grows with every acquisition.
 *
 *   const got = await acquireLease(locks, { name: 'sync', owner, ttlMs: 60_000, now });
 *   if (got.acquired) { ...; await got.lease.renew(); ...; await got.lease.release(); }
 *
 * Acquiring never relies on compare-and-swap (not atomic on the embedded FerretDB) but on
 * inserts, where a unique _id lets exactly one contender win (E11000 for the others, on
 * MongoDB and FerretDB alike): a free lease is taken by inserting it; an expired one is first
 * claimed by inserting a takeover document named after the expired holder, so that only one
 * contender ever deletes it (FerretDB deletes by _id after its own read, so several deleters
 * could remove each other's fresh leases), and that one then inserts its own. Only then does
 * the winner draw its token, by $inc on a counter document that only holders touch, one
 * after another, so tokens strictly increase from holder to holder; and it reads the lease
 * back before calling it its own.
 *
 * Renewal and release filter on owner and token, so a holder that lost its lease (it
 * expired and someone took over) can neither extend nor delete the new holder's.
 */
export interface LockDocument {
  _id: string;
  owner: string;
  /** The fencing token; 0 for the instant between the insert and drawing it. */
  token: number;
  acquiredAt: Date;
  expiresAt: Date;
}

interface CounterDocument {
  _id: string;
  value: number;
}

export interface LeaseOptions {
  /** What is leased: the document's _id. */
  name: string;
  /** Who asks: unique per attempt (host, process and run). */
  owner: string;
  ttlMs: number;
  now: () => Date;
}

export interface Lease {
  readonly name: string;
  readonly owner: string;
  readonly token: number;
  /** As last written by this holder. */
  readonly expiresAt: Date;
  /** Pushes the expiry to now + TTL; false when the lease is no longer ours. */
  renew(): Promise<boolean>;
  /** True while the stored lease is still ours (a read, no write). */
  verify(): Promise<boolean>;
  /** Deletes the lease if it is still ours; false when it was not. */
  release(): Promise<boolean>;
}

export type AcquireResult =
  | { acquired: true; lease: Lease }
  | { acquired: false; holder: Pick<LockDocument, 'owner' | 'token' | 'expiresAt'> | null };

const counterId = (name: string) => `${name}:fence`;

export async function acquireLease(locks: Collection<LockDocument>, options: LeaseOptions): Promise<AcquireResult> {
  const { name, owner, ttlMs, now } = options;
  const acquiredAt = now();
  const current = await locks.findOne({ _id: name });
  if (current && current.expiresAt >= acquiredAt) return refused(current);
  if (current) {
    // Expired: one claim per expired holder, so one contender alone deletes it.
    const claimed = await insertUnique(locks as unknown as Collection<ClaimDocument>, { _id: `${name}:takeover:${current.owner}`, by: owner, at: acquiredAt });
    if (!claimed) return refused(current);
    await locks.deleteOne({ _id: name, owner: current.owner, token: current.token });
  }
  const expiresAt = new Date(acquiredAt.getTime() + ttlMs);
  if (!(await insertUnique(locks, { _id: name, owner, token: 0, acquiredAt, expiresAt }))) {
    return refused(await locks.findOne({ _id: name }));
  }
  const token = await drawToken(locks as unknown as Collection<CounterDocument>, counterId(name));
  await locks.updateOne({ _id: name, owner }, { $set: { token } });
  const lease = heldLease(locks, { name, owner, token, ttlMs, now, expiresAt });
  if (!(await lease.verify())) return refused(await locks.findOne({ _id: name }));
  return { acquired: true, lease };
}

interface ClaimDocument {
  _id: string;
  by: string;
  at: Date;
}

/** Inserts `doc`; false when its _id exists already. */
async function insertUnique<T extends { _id: string }>(collection: Collection<T>, doc: T): Promise<boolean> {
  try {
    await collection.insertOne(doc as never);
    return true;
  } catch (error) {
    if (isDuplicateKey(error)) return false;
    throw error;
  }
}

const refused = (holder: LockDocument | null): AcquireResult => ({
  acquired: false,
  holder: holder ? { owner: holder.owner, token: holder.token, expiresAt: holder.expiresAt } : null,
});

/** The next fencing token. Only a fresh holder calls this, so no two calls race (bar a takeover race, see docs/sync.md). */
async function drawToken(counters: Collection<CounterDocument>, id: string): Promise<number> {
  for (let attempt = 0; ; attempt++) {
    try {
      const counter = await counters.findOneAndUpdate({ _id: id }, { $inc: { value: 1 } }, { upsert: true, returnDocument: 'after' });
      return counter!.value;
    } catch (error) {
      // Two first-ever upserts: one inserted, the other's insert failed; its $inc now finds the document.
      if (!isDuplicateKey(error) || attempt > 0) throw error;
    }
  }
}

function heldLease(
  locks: Collection<LockDocument>,
  state: { name: string; owner: string; token: number; ttlMs: number; now: () => Date; expiresAt: Date },
): Lease {
  const mine = { _id: state.name, owner: state.owner, token: state.token };
  let expiresAt = state.expiresAt;
  return {
    name: state.name,
    owner: state.owner,
    token: state.token,
    get expiresAt() {
      return expiresAt;
    },
    async renew() {
      const next = new Date(state.now().getTime() + state.ttlMs);
      // Still ours if nobody took over, even a little past its expiry (a long GC pause).
      const { matchedCount } = await locks.updateOne(mine, { $set: { expiresAt: next } });
      if (matchedCount === 1) expiresAt = next;
      return matchedCount === 1;
    },
    async verify() {
      const stored = await locks.findOne({ _id: state.name });
      return stored !== null && stored.owner === state.owner && stored.token === state.token;
    },
    async release() {
      const { deletedCount } = await locks.deleteOne(mine);
      return deletedCount === 1;
    },
  };
}

/** The current holder of `name`, if its lease has not expired. */
export async function leaseHolder(locks: Collection<LockDocument>, name: string, now: Date): Promise<LockDocument | null> {
  const stored = await locks.findOne({ _id: name });
  return stored && stored.expiresAt >= now ? stored : null;
}
