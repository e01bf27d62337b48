import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

/**
 * A real headless Chromium, from the npm registry (@sparticuz/chromium ships the browser
 * inside the package, so nothing is downloaded at run time and no system package is needed),
 * driven by puppeteer-core. The first launch on a machine unpacks it into the temp folder.
 */
export async function launchBrowser(): Promise<{ browser: Browser; launchMs: number }> {
  const started = performance.now();
  const browser = await puppeteer.launch({ args: chromium.args, executablePath: await chromium.executablePath(), headless: true });
  return { browser, launchMs: Math.round(performance.now() - started) };
}

export interface PageProblems {
  /** console.error and console.warn messages, uncaught exceptions, failed or refused loads, CSP reports. */
  errors: string[];
  /** Every URL the page requested. */
  requests: string[];
}

/** Records what went wrong on a page, and everything it loaded, from now on. */
export function watchPage(page: Page): PageProblems {
  const problems: PageProblems = { errors: [], requests: [] };
  page.on('console', (message) => {
    if (message.type() === 'error' || message.type() === 'warn') problems.errors.push(`console.${message.type()}: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.errors.push(`uncaught: ${String(error)}`));
  page.on('requestfailed', (request) => problems.errors.push(`failed: ${request.url()} ${request.failure()?.errorText ?? ''}`));
  page.on('request', (request) => problems.requests.push(request.url()));
  return problems;
}

export const PHONE = { width: 390, height: 844, deviceScaleFactor: 2, isMobile: true, hasTouch: true };
export const DESKTOP = { width: 1280, height: 900 };
