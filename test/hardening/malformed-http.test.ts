import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { RunningService } from '../helpers/service.ts';
import { exchange, parseResponse } from './lib/raw-http.ts';
import { startHardenedService } from './lib/service.ts';

/**
 * Requests that never reach the app, because Node's HTTP parser or the Hono adapter rejects
 * them first, still get the JSON error envelope (Node alone would answer an empty body).
 */
let service: RunningService;

beforeAll(async () => {
  service = await startHardenedService('malformed', { SHUTDOWN_GRACE_MS: '5000' });
});
afterAll(async () => {
  await service?.stop();
});

const request = (line: string, headers: string[] = ['Host: 127.0.0.1'], body = '') =>
  `${line}\r\n${[...headers, 'Connection: close'].join('\r\n')}\r\n\r\n${body}`;

describe('requests the app never sees', () => {
  it.each([
    ['a space in the path', 400, request('GET /repos/a b HTTP/1.1')],
    ['a control character in the path', 400, request('GET /healthz\x01 HTTP/1.1')],
    ['a method that is no token', 400, request('G(T /healthz HTTP/1.1')],
    ['a header name with a space', 400, request('GET /healthz HTTP/1.1', ['Host: 127.0.0.1', 'Bad Header: x'])],
    ['two different Content-Lengths', 400, request('POST /repos HTTP/1.1', ['Host: 127.0.0.1', 'Content-Length: 1', 'Content-Length: 2'], 'x')],
    ['a broken chunked body', 400, request('POST /repos HTTP/1.1', ['Host: 127.0.0.1', 'Transfer-Encoding: chunked', 'Content-Type: application/json'], 'zz\r\n')],
    ['headers over the size limit', 431, request('GET /healthz HTTP/1.1', ['Host: 127.0.0.1', `X-Big: ${'a'.repeat(20_000)}`])],
    ['no Host header in HTTP/1.1', 400, request('GET /healthz HTTP/1.1', [])],
    ['an Expect other than 100-continue', 417, request('GET /healthz HTTP/1.1', ['Host: 127.0.0.1', 'Expect: 100-banana'])],
    ['the asterisk form', 400, request('GET * HTTP/1.1')],
    ['a path that does not start with /', 400, request('GET healthz HTTP/1.1')],
    ['a backslash in the path', 400, request('GET /repos\\a/b HTTP/1.1')],
    ['an absolute URL that is not one', 400, request('GET http://[::1/healthz HTTP/1.1')],
    ['CONNECT, as if to a proxy', 400, request('CONNECT example.com:443 HTTP/1.1')],
  ] as const)('%s: %i with the JSON error envelope', async (_label, status, raw) => {
    const response = parseResponse(await exchange(service.port, raw, 5000));
    expect(response.status).toBe(status);
    expect(response.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(response.text)).toEqual({ error: { code: expect.any(String), message: expect.any(String) } });
    expect(response.text).not.toMatch(/\bat \S+ \(|node:internal|\.ts:\d+/);
  });

  it('answers garbage sent after a good answer on a kept-alive connection', async () => {
    const socket = connect(service.port, '127.0.0.1');
    const received: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => received.push(chunk));
    const closed = new Promise((resolve) => socket.on('close', resolve));
    socket.write('GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n');
    await vi.waitFor(() => expect(Buffer.concat(received).toString()).toContain('{"status":"ok"}'));
    socket.write('GARBAGE\r\n\r\n');
    await closed;
    const raw = Buffer.concat(received).toString('latin1');
    const second = raw.indexOf('HTTP/1.1', 1);
    expect(parseResponse(Buffer.from(raw.slice(0, second), 'latin1'))).toMatchObject({ status: 200, text: '{"status":"ok"}' });
    const error = parseResponse(Buffer.from(raw.slice(second), 'latin1'));
    expect(error.status).toBe(400);
    expect(JSON.parse(error.text).error.code).toBe('bad_request');
  });

  it('stays up and logs no error for any of them', async () => {
    expect((await fetch(`${service.url}/healthz`)).status).toBe(200);
    expect(service.process.exitCode).toBeNull();
    expect(service.lines.filter((line) => /lvl=(ERROR|FATAL)/.test(line))).toEqual([]);
  });

  it('closes the connection after such an answer even if the client keeps its side open, so SIGTERM is not held up', async () => {
    // A client still sending (here: never ending) after its request was refused.
    const socket = connect({ port: service.port, host: '127.0.0.1', allowHalfOpen: true });
    socket.on('error', () => {});
    const answered = new Promise((resolve) => socket.once('data', resolve));
    socket.write(`GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`);
    await answered;
    const started = performance.now();
    expect(await service.stop()).toBe(0);
    expect(performance.now() - started).toBeLessThan(2000);
    socket.destroy();
  });
});
