import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { ROOT } from '../monitoring/helpers.ts';

export const CADDYFILE = join(ROOT, 'monitoring/caddy/Caddyfile');

/** The stack's Caddyfile as Caddy's JSON, with the environment the caddy service would have. */
export function adaptCaddyfile(caddy: string, env: Record<string, string>): any {
  const json = execFileSync(caddy, ['adapt', '--config', CADDYFILE, '--adapter', 'caddyfile'], {
    env: { PATH: process.env.PATH, ...env },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return JSON.parse(json);
}

export interface LoopbackPorts {
  /** Where each upstream the stack names (`api:3000`, `prometheus:9090`, ...) listens here instead. */
  upstreams: Record<string, string>;
  http: number;
  https: number;
  /** Where the metrics site (:9180 in the stack) listens. */
  metrics: number;
  admin: number;
  /** Certificates and the internal CA: a fresh directory, not the user's ~/.local/share/caddy. */
  storage: string;
}

/**
 * The same configuration for one machine without a swarm: the site names, TLS, logins and
 * routes stay as they are; only where things listen and connect changes. Every listener
 * moves to 127.0.0.1 on the given ports, every upstream to its loopback stand-in (an
 * upstream without one is an error, so a new route cannot go untested), the admin API to
 * its own port, and Caddy's storage to a temporary directory.
 */
export function forLoopback(config: any, ports: LoopbackPorts): any {
  const copy = structuredClone(config);
  const http = copy.apps.http;
  http.http_port = ports.http;
  http.https_port = ports.https;
  for (const server of Object.values<any>(http.servers)) {
    server.listen = server.listen.map((address: string) => {
      const port = Number(address.slice(address.lastIndexOf(':') + 1));
      if (port === 443) return `127.0.0.1:${ports.https}`;
      if (port === 80) return `127.0.0.1:${ports.http}`;
      if (port === 9180) return `127.0.0.1:${ports.metrics}`;
      throw new Error(`unexpected listener ${address}: map it in forLoopback`);
    });
  }
  const redirect = (node: any): void => {
    if (Array.isArray(node)) return node.forEach(redirect);
    if (node === null || typeof node !== 'object') return;
    if (typeof node.dial === 'string') {
      const local = ports.upstreams[node.dial];
      if (!local) throw new Error(`no loopback stand-in for the upstream ${node.dial}`);
      node.dial = local;
    }
    Object.values(node).forEach(redirect);
  };
  redirect(http.servers);
  copy.admin = { listen: `127.0.0.1:${ports.admin}` };
  copy.storage = { module: 'file_system', root: ports.storage };
  return copy;
}

/** Every upstream address the configuration proxies to. */
export function upstreamsOf(config: any): string[] {
  const found = new Set<string>();
  const walk = (node: any): void => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    if (typeof node.dial === 'string') found.add(node.dial);
    Object.values(node).forEach(walk);
  };
  walk(config.apps.http.servers);
  return [...found];
}
