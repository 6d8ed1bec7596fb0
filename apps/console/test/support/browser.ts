// The console's browser suite helpers: sign-in through the provider's pages, axe-core on the page
// as the user finally sees it, a screenshot of each page, CSP violations collected.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type { Browser, Page } from 'playwright-core';

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

interface AxeResult {
  violations: Array<{ id: string; impact?: string; nodes: Array<{ target: unknown }> }>;
}

export interface BrowserKit {
  /** axe-core in the page (evaluated over the DevTools protocol, so the page's CSP stays as is). */
  expectAccessible(page: Page, name: string): Promise<void>;
  /** Through the console's Sign in, the provider's login and consent pages, back to the console. */
  signIn(email: string, password: string, phone?: boolean): Promise<Page>;
  /** Every CSP violation any page reported. */
  readonly cspViolations: string[];
}

export function browserKit(
  browser: Browser,
  consoleUrl: () => string,
  artifacts: string,
): BrowserKit {
  const cspViolations: string[] = [];

  async function expectAccessible(page: Page, name: string): Promise<void> {
    // contrast is measured on what the user finally sees, not mid fade-in of a dialog
    // (spinners loop forever and are ignored)
    await page.waitForFunction(() =>
      document
        .getAnimations()
        .every((a) => a.playState !== 'running' || a.effect?.getTiming().iterations === Infinity),
    );
    await page.evaluate(AXE);
    const result = await page.evaluate(() =>
      (window as unknown as { axe: { run(): Promise<AxeResult> } }).axe.run(),
    );
    const bad = result.violations
      .filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => `${v.id} (${v.impact}): ${JSON.stringify(v.nodes.map((n) => n.target))}`);
    await page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });
    expect([name, bad]).toEqual([name, []]);
  }

  async function signIn(email: string, password: string, phone = false): Promise<Page> {
    const context = await browser.newContext({
      reducedMotion: 'reduce',
      acceptDownloads: true,
      ...(phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : {}),
    });
    // generous action deadlines: the machine running the suite is shared and saturated
    context.setDefaultTimeout(90_000);
    const page = await context.newPage();
    const failures: string[] = [];
    page.on('response', (r) => {
      if (r.status() >= 400) failures.push(`${r.request().method()} ${r.url()} ${r.status()}`);
    });
    page.on('console', (m) => {
      if (m.type() === 'error') failures.push(m.text());
      if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
    });
    await page.goto(consoleUrl());
    await expectAccessible(page, phone ? 'sign-in-phone' : 'sign-in');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByLabel('Email').fill(email);
    await page.getByLabel('Password').fill(password);
    await page.getByRole('button', { name: 'Continue' }).click();
    await page.getByRole('button', { name: 'Allow' }).click();
    await page.waitForURL((u) => u.origin === consoleUrl() && u.pathname !== '/callback');
    await page
      .getByRole('button', { name: 'Sign out' })
      .or(page.getByRole('alert'))
      .first()
      .waitFor();
    if (!(await page.getByRole('button', { name: 'Sign out' }).isVisible())) {
      await page.screenshot({ path: join(artifacts, 'sign-in-failed.png') });
      throw new Error(`sign-in failed: ${failures.join('; ')}`);
    }
    return page;
  }

  return { expectAccessible, signIn, cspViolations };
}

/** Clicks `refresh` until `condition` holds (each try waits for the page's answer, no sleeps). */
export async function refreshUntil(
  page: Page,
  refresh: () => Promise<void>,
  condition: () => Promise<boolean>,
  what: string,
  deadlineMs = 90_000,
): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (!(await condition())) {
    if (Date.now() > end) throw new Error(`not within ${deadlineMs} ms: ${what}`);
    await refresh();
    await page.waitForLoadState('networkidle');
  }
}
