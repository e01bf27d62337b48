import { z } from '@hono/zod-openapi';
import { ETAG_PATTERN } from './errors.ts';

/** OpenAPI helpers shared by the handlers; the error entries live with the error envelope (lib/errors.ts). */
export { errorResponses } from './errors.ts';

/** Digits only, as the document's integer says: not 0x10, 1e1, 1.0 or " 5", which Number() would take. */
const decimal = (value: unknown) => (typeof value === 'string' && /^\d{1,15}$/.test(value) ? Number(value) : value);

/** A page size in a query string: 1 to `max` in decimal digits, `fallback` when absent. */
export const pageLimitSchema = (max: number, fallback = 20) =>
  z
    .preprocess(decimal, z.number({ error: 'must be a whole number' }).int().min(1).max(max))
    .default(fallback)
    .openapi({ type: 'integer', minimum: 1, maximum: max, default: fallback });

export const etagHeader = {
  etag: { description: 'The version of the repository, for If-Match', required: true, schema: { type: 'string' as const, pattern: ETAG_PATTERN } },
};

export const jsonContent = <S>(schema: S, description: string) => ({
  description,
  content: { 'application/json': { schema } },
});
