import type { Page } from 'puppeteer-core';

/**
 * Driving the API docs (Swagger UI) as a person does: open an operation, "Try it out",
 * "Execute", read the answer; "Authorize" with a bearer token. Selectors are Swagger UI's
 * own class names and attributes.
 */
const operation = (method: string, path: string) => `.opblock.opblock-${method}:has(.opblock-summary-path[data-path="${path}"])`;

/** Waits until the document is loaded and its operations are listed. */
export async function waitForDocs(page: Page): Promise<void> {
  await page.waitForSelector('.opblock', { timeout: 30_000 });
}

/** Every operation listed, as "GET /repos". */
export const listedOperations = (page: Page): Promise<string[]> =>
  page.$$eval('.opblock', (blocks) =>
    blocks.map((block) => `${block.querySelector('.opblock-summary-method').innerText} ${block.querySelector('.opblock-summary-path').dataset.path}`),
  );

export async function openOperation(page: Page, method: string, path: string): Promise<void> {
  const block = operation(method, path);
  if (await page.$(`${block}.is-open`)) return;
  await page.click(`${block} .opblock-summary-control`);
  await page.waitForSelector(`${block} .opblock-body`);
}

/**
 * Presses "Try it out" (once) and "Execute" on an operation without path parameters, waits
 * for the service's answer and for Swagger UI to show it, and resolves with the status shown.
 */
export async function tryItOut(page: Page, method: string, path: string): Promise<number> {
  const block = operation(method, path);
  // The button says "Cancel" (class cancel) once pressed; its body may still be rendering.
  const button = await page.waitForSelector(`${block} .try-out__btn`);
  if (!(await button!.evaluate((element) => element.classList.contains('cancel') as boolean))) await button!.click();
  await page.waitForSelector(`${block} .execute`);
  const [answer] = await Promise.all([
    page.waitForResponse((response) => response.request().method() === method.toUpperCase() && new URL(response.url()).pathname === path),
    page.click(`${block} .execute`),
  ]);
  const shown = `${block} .live-responses-table .response .response-col_status`;
  await page.waitForFunction(
    (selector, status) => (globalThis as any).document.querySelector(selector)?.innerText.trim() === status,
    { timeout: 10_000 },
    shown,
    String(answer.status()),
  );
  return Number(await page.$eval(shown, (cell) => cell.innerText.trim()));
}

/** The request URL Swagger UI shows for the last execution. */
export const shownRequestUrl = (page: Page, method: string, path: string): Promise<string> =>
  page.$eval(`${operation(method, path)} .request-url pre`, (pre) => pre.innerText.trim() as string);

/** The response body Swagger UI shows for the last execution. */
export const shownBody = (page: Page, method: string, path: string): Promise<string> =>
  page.$eval(`${operation(method, path)} .live-responses-table .response-col_description pre`, (pre) => pre.innerText as string);

/** "Authorize": pastes a bearer token into the dialog, confirms it and closes the dialog. */
export async function authorize(page: Page, token: string): Promise<void> {
  await page.click('.auth-wrapper .authorize');
  await page.waitForSelector('.modal-ux input');
  await page.type('.modal-ux input', token);
  await page.click('.modal-ux .auth-btn-wrapper .authorize');
  await page.waitForSelector('.modal-ux .auth-btn-wrapper .btn-done');
  await page.click('.modal-ux .auth-btn-wrapper .btn-done');
  await page.waitForSelector('.modal-ux', { hidden: true });
}

/** The page area (document coordinates) from an operation's header to the answer shown for it, for a screenshot. */
export async function tryItOutArea(page: Page, method: string, path: string) {
  const block = operation(method, path);
  const box = (selector: string) =>
    page.$eval(selector, (element) => {
      const rect = element.getBoundingClientRect();
      const scrollY = element.ownerDocument.defaultView.scrollY as number;
      return { x: rect.x as number, top: (rect.top as number) + scrollY, bottom: (rect.bottom as number) + scrollY, width: rect.width as number };
    });
  const [header, answer] = await Promise.all([box(block), box(`${block} .live-responses-table`)]);
  return { x: header.x, y: header.top, width: header.width, height: answer.bottom - header.top };
}
