import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { readText, ROOT } from './helpers.ts';

/**
 * No Docker engine here, so the image cannot be built; this reads the Dockerfile the way
 * the builder would and runs its HEALTHCHECK command for real against a local /healthz.
 */
interface Instruction {
  keyword: string;
  args: string;
}

function instructions(): Instruction[] {
  return readText('Dockerfile')
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line && !line.startsWith('#'))
    .map((line) => {
      const [keyword, ...rest] = line.split(/\s+/);
      return { keyword: keyword!.toUpperCase(), args: rest.join(' ') };
    });
}

const find = (keyword: string) => instructions().filter((instruction) => instruction.keyword === keyword);
const last = (keyword: string) => find(keyword).at(-1)!;

describe('Dockerfile', () => {
  it('builds in two stages from the Node major the repository pins', () => {
    const pinned = JSON.parse(readText('package.json')).devDependencies.node.replace(/^\D*/, '').split('.')[0];
    expect(find('FROM').length).toBeGreaterThanOrEqual(2);
    expect(find('ARG').map((arg) => arg.args)).toContain(`NODE_IMAGE=node:${pinned}-alpine`);
  });

  it('installs production dependencies only, exactly as locked', () => {
    expect(find('RUN').map((run) => run.args).join('\n')).toMatch(/npm ci --omit=dev/);
  });

  it('runs as an unprivileged user under an init that forwards SIGTERM', () => {
    const order = instructions().map((instruction) => instruction.keyword);
    expect(last('USER').args).toBe('node');
    expect(order.lastIndexOf('USER')).toBeGreaterThan(order.lastIndexOf('COPY'));
    expect(JSON.parse(last('ENTRYPOINT').args)).toEqual(['/sbin/tini', '--']);
    expect(find('RUN').map((run) => run.args).join('\n')).toContain('apk add --no-cache tini');
  });

  it('passes the VERSION build argument to the service as APP_VERSION (app_build_info\'s version)', () => {
    const order = instructions();
    const lastFrom = order.map((instruction) => instruction.keyword).lastIndexOf('FROM');
    const finalStage = order.slice(lastFrom);
    expect(finalStage.filter((instruction) => instruction.keyword === 'ARG').map((arg) => arg.args)).toContain('VERSION=unknown');
    const env = finalStage.filter((instruction) => instruction.keyword === 'ENV').map((instruction) => instruction.args).join(' ');
    expect(env.split(/\s+/)).toContain('APP_VERSION=${VERSION}');
    expect(readText('lib/metrics/build-info.ts')).toContain('env.APP_VERSION');
  });

  it('starts node runtime/main.ts (type stripping, no build step)', () => {
    expect(JSON.parse(last('CMD').args)).toEqual(['node', 'runtime/main.ts']);
    expect(existsSync(join(ROOT, 'runtime/main.ts'))).toBe(true);
  });

  it('copies sources that exist and that .dockerignore lets into the build context', () => {
    const allowed = readText('.dockerignore')
      .split('\n')
      .filter((line) => line.startsWith('!'))
      .map((line) => line.slice(1).replace(/\/$/, ''));
    const sources = find('COPY')
      .filter((copy) => !copy.args.startsWith('--from'))
      .flatMap((copy) => copy.args.split(/\s+/).slice(0, -1));
    expect(sources).toEqual(expect.arrayContaining(['lib', 'functions', 'runtime', 'tools/fake-github']));
    for (const source of sources) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(allowed.some((entry) => source === entry || source.startsWith(`${entry}/`)), `${source} is excluded by .dockerignore`).toBe(true);
    }
  });

  it('ships code that imports only production dependencies (devDependencies are not installed)', () => {
    const { dependencies } = JSON.parse(readText('package.json'));
    const shipped = ['lib', 'functions', 'runtime', 'tools/fake-github'].flatMap((dir) =>
      (readdirSync(join(ROOT, dir), { recursive: true }) as string[])
        .filter((file) => file.endsWith('.ts') && !file.endsWith('.test.ts'))
        .map((file) => join(dir, file)),
    );
    expect(shipped.length).toBeGreaterThan(10);
    const outside = shipped.flatMap((file) =>
      [...readFileSync(join(ROOT, file), 'utf8').matchAll(/(?:from|import)\s*\(?\s*'([^'.][^']*)'/g)]
        .map(([, specifier]) => specifier!)
        .filter((specifier) => !specifier.startsWith('node:'))
        .map((specifier) => specifier.split('/').slice(0, specifier.startsWith('@') ? 2 : 1).join('/'))
        .filter((name) => !(name in dependencies))
        .map((name) => `${file} imports ${name}`),
    );
    expect(outside).toEqual([]);
  });
});

describe('the image HEALTHCHECK command', () => {
  const healthcheck = (): string[] => JSON.parse(last('HEALTHCHECK').args.replace(/^.*?CMD\s+/, ''));
  let server: Server | undefined;

  afterEach(async () => {
    await new Promise((resolve) => (server ? server.close(resolve) : resolve(undefined)));
    server = undefined;
  });

  /** Serves /healthz with `status` on a free port; returns the port. */
  const serveHealthz = (status: number) =>
    new Promise<number>((resolve) => {
      server = createServer((request, response) => {
        response.statusCode = request.url === '/healthz' ? status : 404;
        response.end();
      });
      server.listen(0, '127.0.0.1', () => resolve((server!.address() as { port: number }).port));
    });

  const runCheck = async (env: Record<string, string>) => {
    const [command, ...args] = healthcheck();
    expect(command).toBe('node');
    try {
      await promisify(execFile)(process.execPath, args, { env: { PATH: process.env.PATH, ...env }, timeout: 10_000 });
      return 0;
    } catch (error) {
      return (error as { code: number }).code;
    }
  };

  it('passes when /healthz answers 200 on METRICS_PORT', async () => {
    const port = await serveHealthz(200);
    expect(await runCheck({ METRICS_PORT: String(port), PORT: '1' })).toBe(0);
  });

  it('falls back to PORT when METRICS_PORT is not set', async () => {
    const port = await serveHealthz(200);
    expect(await runCheck({ PORT: String(port) })).toBe(0);
  });

  it('fails when /healthz answers an error or nothing listens', async () => {
    const port = await serveHealthz(503);
    expect(await runCheck({ METRICS_PORT: String(port) })).toBe(1);
    await new Promise((resolve) => server!.close(resolve));
    server = undefined;
    expect(await runCheck({ METRICS_PORT: String(port) })).toBe(1);
  });
});
