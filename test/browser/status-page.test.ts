import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { count } from '../../runtime/pages/format.ts';
import { mongodbUri } from '../helpers/database.ts';
import { DESKTOP, launchBrowser, PHONE, watchPage } from './browser.ts';
import { GONE_REPO, NEW_REPO, SEEDED_REPOS, STALE_REPO, startSeededService, type SeededService } from './seeded-service.ts';

/**
 * The status page in a real browser, against the real service and a database seeded by a
 * real sync: every tracked repository is shown with its stats and freshness, nothing fails
 * to load or logs an error, it works with JavaScript off, and it fits a phone's width.
 */
let seeded: SeededService;
let browser: Browser;
beforeAll(async () => {
  [seeded, { browser }] = await Promise.all([startSeededService(mongodbUri()), launchBrowser()]);
});
afterAll(async () => {
  await browser?.close();
  await seeded?.stop();
});

/** Each repository row's cells, as text, keyed by repository name. */
async function rowsOf(page: Page): Promise<Map<string, string[]>> {
  const rows = await page.$$eval('tbody tr', (trs) =>
    trs.map((tr) => ({ name: tr.querySelector('.name').innerText as string, cells: [...tr.querySelectorAll('td')].map((td) => td.innerText.trim() as string) })),
  );
  return new Map(rows.map((row) => [row.name, row.cells]));
}

async function openStatus(options: { javaScript?: boolean; viewport?: typeof DESKTOP | typeof PHONE } = {}) {
  const page = await browser.newPage();
  await page.setJavaScriptEnabled(options.javaScript ?? true);
  await page.setViewport(options.viewport ?? DESKTOP);
  const problems = watchPage(page);
  const response = await page.goto(`${seeded.url}/`, { waitUntil: 'load' });
  return { page, problems, status: response?.status() };
}

describe('the status page in a browser', { timeout: 60_000 }, () => {
  it('lists every seeded repository with its stats and how fresh it is, with no console errors', async () => {
    const { page, problems, status } = await openStatus();
    expect(status).toBe(200);
    expect(await page.title()).toBe('repo-monitor status');
    const rows = await rowsOf(page);
    expect([...rows.keys()].sort()).toEqual([...SEEDED_REPOS.map((repo) => repo.fullName), NEW_REPO].sort());

    const api = (await (await fetch(`${seeded.url}/repos/honojs/hono`)).json()) as any;
    const [, stars, forks, issues, language, freshness] = rows.get('honojs/hono')!;
    expect(api.stats.stars).toBeGreaterThan(0);
    expect([stars, forks, issues]).toEqual([count(api.stats.stars), count(api.stats.forks), count(api.stats.openIssues)]);
    expect(language).toBe(api.stats.language ?? '–');
    expect(freshness).toMatch(/^fresh\s+synced (just now|\d+\ss ago)$/);
    expect(rows.get(STALE_REPO)!.at(-1)).toMatch(/^stale\s+synced 9\sh ago$/);
    expect(rows.get(GONE_REPO)!.at(-1)).toMatch(/^gone upstream/);
    expect(rows.get(NEW_REPO)!.at(-1)).toBe('never synced');

    const cards = await page.$$eval('.card', (divs) => divs.map((div) => div.innerText.replace(/\s+/g, ' ').trim()));
    expect(cards).toContain(`Tracked ${SEEDED_REPOS.length + 1} repositories`);
    // Stale: the aged one and the never-synced one.
    expect(cards.find((text) => text.startsWith('Stale'))).toMatch(/^Stale 2 /);
    expect(cards.find((text) => text.startsWith('Rate-limit budget'))).toMatch(/^Rate-limit budget \d+ \/ 5000 resets in \d+ min; as of /);
    // The seeding run: every repository but the one tracked after it, one request each.
    const facts = await page.$$eval('dl.facts dd', (dds) => dds.map((dd) => dd.innerText.replace(/\s+/g, ' ').trim() as string));
    expect(facts[0]).toBe('no');
    expect(facts[1]).toMatch(new RegExp(`^succeeded [0-9a-f]{12} (just now|.* ago), by http: ${SEEDED_REPOS.length} refreshed, 0 failed, ${SEEDED_REPOS.length} requests in `));
    expect(problems.errors).toEqual([]);
    await page.close();
  });

  it('links the API docs, the OpenAPI document and the metrics, and each link works', async () => {
    const { page } = await openStatus();
    const links = await page.$$eval('footer a', (anchors) => anchors.map((a) => a.href as string));
    for (const path of ['/docs', '/openapi.json', '/metrics', '/repos', '/healthz', '/readyz']) expect(links).toContain(`${seeded.url}${path}`);
    for (const link of links) expect((await fetch(link)).status, link).toBe(200);
    await page.close();
  });

  it('shows the same with JavaScript off, having loaded nothing but itself', async () => {
    const { page, problems } = await openStatus({ javaScript: false });
    expect((await rowsOf(page)).size).toBe(SEEDED_REPOS.length + 1);
    expect(problems.requests).toEqual([`${seeded.url}/`]);
    expect(problems.errors).toEqual([]);
    await page.close();
  });

  it('fits a phone: nothing wider than the screen, each repository a card with labelled cells', async () => {
    const { page, problems } = await openStatus({ viewport: PHONE });
    // (Element types are left loose here: the project's types describe Node, not the DOM.)
    const widths = await page.$eval('html', (root) => ({ page: root.scrollWidth, screen: root.ownerDocument.defaultView.innerWidth }));
    expect(widths.page).toBeLessThanOrEqual(widths.screen);
    const header = await page.$eval('thead', (thead) => thead.ownerDocument.defaultView.getComputedStyle(thead).display);
    expect(header).toBe('none');
    const stars = await page.$eval('tbody tr td[data-label="Stars"]', (td) => td.ownerDocument.defaultView.getComputedStyle(td, '::before').content);
    expect(stars).toBe('"Stars: "');
    expect(problems.errors).toEqual([]);
    await page.close();
  });
});
