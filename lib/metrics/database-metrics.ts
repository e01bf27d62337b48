import { Gauge, type RegistryContentType, type Registry } from 'prom-client';
import type { Database } from '../db.ts';
import { registerMongoDriverMetrics } from './mongodb-driver-metrics.ts';

/**
 * mongodb_up: 1 when the database answered a ping at scrape time, else 0; and the driver's
 * command durations and connection pool (mongodb_driver_*).
 */
export function registerDatabaseMetrics(registry: Registry<RegistryContentType>, db: Database): void {
  new Gauge({
    name: 'mongodb_up',
    help: 'Whether the database answered a ping when this process was scraped (1) or not (0).',
    registers: [registry],
    async collect() {
      try {
        await db.ping();
        this.set(1);
      } catch {
        this.set(0);
      }
    },
  });
  registerMongoDriverMetrics(registry, db.client);
}
