import type { ServerResponse } from 'node:http';
import type { Context } from 'hono';

/**
 * Bytes really received and sent. Inside Hono middleware Content-Length is unknown for most
 * responses (the node server sets it while writing) and absent for streamed ones, so the
 * response side counts what is handed to the socket; the request side trusts Content-Length
 * (Node rejects a body that does not match it) and counts chunked bodies as they are read.
 */
const byteLength = (chunk: unknown): number => {
  if (typeof chunk === 'string') return Buffer.byteLength(chunk);
  if (chunk instanceof Uint8Array) return chunk.byteLength;
  return 0;
};

export function countResponseBytes(outgoing: ServerResponse): () => number {
  let bytes = 0;
  const write = outgoing.write;
  const end = outgoing.end;
  outgoing.write = function (this: ServerResponse, chunk: unknown, ...rest: unknown[]) {
    bytes += byteLength(chunk);
    return (write as (...args: unknown[]) => boolean).call(this, chunk, ...rest);
  } as ServerResponse['write'];
  outgoing.end = function (this: ServerResponse, chunk?: unknown, ...rest: unknown[]) {
    bytes += byteLength(chunk);
    return (end as (...args: unknown[]) => ServerResponse).call(this, chunk, ...rest);
  } as ServerResponse['end'];
  return () => bytes;
}

export function countRequestBytes(c: Context): () => number {
  const declared = c.req.header('content-length');
  if (declared !== undefined) {
    const length = Number(declared);
    return () => (Number.isSafeInteger(length) && length >= 0 ? length : 0);
  }
  if (c.req.header('transfer-encoding') === undefined || !c.req.raw.body) return () => 0;
  let bytes = 0;
  const counted = c.req.raw.body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        bytes += chunk.byteLength;
        controller.enqueue(chunk);
      },
    }),
  );
  c.req.raw = new Request(c.req.raw, { body: counted, duplex: 'half' } as RequestInit);
  return () => bytes;
}
