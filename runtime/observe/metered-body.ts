import type { RequestObservation } from './request-observer.ts';
import { CLIENT_CLOSED } from './request-observer.ts';

/**
 * Where no server reports the response's end (a FaaS adapter, `npm run invoke`, any fetch
 * runtime), the body is passed through a counting stream: the observation ends when the last
 * byte has been read by whoever sends it (the Lambda adapter reads it all before it returns),
 * or as 499 when the reader gives up first.
 */
export function meteredResponse(response: Response, observation: RequestObservation, requestBytes: number): Response {
  const status = response.status;
  const body = response.body;
  if (body === null) {
    observation.end({ status, requestBytes, responseBytes: 0 });
    return response;
  }
  let bytes = 0;
  const counter = new TransformStream<Uint8Array, Uint8Array>({
    transform(chunk, controller) {
      bytes += chunk.byteLength;
      controller.enqueue(chunk);
    },
    flush() {
      observation.end({ status, requestBytes, responseBytes: bytes });
    },
    cancel() {
      observation.end({ status: CLIENT_CLOSED, requestBytes, responseBytes: bytes });
    },
  });
  return new Response(body.pipeThrough(counter), response);
}
