import { createHash, timingSafeEqual } from 'node:crypto';

/**
 * API tokens for writes. Configured as `name:token` pairs separated by commas or new lines
 * (API_TOKENS, or API_TOKENS_FILE for docker secrets); the name says in logs which client
 * wrote, the token itself is never logged or shown. Only SHA-256 digests are kept, and a
 * presented token is compared with every configured one in constant time, so neither the
 * comparison nor the loop tells an attacker how close a guess was.
 */
export interface ApiToken {
  name: string;
  digest: Buffer;
}

export const MIN_TOKEN_LENGTH = 16;
const TOKEN = /^[A-Za-z0-9._~+/=-]+$/;
const NAME = /^[A-Za-z0-9._-]{1,40}$/;

const digestOf = (token: string) => createHash('sha256').update(token).digest();

/** Parses the configured list; throws an Error whose message never contains a token. */
export function parseApiTokens(text: string): ApiToken[] {
  const entries = text
    .split(/[,\n]/)
    .map((entry) => entry.trim())
    .filter(Boolean);
  return entries.map((entry, index) => {
    const colon = entry.indexOf(':');
    const name = colon === -1 ? `token${index + 1}` : entry.slice(0, colon);
    const token = colon === -1 ? entry : entry.slice(colon + 1);
    if (!NAME.test(name)) throw new Error(`entry ${index + 1}: the name must be 1-40 letters, digits, ".", "_" or "-"`);
    if (token.length < MIN_TOKEN_LENGTH || !TOKEN.test(token)) {
      throw new Error(`entry ${index + 1} (${name}): a token needs at least ${MIN_TOKEN_LENGTH} characters of A-Z a-z 0-9 . _ ~ + / = -`);
    }
    return { name, digest: digestOf(token) };
  });
}

/** The configured token matching `presented`, if any; every entry is compared, always. */
export function matchToken(tokens: readonly ApiToken[], presented: string): ApiToken | undefined {
  const digest = digestOf(presented);
  let match: ApiToken | undefined;
  for (const token of tokens) {
    if (timingSafeEqual(token.digest, digest) && !match) match = token;
  }
  return match;
}
