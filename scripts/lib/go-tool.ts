import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * Builds one of the small Go programs under tools/ (tools/<name>/bin/<name>) unless the
 * binary is newer than every source file. Go caches modules and compiled packages, so only
 * the first build on a machine is slow.
 */
export function buildGoTool(name: string, log: (line: string) => void = () => {}): string {
  const dir = fileURLToPath(new URL(`../../tools/${name}/`, import.meta.url));
  const binary = `${dir}bin/${name}`;
  const sources = readdirSync(dir)
    .filter((file) => file.endsWith('.go') || file === 'go.mod' || file === 'go.sum')
    .map((file) => dir + file);
  const mtime = (path: string) => statSync(path).mtimeMs;
  if (existsSync(binary) && sources.every((file) => mtime(file) <= mtime(binary))) return binary;

  log(`building tools/${name} (Go); the first build on a machine takes a minute or two...`);
  const result = spawnSync('go', ['build', '-o', binary, '.'], {
    cwd: dir,
    stdio: ['ignore', 'inherit', 'inherit'],
    env: { ...process.env, CGO_ENABLED: '0' },
  });
  if (result.error) throw new Error(`cannot run go to build tools/${name}: ${result.error.message}`);
  if (result.status !== 0) throw new Error(`building tools/${name} failed (exit ${result.status})`);
  return binary;
}
