import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGoTool } from '../../scripts/lib/go-tool.ts';
import { caddyPasswordHash } from '../../scripts/lib/stack/secrets.ts';
import { mongodbUri, uniqueDbName } from '../helpers/database.ts';
import { parseLogfmt } from '../helpers/logs.ts';
import { startService, type RunningService } from '../helpers/service.ts';
import { EXPORTER_METRICS, readText, readYaml } from '../monitoring/helpers.ts';
import { adaptCaddyfile, CADDYFILE, forLoopback, upstreamsOf } from './caddy-loopback.ts';
import { freePort } from '../helpers/free-port.ts';

/**
 * The edge (monitoring/caddy/Caddyfile) with the real Caddy, built from source by
 * tools/caddy at the version the stack's image runs: the file validates, and run on
 * loopback it terminates TLS, asks for the login in front of Prometheus and Alertmanager,
 * and passes the client's address on, which the real service behind it logs.
 */
const PASSWORD = 'correct horse battery staple';
const dir = mkdtempSync(join(tmpdir(), 'edge-caddy-'));
const hashFile = join(dir, 'edge_auth_hash');
let caddy: string;

beforeAll(() => {
  caddy = buildGoTool('caddy', (line) => process.stderr.write(`${line}\n`));
  // The same hash npm run stack:up puts in the edge_auth_hash secret.
  writeFileSync(hashFile, `${caddyPasswordHash(PASSWORD)}\n`);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function runCaddy(args: string[], env: Record<string, string> = {}) {
  // HOME: where Caddy keeps its state when the config says nothing (validate), not the user's.
  const result = spawnSync(caddy, args, { env: { PATH: process.env.PATH, HOME: dir, ...env }, encoding: 'utf8', timeout: 20_000 });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

describe('the Caddyfile', () => {
  it('is the one the stack mounts, for the Caddy version the tests build', () => {
    const stack = readYaml('stack.yml');
    const goVersion = /github\.com\/caddyserver\/caddy\/v2 v(\S+)/.exec(readText('tools/caddy/go.mod'))?.[1];
    expect(stack.services.caddy.image).toBe(`caddy:${goVersion}`);
    expect(stack.configs.caddyfile.file).toBe('./monitoring/caddy/Caddyfile');
    expect(stack.services.caddy.configs).toContainEqual({ source: 'caddyfile', target: '/etc/caddy/Caddyfile' });
    // The Caddyfile reads the hash from the secret's default path.
    expect(stack.services.caddy.secrets).toContain('edge_auth_hash');
    expect(readText('monitoring/caddy/Caddyfile')).toContain('{$EDGE_AUTH_HASH_FILE:/run/secrets/edge_auth_hash}');
  });

  it('validates with the internal CA and with ACME for a real domain', () => {
    const internal = runCaddy(['validate', '--config', CADDYFILE], { EDGE_AUTH_HASH_FILE: hashFile });
    expect(internal.status, internal.output).toBe(0);
    expect(internal.output).toContain('Valid configuration');
    const acme = runCaddy(['validate', '--config', CADDYFILE], { EDGE_AUTH_HASH_FILE: hashFile, EDGE_TLS: 'ops@example.org', EDGE_API_HOST: 'api.example.org' });
    expect(acme.status, acme.output).toBe(0);
    const issuers = adaptCaddyfile(caddy, { EDGE_TLS: 'ops@example.org' }).apps.tls.automation.policies[0].issuers;
    expect(issuers).toContainEqual(expect.objectContaining({ module: 'acme', email: 'ops@example.org' }));
  });

  it('refuses to start without the password hash: the login cannot be left open by a missing secret', () => {
    const result = runCaddy(['validate', '--config', CADDYFILE], { EDGE_AUTH_HASH_FILE: join(dir, 'absent') });
    expect(result.status).not.toBe(0);
    expect(result.output).toContain('username and password are required');
  });

  it('is formatted as caddy fmt writes it (Caddy warns at start otherwise)', () => {
    const result = runCaddy(['fmt', '--diff', CADDYFILE]);
    expect(result.status, result.output).toBe(0);
    expect(result.output).not.toMatch(/^[-+]/m);
  });
});

interface Seen {
  upstream: string;
  headers: IncomingHttpHeaders;
  peer: string | undefined;
}

describe('on loopback', () => {
  const seen: Seen[] = [];
  const upstreams: Server[] = [];
  let process_: ChildProcess;
  let api: RunningService;
  let output = '';
  let httpsPort: number;
  let httpPort: number;
  let adminPort: number;
  let metricsPort: number;
  let rootCertificate: string;

  /** A stand-in for one service: answers 200 with what it saw. */
  const standIn = (name: string) =>
    new Promise<string>((resolve) => {
      const server = createServer((req, res) => {
        seen.push({ upstream: name, headers: req.headers, peer: req.socket.remoteAddress });
        res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ upstream: name }));
      }).listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`));
      upstreams.push(server);
    });

  /** HTTPS to Caddy as a browser at `localAddress` would ask for `host`, trusting only Caddy's root. */
  const get = (host: string, options: { path?: string; auth?: string; headers?: Record<string, string>; localAddress?: string } = {}) =>
    new Promise<{ status: number; headers: IncomingHttpHeaders; body: string }>((resolve, reject) => {
      const headers: Record<string, string> = { host, ...options.headers };
      if (options.auth) headers.authorization = `Basic ${Buffer.from(options.auth).toString('base64')}`;
      const req = httpsRequest(
        { host: '127.0.0.1', port: httpsPort, path: options.path ?? '/', servername: host, ca: rootCertificate, headers, localAddress: options.localAddress ?? '127.0.0.1', agent: false },
        (res) => {
          let body = '';
          res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
        },
      );
      req.on('error', reject).end();
    });

  const plainGet = (port: number, host: string, path: string) =>
    new Promise<{ status: number; location: string | undefined }>((resolve, reject) => {
      httpRequest({ host: '127.0.0.1', port, path, headers: { host }, agent: false }, (res) => {
        res.resume();
        resolve({ status: res.statusCode!, location: res.headers.location });
      })
        .on('error', reject)
        .end();
    });

  /** Plain HTTP to the metrics port, as Prometheus scrapes it, from `localAddress`. */
  const metricsPortAnswer = (path: string, options: { method?: string; localAddress?: string } = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port: metricsPort, path, method: options.method ?? 'GET', localAddress: options.localAddress ?? '127.0.0.1', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8').on('data', (chunk) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode!, body }));
      });
      req.on('error', reject).end(options.method === 'POST' ? '{}' : undefined);
    });

  beforeAll(async () => {
    // The real service stands in for the api, trusting X-Forwarded-For from Caddy's address
    // here (in the swarm: the edge network's subnet); the other sites get stand-ins.
    api = await startService({ MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('edge'), ROLE: 'api', TRUSTED_PROXIES: '127.0.0.1' });
    // Here the monitoring network is 127.0.0.1 alone: a client at 127.0.0.2 is outside it.
    const config = adaptCaddyfile(caddy, { EDGE_AUTH_HASH_FILE: hashFile, EDGE_METRICS_FROM: '127.0.0.1' });
    const names = Object.fromEntries(
      await Promise.all(upstreamsOf(config).map(async (dial) => [dial, dial === 'api:3000' ? `127.0.0.1:${api.port}` : await standIn(dial)] as const)),
    );
    [httpsPort, httpPort, adminPort, metricsPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
    const storage = join(dir, 'storage');
    const loopback = forLoopback(config, { upstreams: names, https: httpsPort, http: httpPort, metrics: metricsPort, admin: adminPort, storage });
    writeFileSync(join(dir, 'caddy.json'), JSON.stringify(loopback));
    process_ = spawn(caddy, ['run', '--config', join(dir, 'caddy.json')], { stdio: ['ignore', 'pipe', 'pipe'], env: { PATH: process.env.PATH, HOME: dir } });
    process_.stdout!.on('data', (chunk) => (output += chunk));
    process_.stderr!.on('data', (chunk) => (output += chunk));

    // Ready when the admin API answers (the stack's health check) and the internal CA exists.
    const deadline = Date.now() + 20_000;
    let notYet: unknown;
    for (;;) {
      try {
        // What the stack's health check asks (wget, like any client that is not a browser).
        const admin = await plainGet(adminPort, `127.0.0.1:${adminPort}`, '/config/');
        rootCertificate = readFileSync(join(storage, 'pki/authorities/local/root.crt'), 'utf8');
        if (admin.status === 200 && (await get('grafana.localhost')).status === 200) break;
      } catch (error) {
        notYet = error;
      }
      if (Date.now() > deadline || process_.exitCode !== null) throw new Error(`caddy did not come up (${notYet}):\n${output}`);
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    seen.length = 0;
  });

  afterAll(async () => {
    process_?.kill('SIGTERM');
    await api?.stop();
    await Promise.all(upstreams.map((server) => new Promise((resolve) => server.close(resolve))));
  });

  it('proxies each site name to its service over TLS signed by the internal CA', async () => {
    const api = await get('api.localhost', { path: '/healthz' });
    expect(api.status).toBe(200);
    expect(JSON.parse(api.body)).toMatchObject({ status: 'ok' });
    const grafana = await get('grafana.localhost');
    expect(grafana.status).toBe(200);
    expect(JSON.parse(grafana.body).upstream).toBe('grafana:3000');
    // An unknown name gets no certificate, so no answer at all.
    await expect(get('unknown.localhost')).rejects.toThrow();
  });

  it('passes the client address in X-Forwarded-For and drops the one a client claims', async () => {
    seen.length = 0;
    // The client connects from 127.0.0.2, Caddy from 127.0.0.1: the two can be told apart.
    const answer = await get('grafana.localhost', { localAddress: '127.0.0.2', headers: { 'x-forwarded-for': '203.0.113.7' } });
    expect(answer.status).toBe(200);
    const [request] = seen;
    expect(request!.headers['x-forwarded-for']).toBe('127.0.0.2');
    expect(request!.headers['x-forwarded-proto']).toBe('https');
    expect(request!.headers['x-forwarded-host']).toBe('grafana.localhost');
    expect(request!.peer).toBe('127.0.0.1');
  });

  it('lets the service behind it log the real client, which a client talking to the service directly cannot fake', async () => {
    await get('api.localhost', { path: '/healthz', localAddress: '127.0.0.2', headers: { 'x-request-id': 'edge-client-0001', 'x-forwarded-for': '203.0.113.7' } });
    const [viaEdge] = parseLogfmt([await api.waitForLine(/request_id=edge-client-0001/)]);
    expect(viaEdge!.remote_addr).toBe('127.0.0.2');

    const direct = await new Promise<number>((resolve, reject) => {
      const headers = { 'x-request-id': 'edge-direct-0001', 'x-forwarded-for': '203.0.113.7' };
      httpRequest({ host: '127.0.0.1', port: api.port, path: '/healthz', headers, localAddress: '127.0.0.2', agent: false }, (res) => {
        res.resume();
        resolve(res.statusCode!);
      })
        .on('error', reject)
        .end();
    });
    expect(direct).toBe(200);
    const [bypass] = parseLogfmt([await api.waitForLine(/request_id=edge-direct-0001/)]);
    expect(bypass!.remote_addr).toBe('127.0.0.2');
  });

  it('asks for the login before Prometheus and Alertmanager, and lets the right one through', async () => {
    for (const [host, upstream] of [
      ['prometheus.localhost', 'prometheus:9090'],
      ['alertmanager.localhost', 'alertmanager:9093'],
    ]) {
      seen.length = 0;
      const anonymous = await get(host!);
      expect(anonymous.status, host).toBe(401);
      expect(anonymous.headers['www-authenticate'], host).toMatch(/^Basic /);
      expect((await get(host!, { auth: 'admin:wrong password' })).status, host).toBe(401);
      expect((await get(host!, { auth: `someone:${PASSWORD}` })).status, host).toBe(401);
      expect(seen, `${host}: refused requests never reach it`).toEqual([]);

      const allowed = await get(host!, { auth: `admin:${PASSWORD}` });
      expect(allowed.status, host).toBe(200);
      expect(JSON.parse(allowed.body).upstream).toBe(upstream);
    }
  });

  it('redirects plain HTTP to HTTPS, so the login never crosses the network in clear', async () => {
    const answer = await plainGet(httpPort, 'prometheus.localhost', '/graph');
    expect(answer.status).toBe(308);
    // To the standard port, where the swarm publishes Caddy (the test's own port is not in the site address).
    expect(answer.location).toBe('https://prometheus.localhost/graph');
  });

  it('serves Caddy\'s metrics on their own port, each site\'s requests counted by host and status', async () => {
    await get('api.localhost', { path: '/healthz' });
    await get('prometheus.localhost');
    const answer = await metricsPortAnswer('/metrics');
    expect(answer.status).toBe(200);
    // What the edge alerts and the dashboard read (monitoring/prometheus/rules/edge.rules.yml).
    const count = (host: string, code: string) =>
      answer.body
        .split('\n')
        .filter((line) => line.startsWith('caddy_http_request_duration_seconds_count{') && line.includes(`host="${host}"`) && line.includes(`code="${code}"`))
        .reduce((sum, line) => sum + Number(line.split(' ').pop()), 0);
    expect(count('api.localhost', '200')).toBeGreaterThanOrEqual(1);
    expect(count('prometheus.localhost', '401')).toBeGreaterThanOrEqual(1);
    expect(answer.body).toMatch(/^caddy_config_last_reload_successful 1$/m);
    // Every Caddy metric the rules and dashboards read (the queries check lists them) is real.
    for (const name of [...EXPORTER_METRICS].filter((metric) => metric.startsWith('caddy_'))) expect(answer.body, name).toMatch(new RegExp(`^${name}[{ ]`, 'm'));
  });

  it('answers the metrics only to the monitoring network, and nothing else: the admin API is not on that port', async () => {
    expect((await metricsPortAnswer('/metrics', { localAddress: '127.0.0.2' })).status).toBe(403);
    for (const [method, path] of [['GET', '/config/'], ['POST', '/load'], ['POST', '/stop'], ['GET', '/']]) {
      const answer = await metricsPortAnswer(path!, { method });
      expect(answer.status, `${method} ${path}`).toBe(403);
      expect(answer.body, `${method} ${path}`).toBe('');
    }
    // Caddy still runs, with its configuration unchanged: POST /stop did nothing.
    expect((await plainGet(adminPort, `127.0.0.1:${adminPort}`, '/config/')).status).toBe(200);
  });
});

describe('the admin API in the stack', () => {
  it('listens on the container\'s loopback only (Caddy\'s default), never on a network', () => {
    const config = adaptCaddyfile(caddy, { EDGE_AUTH_HASH_FILE: hashFile });
    expect(config.admin?.listen ?? 'localhost:2019').toMatch(/^(localhost|127\.0\.0\.1):2019$/);
    const listeners = Object.values<any>(config.apps.http.servers).flatMap((server) => server.listen);
    // The sites (HTTP is redirected by a server Caddy adds at start) and the metrics port.
    expect(listeners.sort()).toEqual([':443', ':9180']);
  });
});
