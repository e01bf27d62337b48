import type { IncomingMessage } from 'node:http';
import type { CountingRequest, ObservedResponse } from './messages.ts';
import { CLIENT_CLOSED, type RequestObservation, type RequestStart } from './request-observer.ts';

/**
 * One request as the Node server hands it to the app (c.env.exchange): what the middleware
 * needs of the request, read from what Node has parsed already (building Fetch headers for
 * the request would cost more than the whole observation), and `track`, by which the server
 * reports the response's real end to the observation and puts the request id on it.
 */
export class NodeExchange {
  readonly request: CountingRequest;
  readonly response: ObservedResponse;

  constructor(request: CountingRequest, response: ObservedResponse) {
    this.request = request;
    this.response = response;
  }

  /** The request as the observation starts it; `remoteAddress` picks the client's address. */
  start(remoteAddress: (peer: string, forwardedFor: string | undefined) => string): RequestStart {
    const { request } = this;
    const headers = request.headers;
    const requestId = headers['x-request-id'];
    return {
      method: request.method ?? '',
      target: request.url ?? '/',
      remoteAddress: remoteAddress(request.socket.remoteAddress ?? '', headerText(headers['x-forwarded-for'])),
      userAgent: headers['user-agent'],
      requestId: typeof requestId === 'string' ? requestId : undefined,
    };
  }

  track(observation: RequestObservation): void {
    trackResponse(observation, this.response);
  }
}

/** Ends the observation when the Node response closes: after its last byte, or when the client left first (499). */
export function trackResponse(observation: RequestObservation, response: ObservedResponse): void {
  response.observation = observation;
  response.onClose = endObservation;
}

// One function for every response, no closure per request.
function endObservation(response: ObservedResponse<IncomingMessage>): void {
  const observation = response.observation as RequestObservation | undefined;
  observation?.end({
    status: response.writableFinished ? response.statusCode : CLIENT_CLOSED,
    requestBytes: receivedBytes(response.req as CountingRequest),
    responseBytes: response.bodyBytes,
  });
}

const headerText = (value: string | string[] | undefined) => (Array.isArray(value) ? value.join(',') : value);

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
