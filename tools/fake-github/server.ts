import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createAdaptorServer } from '@hono/node-server';
import { Hono } from 'hono';
import { controlRoutes } from './control-routes.ts';
import { githubRoutes } from './github-routes.ts';
import { FakeGitHubState, type FakeControl, type FakeGitHubOptions } from './state.ts';

/**
 * A GitHub-shaped upstream you can break on purpose, for tests and offline demos.
 *
 *   const github = await startFakeGitHub({ limit: 60, now: clock.now });
 *   fetch(`${github.url}/repos/honojs/hono`);           // plausible JSON, ETag, x-ratelimit-*
 *   github.control.addFault({ type: 'status', status: 503, count: 3 });
 *   github.control.stats().rateLimit.maxPerWindow;      // proof the budget held
 *   await github.stop();  await github.start();         // truly unreachable, then back on the same port
 *
 * Options (all optional): port (0 = a free one), host (127.0.0.1), now (clock, epoch ms),
 * limit / authenticatedLimit / windowSeconds (60 / 5000 / 3600), changeEverySeconds (60),
 * exhaustedStatus (403), seed, repos ({"owner/name": 404|410}). See state.ts and faults.ts.
 */
export interface StartOptions extends FakeGitHubOptions {
  port?: number;
  host?: string;
}

export interface FakeGitHub {
  /** Base URL, e.g. http://127.0.0.1:40123 (a loopback address when listening on all interfaces). */
  url: string;
  port: number;
  control: FakeControl;
  /**
   * Closes the listener and every open connection: clients now get ECONNREFUSED (a client's
   * pooled keep-alive connection may first fail once as closed by the other side).
   */
  stop(): Promise<void>;
  /** Listens again on the same port after stop(). */
  start(): Promise<void>;
}

/** The Hono app alone, for mounting elsewhere: GitHub routes plus /_control. */
export function createFakeGitHubApp(state: FakeGitHubState, stopping: () => AbortSignal = () => new AbortController().signal) {
  const app = new Hono();
  app.route('/_control', controlRoutes(state));
  app.route('/', githubRoutes(state, stopping));
  return app;
}

export async function startFakeGitHub(options: StartOptions = {}): Promise<FakeGitHub> {
  const state = new FakeGitHubState(options);
  const host = options.host ?? '127.0.0.1';
  let stopping = new AbortController();
  const app = createFakeGitHubApp(state, () => stopping.signal);
  const server = createAdaptorServer({ fetch: app.fetch }) as Server;
  let port = await listen(server, options.port ?? 0, host);
  const shownHost = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

  return {
    url: `http://${shownHost}:${port}`,
    get port() {
      return port;
    },
    control: state,
    async stop() {
      if (!server.listening) return;
      stopping.abort();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
    async start() {
      if (server.listening) return;
      stopping = new AbortController();
      port = await listen(server, port, host);
    },
  };
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve((server.address() as AddressInfo).port);
    });
  });
}
