import { readFileSync } from 'node:fs';
import { gzipSync } from 'node:zlib';
import type { Context } from 'hono';

/**
 * A file served as it is, read and gzipped once on first request and kept in memory: the
 * API docs' bundle is 1.7 MB and a quarter of that compressed. Long-cached by browsers; the
 * URL carries no version, so the cache lifetime is a day rather than forever.
 */
export interface StaticAsset {
  serve(c: Context): Response;
}

export function staticAsset(load: () => Buffer | string, contentType: string): StaticAsset {
  // Copied once into plain Uint8Arrays, the body type Hono takes, not on every request.
  let loaded: { plain: Uint8Array<ArrayBuffer>; gzipped: Uint8Array<ArrayBuffer> } | undefined;
  return {
    serve(c) {
      if (!loaded) {
        const content = load();
        const plain = typeof content === 'string' ? Buffer.from(content) : content;
        loaded = { plain: new Uint8Array(plain), gzipped: new Uint8Array(gzipSync(plain)) };
      }
      const gzip = /\bgzip\b/.test(c.req.header('accept-encoding') ?? '');
      const headers: Record<string, string> = {
        'content-type': contentType,
        'cache-control': 'public, max-age=86400',
        vary: 'Accept-Encoding',
      };
      if (gzip) headers['content-encoding'] = 'gzip';
      return c.body(gzip ? loaded.gzipped : loaded.plain, 200, headers);
    },
  };
}

export const fileAsset = (path: string, contentType: string) => staticAsset(() => readFileSync(path), contentType);
