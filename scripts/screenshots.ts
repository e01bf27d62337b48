import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Browser, Page, ScreenshotClip } from 'puppeteer-core';
import { DESKTOP, launchBrowser, PHONE, watchPage } from '../test/browser/browser.ts';
import { startSeededService, type SeededService } from '../test/browser/seeded-service.ts';
import { databaseForScript } from './lib/embedded-mongo.ts';
import { openOperation, tryItOut, tryItOutArea, waitForDocs } from '../test/browser/swagger-ui.ts';

/**
 * `npm run screenshots`: regenerates the pictures in docs/img/ from the real service, seeded
 * as the browser tests seed it (test/browser/seeded-service.ts), in the same headless
 * Chromium. Uses MONGODB_URI when set, else the embedded server on a temporary directory.
 */
const OUT = fileURLToPath(new URL('../docs/img/', import.meta.url));

async function main() {
  const database = await databaseForScript('screenshots');
  const uri = database.uri;
  let seeded: SeededService | undefined;
  let browser: Browser | undefined;
  try {
    seeded = await startSeededService(uri);
    ({ browser } = await launchBrowser());
    mkdirSync(OUT, { recursive: true });
    await shoot(browser, `${seeded.url}/`, DESKTOP, 'status-desktop.png');
    // A phone's first screen: the whole list would be a picture too long to read.
    await shoot(browser, `${seeded.url}/`, PHONE, 'status-phone.png', undefined, { fullPage: false });
    await shoot(browser, `${seeded.url}/docs`, DESKTOP, 'api-docs.png', async (page) => void (await waitForDocs(page)), {
      fullPage: false,
    });
    // One operation tried out: from its header to the answer shown.
    await shoot(browser, `${seeded.url}/docs`, DESKTOP, 'api-docs-try-it.png', async (page) => {
      await waitForDocs(page);
      await openOperation(page, 'get', '/repos');
      await tryItOut(page, 'get', '/repos');
      return tryItOutArea(page, 'get', '/repos');
    });
  } finally {
    await browser?.close();
    await seeded?.stop();
    await database.close();
  }
}

/** One full-page screenshot; fails on any console error, so a broken page is never committed. */
async function shoot(
  browser: Browser,
  url: string,
  viewport: typeof DESKTOP | typeof PHONE,
  file: string,
  prepare?: (page: Page) => Promise<unknown>,
  { fullPage = true } = {},
) {
  const page = await browser.newPage();
  await page.setViewport(viewport);
  const problems = watchPage(page);
  const response = await page.goto(url, { waitUntil: 'networkidle0' });
  if (response?.status() !== 200) throw new Error(`${url} answered ${response?.status()}`);
  // What prepare returns, if anything, is the part of the page to keep.
  const clip = (await prepare?.(page)) as ScreenshotClip | undefined;
  const path = join(OUT, file);
  await page.screenshot({ path: path as `${string}.png`, ...(clip ? { clip } : { fullPage }) });
  await page.close();
  if (problems.errors.length > 0) throw new Error(`${url}:\n${problems.errors.join('\n')}`);
  console.log(`${path} (${Math.round(statSync(path).size / 1024)} KiB)`);
}

await main();
