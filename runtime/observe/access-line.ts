import { encodeText } from '../../lib/logging/encode-fields.ts';
import type { Fields, LineFields } from '../../lib/logging/logger.ts';

/** What the access line says of one request, once its response has ended. */
export interface AccessLineValues {
  requestId: string;
  remoteAddress: string;
  method: string;
  /** Path and query, secrets already masked. */
  url: string;
  /** The route template. */
  path: string;
  status: number;
  durationMs: number;
  requestBytes: number;
  responseBytes: number;
  userAgent: string;
  /** The API token's name, when one authorised the request. */
  client: string | undefined;
}

/**
 * The access line's custom fields, for Logger.logFrom: written straight into logfmt text (a
 * fixed list of keys, each text value through encodeText) rather than built as an object and
 * walked key by key; the object is made only for JSON lines and tslog's pretty output.
 */
export class AccessLine implements LineFields {
  readonly #values: AccessLineValues;

  constructor(values: AccessLineValues) {
    this.#values = values;
  }

  logfmt(): string {
    const v = this.#values;
    const client = v.client === undefined ? '' : ` client=${encodeText(v.client)}`;
    return (
      ` request_id=${encodeText(v.requestId)} remote_addr=${encodeText(v.remoteAddress)} method=${encodeText(v.method)}` +
      ` url=${encodeText(v.url)} path=${encodeText(v.path)} status_code=${v.status} duration_ms=${v.durationMs}` +
      ` req_bytes=${v.requestBytes} res_bytes=${v.responseBytes} user_agent=${encodeText(v.userAgent)}${client}`
    );
  }

  fields(): Fields {
    const v = this.#values;
    return {
      request_id: v.requestId,
      remote_addr: v.remoteAddress,
      method: v.method,
      url: v.url,
      path: v.path,
      status_code: v.status,
      duration_ms: v.durationMs,
      req_bytes: v.requestBytes,
      res_bytes: v.responseBytes,
      user_agent: v.userAgent,
      client: v.client,
    };
  }
}
