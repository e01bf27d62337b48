import { z } from '@hono/zod-openapi';
import type { Filter, Sort } from 'mongodb';
import type { RepoDocument } from './model.ts';
import { pageLimitSchema } from '../openapi.ts';
import { ownerSchema, tagSchema } from './schemas.ts';

/**
 * GET /repos: filters, sort orders and keyset (cursor) pagination. A cursor is the position
 * of the last item served, with every key any sort order needs (stars, last change, id), so
 * pages stay stable while documents are added, and every string of the cursor's documented
 * form is a position the list can continue from, in any sort order: nothing to refuse beyond
 * the pattern.
 */
export const MAX_PAGE_SIZE = 100;

export const sortOrders = ['name', 'stars', 'updated'] as const;
export type SortOrder = (typeof sortOrders)[number];

// <stars, -1 before the first sync>~<last change, epoch ms>~<owner>~<name>, lower-cased as ids are.
const CURSOR = /^(-1|\d{1,15})~(\d{1,15})~([a-z0-9-]{1,39})~([a-z0-9._-]{1,100})$/;

export const listQuerySchema = z.strictObject({
  tag: tagSchema.optional().openapi({ description: 'Only repositories carrying this tag.' }),
  owner: ownerSchema.optional().openapi({ description: 'Only repositories of this owner (case-insensitive).' }),
  sort: z.enum(sortOrders).default('name').openapi({
    description: 'name: owner/name A-Z; stars: most stars first (never-synced last); updated: most recently changed first.',
  }),
  limit: pageLimitSchema(MAX_PAGE_SIZE),
  cursor: z
    .string()
    .max(200)
    .regex(CURSOR, 'not a cursor this API gives (nextCursor)')
    .optional()
    .openapi({ description: 'nextCursor from the previous page: the list continues after that item.', example: '-1~1764547200000~honojs~hono' }),
});

export type ListQuery = z.output<typeof listQuerySchema>;

export interface Cursor {
  starsSort: number;
  updatedAt: Date;
  id: string;
}

export function encodeCursor(doc: RepoDocument): string {
  const [owner, name] = splitKey(doc._id);
  return `${doc.starsSort}~${doc.updatedAt.getTime()}~${owner}~${name}`;
}

/** A cursor the schema has already checked against CURSOR. */
export function decodeCursor(raw: string): Cursor {
  const [, stars, updated, owner, name] = CURSOR.exec(raw)!;
  return { starsSort: Number(stars), updatedAt: new Date(Number(updated)), id: `${owner}/${name}` };
}

const splitKey = (id: string) => {
  const slash = id.indexOf('/');
  return [id.slice(0, slash), id.slice(slash + 1)] as const;
};

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
export function afterCursor(cursor: Cursor, sort: SortOrder): Filter<RepoDocument> {
  if (sort === 'name') return { _id: { $gt: cursor.id } };
  const field = sort === 'stars' ? 'starsSort' : 'updatedAt';
  const key = sort === 'stars' ? cursor.starsSort : cursor.updatedAt;
  return { $or: [{ [field]: { $lt: key } }, { [field]: key, _id: { $gt: cursor.id } }] } as Filter<RepoDocument>;
}
