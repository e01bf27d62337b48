import { createRoute } from '@hono/zod-openapi';
import { notFound } from '../lib/errors.ts';
import { defineFunction, json } from '../lib/function.ts';
import { errorResponses, etagHeader, jsonContent } from '../lib/openapi.ts';
import { etagOf, repoKey } from '../lib/repos/model.ts';
import { presentRepo, viewOf } from '../lib/repos/present.ts';
import { repoParamsSchema, repoSchema } from '../lib/repos/schemas.ts';

/** GET /repos/:owner/:name: one tracked repository, from the cache (never from GitHub). */
export default defineFunction({
  name: 'get-repo',
  route: createRoute({
    method: 'get',
    path: '/repos/{owner}/{name}',
    summary: 'Get a tracked repository',
    request: { params: repoParamsSchema },
    responses: {
      200: {
        ...jsonContent(repoSchema, 'The repository; its ETag for If-Match'),
        headers: etagHeader,
        links: {
          update: { operationId: 'updateRepo', parameters: { owner: '$request.path.owner', name: '$request.path.name', 'header.if-match': '$response.header.etag' } },
        },
      },
      ...errorResponses(400, 401, 404),
    },
  }),
  async handler({ params }, deps) {
    const { db } = deps;
    const doc = await db.repos.findOne({ _id: repoKey(params.owner, params.name) });
    if (!doc) throw notFound(`${params.owner}/${params.name}`);
    return json(200, presentRepo(doc, viewOf(deps)), { etag: etagOf(doc) });
  },
});
