import type { CallSite, Logger } from '../../lib/logging/logger.ts';
import { redactText } from '../../lib/logging/redact.ts';
import { OTHER_METHOD, UNMATCHED } from '../../lib/metrics/http-metrics.ts';
import type { Metrics } from '../../lib/metrics/registry.ts';
import type { CountingRequest, ObservedResponse } from './messages.ts';
import { newRequestId } from './request-id.ts';

/**
 * Every request the server receives, observed from its first byte to its last: a request id
 * (a client's well-formed X-Request-Id, or a new one) returned in the response header, the
 * request metrics, and one access line, written when the Node response has really ended
 * (`close`: the last byte written, or the client went away first: 499), not when a handler
 * returns.
 *
 * This lives in the HTTP server, in front of Hono, not in a Hono middleware: any middleware
 * takes Hono off its fast path (an async layer per request), which alone cost 3-8 % of a
 * trivial route's throughput, and the service had three; the whole observation here costs
 * about 15 % (README, "Performance"). It also sees what never reaches the app: a missing
 * Host header, a body over the limit, a URL the adapter cannot parse.
 */
const WELL_FORMED_ID = /^[A-Za-z0-9._:-]{8,128}$/;
const CLIENT_CLOSED = 499;
const SECRET_QUERY = /([?&](?:access_token|token|api_key|apikey|password|secret)=)[^&]*/gi;

export interface ObserverOptions {
  log: Logger;
  /** Without metrics requests are still logged. */
  metrics?: Metrics;
  /** Requests not to observe at all (the metrics scrape). */
  skip?: (url: string) => boolean;
}

/** What Node's HTTP parser refused, answered straight on the socket (runtime/server.ts). */
export interface UnreadableRequest {
  status: number;
  remoteAddress: string | undefined;
  responseBytes: number;
  /** Node's error code, e.g. HPE_INVALID_METHOD. */
  reason: string | undefined;
}

export interface RequestObserver {
  (request: CountingRequest, response: ObservedResponse): void;
  /**
   * A request refused before Node made a request object of it (malformed request line or
   * headers, headers too large, too slow): counted under `_OTHER` and `__unmatched__` with
   * no duration (the parser says nothing of when it began) and logged. Returns its id.
   */
  unreadable(request: UnreadableRequest): string;
}

interface Shared extends ObserverOptions {
  /** The access lines are always written from the same lines: found once (Logger.logFrom). */
  accessLineSite: CallSite | undefined;
  unreadableLineSite: CallSite | undefined;
}

export function createRequestObserver(options: ObserverOptions): RequestObserver {
  const shared: Shared = { ...options, accessLineSite: undefined, unreadableLineSite: undefined };
  const observe = (request: CountingRequest, response: ObservedResponse) => {
    if (options.skip?.(request.url ?? '')) return;
    response.observation = new RequestObservation(shared, request, response);
    response.on('close', endObservation);
  };
  return Object.assign(observe, { unreadable: (request: UnreadableRequest) => recordUnreadable(shared, request) });
}

function recordUnreadable(shared: Shared, { status, remoteAddress, responseBytes, reason }: UnreadableRequest): string {
  const requestId = newRequestId();
  const observation = { method: OTHER_METHOD, path: UNMATCHED, status, seconds: 0, requestBytes: 0, responseBytes, requestId };
  shared.metrics?.http.started();
  shared.metrics?.http.record(observation);
  shared.unreadableLineSite = shared.log.logFrom(shared.unreadableLineSite, 'info', 'request', {
    request_id: requestId,
    remote_addr: remoteAddress ?? '',
    path: UNMATCHED,
    status_code: status,
    res_bytes: responseBytes,
    error: reason,
  });
  return requestId;
}

// One listener function for every response, no closure per request.
function endObservation(this: ObservedResponse): void {
  this.observation?.end();
}

export class RequestObservation {
  readonly requestId: string;
  /** The route template the app routes this request to, once it knows (runtime/app-entry.ts). */
  path = UNMATCHED;
  /** The name of the API token that authorised the request, when one did. */
  client: string | undefined = undefined;
  readonly #shared: Shared;
  readonly #request: CountingRequest;
  readonly #response: ObservedResponse;
  readonly #started = performance.now();
  // Read now: once the connection has closed (a 499) the socket no longer says.
  readonly #remoteAddress: string;
  #log: Logger | undefined = undefined;
  #url: string | undefined = undefined;
  #ended = false;

  constructor(shared: Shared, request: CountingRequest, response: ObservedResponse) {
    this.#shared = shared;
    this.#request = request;
    this.#response = response;
    this.#remoteAddress = request.socket.remoteAddress ?? '';
    const incomingId = request.headers['x-request-id'];
    this.requestId = typeof incomingId === 'string' && WELL_FORMED_ID.test(incomingId) ? incomingId : newRequestId();
    shared.metrics?.http.started();
  }

  /** The request's logger: its lines carry the request id, client address, method and URL. */
  get log(): Logger {
    return (this.#log ??= this.#shared.log.child({
      request_id: this.requestId,
      remote_addr: this.#remoteAddress,
      method: this.#request.method,
      url: this.#target(),
    }));
  }

  /** Path and query of the request, with credentials and secret-looking query values masked. */
  #target(): string {
    if (this.#url === undefined) {
      const url = this.#request.url ?? '/';
      this.#url = url.includes('?') ? redactText(url).replace(SECRET_QUERY, '$1***') : url;
    }
    return this.#url;
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    const request = this.#request;
    const response = this.#response;
    const shared = this.#shared;
    const seconds = (performance.now() - this.#started) / 1000;
    const status = response.writableFinished ? response.statusCode : CLIENT_CLOSED;
    const method = request.method ?? '';
    const sent = method === 'HEAD' || status === 204 || status === 304 ? 0 : response.bodyBytes;
    const received = receivedBytes(request);
    shared.metrics?.http.record({ method, path: this.path, status, seconds, requestBytes: received, responseBytes: sent, requestId: this.requestId });
    const level = status >= 500 ? 'error' : status === CLIENT_CLOSED ? 'warn' : 'info';
    // The request's own fields written out again rather than through `log` (a child logger):
    // most requests never need one, and building it for the access line alone costs ~1 µs.
    shared.accessLineSite = shared.log.logFrom(shared.accessLineSite, level, 'request', {
      request_id: this.requestId,
      remote_addr: this.#remoteAddress,
      method,
      url: this.#target(),
      path: this.path,
      status_code: status,
      duration_ms: Math.round(seconds * 100_000) / 100,
      req_bytes: received,
      res_bytes: sent,
      user_agent: request.headers['user-agent'] ?? '',
      client: this.client,
    });
  }
}

/**
 * Content-Length when declared: Node refuses a body that does not match it, and a body the app
 * never reads is drained without passing through CountingRequest.push, so counting alone would
 * miss it. Otherwise (chunked) the bytes the parser handed over.
 */
function receivedBytes(request: CountingRequest): number {
  const declared = request.headers['content-length'];
  if (declared === undefined) return request.bodyBytes;
  const length = Number(declared);
  return Number.isSafeInteger(length) && length >= 0 ? length : 0;
}
