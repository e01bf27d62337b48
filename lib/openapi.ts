/** OpenAPI helpers shared by the handlers; the error entries live with the error envelope (lib/errors.ts). */
export { errorResponses } from './errors.ts';

export const etagHeader = {
  etag: { description: 'The version of the repository, for If-Match', required: true, schema: { type: 'string' as const } },
};

export const jsonContent = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
