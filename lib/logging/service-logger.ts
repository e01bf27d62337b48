import { hostname } from 'node:os';
import type { Config } from '../config.ts';
import { Logger } from './logger.ts';

/**
 * The service's root logger, as configured: LOG_LEVEL, LOG_FORMAT, and the replica's name as
 * `task` on every line (TASK_NAME; the host name, a container's id, when unset), so the lines
 * of one replica can be told from another's behind the same service.
 */
export function createServiceLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT' | 'TASK_NAME'>): Logger {
  return new Logger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, fields: { task: config.TASK_NAME ?? hostname() } });
}
