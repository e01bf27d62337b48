import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { CountingRequest, ObservedResponse } from '../runtime/observe/messages.ts';
import type { RequestObservation } from '../runtime/observe/request-observer.ts';

/**
 * The server's request and response classes on a real loopback server: the request id goes
 * into whatever form of headers writeHead is given (or none), and body bytes are counted on
 * both sides, chunked framing excluded.
 */
let server: Server | undefined;
afterEach(() => new Promise<void>((resolve) => (server ? server.close(() => resolve()) : resolve())));

type Handler = (request: CountingRequest, response: ObservedResponse) => void;

async function serve(handler: Handler): Promise<number> {
  server = createServer({ IncomingMessage: CountingRequest, ServerResponse: ObservedResponse }, (req, res) => {
    res.observation = { requestId: 'req-12345678' } as RequestObservation;
    handler(req, res);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return (server.address() as AddressInfo).port;
}

function get(port: number, body?: string[]) {
  return new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; text: string }>((resolve, reject) => {
    const req = request({ port, host: '127.0.0.1', method: body ? 'POST' : 'GET', path: '/' }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => (text += chunk));
      res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', reject);
    for (const chunk of body ?? []) req.write(chunk);
    req.end();
  });
}

describe('ObservedResponse', () => {
  it.each<[string, Handler]>([
    ['a header object', (_req, res) => res.writeHead(201, { 'content-type': 'text/plain' }).end('héllo')],
    ['a flat header list', (_req, res) => res.writeHead(201, ['content-type', 'text/plain']).end('héllo')],
    ['a list of pairs, with a reason', (_req, res) => res.writeHead(201, 'Made', [['content-type', 'text/plain']] as never).end('héllo')],
    ['no writeHead at all', (_req, res) => ((res.statusCode = 201), res.setHeader('content-type', 'text/plain'), res.end('héllo'))],
    ['a streamed body', (_req, res) => (res.writeHead(201, { 'content-type': 'text/plain' }), res.write('hé'), res.end(Buffer.from('llo')))],
  ])('adds the request id to %s and counts the body bytes', async (_name, handler) => {
    let counted = -1;
    const port = await serve((req, res) => {
      res.on('finish', () => (counted = res.bodyBytes));
      handler(req, res);
    });
    const answer = await get(port);
    expect(answer).toMatchObject({ status: 201, text: 'héllo' });
    expect(answer.headers['x-request-id']).toBe('req-12345678');
    expect(answer.headers['content-type']).toBe('text/plain');
    expect(counted).toBe(Buffer.byteLength('héllo'));
  });

  it('leaves the caller’s header object alone', async () => {
    const shared = { 'content-type': 'text/plain' };
    const port = await serve((_req, res) => res.writeHead(200, shared).end('ok'));
    await get(port);
    expect(shared).toEqual({ 'content-type': 'text/plain' });
  });
});

describe('CountingRequest', () => {
  it('counts a chunked body as the bytes the parser handed over', async () => {
    let counted = -1;
    const port = await serve((req, res) => {
      req.resume();
      req.on('end', () => {
        counted = req.bodyBytes;
        res.end('done');
      });
    });
    const chunks = ['{"a":', '"ü"', ', "b": 2}'];
    await get(port, chunks);
    expect(counted).toBe(chunks.reduce((sum, chunk) => sum + Buffer.byteLength(chunk), 0));
  });
});
