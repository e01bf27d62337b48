import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, linkSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Builds the small Go programs under tools/ on first use, into tools/<module>/bin/ (ignored by
 * git), and reuses them until the module's sources change. Go caches modules and compiled
 * packages, so only the first build on a machine is slow.
 *
 * A module either is a program itself (`package main` in tools/<module>/, built as
 * bin/<module>), or only lists `tool` directives in its go.mod: then each tool is built as
 * bin/<last element of its package path> (tools/prometheus gives bin/prometheus and
 * bin/promtool), straight from the module versions its go.mod requires.
 */
export const TOOLS_DIR = fileURLToPath(new URL('../../tools/', import.meta.url));

export interface GoBuildOptions {
  /** Linker flags, e.g. `-X module/version.Version=1.2.3` for what `--version` prints. */
  ldflags?: string[];
  /**
   * Files to create under vendor/ before building with -mod=vendor: for a go:embed pattern
   * whose files the published module lacks (a UI bundle built by npm upstream).
   */
  vendorPlaceholders?: Record<string, string>;
  /** The line that says what is built and why the first run is slower. */
  why?: string;
}

type Log = (line: string) => void;

/** Builds tools/<name> if needed and returns the path of bin/<name>. */
export function buildGoTool(name: string, log: Log = () => {}, options: GoBuildOptions = {}): string {
  return buildGoModule(name, log, options)[name]!;
}

/** Builds tools/<module> if needed; returns each binary's path by name. */
export function buildGoModule(module: string, log: Log = () => {}, options: GoBuildOptions = {}): Record<string, string> {
  const dir = join(TOOLS_DIR, module);
  const binDir = join(dir, 'bin');
  const tools = toolPackages(dir);
  const binaries = Object.fromEntries((tools.length ? tools.map((pkg) => basename(pkg)) : [module]).map((name) => [name, join(binDir, name)]));
  const stampFile = join(binDir, '.stamp');
  const stamp = sourceStamp(dir, options);
  const upToDate = () => readOr(stampFile) === stamp && Object.values(binaries).every((path) => existsSync(path));
  if (upToDate()) return binaries;

  mkdirSync(binDir, { recursive: true });
  const staging = join(binDir, `.build-${process.pid}`);
  const unlock = lock(join(binDir, '.lock'));
  try {
    if (upToDate()) return binaries; // another process built it while we waited
    log(options.why ?? `building tools/${module} from the Go module proxy: the first build on a machine downloads and compiles it (minutes); later runs reuse the binary`);
    const started = Date.now();
    const vendored = options.vendorPlaceholders !== undefined;
    if (vendored) {
      // -e, and its output kept unless it fails: it reports the missing embed the
      // placeholders below provide.
      go(dir, ['mod', 'vendor', '-e'], module, { quiet: true });
      for (const [path, content] of Object.entries(options.vendorPlaceholders!)) {
        mkdirSync(join(dir, 'vendor', path, '..'), { recursive: true });
        writeFileSync(join(dir, 'vendor', path), content);
      }
    }
    // Into a fresh directory, then renamed: a reader never sees half a binary.
    rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging);
    // A vendored build compiles from this checkout's vendor/, so Go's cache keys hold its
    // path; -trimpath drops it, and another clone on the same machine reuses the objects.
    const flags = ['-buildvcs=false', ...(vendored ? ['-mod=vendor', '-trimpath'] : []), `-ldflags=${['-s', '-w', ...(options.ldflags ?? [])].join(' ')}`];
    go(dir, ['build', ...flags, '-o', tools.length ? `${staging}/` : join(staging, module), ...(tools.length ? tools : ['.'])], module);
    for (const [name, path] of Object.entries(binaries)) renameSync(join(staging, name), path);
    writeFileSync(stampFile, stamp);
    log(`built tools/${module} in ${Math.round((Date.now() - started) / 1000)} s (${Object.keys(binaries).join(', ')}); later runs reuse tools/${module}/bin`);
    return binaries;
  } finally {
    rmSync(staging, { recursive: true, force: true });
    unlock();
  }
}

/** The packages named by `tool` directives in tools/<module>/go.mod (block or single line). */
export function toolPackages(dir: string): string[] {
  const goMod = readFileSync(join(dir, 'go.mod'), 'utf8');
  const block = /^tool \(\n([\s\S]*?)\n\)/m.exec(goMod)?.[1] ?? '';
  const single = [...goMod.matchAll(/^tool ([^\s(]+)$/gm)].map((match) => match[1]!);
  return [...block.split('\n').map((line) => line.trim()).filter(Boolean), ...single];
}

/** The version of `module` that tools/<dir>/go.mod requires. */
export function requiredVersion(dir: string, module: string): string {
  const goMod = readFileSync(join(TOOLS_DIR, dir, 'go.mod'), 'utf8');
  const version = new RegExp(`^\\s*(?:require\\s+)?${module.replace(/\./g, '\\.')} (v\\S+)`, 'm').exec(goMod)?.[1];
  if (!version) throw new Error(`tools/${dir}/go.mod does not require ${module}`);
  return version;
}

function go(dir: string, args: string[], module: string, { quiet = false } = {}) {
  const result = spawnSync('go', args, {
    cwd: dir,
    stdio: ['ignore', quiet ? 'pipe' : 'inherit', quiet ? 'pipe' : 'inherit'],
    encoding: 'utf8',
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  if (result.error) throw new Error(`cannot run go to build tools/${module}: ${result.error.message} (install Go 1.26 or newer)`);
  if (result.status !== 0) throw new Error(`go ${args.join(' ')} in tools/${module} failed (exit ${result.status})\n${result.stdout ?? ''}${result.stderr ?? ''}`);
}

/** A hash of what decides the binaries: go.mod, go.sum, the Go sources and the build options. */
function sourceStamp(dir: string, options: GoBuildOptions): string {
  const hash = createHash('sha256').update(JSON.stringify({ ldflags: options.ldflags, vendor: options.vendorPlaceholders }));
  for (const file of readdirSync(dir).filter((name) => name.endsWith('.go') || name === 'go.mod' || name === 'go.sum').sort()) {
    hash.update(file).update(readFileSync(join(dir, file)));
  }
  return hash.digest('hex');
}

const readOr = (path: string) => (existsSync(path) ? readFileSync(path, 'utf8') : undefined);

const sleepSync = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);

/**
 * A lock file holding the owner's pid, so two processes (parallel test runs, `npm run dev`
 * beside `npm test`) never build the same module at once. A lock whose owner died is taken over.
 */
function lock(path: string): () => void {
  for (let waitedMs = 0; ; waitedMs += 250) {
    // Written aside, then linked into place: the lock never exists without its pid.
    const mine = `${path}.${process.pid}`;
    writeFileSync(mine, String(process.pid));
    try {
      linkSync(mine, path);
      return () => rmSync(path, { force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    } finally {
      rmSync(mine, { force: true });
    }
    const owner = Number(readOr(path));
    if (!Number.isInteger(owner) || owner <= 0 || !isAlive(owner)) {
      rmSync(path, { force: true });
      continue;
    }
    if (waitedMs === 0) process.stderr.write(`waiting for process ${owner}, which is building ${path.replace(/\/bin\/\.lock$/, '')}...\n`);
    sleepSync(250);
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
