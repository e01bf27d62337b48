import { createRoute, z } from '@hono/zod-openapi';
import { defineFunction, json } from '../lib/function.ts';
import { errorResponses, jsonContent } from '../lib/openapi.ts';
import { afterCursor, decodeCursor, encodeCursor, filterFor, listQuerySchema, sortFor } from '../lib/repos/list-query.ts';
import { cacheAges } from '../lib/repos/freshness.ts';
import { presentRepo, viewOf } from '../lib/repos/present.ts';
import { repoSchema } from '../lib/repos/schemas.ts';

const listSchema = z
  .object({
    items: z.array(repoSchema),
    total: z.number().int().openapi({ description: 'How many repositories match the filters, over all pages.' }),
    limit: z.number().int(),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as ?cursor= for the next page; null on the last.' }),
    oldestSyncAgeSeconds: z.number().int().nullable().openapi({
      description:
        'Over every repository matching the filters (not just this page): seconds since the least recently synced one ' +
        'was synced (one never synced counts from when it was tracked); null when none match.',
    }),
    staleCount: z.number().int().openapi({
      description: 'How many repositories matching the filters are stale (never synced, or older than STALE_AFTER).',
    }),
  })
  .openapi('RepoList');

/**
 * GET /repos: tracked repositories, filtered, sorted and paged with a cursor, each saying how
 * fresh it is, and how old the oldest matching entry is. Served from the cache, never GitHub.
 */
export default defineFunction({
  name: 'list-repos',
  route: createRoute({
    method: 'get',
    path: '/repos',
    summary: 'List tracked repositories',
    description: 'Query parameters other than these, or one given twice, are refused with 400.',
    request: { query: listQuerySchema },
    responses: {
      200: {
        ...jsonContent(listSchema, 'One page of repositories'),
        links: {
          next: {
            operationId: 'listRepos',
            description: 'The next page: the same query with cursor=nextCursor (null on the last page).',
            parameters: { cursor: '$response.body#/nextCursor' },
          },
        },
      },
      ...errorResponses(400, 401),
    },
  }),
  async handler({ query }, deps) {
    const { db } = deps;
    const view = viewOf(deps);
    const filter = filterFor(query);
    const page = query.cursor ? { $and: [filter, afterCursor(decodeCursor(query.cursor), query.sort)] } : filter;
    const [docs, total, ages] = await Promise.all([
      db.repos
        .find(page)
        .sort(sortFor(query.sort))
        .limit(query.limit + 1)
        .toArray(),
      db.repos.countDocuments(filter),
      cacheAges(db.repos, filter, view),
    ]);
    const hasMore = docs.length > query.limit;
    const items = hasMore ? docs.slice(0, query.limit) : docs;
    const last = items.at(-1);
    return json(200, {
      items: items.map((doc) => presentRepo(doc, view)),
      total,
      limit: query.limit,
      nextCursor: hasMore && last ? encodeCursor(last) : null,
      oldestSyncAgeSeconds: ages.oldestAgeSeconds,
      staleCount: ages.staleCount,
    });
  },
});
