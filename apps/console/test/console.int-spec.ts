// The console in a real Chromium (Debian's package, driven by playwright-core: no browser download)
// against the running platform (real gateway, identity, audit store, local OpenID provider, real
// PostgreSQL and Kafka): each kind of user signs in through the provider's pages (code + PKCE in
// the browser, token exchange at the gateway); a citizen sees the access the GP system made moments
// earlier and flags it; a regional authority suspends a system of its region and that system's
// next API call is refused. axe-core on every page (no serious or critical violation), no CSP
// violation, a screenshot of each page in .trellis/artifacts/console/.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { Patient } from '@medplum/fhirtypes';
import { freePort } from '@trellis/testing';
import { chromium, type Browser, type Page } from 'playwright-core';

// the browser suite drives the same real stack as the gateway's citizen tests (test code only)
// eslint-disable-next-line @nx/enforce-module-boundaries
import {
  startAuditStack,
  type AuditStack,
  type DemoCitizen,
} from '../../gateway/test/support/audit-stack';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { getToken, registerClient, type TestClient } from '../../gateway/test/support/harness';
import { startConsoleServer } from '../server/serve';

jest.setTimeout(240_000);

const ROOT = resolve(__dirname, '../../..');
const DIST = join(ROOT, 'dist/apps/console');
const ARTIFACTS = join(ROOT, '.trellis/artifacts/console');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let stack: AuditStack;
let consoleUrl: string;
let closeConsole: () => Promise<void>;
let browser: Browser;
let gp: TestClient;
let gpToken: string;
let alice: DemoCitizen;
let dir: string;
const staff: Array<Record<string, string>> = [];
const cspViolations: string[] = [];

interface AxeResult {
  violations: Array<{ id: string; impact?: string; nodes: Array<{ target: unknown }> }>;
}

/** axe-core in the page (evaluated over the DevTools protocol, so the page's CSP stays as is). */
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
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`), fullPage: true });
  expect([name, bad]).toEqual([name, []]);
}

/** Through the console's Sign in, the provider's login and consent pages, back to the console. */
async function signIn(email: string, password: string, phone = false): Promise<Page> {
  const context = await browser.newContext({
    reducedMotion: 'reduce',
    ...(phone ? { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } : {}),
  });
  const page = await context.newPage();
  const failures: string[] = [];
  page.on('response', (r) => {
    if (r.status() >= 400) failures.push(`${r.request().method()} ${r.url()} ${r.status()}`);
  });
  page.on('console', (m) => {
    if (m.type() === 'error') failures.push(m.text());
    if (/Content Security Policy/i.test(m.text())) cspViolations.push(m.text());
  });
  await page.goto(consoleUrl);
  await expectAccessible(page, phone ? 'sign-in-phone' : 'sign-in');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByRole('button', { name: 'Allow' }).click();
  await page.waitForURL((u) => u.origin === consoleUrl && u.pathname !== '/callback');
  await page
    .getByRole('button', { name: 'Sign out' })
    .or(page.getByRole('alert'))
    .first()
    .waitFor();
  if (!(await page.getByRole('button', { name: 'Sign out' }).isVisible())) {
    await page.screenshot({ path: join(ARTIFACTS, 'sign-in-failed.png') });
    throw new Error(`sign-in failed: ${failures.join('; ')}`);
  }
  return page;
}

function member(role: string, systemId: string, given: string): Record<string, string> {
  const m = {
    sub: `staff-${role}-${randomBytes(4).toString('hex')}`,
    role,
    systemId,
    email: `${role}.${randomBytes(3).toString('hex')}@trellis.example`,
    password: randomBytes(12).toString('base64url'),
    givenName: given,
    familyName: 'Tester',
  };
  staff.push(m);
  return m;
}

async function fhir(path: string, token: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.fhirBase}/${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
  });
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // the app as it ships: vite build of this checkout
  execFileSync(
    'npx',
    ['vite', 'build', '--config', 'apps/console/vite.config.ts', '--logLevel', 'warn'],
    {
      cwd: ROOT,
      stdio: 'inherit',
    },
  );
  dir = mkdtempSync(join(tmpdir(), 'console-'));
  const staffFile = join(dir, 'staff.json');
  stack = await startAuditStack({ gatewayEnv: { STAFF_DIRECTORY_FILE: staffFile } });
  gp = await registerClient(stack.gw, {
    scopes: ['system/Patient.cruds'],
    odsCode: 'A81001',
    region: 'north-east',
    name: 'Tees Valley GP system',
  });
  gpToken = await getToken(stack.gw, gp, 'system/Patient.cruds');
  const operator = await registerClient(stack.gw, {
    scopes: ['trellis/admin', 'system/AuditEvent.rs'],
    odsCode: 'X26',
    region: 'london',
  });
  const region = await registerClient(stack.gw, {
    scopes: ['trellis/region.admin'],
    odsCode: 'QHM',
    region: 'north-east',
  });
  const supplier = await registerClient(stack.gw, {
    scopes: ['system/MeasureReport.rs'],
    odsCode: 'YGM01',
    region: 'north-east',
  });
  member('operator', operator.id, 'Olu');
  member('regional', region.id, 'Rowan');
  member('supplier', supplier.id, 'Sam');
  writeFileSync(staffFile, JSON.stringify(staff), { mode: 0o600 });

  const created = await fhir('Patient', gpToken, {
    method: 'POST',
    body: JSON.stringify({
      resourceType: 'Patient',
      name: [{ use: 'official', family: 'Consoleton', given: ['Alice'] }],
      gender: 'female',
      birthDate: '1975-06-07',
      address: [{ use: 'home', line: ['2 Test Road'], city: 'Durham', postalCode: 'DH1 3LE' }],
      generalPractitioner: [
        { identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'A81001' } },
      ],
    } satisfies Patient),
  });
  expect(created.status).toBe(201);
  const nhs = ((await created.json()) as Patient).id!;
  alice = {
    sub: `demo-${nhs}`,
    email: 'alice.console@citizen.example',
    password: randomBytes(12).toString('base64url'),
    nhsNumber: nhs,
    givenName: 'Alice',
    familyName: 'Consoleton',
    birthDate: '1975-06-07',
  };
  const consolePort = await freePort();
  await stack.startIdp([alice], `http://127.0.0.1:${consolePort}/callback`, {
    CITIZEN_IDP_STAFF_FILE: staffFile,
  });
  ({ url: consoleUrl, close: closeConsole } = await startConsoleServer({
    distDir: DIST,
    gatewayUrl: stack.gw.baseUrl,
    issuer: stack.idpIssuer,
    clientId: 'trellis-citizen',
    port: consolePort,
  }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
});

afterAll(async () => {
  await browser?.close();
  await closeConsole?.();
  await stack?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('console in a real browser', () => {
  it('a citizen (on a phone) sees the access the GP system made moments ago and flags it', async () => {
    expect((await fhir(`Patient/${alice.nhsNumber}`, gpToken)).status).toBe(200);
    const page = await signIn(alice.email, alice.password, true);
    expect(new URL(page.url()).pathname).toBe('/citizen');
    await page.getByTestId('my-record').getByText('Alice Consoleton').waitFor();
    // the audit store has it within seconds: reload until the GP's access is listed
    const gpAccess = page.getByTestId('access').filter({ hasText: gp.id }).first();
    for (let i = 0; i < 60 && !(await gpAccess.isVisible()); i++) {
      await page.waitForTimeout(500);
      await page.reload();
    }
    await expectAccessible(page, 'citizen');
    await gpAccess.getByRole('button', { name: "I don't recognise this" }).click();
    await page
      .getByLabel('What do you want to tell us?')
      .fill('I have never been to this practice');
    await expectAccessible(page, 'citizen-flag');
    await page.getByRole('button', { name: 'Flag this access' }).click();
    await gpAccess.getByTestId('flagged').waitFor();
    await page.context().close();
  });

  it('the operator signs in and sees every connected system', async () => {
    const op = staff[0]!;
    const page = await signIn(op['email']!, op['password']!);
    expect(new URL(page.url()).pathname).toBe('/systems');
    await page.locator(`[data-system="${gp.id}"]`).waitFor();
    await page.getByLabel('Search').fill(gp.id);
    await page
      .getByTestId('systems-count')
      .filter({ hasText: /^1 of \d+ systems$/ })
      .waitFor();
    await expectAccessible(page, 'systems-operator');
    // the access audit: the GP system's read of the citizen's record, found by NHS number
    await page.getByRole('link', { name: 'Access audit' }).click();
    await page.getByLabel('Patient NHS number').fill(alice.nhsNumber);
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .getByTestId('audit')
      .getByText(`${gp.id} of organisation A81001 read`)
      .first()
      .waitFor();
    await expectAccessible(page, 'audit-operator');
    await page.context().close();
  });

  it("a regional authority sees only its region's systems, suspends one, and its next call is refused", async () => {
    const rg = staff[1]!;
    const page = await signIn(rg['email']!, rg['password']!);
    await page.locator(`[data-system="${gp.id}"]`).waitFor();
    expect(await page.locator(`[data-system="${staff[0]!['systemId']}"]`).count()).toBe(0);
    await expectAccessible(page, 'systems-regional');
    await page
      .locator(`[data-system="${gp.id}"]`)
      .getByRole('button', { name: /Suspend/ })
      .click();
    await page.getByLabel('Reason').fill('Unrecognised access reported by a patient');
    await expectAccessible(page, 'systems-suspend');
    await page.getByRole('button', { name: 'Suspend system' }).click();
    await page
      .locator(`[data-system="${gp.id}"]`)
      .getByTestId('state')
      .filter({ hasText: 'suspended' })
      .waitFor();
    // the suspended system's next call (with the token it already holds) is refused
    let status = 0;
    for (let i = 0; i < 100 && status !== 401; i++) {
      status = (await fhir(`Patient/${alice.nhsNumber}`, gpToken)).status;
      if (status !== 401) await new Promise((r) => setTimeout(r, 100));
    }
    expect(status).toBe(401);
    await page.context().close();
  });

  it('a supplier signs in to its session page', async () => {
    const sp = staff[2]!;
    const page = await signIn(sp['email']!, sp['password']!);
    expect(new URL(page.url()).pathname).toBe('/home');
    await page.getByText('system/MeasureReport.rs').waitFor();
    await expectAccessible(page, 'supplier-home');
    await page.context().close();
  });

  it('no page broke its Content-Security-Policy', () => {
    expect(cspViolations).toEqual([]);
  });
});
