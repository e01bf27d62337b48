import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongodbUri, uniqueDbName } from '../helpers/database.ts';
import { parseLogfmt } from '../helpers/logs.ts';
import { call, startService, type RunningService } from '../helpers/service.ts';

/** The replica's name on every line, and the client's address as a trusted proxy forwarded it. */
describe('replica identity and forwarded client addresses in the logs', () => {
  let behindProxy: RunningService;
  beforeAll(async () => {
    behindProxy = await startService({
      MONGODB_URI: mongodbUri(),
      MONGODB_DB: uniqueDbName('proxy'),
      SERVICE_INSTANCE: 'repo-monitor_api.2',
      TRUSTED_PROXIES: '127.0.0.1, ::1',
    });
  });
  afterAll(async () => {
    await behindProxy?.stop();
  });

  it('puts instance= on every line, start-up and requests alike', async () => {
    await call(behindProxy.url, 'GET', '/healthz', { headers: { 'x-request-id': 'instance-check-01' } });
    await behindProxy.waitForLine(/request_id=instance-check-01/);
    const records = parseLogfmt(behindProxy.lines);
    expect(records.length).toBeGreaterThan(2);
    for (const record of records) expect(record.instance).toBe('repo-monitor_api.2');
  });

  it('logs the forwarding proxy’s client as remote_addr when the connection comes from a trusted proxy', async () => {
    await call(behindProxy.url, 'GET', '/healthz', { headers: { 'x-request-id': 'forwarded-0001', 'x-forwarded-for': '1.1.1.1, 203.0.113.7' } });
    const [line] = parseLogfmt([await behindProxy.waitForLine(/request_id=forwarded-0001/)]);
    expect(line!.remote_addr).toBe('203.0.113.7');
  });

  it('ignores X-Forwarded-For from anyone else', async () => {
    const direct = await startService({ MONGODB_URI: mongodbUri(), MONGODB_DB: uniqueDbName('noproxy') });
    try {
      await call(direct.url, 'GET', '/healthz', { headers: { 'x-request-id': 'spoofed-00001', 'x-forwarded-for': '203.0.113.7' } });
      const [line] = parseLogfmt([await direct.waitForLine(/request_id=spoofed-00001/)]);
      expect(line!.remote_addr).toBe('127.0.0.1');
    } finally {
      await direct.stop();
    }
  });

  it('refuses a TRUSTED_PROXIES entry that is no address at start-up', async () => {
    await expect(startService({ MONGODB_URI: mongodbUri(), TRUSTED_PROXIES: 'proxy.local' })).rejects.toThrow(/TRUSTED_PROXIES/);
  });
});
