import { BlockList, isIP } from 'node:net';

/**
 * The client's address behind reverse proxies: X-Forwarded-For is believed only when the
 * connection comes from a configured proxy (TRUSTED_PROXIES: addresses or CIDR ranges; none by
 * default, so the header is ignored). Its entries are read from the right, skipping trusted
 * proxies; the first other address is the client. Anything else could be set by the client.
 */
export class TrustedProxies {
  readonly #list = new BlockList();
  readonly #empty: boolean;

  constructor(entries: readonly string[]) {
    for (const entry of entries) addEntry(this.#list, entry);
    this.#empty = entries.length === 0;
  }

  #trusted(address: string): boolean {
    const plain = unmapped(address);
    const family = isIP(plain);
    return family !== 0 && this.#list.check(plain, family === 4 ? 'ipv4' : 'ipv6');
  }

  clientAddress(peer: string, forwardedFor: string | undefined): string {
    if (this.#empty || forwardedFor === undefined || !this.#trusted(peer)) return peer;
    let client = peer;
    const hops = forwardedFor.split(',');
    for (let i = hops.length - 1; i >= 0; i--) {
      const hop = hops[i]!.trim();
      if (isIP(unmapped(hop)) === 0) break; // garbage: keep the last address a trusted proxy gave
      client = hop;
      if (!this.#trusted(hop)) break;
    }
    return client;
  }
}

/** Node reports IPv4 clients of a dual-stack socket as ::ffff:10.0.0.1. */
const unmapped = (address: string) => (address.startsWith('::ffff:') && address.includes('.') ? address.slice(7) : address);

/** Throws on an entry that is neither an address nor address/prefix (config validation uses this). */
export function addEntry(list: BlockList, entry: string): void {
  const [address = '', prefix] = entry.trim().split('/');
  const family = isIP(address);
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (family === 0) throw new Error(`"${entry}" is not an IP address or CIDR range`);
  if (prefix === undefined) return list.addAddress(address, type);
  const bits = Number(prefix);
  if (!/^\d+$/.test(prefix) || bits > (family === 4 ? 32 : 128)) throw new Error(`"${entry}" has an invalid prefix length`);
  list.addSubnet(address, bits, type);
}

/** TRUSTED_PROXIES as a list: entries separated by commas or white space; throws on a bad one. */
export function parseTrustedProxies(text: string): string[] {
  const entries = text.split(/[\s,]+/).filter(Boolean);
  const check = new BlockList();
  for (const entry of entries) addEntry(check, entry);
  return entries;
}
