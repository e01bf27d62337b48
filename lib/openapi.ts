import { errorSchema } from './repos/schemas.ts';

/** OpenAPI response entries for the error envelope, so each route lists the errors it can give. */
const errorDescriptions: Record<number, string> = {
  400: 'Invalid input: validation_failed (one entry in error.details per problem), invalid_json or request_aborted',
  401: 'Missing or invalid bearer token (unauthorized)',
  404: 'Not found',
  409: 'Already exists',
  412: 'If-Match does not name the current ETag (precondition_failed); the ETag header has the current one',
  413: 'Request body over the size limit (payload_too_large)',
  415: 'Content-Type is not JSON (unsupported_media_type)',
  428: 'If-Match missing (precondition_required)',
  500: 'Unexpected error (internal_error); details are logged, not shown',
  503: 'Database unreachable (database_unavailable)',
};

const header = (description: string, required = true) => ({ description, required, schema: { type: 'string' as const } });

export const etagHeader = { etag: header('The version of the repository, for If-Match') };

/** Headers some error answers carry: the challenge (RFC 6750), the current ETag, when to retry. */
const errorHeaders: Record<number, Record<string, ReturnType<typeof header>>> = {
  401: { 'www-authenticate': header('Bearer realm="repo-monitor", with error="invalid_token" when a token was sent') },
  412: etagHeader,
  503: { 'retry-after': header('Seconds to wait before trying again', false) },
};

export function errorResponses(...statuses: number[]) {
  const out: Record<
    number,
    {
      description: string;
      headers?: Record<string, ReturnType<typeof header>>;
      content: { 'application/json': { schema: typeof errorSchema } };
    }
  > = {};
  for (const status of [...statuses, 500, 503]) {
    out[status] = {
      description: errorDescriptions[status] ?? 'Error',
      ...(errorHeaders[status] && { headers: errorHeaders[status] }),
      content: { 'application/json': { schema: errorSchema } },
    };
  }
  return out;
}

export const jsonContent = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
