import { IncomingMessage, ServerResponse, type OutgoingHttpHeaders } from 'node:http';
import type { RequestObservation } from './request-observer.ts';

/**
 * The Node server's request and response classes (runtime/server.ts passes them to
 * createServer): they count the body bytes really received and sent, and the response puts
 * its request's id into the headers it writes. Only the server's own code (./node-exchange.ts)
 * touches these fields; the app and its middleware never see them. Subclasses rather than
 * listeners or wrapped methods per request: nothing is allocated for the counting, and every
 * request and response keeps one shape, which keeps Node's own HTTP code fast.
 */
const byteLength = (chunk: unknown): number => {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk);
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
};

export class CountingRequest extends IncomingMessage {
  /** Body bytes the HTTP parser has handed over (chunked framing removed). */
  bodyBytes = 0;

  // Node's parser pushes each piece of the body, and null at its end.
  override push(chunk: unknown, encoding?: BufferEncoding): boolean {
    this.bodyBytes += byteLength(chunk);
    return super.push(chunk, encoding);
  }
}

export class ObservedResponse<Request extends IncomingMessage = CountingRequest> extends ServerResponse<Request> {
  /** Body bytes written (headers not included). */
  bodyBytes = 0;
  /** The observation of this response's request, once the server tracks it (./node-exchange.ts). */
  observation: Pick<RequestObservation, 'requestId'> | undefined = undefined;
  /** Called as the response closes, before its 'close' listeners (./node-exchange.ts). */
  onClose: ((response: ObservedResponse<IncomingMessage>) => void) | undefined = undefined;

  // Ending the observation here rather than in a 'close' listener: a second listener would
  // make every close copy the listener list.
  override emit(event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'close') this.onClose?.(this);
    return super.emit(event, ...args);
  }

  // Node sorts out which argument is which (encoding, callback); only the chunk matters here.
  override write(chunk: unknown, encoding?: unknown, callback?: unknown): boolean {
    this.bodyBytes += byteLength(chunk);
    return super.write(chunk, encoding as BufferEncoding, callback as () => void);
  }

  /**
   * Adds the request id to the headers being written. Setting it with setHeader beforehand
   * (or through Hono's c.header) would work too, but it turns every writeHead into Node's
   * slow path (each header of the response set one by one), which cost more than the rest of
   * the metrics together.
   */
  override writeHead(statusCode: number, reason?: unknown, headers?: unknown): this {
    const requestId = this.observation?.requestId;
    if (requestId !== undefined) {
      if (typeof reason === 'string') headers = withHeader(headers, 'x-request-id', requestId, this);
      else reason = withHeader(reason, 'x-request-id', requestId, this);
    }
    return super.writeHead(statusCode, reason as string, headers as OutgoingHttpHeaders);
  }

  override end(chunk?: unknown, encoding?: unknown, callback?: unknown): this {
    this.bodyBytes += byteLength(chunk);
    return super.end(chunk, encoding as BufferEncoding, callback as () => void);
  }
}

/**
 * writeHead's headers with one more: a copy of the object (the caller may reuse its own), the
 * list ([name, value, ...] or [[name, value], ...]) extended, or, when writeHead got none, set on the response.
 */
function withHeader(headers: unknown, name: string, value: string, response: ServerResponse): unknown {
  if (Array.isArray(headers)) return Array.isArray(headers[0]) ? [...headers, [name, value]] : [...headers, name, value];
  if (headers !== null && typeof headers === 'object') return { ...headers, [name]: value };
  response.setHeader(name, value);
  return headers;
}
