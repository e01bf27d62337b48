import { z } from '@hono/zod-openapi';

/**
 * The one error shape every answer uses, whoever gives it (a handler, the app, the HTTP
 * server before the app, an adapter): `{"error":{"code","message","details"?}}`. Handlers
 * throw HttpError; the runtime turns it (and anything else thrown) into this envelope, so no
 * stack trace ever reaches a client. ERROR_STATUSES is the one table of what each status
 * means: its default code and the description the OpenAPI document gives it.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

export const errorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      details: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

/** Each error status: the code answered when nothing more specific applies, and its OpenAPI description. */
export const ERROR_STATUSES: Record<number, { code: string; description: string }> = {
  400: { code: 'bad_request', description: 'Invalid input (see error.details)' },
  401: { code: 'unauthorized', description: 'Missing or invalid bearer token' },
  404: { code: 'not_found', description: 'Not found' },
  405: { code: 'method_not_allowed', description: 'Method not allowed on this path' },
  408: { code: 'request_timeout', description: 'The request did not arrive in time' },
  409: { code: 'conflict', description: 'Already exists' },
  412: { code: 'precondition_failed', description: 'If-Match does not match the current ETag' },
  413: { code: 'payload_too_large', description: 'Request body too large' },
  415: { code: 'unsupported_media_type', description: 'Content-Type must be application/json' },
  417: { code: 'expectation_failed', description: 'Only Expect: 100-continue is supported' },
  428: { code: 'precondition_required', description: 'If-Match header required' },
  431: { code: 'headers_too_large', description: 'Request headers too large' },
  500: { code: 'internal_error', description: 'Unexpected error' },
  503: { code: 'database_unavailable', description: 'Database unreachable' },
};

/** The default code for a status (bad_request or internal_error when the table has none). */
export const codeForStatus = (status: number): string => ERROR_STATUSES[status]?.code ?? (status >= 500 ? 'internal_error' : 'bad_request');

export const errorBody = (code: string, message: string, details?: ErrorDetail[]): ErrorBody => ({
  error: details ? { code, message, details } : { code, message },
});

/** The envelope as JSON text, for answers written without a framework (runtime/server.ts). */
export const errorEnvelope = (code: string, message: string): string => JSON.stringify(errorBody(code, message));

/** What Node's HTTP parser refuses, by its error code; anything else it refuses is a 400. */
export const CLIENT_ERRORS: Record<string, { status: number; code: string }> = {
  HPE_HEADER_OVERFLOW: { status: 431, code: codeForStatus(431) },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { status: 413, code: codeForStatus(413) },
  ERR_HTTP_REQUEST_TIMEOUT: { status: 408, code: codeForStatus(408) },
};

export class HttpError extends Error {
  override name = 'HttpError';
  readonly status: number;
  readonly code: string;
  readonly details: ErrorDetail[] | undefined;
  readonly headers: Record<string, string> | undefined;

  constructor(
    status: number,
    code: string,
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
  schema: { type: 'string' };
}

/** Headers error answers carry, for the document: the challenge (RFC 6750), the current ETag, when to retry. */
const ERROR_HEADERS: Record<number, Record<string, DocumentedHeader>> = {
  401: {
    'www-authenticate': {
      description: 'Bearer realm="repo-monitor", with error="invalid_token" when a token was sent',
      required: true,
      schema: { type: 'string' },
    },
  },
  412: { etag: { description: 'The current ETag', required: true, schema: { type: 'string' } } },
  503: { 'retry-after': { description: 'Seconds to wait before trying again', required: false, schema: { type: 'string' } } },
};

/** OpenAPI response entries for the error envelope, so each route lists the errors it can give (500 and 503 always). */
export function errorResponses(...statuses: number[]) {
  const out: Record<
    number,
    { description: string; headers?: Record<string, DocumentedHeader>; content: { 'application/json': { schema: typeof errorSchema } } }
  > = {};
  for (const status of [...statuses, 500, 503]) {
    out[status] = {
      description: ERROR_STATUSES[status]?.description ?? 'Error',
      ...(ERROR_HEADERS[status] && { headers: ERROR_HEADERS[status] }),
      content: { 'application/json': { schema: errorSchema } },
    };
  }
  return out;
}
