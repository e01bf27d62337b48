import { connect } from 'node:net';

/**
 * HTTP/1.1 over a bare socket, one request per connection: any method, any request target
 * (even bytes no HTTP client would send), any headers and body. For requests that fetch and
 * node:http refuse to produce.
 */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
  /** The body as text (UTF-8). */
  text: string;
  ms: number;
}

export interface RawRequest {
  method: string;
  target: string;
  headers?: [string, string][];
  body?: Buffer | string;
  /** Rejects when no complete answer comes within this time. */
  timeoutMs?: number;
}

export async function rawHttp(port: number, request: RawRequest): Promise<RawResponse> {
  const started = performance.now();
  const body = typeof request.body === 'string' ? Buffer.from(request.body) : request.body;
  const lines = [`${request.method} ${request.target} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
  for (const [name, value] of request.headers ?? []) lines.push(`${name}: ${value}`);
  if (body !== undefined) lines.push(`Content-Length: ${body.length}`);
  const head = Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1');
  const what = `${request.method} ${request.target.slice(0, 200)}`;
  const raw = await exchange(port, body ? Buffer.concat([head, body]) : head, request.timeoutMs ?? 10_000, what);
  return { ...parseResponse(raw), ms: performance.now() - started };
}

/** Writes `bytes` as they are and resolves with everything that came back before the server closed. */
export function exchange(port: number, bytes: Buffer | string, timeoutMs = 10_000, what = 'raw request'): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within ${timeoutMs} ms: ${what}`));
    }, timeoutMs);
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may close after answering before it has read the whole body: keep what came.
    socket.on('error', (error) => {
      if (chunks.length === 0) {
        clearTimeout(timer);
        reject(error);
      }
    });
    socket.on('close', () => {
      clearTimeout(timer);
      resolve(Buffer.concat(chunks));
    });
    socket.write(typeof bytes === 'string' ? Buffer.from(bytes, 'latin1') : bytes);
  });
}

export function parseResponse(raw: Buffer): Omit<RawResponse, 'ms'> {
  const end = raw.indexOf('\r\n\r\n');
  if (end === -1) throw new Error(`incomplete response: ${JSON.stringify(raw.toString('latin1').slice(0, 200))}`);
  const [statusLine = '', ...headerLines] = raw.subarray(0, end).toString('latin1').split('\r\n');
  const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine)?.[1]);
  if (!status) throw new Error(`not an HTTP response: ${JSON.stringify(statusLine)}`);
  const headers: Record<string, string> = {};
  for (const line of headerLines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  let body = raw.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = unchunk(body);
  return { status, headers, body, text: body.toString('utf8') };
}

function unchunk(data: Buffer): Buffer {
  const parts: Buffer[] = [];
  let at = 0;
  for (;;) {
    const lineEnd = data.indexOf('\r\n', at);
    if (lineEnd === -1) break;
    const size = Number.parseInt(data.subarray(at, lineEnd).toString('latin1'), 16);
    if (!size) break;
    parts.push(data.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
  return Buffer.concat(parts);
}
