import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The version the stack is deployed as: `<package version>-<commit>`. It tags the image and
 * names the swarm configs, which cannot change in place; so a work tree with uncommitted
 * changes gets a time suffix, and each deploy of changed files makes configs of its own.
 */
export class VersionUnknown extends Error {
  override name = 'VersionUnknown';
}

export function stackVersion(root: string, now: Date = new Date()): string {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string };
  const git = (...args: string[]) => {
    const result = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
    if (result.error || result.status !== 0) {
      throw new VersionUnknown(`cannot derive the version from git (${(result.error?.message ?? result.stderr).trim()}): pass --version or set VERSION`);
    }
    return result.stdout.trim();
  };
  const commit = git('rev-parse', '--short', 'HEAD');
  const dirty = git('status', '--porcelain', '--untracked-files=no') !== '';
  const stamp = now.toISOString().replace(/\D/g, '').slice(0, 14);
  return dirty ? `${version}-${commit}-dirty.${stamp}` : `${version}-${commit}`;
}
