import { createRoute } from '@hono/zod-openapi';
import type { Filter } from 'mongodb';
import { HttpError, notFound } from '../lib/errors.ts';
import { defineFunction, json } from '../lib/function.ts';
import { errorResponses, etagHeader, jsonContent } from '../lib/openapi.ts';
import { parseIfMatch } from '../lib/repos/etag.ts';
import { etagOf, repoKey, type RepoDocument } from '../lib/repos/model.ts';
import { presentRepo, viewOf } from '../lib/repos/present.ts';
import { ifMatchHeaderSchema, repoParamsSchema, repoSchema, updateRepoBodySchema } from '../lib/repos/schemas.ts';

/**
 * PATCH /repos/:owner/:name: change tags and/or notes. Optimistic concurrency: the update
 * applies only if If-Match names the current ETag, otherwise 412 and nothing changes.
 */
export default defineFunction({
  name: 'update-repo',
  uses: ['locks'],
  route: createRoute({
    method: 'patch',
    path: '/repos/{owner}/{name}',
    summary: 'Change tags and notes',
    request: {
      params: repoParamsSchema,
      headers: ifMatchHeaderSchema,
      body: { required: true, content: { 'application/json': { schema: updateRepoBodySchema } } },
    },
    responses: {
      200: { ...jsonContent(repoSchema, 'Updated; the new ETag is in the header'), headers: etagHeader },
      ...errorResponses(400, 401, 404, 412, 413, 415, 428),
    },
  }),
  async handler({ params, headers, body }, deps) {
    const { db, clock, log, locks } = deps;
    const key = repoKey(params.owner, params.name);
    const ifMatch = parseIfMatch(headers['if-match']);
    const changes: Partial<RepoDocument> = { updatedAt: clock.now() };
    if (body.tags !== undefined) changes.tags = body.tags;
    if (body.notes !== undefined) changes.notes = body.notes;
    const filter: Filter<RepoDocument> = ifMatch.any ? { _id: key } : { _id: key, version: { $in: ifMatch.versions } };

    const updated = await locks.run(key, () =>
      db.repos.findOneAndUpdate(filter, { $set: changes, $inc: { version: 1 } }, { returnDocument: 'after' }),
    );
    if (!updated) {
      const current = await db.repos.findOne({ _id: key }, { projection: { version: 1 } });
      if (!current) throw notFound(`${params.owner}/${params.name}`);
      throw new HttpError(412, 'precondition_failed', 'The repository changed since you read it; GET it again and retry.', {
        headers: { etag: etagOf(current) },
      });
    }
    log.info('repository updated', { repo: key, version: updated.version });
    return json(200, presentRepo(updated, viewOf(deps)), { etag: etagOf(updated) });
  },
});
