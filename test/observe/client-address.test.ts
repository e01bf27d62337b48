import { describe, expect, it } from 'vitest';
import { parseTrustedProxies, TrustedProxies } from '../../lib/http/client-address.ts';

describe('the client address behind trusted proxies', () => {
  it('ignores X-Forwarded-For unless the connection comes from a trusted proxy', () => {
    const none = new TrustedProxies([]);
    expect(none.clientAddress('10.0.0.5', '203.0.113.7')).toBe('10.0.0.5');
    const proxies = new TrustedProxies(['10.0.0.0/8']);
    expect(proxies.clientAddress('192.0.2.1', '203.0.113.7')).toBe('192.0.2.1');
    expect(proxies.clientAddress('10.0.0.5', undefined)).toBe('10.0.0.5');
  });

  it('reads the header from the right, past every trusted hop, and never trusts what the client wrote before them', () => {
    const proxies = new TrustedProxies(['10.0.0.0/8', '2001:db8::/32', '127.0.0.1']);
    expect(proxies.clientAddress('10.0.0.5', '203.0.113.7')).toBe('203.0.113.7');
    expect(proxies.clientAddress('::ffff:127.0.0.1', '198.51.100.9, 10.1.2.3')).toBe('198.51.100.9');
    // The client claims to be 1.1.1.1; the trusted proxy saw 198.51.100.9.
    expect(proxies.clientAddress('10.0.0.5', '1.1.1.1, 198.51.100.9')).toBe('198.51.100.9');
    expect(proxies.clientAddress('2001:db8::1', '2001:db8::2, 2001:db9::7')).toBe('2001:db9::7');
    // Garbage stops the walk at the last address a trusted proxy gave.
    expect(proxies.clientAddress('10.0.0.5', 'not-an-ip, 10.0.0.9')).toBe('10.0.0.9');
  });

  it('refuses entries that are no address or range', () => {
    expect(parseTrustedProxies('10.0.0.0/8, 192.168.1.1 fd00::/8')).toEqual(['10.0.0.0/8', '192.168.1.1', 'fd00::/8']);
    expect(() => parseTrustedProxies('10.0.0.0/33')).toThrow(/prefix/);
    expect(() => parseTrustedProxies('proxy.local')).toThrow(/not an IP address/);
  });
});
