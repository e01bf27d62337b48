import { spawnSync } from 'node:child_process';
import { requiredVariables } from './stack-files.ts';

export class VariableMissing extends Error {
  override name = 'VariableMissing';
}

/**
 * The variables `docker stack deploy` needs set: every `${NAME:?...}` of the deployed files.
 * VERSION is the script's; the others come from the environment, and RUNBOOK_BASE_URL, when
 * unset, from the repository's own remote (docs/alerts.md at this commit). They are written
 * out in front of the deploy command, so the command printed is the command run. A missing
 * one stops the script before any change, with the stack file's own message.
 */
export function deployEnvironment(root: string, files: readonly string[], version: string, env: NodeJS.ProcessEnv): Record<string, string> {
  const values: Record<string, string> = { VERSION: version };
  if (env.IMAGE) values.IMAGE = env.IMAGE;
  for (const [name, message] of requiredVariables(root, files)) {
    if (values[name] !== undefined) continue;
    const value = env[name] || (name === 'RUNBOOK_BASE_URL' ? runbooksAtRemote(root) : undefined);
    if (!value) throw new VariableMissing(`${name} is not set: ${message}`);
    values[name] = value;
  }
  return values;
}

/** docs/alerts.md as the repository's host renders it (GitHub, Gitea, GitLab all answer /blob/), if there is a remote. */
function runbooksAtRemote(root: string): string | undefined {
  const git = (...args: string[]) => {
    const result = spawnSync('git', args, { cwd: root, encoding: 'utf8' });
    return result.status === 0 ? result.stdout.trim() : undefined;
  };
  const remote = git('remote', 'get-url', 'origin');
  const commit = git('rev-parse', 'HEAD');
  if (!remote || !commit) return undefined;
  // git@github.com:owner/repo.git and https://github.com/owner/repo.git alike.
  const ssh = /^[\w.-]+@([\w.-]+):(.+)$/.exec(remote);
  const web = (ssh ? `https://${ssh[1]}/${ssh[2]}` : remote).replace(/\.git$/, '');
  return /^https:\/\/[^/]+\/.+/.test(web) ? `${web}/blob/${commit}/docs/alerts.md` : undefined;
}
