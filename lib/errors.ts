import { z } from '@hono/zod-openapi';

/**
 * The one error shape every answer uses, whoever gives it (a handler, the app, the HTTP
 * server before the app, an adapter): `{"error":{"code","message","details"?}}`. Handlers
 * throw HttpError; the runtime turns it (and anything else thrown) into this envelope, so no
 * stack trace ever reaches a client. ERROR_STATUSES is the one table of what each status
 * means: its codes and the description the OpenAPI document gives it.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: ErrorCode; message: string; details?: ErrorDetail[] };
}

/**
 * Every error status the API answers with: its description in the document, and every code
 * it carries with what the code means (the first is the status's default). The document's
 * per-status error schemas enumerate these codes, and HttpError takes no other, so the two
 * cannot drift apart.
 */
export const ERROR_STATUSES = {
  400: {
    description: 'Invalid input (see error.details)',
    codes: {
      bad_request: 'the request could not be read as HTTP',
      validation_failed: 'a parameter, header or body breaks a rule of this document; error.details says where',
      invalid_json: 'the body is not JSON, or not valid UTF-8',
      request_aborted: 'the connection closed before the body had arrived',
    },
  },
  401: { description: 'Missing or invalid bearer token', codes: { unauthorized: 'no token, or not a valid one' } },
  404: { description: 'Not found', codes: { not_found: 'no such resource, or no such path' } },
  405: { description: 'Method not allowed on this path', codes: { method_not_allowed: 'the path exists, not with this method; Allow lists its methods' } },
  408: { description: 'The request did not arrive in time', codes: { request_timeout: 'the request did not arrive in time' } },
  409: {
    description: 'Already exists',
    codes: {
      already_tracked: 'POST /repos: the repository is tracked already',
      sync_in_progress: 'POST /sync: another sync run holds the lease',
    },
  },
  412: { description: 'If-Match does not match the current ETag', codes: { precondition_failed: 'If-Match names no current ETag' } },
  413: { description: 'Request body too large', codes: { payload_too_large: 'the body is over the size limit' } },
  415: { description: 'Content-Type must be application/json', codes: { unsupported_media_type: 'the body is not application/json' } },
  417: { description: 'Only Expect: 100-continue is supported', codes: { expectation_failed: 'an Expect other than 100-continue' } },
  428: { description: 'If-Match header required', codes: { precondition_required: 'If-Match is missing' } },
  431: { description: 'Request headers too large', codes: { headers_too_large: 'the request headers are over the size limit' } },
  500: { description: 'Unexpected error', codes: { internal_error: 'a failure on the server\'s side, logged, not shown' } },
  503: { description: 'Database unreachable', codes: { database_unavailable: 'the database does not answer; Retry-After says when to try again' } },
} as const satisfies Record<number, { description: string; codes: Record<string, string> }>;

export type ErrorStatus = keyof typeof ERROR_STATUSES;
export type ErrorCode = { [S in ErrorStatus]: keyof (typeof ERROR_STATUSES)[S]['codes'] }[ErrorStatus];

const isErrorStatus = (status: number): status is ErrorStatus => Object.hasOwn(ERROR_STATUSES, status);

/** The codes a status carries, in the table's order. */
export const codesOf = (status: ErrorStatus) => Object.keys(ERROR_STATUSES[status].codes) as [ErrorCode, ...ErrorCode[]];

/** The default code for a status (bad_request or internal_error when the table has none). */
export const codeForStatus = (status: number): ErrorCode =>
  isErrorStatus(status) ? codesOf(status)[0] : status >= 500 ? 'internal_error' : 'bad_request';

const detailsSchema = z.array(z.object({ path: z.string(), message: z.string() }));

/** The envelope, whatever the status (`Error` in the document). */
export const errorSchema = z
  .object({ error: z.object({ code: z.string(), message: z.string(), details: detailsSchema.optional() }) })
  .openapi('Error');

const statusSchemas = new Map<string, ReturnType<typeof statusErrorSchema>>();

const pascalCase = (code: string) => code.replaceAll(/(?:^|_)(\w)/g, (_, letter: string) => letter.toUpperCase());

const statusErrorSchema = (status: ErrorStatus, codes: readonly [ErrorCode, ...ErrorCode[]], name: string) => {
  const meanings: Record<string, string> = ERROR_STATUSES[status].codes;
  return z
    .object({
      error: z.object({
        code: z.enum(codes).openapi({ description: codes.map((code) => `${code}: ${meanings[code]}`).join('; ') }),
        message: z.string(),
        details: detailsSchema.optional(),
      }),
    })
    .openapi(name, { description: `The error envelope of a ${status}: error.code is one of the codes listed.` });
};

/**
 * The envelope of one status, its code one of that status's codes (`Error<status>` in the
 * document), or one of `only` where an operation gives that status no other code
 * (`Error409AlreadyTracked`).
 */
export function errorSchemaFor(status: ErrorStatus, only: readonly ErrorCode[] = []) {
  const name = only.length === 0 ? `Error${status}` : `Error${status}${only.map(pascalCase).join('Or')}`;
  let schema = statusSchemas.get(name);
  if (!schema) {
    const codes = only.length === 0 ? codesOf(status) : (only as [ErrorCode, ...ErrorCode[]]);
    statusSchemas.set(name, (schema = statusErrorSchema(status, codes, name)));
  }
  return schema;
}

/** Every status's envelope, for the document's components: answers no operation lists (405, 408, 417, 431) use them too. */
export const allErrorSchemas = () => (Object.keys(ERROR_STATUSES).map(Number) as ErrorStatus[]).map((status) => [status, errorSchemaFor(status)] as const);

export const errorBody = (code: ErrorCode, message: string, details?: ErrorDetail[]): ErrorBody => ({
  error: details ? { code, message, details } : { code, message },
});

/** The envelope as JSON text, for answers written without a framework (runtime/server.ts). */
export const errorEnvelope = (code: ErrorCode, message: string): string => JSON.stringify(errorBody(code, message));

/** What Node's HTTP parser refuses, by its error code; anything else it refuses is a 400. */
export const CLIENT_ERRORS: Record<string, { status: ErrorStatus; code: ErrorCode }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: codeForStatus(431) },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, code: codeForStatus(413) },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: codeForStatus(408) },
};

export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly code: ErrorCode;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    code: ErrorCode,
    message: string,
    options: { details?: ErrorDetail[]; headers?: Record<string, string> } = {},
  ) {
    super(message);
    this.status = status;
    this.code = code;
    this.details = options.details;
    this.headers = options.headers;
  }

  toBody(): ErrorBody {
    return errorBody(this.code, this.message, this.details);
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);

export const noRoute = (method: string, path: string) => new HttpError(404, 'not_found', `No route for ${method} ${path}`);

export const databaseUnavailable = () =>
  new HttpError(503, 'database_unavailable', 'The database is not reachable; try again shortly.', {
    headers: { 'retry-after': '5' },
  });

export const payloadTooLarge = (maxBytes: number) =>
  new HttpError(413, 'payload_too_large', `Request bodies are limited to ${maxBytes} bytes.`);

export const requestAborted = () =>
  new HttpError(400, 'request_aborted', 'The connection closed before the request body had arrived.');

export const internalError = () =>
  new HttpError(500, 'internal_error', 'Something went wrong on our side; it has been logged.');

interface DocumentedHeader {
  description: string;
  required: boolean;
  schema: { type: 'string'; pattern: string };
}

/** The ETags this API gives: strong, a version number in quotes ("3"). */
export const ETAG_PATTERN = '^"\\d+"$';

/** Retry-After as this API writes it, in whole seconds, for the document. */
export const retryAfterHeader = (required: boolean) => ({
  description: 'Seconds to wait before trying again',
  required,
  schema: { type: 'string' as const, pattern: '^\\d+$' },
});

/** Headers error answers carry, for the document: the challenge (RFC 6750), the current ETag, when to retry. */
const ERROR_HEADERS: Partial<Record<ErrorStatus, Record<string, DocumentedHeader>>> = {
  401: {
    'www-authenticate': {
      description: 'Bearer realm="repo-monitor", with error="invalid_token" when a token was sent',
      required: true,
      schema: { type: 'string', pattern: '^Bearer realm="repo-monitor"(?:, error="invalid_token")?$' },
    },
  },
  412: { etag: { description: 'The current ETag', required: true, schema: { type: 'string', pattern: ETAG_PATTERN } } },
  503: { 'retry-after': retryAfterHeader(false) },
};

/** A status an operation answers with, or the status and the only codes it gives it. */
export type ErrorResponse = ErrorStatus | readonly [ErrorStatus, ErrorCode, ...ErrorCode[]];

/** OpenAPI response entries for the error envelope, so each route lists the errors it can give (500 and 503 always). */
export function errorResponses(...responses: ErrorResponse[]) {
  const out: Record<
    number,
    { description: string; headers?: Record<string, DocumentedHeader>; content: { 'application/json': { schema: ReturnType<typeof errorSchemaFor> } } }
  > = {};
  for (const response of [...responses, 500, 503] as const) {
    const [status, ...codes] = typeof response === 'number' ? [response] : response;
    const headers = ERROR_HEADERS[status];
    out[status] = {
      description: ERROR_STATUSES[status].description,
      ...(headers && { headers }),
      content: { 'application/json': { schema: errorSchemaFor(status, codes) } },
    };
  }
  return out;
}
