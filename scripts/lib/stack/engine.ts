import { DockerFailed, type Docker } from './docker.ts';

export class EngineUnreachable extends Error {
  override name = 'EngineUnreachable';
}

/** Fails with a plain explanation unless a Docker engine answers (the client alone is not enough). */
export function requireEngine(docker: Docker): void {
  try {
    docker.query(['version', '--format', '{{.Server.Version}}']);
  } catch (error) {
    if (!(error instanceof DockerFailed)) throw error;
    const reason = error.stderr.trim().split('\n').find((line) => line.trim() !== '') ?? 'no answer';
    throw new EngineUnreachable(
      `the docker command is installed but no Docker engine answers (${reason}). ` +
        'Start Docker (e.g. systemctl start docker), or point DOCKER_HOST or `docker context use` at a running engine.',
    );
  }
}

export interface SwarmState {
  /** inactive, pending, active, error or locked (docker info's LocalNodeState). */
  state: string;
  manager: boolean;
  nodeId: string;
}

export function swarmState(docker: Docker): SwarmState {
  const [state = '', manager = 'false', nodeId = ''] = docker
    .query(['info', '--format', '{{.Swarm.LocalNodeState}} {{.Swarm.ControlAvailable}} {{.Swarm.NodeID}}'])
    .split(/\s+/);
  return { state, manager: manager === 'true', nodeId };
}

export const listSecrets = (docker: Docker): string[] =>
  docker
    .query(['secret', 'ls', '--format', '{{.Name}}'])
    .split('\n')
    .map((name) => name.trim())
    .filter(Boolean);
