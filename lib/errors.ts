/**
 * The one error shape every endpoint answers with:
 * `{"error":{"code","message","details"?}}`. Handlers throw HttpError; the runtime turns it
 * (and anything else thrown) into this envelope, so no stack trace ever reaches a client.
 */
export interface ErrorDetail {
  path: string;
  message: string;
}

export interface ErrorBody {
  error: { code: string; message: string; details?: ErrorDetail[] };
}

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
    const error: ErrorBody['error'] = { code: this.code, message: this.message };
    if (this.details) error.details = this.details;
    return { error };
  }
}

export const notFound = (what: string) => new HttpError(404, 'not_found', `${what} not found`);

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
