import { z } from '@hono/zod-openapi';

/**
 * What the API accepts and returns for repositories. The same schemas validate requests
 * (through @hono/zod-openapi, built on @hono/zod-validator) and describe the API.
 */

// GitHub's own rules: a login is 1-39 letters, digits or single inner hyphens; a repository
// name is 1-100 of letters, digits, '.', '_' and '-', and not '.' or '..'. Written without
// lookarounds and with the lengths beside them, so the document states the same rule and
// generators (clients, fuzzers) can produce values from it.
export const ownerSchema = z
  .string()
  .max(39)
  .regex(/^[A-Za-z0-9](?:-?[A-Za-z0-9])*$/, 'not a valid GitHub owner')
  .openapi({ example: 'honojs' });

export const nameSchema = z
  .string()
  .max(100)
  // Some character other than a dot, or three dots or more: never '.' or '..'.
  .regex(/^(?:[A-Za-z0-9._-]*[A-Za-z0-9_-][A-Za-z0-9._-]*|\.{3,})$/, 'not a valid GitHub repository name')
  .openapi({ example: 'hono' });

export const tagSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9._-]{0,39}$/, 'tags are 1-40 lower-case letters, digits, ".", "_" or "-"');

export const tagsSchema = z
  .array(tagSchema)
  .max(20)
  .refine((tags) => new Set(tags).size === tags.length, 'tags must be unique')
  .openapi({ uniqueItems: true, example: ['web', 'framework'] });

/** Characters as JSON Schema counts them (code points), not UTF-16 units as String#length does. */
const codePoints = (text: string) => {
  let count = 0;
  for (const _ of text) count++;
  return count;
};

export const MAX_NOTES = 2000;

// A lone surrogate escape ("\ud800") is valid JSON but no Unicode text (I-JSON, RFC 7493 §2.1):
// stored, it would silently become U+FFFD, so it is refused.
export const notesSchema = z
  .string()
  .refine((notes) => notes.isWellFormed(), 'not Unicode text: a lone surrogate')
  .refine((notes) => codePoints(notes) <= MAX_NOTES, `at most ${MAX_NOTES} characters`)
  .nullable()
  .openapi({
    maxLength: MAX_NOTES,
    description: 'Free text; a lone surrogate escape such as \\ud800 is refused (it is no Unicode text).',
    example: 'Used by the billing service',
  });

export const repoParamsSchema = z.object({
  owner: ownerSchema.openapi({ param: { name: 'owner', in: 'path' } }),
  name: nameSchema.openapi({ param: { name: 'name', in: 'path' } }),
});

/** An HTTP field value of visible ASCII with inner spaces (RFC 9110 §5.5): what If-Match may hold. */
const FIELD_VALUE = /^[!-~](?:[ -~]*[!-~])?$/;

/**
 * The If-Match request header: required by the document; the server answers 428 without it
 * (a blank one counts as missing) rather than 400. A value of other characters (a tab, bytes
 * beyond ASCII) is a 400, as the document's pattern says.
 */
export const ifMatchHeaderSchema = z.object({
  'if-match': z
    .preprocess(
      (value) => (typeof value === 'string' && value.trim() === '' ? undefined : value),
      z.string().max(1000).regex(FIELD_VALUE, 'must be entity tags or *, in visible ASCII').optional(),
    )
    .openapi({
      param: {
        required: true,
        description:
          'The ETag from GET (or a comma-separated list of them), or * to overwrite whatever is there. Without it (or blank): 428. ' +
          'Tags that are not this API\'s strong ETags ("3") never match: 412.',
      },
      type: 'string',
      maxLength: 1000,
      pattern: FIELD_VALUE.source,
      example: '"3"',
    }),
});

export const createRepoBodySchema = z
  .strictObject({ owner: ownerSchema, name: nameSchema, tags: tagsSchema.optional(), notes: notesSchema.optional() })
  .openapi('CreateRepo');

export const updateRepoBodySchema = z
  .strictObject({ tags: tagsSchema.optional(), notes: notesSchema.optional() })
  .refine((body) => body.tags !== undefined || body.notes !== undefined, 'give tags, notes or both')
  .openapi('UpdateRepo', { minProperties: 1 });

export const repoStatsSchema = z
  .object({
    stars: z.number().int(),
    forks: z.number().int(),
    openIssues: z.number().int(),
    watchers: z.number().int(),
    language: z.string().nullable(),
    description: z.string().nullable(),
    defaultBranch: z.string(),
    archived: z.boolean(),
    pushedAt: z.string().nullable(),
    htmlUrl: z.string(),
  })
  .openapi('RepoStats');

export const repoSchema = z
  .object({
    owner: z.string(),
    name: z.string(),
    fullName: z.string(),
    tags: z.array(z.string()),
    notes: z.string().nullable(),
    stats: repoStatsSchema.nullable().openapi({
      description: 'What GitHub last reported; null until the first successful sync.',
    }),
    sync: z.object({
      status: z.enum(['pending', 'ok', 'gone']).openapi({
        description: 'pending: never synced yet; ok: synced; gone: GitHub answered 404/410 (kept, flagged).',
      }),
      lastSyncedAt: z.string().nullable().openapi({
        description: 'When GitHub last confirmed this data (a 200 or a 304); null until the first sync.',
      }),
      stale: z.boolean().openapi({
        description: 'True when never synced or last synced more than STALE_AFTER ago: the stats may be out of date.',
      }),
      ageSeconds: z.number().int().nullable().openapi({ description: 'Seconds since lastSyncedAt; null when never synced.' }),
    }),
    version: z.number().int(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .openapi('Repo');

export type RepoResponse = z.infer<typeof repoSchema>;
