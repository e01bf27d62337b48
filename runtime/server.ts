import type { AddressInfo } from 'node:net';
import type { Server, ServerResponse } from 'node:http';
import { serve } from '@hono/node-server';

export interface RunningServer {
  server: Server;
  port: number;
  /**
   * Stops accepting connections, lets in-flight requests finish, and after `graceMs`
   * cuts whatever is still open. Resolves when the listener is closed.
   */
  close(graceMs: number): Promise<void>;
}

export function startServer(
  fetch: (request: Request, env: unknown) => Response | Promise<Response>,
  options: { port: number; host: string },
): Promise<RunningServer> {
  return new Promise((resolve, reject) => {
    const server = serve({ fetch, port: options.port, hostname: options.host }) as Server;
    const drain = trackOpenResponses(server);
    server.once('error', reject);
    server.once('listening', () => {
      server.off('error', reject);
      resolve({
        server,
        port: (server.address() as AddressInfo).port,
        close: (graceMs) => closeGracefully(server, graceMs, drain),
      });
    });
  });
}

function closeGracefully(server: Server, graceMs: number, drain: () => void): Promise<void> {
  return new Promise((resolve) => {
    const deadline = setTimeout(() => server.closeAllConnections(), graceMs);
    deadline.unref();
    server.close(() => {
      clearTimeout(deadline);
      resolve();
    });
    drain();
    // Keep-alive sockets with no request in progress would otherwise hold close() open.
    server.closeIdleConnections();
  });
}

/**
 * Closing the listener does not end kept-alive connections that are busy: their clients would
 * go on sending requests on them until the grace period ends and the connections are cut
 * mid-request. So once closing, every response still to be written (and every request that
 * still arrives on such a connection) says `Connection: close`, and each connection ends
 * after the response in progress. Returns what to call when closing starts.
 */
function trackOpenResponses(server: Server): () => void {
  const open = new Set<ServerResponse>();
  let closing = false;
  // Prepended: runs before the app's listener has written anything.
  server.prependListener('request', (_request, response: ServerResponse) => {
    if (closing) {
      response.shouldKeepAlive = false;
      return;
    }
    open.add(response);
    response.once('close', () => open.delete(response));
  });
  return () => {
    closing = true;
    for (const response of open) {
      // Headers already out (a streamed body): close the connection once it has ended.
      if (response.headersSent) response.once('close', () => server.closeIdleConnections());
      else response.shouldKeepAlive = false;
    }
    open.clear();
  };
}
