import type { Config } from '../config.ts';
import { Logger } from './logger.ts';

/**
 * The service's root logger, as configured: LOG_LEVEL, LOG_FORMAT, and the replica's name as
 * `instance` on every line (SERVICE_INSTANCE, e.g. Swarm's {{.Service.Name}}.{{.Task.Slot}};
 * the host name, a container's id, when unset: lib/metrics/build-info.ts), so the lines of
 * one replica can be told from another's, and matched to its metrics' service_instance.
 */
export function createServiceLogger(config: Pick<Config, 'LOG_LEVEL' | 'LOG_FORMAT'>, instance: string): Logger {
  return new Logger({ level: config.LOG_LEVEL, format: config.LOG_FORMAT, fields: { instance } });
}
