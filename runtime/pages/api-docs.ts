import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Hono } from 'hono';
import { html } from 'hono/html';
import type { AppEnv } from '../env.ts';
import { fileAsset, staticAsset } from './static-asset.ts';

/**
 * GET /docs: the API in the browser (Swagger UI), from the service's own /openapi.json. The
 * UI's files come from the swagger-ui-dist package and are served here, under /docs/, so the
 * page works offline and behind a proxy that allows no CDN. "Authorize" takes a bearer token
 * (kept in the browser's local storage) for "Try it out".
 */
export const DOCS_PATH = '/docs';

const uiDir = dirname(createRequire(import.meta.url).resolve('swagger-ui-dist/package.json'));

// Swagger UI's options, in a script of our own (the page allows no inline script).
const initScript = (openapiUrl: string) => `window.ui = SwaggerUIBundle(${JSON.stringify({
  url: openapiUrl,
  dom_id: '#swagger-ui',
  deepLinking: true,
  persistAuthorization: true,
  displayRequestDuration: true,
  // Its default posts the document to a public validator: nothing leaves the service.
  validatorUrl: null,
})});\n`;

const assets = {
  'swagger-ui.css': fileAsset(join(uiDir, 'swagger-ui.css'), 'text/css; charset=utf-8'),
  'swagger-ui-bundle.js': fileAsset(join(uiDir, 'swagger-ui-bundle.js'), 'text/javascript; charset=utf-8'),
  'favicon-32x32.png': fileAsset(join(uiDir, 'favicon-32x32.png'), 'image/png'),
};

/** Scripts and styles from here only; Swagger UI sets inline style attributes, and calls this API. */
const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

const page = html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>repo-monitor API</title>
<link rel="icon" type="image/png" href="${DOCS_PATH}/favicon-32x32.png">
<link rel="stylesheet" href="${DOCS_PATH}/swagger-ui.css">
</head>
<body>
<noscript><p>These API docs need JavaScript. The same document as JSON: <a href="/openapi.json">/openapi.json</a>.</p></noscript>
<div id="swagger-ui"></div>
<script src="${DOCS_PATH}/swagger-ui-bundle.js"></script>
<script src="${DOCS_PATH}/init.js"></script>
</body>
</html>`;

/** Mounts /docs and its files. */
export function mountApiDocs(app: Hono<AppEnv>, openapiUrl: string): void {
  const init = staticAsset(() => initScript(openapiUrl), 'text/javascript; charset=utf-8');
  const files: Record<string, { serve: typeof init.serve }> = { ...assets, 'init.js': init };
  app.get(DOCS_PATH, (c) => c.html(page, 200, { 'content-security-policy': DOCS_CSP }));
  for (const [name, asset] of Object.entries(files)) app.get(`${DOCS_PATH}/${name}`, (c) => asset.serve(c));
}
