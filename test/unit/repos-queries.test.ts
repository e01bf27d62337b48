import { describe, expect, it } from 'vitest';
import { parseIfMatch } from '../../lib/repos/etag.ts';
import { afterCursor, decodeCursor, encodeCursor, filterFor, listQuerySchema, sortFor } from '../../lib/repos/list-query.ts';
import { etagOf, newRepoDocument } from '../../lib/repos/model.ts';

/** GET /repos queries and cursors, and PATCH's ETags: pure, no server. */
const doc = { ...newRepoDocument({ owner: 'Acme', name: 'One' }, new Date('2026-11-25T12:00:00Z')), starsSort: 42 };

describe('list queries', () => {
  it('has defaults, and filters by tag and owner (case-insensitive)', () => {
    const query = listQuerySchema.parse({ tag: 'web', owner: 'ACME' });
    expect(query).toMatchObject({ sort: 'name', limit: 20 });
    expect(filterFor(query)).toEqual({ tags: 'web', ownerKey: 'acme' });
    expect(listQuerySchema.safeParse({ limit: '0' }).success).toBe(false);
    expect(listQuerySchema.safeParse({ extra: '1' }).success).toBe(false);
  });

  it('sorts each order with _id as the tie-breaker', () => {
    expect(sortFor('name')).toEqual({ _id: 1 });
    expect(sortFor('stars')).toEqual({ starsSort: -1, _id: 1 });
    expect(sortFor('updated')).toEqual({ updatedAt: -1, _id: 1 });
  });

  it('round-trips a cursor into the filter for what comes after, in each order', () => {
    const cursor = decodeCursor(encodeCursor(doc));
    expect(cursor).toEqual({ starsSort: 42, updatedAt: doc.updatedAt, id: 'acme/one' });
    expect(afterCursor(cursor, 'name')).toEqual({ _id: { $gt: 'acme/one' } });
    expect(afterCursor(cursor, 'stars')).toEqual({ $or: [{ starsSort: { $lt: 42 } }, { starsSort: 42, _id: { $gt: 'acme/one' } }] });
    expect(afterCursor(cursor, 'updated')).toEqual({ $or: [{ updatedAt: { $lt: doc.updatedAt } }, { updatedAt: doc.updatedAt, _id: { $gt: 'acme/one' } }] });
  });

  it('refuses, in the query schema, a cursor this API does not give', () => {
    expect(listQuerySchema.safeParse({ cursor: encodeCursor(doc) }).success).toBe(true);
    expect(listQuerySchema.safeParse({ cursor: 'garbage' }).success).toBe(false);
    expect(listQuerySchema.safeParse({ cursor: '1~2~UPPER~x' }).success).toBe(false);
  });
});

describe('ETags and If-Match', () => {
  it('makes the ETag from the version', () => {
    expect(etagOf({ version: 3 })).toBe('"3"');
  });

  it('reads *, strong tags, lists; never a weak tag; and asks for one when missing (428)', () => {
    expect(parseIfMatch('*')).toEqual({ any: true });
    expect(parseIfMatch('"3"')).toEqual({ any: false, versions: [3] });
    expect(parseIfMatch(' "3", "5" ')).toEqual({ any: false, versions: [3, 5] });
    expect(parseIfMatch('W/"3"')).toEqual({ any: false, versions: [] });
    expect(() => parseIfMatch(undefined)).toThrow(expect.objectContaining({ status: 428, code: 'precondition_required' }));
    expect(() => parseIfMatch('  ')).toThrow(expect.objectContaining({ status: 428 }));
  });
});
