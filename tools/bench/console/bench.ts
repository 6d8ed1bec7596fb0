/**
 * The console's Systems page with 1,000 connected systems, in Debian's chromium on this machine:
 * time to interactive (navigation start → the first 50 rows on screen and counted, the page
 * answering input while later pages of the registry still arrive; stamped in the page, and as the
 * driver observed it), time until all 1,001 are loaded,
 * time for a search over all of them to filter, median of --runs page loads; plus the built
 * bundle's initial JavaScript and CSS, raw and gzip.
 *
 *   node -r @swc-node/register tools/bench/console/bench.ts [--systems 1000] [--runs 5]
 *
 * The real gateway runs in this process (fresh schema), the systems are registered through the
 * registry service, the built console is served by its own server. The operator's session is put
 * in the tab's storage (a token of an operator system from the token endpoint): sign-in itself is
 * measured by nothing here, it is proven by apps/console/test.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';

import { loadInfraEnv } from '@trellis/testing';
import { chromium } from 'playwright-core';

// eslint-disable-next-line @nx/enforce-module-boundaries -- a benchmark drives the app in-process through its public entry point (type:bench)
import { startConsoleServer } from '@trellis/console/server/serve';
import { getToken, registerClient, startGateway } from '@trellis/gateway/test/support/harness';

const ROOT = join(__dirname, '../../..');
const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1]! : fallback;
};
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function bundle(): Record<string, number> {
  const dist = join(ROOT, 'dist/apps/console');
  const index = readFileSync(join(dist, 'index.html'), 'utf8');
  const initial = [...index.matchAll(/(?:src|href)="\/(assets\/[^"]+\.(js|css))"/g)];
  const size = (ext: string, gz: boolean) =>
    initial
      .filter((m) => m[2] === ext)
      .reduce((n, m) => {
        const b = readFileSync(join(dist, m[1]!));
        return n + (gz ? gzipSync(b, { level: 9 }).length : b.length);
      }, 0);
  return {
    initialJsKB: size('js', false) / 1024,
    initialJsGzipKB: size('js', true) / 1024,
    initialCssGzipKB: size('css', true) / 1024,
    assetFiles: readdirSync(join(dist, 'assets')).length,
  };
}

async function main(): Promise<void> {
  loadInfraEnv();
  const systems = Number(arg('systems', '1000'));
  const runs = Number(arg('runs', '5'));
  execFileSync(
    'npx',
    ['vite', 'build', '--config', 'apps/console/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  const gw = await startGateway({ GATEWAY_RATE_LIMIT_PER_WINDOW: '1000000' });
  const web = await startConsoleServer({
    distDir: join(ROOT, 'dist/apps/console'),
    gatewayUrl: gw.baseUrl,
    issuer: 'http://127.0.0.1:9',
    clientId: 'trellis-citizen',
  });
  const browser = await chromium.launch({
    executablePath: process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  try {
    const operator = await registerClient(gw, {
      scopes: ['trellis/admin'],
      odsCode: 'X26',
      region: 'london',
    });
    for (let i = 0; i < systems; i += 20)
      await Promise.all(
        Array.from({ length: Math.min(20, systems - i) }, (_, k) =>
          registerClient(gw, { scopes: ['system/Patient.rs'], name: `Bench system ${i + k}` }),
        ),
      );
    const tti: number[] = [];
    const inPage: number[] = [];
    const search: number[] = [];
    const breakdown: Array<Record<string, number>> = [];
    const full: number[] = [];
    for (let r = 0; r < runs; r++) {
      const token = await getToken(gw, operator, 'trellis/admin');
      const context = await browser.newContext();
      const session = {
        accessToken: token,
        expiresAt: Date.now() + 290_000,
        role: 'operator',
        name: 'Bench operator',
        scopes: ['trellis/admin'],
      };
      await context.addInitScript(
        (s) => sessionStorage.setItem('trellis.session', s),
        JSON.stringify(session),
      );
      // the moment the first 50 rows and the count are in the DOM, stamped in the page itself: the
      // gateway shares this process's event loop, so what the driver observes lags while the
      // gateway serves the later (500-row) pages
      await context.addInitScript(() => {
        const w = window as unknown as { __firstRows?: number };
        new MutationObserver(() => {
          if (
            w.__firstRows === undefined &&
            document.querySelectorAll('[data-system]').length >= 50 &&
            document.querySelector('[data-testid="systems-count"]')
          )
            w.__firstRows = performance.now();
        }).observe(document, { childList: true, subtree: true });
      });
      const page = await context.newPage();
      await page.goto(`${web.url}/systems`);
      // interactive: the first 50 rows are on screen and counted (later pages still arriving)
      await page.locator('[data-system]').nth(49).waitFor();
      await page.getByTestId('systems-count').waitFor();
      tti.push(await page.evaluate(() => performance.now()));
      inPage.push(
        await page.evaluate(() => (window as unknown as { __firstRows?: number }).__firstRows ?? 0),
      );
      await page
        .getByTestId('systems-count')
        .filter({ hasText: new RegExp(`^${systems + 1} of ${systems + 1} systems$`) })
        .waitFor();
      // interactive: the search box takes a keystroke and the page answers it
      const search0 = await page.evaluate(() => performance.now());
      breakdown.push(
        await page.evaluate(() => {
          const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
          const api = (
            performance.getEntriesByType('resource') as PerformanceResourceTiming[]
          ).filter((e) => e.name.includes('/admin/v1/systems'));
          return {
            domContentLoaded: Math.round(nav.domContentLoadedEventEnd),
            apiStart: Math.round(api[0]?.startTime ?? 0),
            // the first registry page (what the first rows wait for), then all of them
            firstApiEnd: Math.round(api[0]?.responseEnd ?? 0),
            apiEnd: Math.round(Math.max(...api.map((e) => e.responseEnd))),
            apiCalls: api.length,
          };
        }),
      );
      await page.getByLabel('Search').fill('Bench system 999');
      await page
        .getByTestId('systems-count')
        .filter({ hasText: /^1 of / })
        .waitFor();
      const t = await page.evaluate(() => performance.now());
      full.push(search0);
      search.push(t - search0);
      await context.close();
    }
    const report = {
      systems,
      runs,
      firstRowsInPageMsMedian: Math.round(median(inPage)),
      firstRowsInPageMs: inPage.map(Math.round),
      ttiMsMedian: Math.round(median(tti)),
      ttiMs: tti.map(Math.round),
      allLoadedMsMedian: Math.round(median(full)),
      searchMsMedian: Math.round(median(search)),
      breakdown,
      ...bundle(),
    };
    process.stdout.write(`${JSON.stringify(report)}\n`);
  } finally {
    await browser.close();
    await web.close();
    await gw.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${String(err instanceof Error ? err.stack : err)}\n`);
    process.exit(1);
  },
);
