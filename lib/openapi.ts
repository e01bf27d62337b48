import { errorSchema } from './repos/schemas.ts';

/** OpenAPI response entries for the error envelope, so each route lists the errors it can give. */
const errorDescriptions: Record<number, string> = {
  400: 'Invalid input (see error.details)',
  401: 'Missing or invalid bearer token',
  404: 'Not found',
  409: 'Already exists',
  412: 'If-Match does not match the current ETag',
  413: 'Request body too large',
  415: 'Content-Type must be application/json',
  428: 'If-Match header required',
  500: 'Unexpected error',
  503: 'Database unreachable',
};

export function errorResponses(...statuses: number[]) {
  const out: Record<number, { description: string; content: { 'application/json': { schema: typeof errorSchema } } }> =
    {};
  for (const status of [...statuses, 500, 503]) {
    out[status] = {
      description: errorDescriptions[status] ?? 'Error',
      content: { 'application/json': { schema: errorSchema } },
    };
  }
  return out;
}

export const jsonContent = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
