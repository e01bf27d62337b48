import { createRoute, z } from '@hono/zod-openapi';
import { defineFunction, json } from '../lib/function.ts';
import { errorResponses, jsonContent } from '../lib/openapi.ts';
import { afterCursor, decodeCursor, encodeCursor, filterFor, listQuerySchema, sortFor } from '../lib/repos/list-query.ts';
import { presentRepo } from '../lib/repos/present.ts';
import { repoSchema } from '../lib/repos/schemas.ts';

const listSchema = z
  .object({
    items: z.array(repoSchema),
    total: z.number().int().openapi({ description: 'How many repositories match the filters, over all pages.' }),
    limit: z.number().int(),
    nextCursor: z.string().nullable().openapi({ description: 'Pass as ?cursor= for the next page; null on the last.' }),
  })
  .openapi('RepoList');

/** GET /repos: tracked repositories, filtered, sorted and paged with a cursor. */
export default defineFunction({
  name: 'list-repos',
  route: createRoute({
    method: 'get',
    path: '/repos',
    summary: 'List tracked repositories',
    request: { query: listQuerySchema },
    responses: { 200: jsonContent(listSchema, 'One page of repositories'), ...errorResponses(400, 401) },
  }),
  async handler({ query }, { db }) {
    const filter = filterFor(query);
    const page = query.cursor ? { $and: [filter, afterCursor(decodeCursor(query.cursor, query.sort))] } : filter;
    const [docs, total] = await Promise.all([
      db.repos
        .find(page)
        .sort(sortFor(query.sort))
        .limit(query.limit + 1)
        .toArray(),
      db.repos.countDocuments(filter),
    ]);
    const hasMore = docs.length > query.limit;
    const items = hasMore ? docs.slice(0, query.limit) : docs;
    const last = items.at(-1);
    return json(200, {
      items: items.map(presentRepo),
      total,
      limit: query.limit,
      nextCursor: hasMore && last ? encodeCursor(query.sort, last) : null,
    });
  },
});
