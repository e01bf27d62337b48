import type { AddressInfo, Socket } from 'node:net';
import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { getRequestListener, RequestError } from '@hono/node-server';
import { CLIENT_ERRORS, errorEnvelope, type ErrorCode } from '../lib/errors.ts';
import type { AppBindings } from './env.ts';
import { CountingRequest, ObservedResponse } from './observe/messages.ts';
import { NodeExchange, trackResponse } from './observe/node-exchange.ts';
import { UNMATCHED } from '../lib/metrics/http-metrics.ts';
import type { RequestObserver } from './observe/request-observer.ts';

export interface RunningServer {
  server: Server;
  port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish, and after `graceMs`
   * cuts whatever is still open. Resolves when the listener is closed.
   */
  close(graceMs: number): Promise<void>;
}

/**
 * The HTTP server: what @hono/node-server's serve() does, plus answers in the JSON error
 * envelope for the requests that never reach the app (Node or the adapter reject them first,
 * and would answer with an empty body), and a shutdown that drains kept-alive connections.
 */
export interface ServedApp {
  fetch: (request: Request, env: AppBindings) => Response | Promise<Response>;
  /**
   * The app's request observer (runtime/app.ts), for the requests the server answers itself;
   * the app observes the others. None for the metrics port.
   */
  observer?: RequestObserver;
}

export function startServer(app: ServedApp, options: { port: number; host: string }): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const observer = app.observer;
    // The node adapter's env, { incoming, outgoing }, gets the exchange the app's observation uses.
    const fetch = ((request: Request, env: { incoming: CountingRequest; outgoing: ObservedResponse } & AppBindings) => {
      if (observer) env.exchange = new NodeExchange(env.incoming, env.outgoing);
      return app.fetch(request, env);
    }) as unknown as Parameters<typeof getRequestListener>[0];
    // The request the adapter is busy with: its errorHandler (below) is called synchronously
    // from inside the listener call and is only given the error.
    let currentRequest: CountingRequest | undefined;
    let currentResponse: ObservedResponse | undefined;
    // errorHandler: a request the adapter cannot turn into a Request (a backslash in the path,
    // `*`, a bad Host header), or a fetch that fails outright. It never reached the app.
    const errorHandler = (error: unknown) => {
      if (observer && currentRequest && currentResponse) observeWithoutApp(observer, currentRequest, currentResponse);
      return answerRequestError(error);
    };
    const listener = getRequestListener(fetch, { hostname: options.host, errorHandler });
    // The request and response classes count body bytes and put the request id on the answer.
    const classes = { IncomingMessage: CountingRequest, ServerResponse: ObservedResponse };
    const server = createServer({ requireHostHeader: false, ...classes }, (request, response) => {
      // Node's own check would answer an empty 400; this one answers in JSON (RFC 9112 §3.2).
      if (request.headers.host === undefined && request.httpVersion === '1.1') {
        if (observer) observeWithoutApp(observer, request, response);
        return answerWithoutApp(response, 400, 'bad_request', 'HTTP/1.1 requests need a Host header.');
      }
      currentRequest = request;
      currentResponse = response;
      const handled = listener(request, response);
      currentRequest = currentResponse = undefined;
      return handled;
    });
    // Expect: anything but 100-continue.
    server.on('checkExpectation', (request: CountingRequest, response: ObservedResponse) => {
      if (observer) observeWithoutApp(observer, request, response);
      answerWithoutApp(response, 417, 'expectation_failed', 'Only Expect: 100-continue is supported.');
    });
    server.on('clientError', (error: Error & { code?: string }, socket: ConnectionSocket) => answerClientError(error, socket, observer));
    // CONNECT is for proxies; without a listener Node would drop the connection unanswered.
    server.on('connect', (_request: IncomingMessage, socket: Socket) =>
      writeRawResponse(socket, 400, errorEnvelope('bad_request', 'CONNECT is not supported: this is not a proxy.')),
    );
    const connections = trackConnections(server);
    server.once('error', reject);
    server.listen(options.port, options.host);
    server.once('listening', () => {
      server.off('error', reject);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        close: (graceMs) => closeGracefully(server, graceMs, connections),
      });
    });
  });
}

function closeGracefully(server: Server, graceMs: number, connections: ReadonlySet<Socket>): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => {
      server.closeAllConnections();
      // Sockets the HTTP layer has let go of (answered before the app) would still hold close() open.
      for (const socket of connections) socket.destroy();
    }, graceMs);
    deadline.unref();
    server.close(() => {
      clearTimeout(deadline);
      resolve();
    });
    drainConnections(server, connections);
    // Keep-alive sockets with no request in progress would otherwise hold close() open.
    server.closeIdleConnections();
  });
}

/** Every open connection, whatever the HTTP layer thinks of it. */
function trackConnections(server: Server): ReadonlySet<Socket> {
  const open = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    open.add(socket);
    socket.once('close', () => open.delete(socket));
  });
  return open;
}

/** The response a connection is busy with, if any (Node's own field, also read by http-terminator). */
type ConnectionSocket = Socket & { _httpMessage?: ServerResponse | null };

/**
 * Closing the listener does not end kept-alive connections that are busy: their clients would
 * go on sending requests on them until the grace period ends and the connections are cut
 * mid-request. So once closing, the response each connection is busy with (and any request
 * that still arrives on one) says `Connection: close`, and each connection ends after the
 * response in progress; one whose response is already streaming is closed once that ends.
 * Nothing is done per request before closing.
 */
function drainConnections(server: Server, connections: ReadonlySet<ConnectionSocket>): void {
  server.prependListener('request', (_request, response: ServerResponse) => {
    response.shouldKeepAlive = false;
  });
  for (const socket of connections) {
    const response = socket._httpMessage;
    if (!response) continue;
    if (response.headersSent) response.once('close', () => server.closeIdleConnections());
    else response.shouldKeepAlive = false;
  }
}

/** A request the server answers itself, observed like the app's (no route: UNMATCHED). */
function observeWithoutApp(observer: RequestObserver, request: CountingRequest, response: ObservedResponse): void {
  const requestId = request.headers['x-request-id'];
  const observation = observer.begin({
    method: request.method ?? '',
    target: request.url ?? '/',
    remoteAddress: request.socket.remoteAddress ?? '',
    userAgent: request.headers['user-agent'],
    requestId: typeof requestId === 'string' ? requestId : undefined,
  });
  observation.path = UNMATCHED;
  trackResponse(observation, response);
}

function answerWithoutApp(response: ServerResponse, status: number, code: ErrorCode, message: string): void {
  const body = errorEnvelope(code, message);
  response.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    connection: 'close',
  });
  response.end(body);
}

function answerRequestError(error: unknown): Response {
  const [status, body] =
    error instanceof RequestError
      ? [400, errorEnvelope('bad_request', `The request could not be read: ${error.message}.`)]
      : [500, errorEnvelope('internal_error', 'Something went wrong on our side.')];
  return new Response(body, { status, headers: { 'content-type': 'application/json' } });
}

/**
 * Requests Node's HTTP parser rejects (malformed request line or headers, headers over the
 * size limit, too slow) have no request or response object: the answer is written straight
 * to the socket, under the same conditions as Node's own (nothing of another response sent),
 * and the observer counts and logs it like any other answer.
 */
function answerClientError(error: Error & { code?: string }, socket: ConnectionSocket, observer: RequestObserver | undefined): void {
  const current = socket._httpMessage;
  if (error.code === 'ECONNRESET' || !socket.writable || current?.headersSent) {
    socket.destroy();
    return;
  }
  const { status, code } = CLIENT_ERRORS[error.code ?? ''] ?? { status: 400, code: 'bad_request' };
  const body = errorEnvelope(code, `${STATUS_CODES[status]}: the request could not be read.`);
  const requestId = observer?.unreadable({ status, remoteAddress: socket.remoteAddress, responseBytes: Buffer.byteLength(body), reason: error.code });
  writeRawResponse(socket, status, body, requestId);
}

/**
 * Answers on a socket no response object owns, then closes it for good once the answer is
 * out, as Node does: ending our side alone would leave it open (half-closed, no longer read)
 * for as long as the client keeps its side open, e.g. while still sending a large body.
 */
function writeRawResponse(socket: Socket, status: number, body: string, requestId?: string): void {
  const idHeader = requestId === undefined ? '' : `X-Request-Id: ${requestId}\r\n`;
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json\r\n${idHeader}` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    () => socket.destroy(),
  );
}
