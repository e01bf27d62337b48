import { loadConfig } from '../../lib/config.ts';
import { createService, type Service, type ServiceOverrides } from '../service.ts';

/**
 * The service as a function platform runs it, built once per sandbox (or isolate) through the
 * composition root from the same environment variables (MONGODB_URI, API_TOKENS, LOG_LEVEL,
 * ...) and reused by every invocation that sandbox serves, its database client and
 * connections included. No scheduler and no /metrics scrape here (docs/adapters.md).
 */
export function createFunctionService(overrides: Pick<ServiceOverrides, 'peerAddress'> = {}, env: NodeJS.ProcessEnv = process.env): Service {
  const service = createService(loadConfig(env), overrides);
  // Not awaited: a cold start does not wait for it, and an unreachable database is answered 503 anyway.
  void service.prepareDatabase();
  return service;
}
