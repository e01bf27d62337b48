import { createRoute } from '@hono/zod-openapi';
import { notFound } from '../lib/errors.ts';
import { defineFunction } from '../lib/function.ts';
import { errorResponses } from '../lib/openapi.ts';
import { repoKey } from '../lib/repos/model.ts';
import { repoParamsSchema } from '../lib/repos/schemas.ts';

/** DELETE /repos/:owner/:name: stop tracking; 404 once it is gone. */
export default defineFunction({
  name: 'delete-repo',
  route: createRoute({
    method: 'delete',
    path: '/repos/{owner}/{name}',
    summary: 'Stop tracking a repository',
    request: { params: repoParamsSchema },
    responses: { 204: { description: 'Deleted' }, ...errorResponses(400, 401, 404, 413) },
  }),
  async handler({ params }, { db, log }) {
    const key = repoKey(params.owner, params.name);
    const { deletedCount } = await db.repos.deleteOne({ _id: key });
    if (deletedCount === 0) throw notFound(`${params.owner}/${params.name}`);
    log.info('repository untracked', { repo: key });
    return { status: 204 };
  },
});
