import { z } from '@hono/zod-openapi';
import type { Filter, Sort } from 'mongodb';
import { HttpError } from '../errors.ts';
import type { RepoDocument } from './model.ts';
import { ownerSchema, tagSchema } from './schemas.ts';

/**
 * GET /repos: filters, sort orders and keyset (cursor) pagination. A cursor holds the sort
 * key and _id of the last item served, so pages stay stable while documents are added.
 */
export const MAX_PAGE_SIZE = 100;

export const sortOrders = ['name', 'stars', 'updated'] as const;
export type SortOrder = (typeof sortOrders)[number];

export const listQuerySchema = z.strictObject({
  tag: tagSchema.optional().openapi({ description: 'Only repositories carrying this tag.' }),
  owner: ownerSchema.optional().openapi({ description: 'Only repositories of this owner (case-insensitive).' }),
  sort: z.enum(sortOrders).default('name').openapi({
    description: 'name: owner/name A-Z; stars: most stars first (never-synced last); updated: most recently changed first.',
  }),
  limit: z.coerce.number().int().min(1).max(MAX_PAGE_SIZE).default(20),
  cursor: z.string().max(512).optional().openapi({ description: 'nextCursor from the previous page.' }),
});

export type ListQuery = z.output<typeof listQuerySchema>;

const cursorSchema = z.strictObject({
  s: z.enum(sortOrders),
  id: z.string().min(1).max(200),
  k: z.union([z.number(), z.string()]).optional(),
});
type Cursor = z.output<typeof cursorSchema>;

export function encodeCursor(sort: SortOrder, doc: RepoDocument): string {
  const cursor: Cursor = { s: sort, id: doc._id };
  if (sort === 'stars') cursor.k = doc.starsSort;
  if (sort === 'updated') cursor.k = doc.updatedAt.toISOString();
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

const invalidCursor = (why: string) => new HttpError(400, 'invalid_cursor', `The cursor is not valid: ${why}.`);

export function decodeCursor(raw: string, sort: SortOrder): Cursor {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(raw, 'base64url').toString('utf8'));
  } catch {
    throw invalidCursor('it was not produced by this API');
  }
  const parsed = cursorSchema.safeParse(value);
  if (!parsed.success) throw invalidCursor('it was not produced by this API');
  const cursor = parsed.data;
  if (cursor.s !== sort) throw invalidCursor(`it belongs to sort=${cursor.s}, not sort=${sort}`);
  if (sort === 'stars' && typeof cursor.k !== 'number') throw invalidCursor('it lacks its sort key');
  if (sort === 'updated' && (typeof cursor.k !== 'string' || Number.isNaN(Date.parse(cursor.k)))) {
    throw invalidCursor('it lacks its sort key');
  }
  return cursor;
}

export function sortFor(sort: SortOrder): Sort {
  if (sort === 'stars') return { starsSort: -1, _id: 1 };
  if (sort === 'updated') return { updatedAt: -1, _id: 1 };
  return { _id: 1 };
}

export function filterFor(query: ListQuery): Filter<RepoDocument> {
  const filter: Filter<RepoDocument> = {};
  if (query.tag) filter.tags = query.tag;
  if (query.owner) filter.ownerKey = query.owner.toLowerCase();
  return filter;
}

/** The filter that selects documents after the cursor, in the order sortFor gives. */
export function afterCursor(cursor: Cursor): Filter<RepoDocument> {
  if (cursor.s === 'name') return { _id: { $gt: cursor.id } };
  const field = cursor.s === 'stars' ? 'starsSort' : 'updatedAt';
  const key = cursor.s === 'stars' ? (cursor.k as number) : new Date(cursor.k as string);
  return { $or: [{ [field]: { $lt: key } }, { [field]: key, _id: { $gt: cursor.id } }] } as Filter<RepoDocument>;
}
