import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mongodbUri } from '../helpers/database.ts';
import { TEST_TOKEN } from '../helpers/service.ts';
import { DESKTOP, launchBrowser, watchPage, type PageProblems } from './browser.ts';
import { startSeededService, type SeededService } from './seeded-service.ts';
import { authorize, listedOperations, openOperation, shownBody, shownRequestUrl, tryItOut, waitForDocs } from './swagger-ui.ts';

/**
 * The API docs at /docs in a real browser, against the real service with reads behind a
 * token: the UI loads from the service alone (no CDN), lists every operation of
 * /openapi.json, and "Try it out" on GET /repos is refused without a token and succeeds
 * once the token is pasted into "Authorize".
 */
let seeded: SeededService;
let browser: Browser;
let page: Page;
let problems: PageProblems;
beforeAll(async () => {
  [seeded, { browser }] = await Promise.all([startSeededService(mongodbUri(), { READS_REQUIRE_TOKEN: 'true' }), launchBrowser()]);
  page = await browser.newPage();
  await page.setViewport(DESKTOP);
  problems = watchPage(page);
});
afterAll(async () => {
  await browser?.close();
  await seeded?.stop();
});

// Swagger UI's 1.7 MB bundle takes seconds to parse on a busy machine.
describe('the API docs in a browser', { timeout: 60_000 }, () => {
  it('load from the service alone and list every operation of the OpenAPI document', async () => {
    const response = await page.goto(`${seeded.url}/docs`, { waitUntil: 'networkidle0' });
    expect(response?.status()).toBe(200);
    await waitForDocs(page);
    const doc = (await (await fetch(`${seeded.url}/openapi.json`)).json()) as any;
    const documented = Object.entries(doc.paths).flatMap(([path, item]) => Object.keys(item as object).map((method) => `${method.toUpperCase()} ${path}`));
    expect((await listedOperations(page)).sort()).toEqual(documented.sort());
    const elsewhere = problems.requests.filter((url) => !url.startsWith('data:') && !url.startsWith(`${seeded.url}/`));
    expect(elsewhere).toEqual([]);
    expect(problems.errors).toEqual([]);
  });

  it('"Try it out" on GET /repos: 401 without a token, 200 with the one pasted into "Authorize"', async () => {
    await openOperation(page, 'get', '/repos');
    expect(await tryItOut(page, 'get', '/repos')).toBe(401);

    await authorize(page, TEST_TOKEN);
    expect(await tryItOut(page, 'get', '/repos')).toBe(200);
    // What it shows is the service's answer to the request it shows (with the parameters' examples filled in).
    const shown = JSON.parse(await shownBody(page, 'get', '/repos'));
    const direct = (await (await fetch(await shownRequestUrl(page, 'get', '/repos'), { headers: { authorization: `Bearer ${TEST_TOKEN}` } })).json()) as any;
    expect(shown.items.map((repo: { fullName: string }) => repo.fullName)).toEqual(direct.items.map((repo: { fullName: string }) => repo.fullName));
    expect(shown.total).toBe(direct.total);
    // The 401 above was the service's answer, not a page error; nothing else went wrong.
    expect(problems.errors.filter((error) => !/status of 401/.test(error))).toEqual([]);
  });
});
