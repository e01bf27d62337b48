import { createRoute } from '@hono/zod-openapi';
import { isDuplicateKey } from '../lib/db.ts';
import { HttpError } from '../lib/errors.ts';
import { defineFunction, json } from '../lib/function.ts';
import { errorResponses, etagHeader, jsonContent } from '../lib/openapi.ts';
import { newRepoDocument, etagOf } from '../lib/repos/model.ts';
import { presentRepo, viewOf } from '../lib/repos/present.ts';
import { createRepoBodySchema, repoSchema } from '../lib/repos/schemas.ts';

/** POST /repos: start tracking a repository. Its stats stay null until the sync fetches them. */
export default defineFunction({
  name: 'create-repo',
  route: createRoute({
    method: 'post',
    path: '/repos',
    summary: 'Track a repository',
    request: { body: { required: true, content: { 'application/json': { schema: createRepoBodySchema } } } },
    responses: {
      201: {
        ...jsonContent(repoSchema, 'Tracked; stats are null until the first sync'),
        headers: { ...etagHeader, location: { description: 'Where the repository is served', required: true, schema: { type: 'string' } } },
        links: {
          get: { operationId: 'getRepo', parameters: { owner: '$response.body#/owner', name: '$response.body#/name' } },
          update: { operationId: 'updateRepo', parameters: { owner: '$response.body#/owner', name: '$response.body#/name', 'header.if-match': '$response.header.etag' } },
          delete: { operationId: 'deleteRepo', parameters: { owner: '$response.body#/owner', name: '$response.body#/name' } },
        },
      },
      ...errorResponses(400, 401, [409, 'already_tracked'], 413, 415),
    },
  }),
  async handler({ body }, deps) {
    const { db, clock, log } = deps;
    const doc = newRepoDocument(body, clock.now());
    try {
      await db.repos.insertOne(doc);
    } catch (error) {
      if (isDuplicateKey(error)) {
        throw new HttpError(409, 'already_tracked', `${body.owner}/${body.name} is already tracked`);
      }
      throw error;
    }
    log.info('repository tracked', { repo: doc._id });
    return json(201, presentRepo(doc, viewOf(deps)), {
      location: `/repos/${encodeURIComponent(doc.owner)}/${encodeURIComponent(doc.name)}`,
      etag: etagOf(doc),
    });
  },
});
