// The console in a real Chromium (Debian's package, driven by playwright-core: no browser download)
// against the running platform (real gateway, identity, results, referrals, audit store, conformance
// service, local OpenID provider, real PostgreSQL and Kafka): each kind of user signs in through the
// provider's pages (code + PKCE in the browser, token exchange at the gateway) and does its pages'
// main journeys — a citizen flags the GP system's access of moments earlier; the operator finds a
// system, an access, the GP system's failing rule on its scorecard, its own rate on Systems and a
// region's waiting list (picked among all); a supplier runs a conformance session (watching its
// scenarios live) to a certificate it downloads and sees its own scorecard; a regional authority
// sees its systems' rates, certifies and approves the supplier's system, suspends the GP system
// (whose next API call is refused), reads both acts in its region's enforcement history, finds
// the GP system's access in its region's audit and its broken rule on its scorecard, and reads its
// waiting lists and stream. axe-core on every page (no serious or
// critical violation), no CSP violation, a screenshot of each page in .trellis/artifacts/console/.
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

import type { OperationOutcome, Patient, ServiceRequest } from '@medplum/fhirtypes';
import { dlqTopicName } from '@trellis/events';
import { rulesOf } from '@trellis/fhir';
import { freePort, uniqueGroupId, uniqueTopic } from '@trellis/testing';
import { decodeProtectedHeader } from 'jose';
import { chromium, type Browser, type Page } from 'playwright-core';

// the browser suite drives the same real stack as the gateway's tests (test code only)
// eslint-disable-next-line @nx/enforce-module-boundaries
import { ProductsService } from '../../gateway/src/app/products/products.service';
// eslint-disable-next-line @nx/enforce-module-boundaries
import {
  startAuditStack,
  type AuditStack,
  type DemoCitizen,
} from '../../gateway/test/support/audit-stack';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { abnormalReport, GP_SCOPES } from '../../gateway/test/support/certification-fixtures';
// eslint-disable-next-line @nx/enforce-module-boundaries
import { SupplierClient } from '../../gateway/test/support/conformance-client';
// eslint-disable-next-line @nx/enforce-module-boundaries
import {
  BOOTSTRAP_CALLER,
  createTopics,
  deleteTopics,
  getToken,
  registerClient,
  type TestClient,
} from '../../gateway/test/support/harness';
import { startConsoleServer } from '../server/serve';
import { newAuthorityClient, rekeyAndWithdraw } from './support/authority-clients';
import { browserKit, refreshUntil, type BrowserKit } from './support/browser';
import {
  expectHistoryDoor,
  expectProgressDoor,
  expectSystemScorecardsDoor,
} from './support/json-doors';
import { overrideCompliance, startConformance, type Platform } from './support/platforms';

jest.setTimeout(300_000);

const ROOT = resolve(__dirname, '../../..');
const DIST = join(ROOT, 'dist/apps/console');
const ARTIFACTS = join(ROOT, '.trellis/artifacts/console');
const CHROMIUM = process.env['CHROMIUM_PATH'] ?? '/usr/bin/chromium';
const PRODUCT_VERSION = 'console-gp@1.0';

let stack: AuditStack;
let conformance: Platform | undefined;
let consoleUrl = '';
let closeConsole: () => Promise<void>;
let browser: Browser;
let kit: BrowserKit;
let gp: TestClient;
let gpToken: string;
let supplierSystem: TestClient;
let labToken: string;
let alice: DemoCitizen;
let dir: string;
let brokenRule = '';
let conformanceAddress = '';
let operatorClient: TestClient;
let regionClient: TestClient;
const staff: Record<'operator' | 'regional' | 'supplier', Record<string, string>> = {
  operator: {},
  regional: {},
  supplier: {},
};
const topics = {
  violation: uniqueTopic('trellis.test.console-violation'),
  compliance: uniqueTopic('trellis.test.console-compliance'),
};

function member(role: keyof typeof staff, systemId: string, given: string): void {
  staff[role] = {
    sub: `staff-${role}-${randomBytes(4).toString('hex')}`,
    role,
    systemId,
    email: `${role}.${randomBytes(3).toString('hex')}@trellis.example`,
    password: randomBytes(12).toString('base64url'),
    givenName: given,
    familyName: 'Tester',
  };
}

async function fhir(path: string, token: string, init: RequestInit = {}): Promise<Response> {
  return fetch(`${stack.fhirBase}/${path}`, {
    ...init,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/fhir+json' },
  });
}

/** A GP referral to a north-east provider: one open pathway on the region's waiting list. */
async function refer(nhs: string, ods: string, specialty: string): Promise<void> {
  const body = JSON.parse(
    readFileSync(join(ROOT, 'apps/gateway/test/fixtures/ok/service-request.json'), 'utf8'),
  ) as ServiceRequest;
  body.subject = { reference: `Patient/${nhs}` };
  body.identifier = [
    {
      system: 'https://fhir.trellis.nhs.uk/Id/referral-request',
      value: `console-${randomBytes(6).toString('hex')}`,
    },
  ];
  body.category = [
    { coding: [{ system: 'https://fhir.nhs.uk/CodeSystem/Specialty-1', code: specialty }] },
  ];
  body.performer = [
    {
      type: 'Organization',
      identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: ods },
      extension: [
        {
          url: 'https://fhir.trellis.nhs.uk/StructureDefinition/region',
          valueCode: 'north-east',
        },
      ],
    },
  ];
  const res = await fhir('ServiceRequest', gpToken, { method: 'POST', body: JSON.stringify(body) });
  expect(res.status).toBe(201);
}

beforeAll(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  // the app as it ships: vite build of this checkout
  execFileSync(
    'npx',
    ['vite', 'build', '--config', 'apps/console/vite.config.ts', '--logLevel', 'warn'],
    { cwd: ROOT, stdio: 'inherit' },
  );
  dir = mkdtempSync(join(tmpdir(), 'console-'));
  const staffFile = join(dir, 'staff.json');
  const conformancePort = await freePort();
  await createTopics([
    { name: topics.violation },
    { name: dlqTopicName(topics.violation) },
    { name: topics.compliance },
  ]);
  stack = await startAuditStack({
    results: true,
    referrals: true,
    gatewayEnv: {
      STAFF_DIRECTORY_FILE: staffFile,
      CONFORMANCE_GRPC_ADDR: `127.0.0.1:${conformancePort}`,
      FHIR_CONFORMANCE_TOPIC: topics.violation,
      GATEWAY_COMPLIANCE_TOPIC: topics.compliance,
      GATEWAY_COMPLIANCE_GROUP: uniqueGroupId('console-compliance'),
    },
  });
  conformanceAddress = `127.0.0.1:${conformancePort}`;
  conformance = await startConformance(conformancePort, stack.gw.baseUrl, {
    access: stack.gw.auditTopic,
    violation: topics.violation,
    compliance: topics.compliance,
    systems: stack.gw.systemTopic,
  });

  const products = stack.gw.handle.app.get(ProductsService);
  await products.registerProduct(
    { id: 'console-gp', supplier: 'Console GP Ltd', name: 'Console GP', role: 'gp_system' },
    BOOTSTRAP_CALLER,
  );
  await products.registerVersion('console-gp', '1.0', BOOTSTRAP_CALLER);
  gp = await registerClient(stack.gw, {
    scopes: ['system/Patient.cruds', 'system/ServiceRequest.crus'],
    odsCode: 'A81001',
    region: 'north-east',
    name: 'Tees Valley GP system',
  });
  gpToken = await getToken(stack.gw, gp, 'system/Patient.cruds system/ServiceRequest.crus');
  const operator = await registerClient(stack.gw, {
    scopes: ['trellis/admin', 'system/AuditEvent.rs', 'system/MeasureReport.rs'],
    odsCode: 'X26',
    region: 'london',
  });
  const region = await registerClient(stack.gw, {
    scopes: [
      'region/north-east/systems.write',
      'region/north-east/waiting-lists.read',
      'region/north-east/audit.read',
      'region/north-east/scorecards.read',
      'system/AuditEvent.s',
      'system/MeasureReport.rs',
    ],
    odsCode: 'YRA01',
    region: 'north-east',
  });
  supplierSystem = await registerClient(stack.gw, {
    scopes: [...GP_SCOPES.split(' '), 'system/MeasureReport.rs'],
    // a GP supplier's sandbox deployment at a practice (the lab reports to it, it acknowledges)
    odsCode: 'A81001',
    region: 'north-east',
    name: 'Console GP sandbox',
    productVersionId: PRODUCT_VERSION,
  });
  const lab = await registerClient(stack.gw, {
    scopes: ['system/DiagnosticReport.crus', 'system/Observation.rs', 'system/Patient.r'],
    odsCode: 'RR8',
  });
  labToken = await getToken(
    stack.gw,
    lab,
    'system/DiagnosticReport.crus system/Observation.rs system/Patient.r',
  );
  operatorClient = operator;
  regionClient = region;
  member('operator', operator.id, 'Olu');
  member('regional', region.id, 'Rowan');
  member('supplier', supplierSystem.id, 'Sam');
  writeFileSync(staffFile, JSON.stringify(Object.values(staff)), { mode: 0o600 });

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
  // the GP system breaks a rule once (its scorecard's failing rule) and refers Alice twice
  const invalid = await fhir('Patient', gpToken, {
    method: 'POST',
    body: JSON.stringify({ resourceType: 'Patient', gender: 'sometimes', birthDate: '1975-13-40' }),
  });
  expect(invalid.status).toBeGreaterThanOrEqual(400);
  brokenRule = rulesOf((await invalid.json()) as OperationOutcome)[0] ?? '';
  expect(brokenRule).not.toBe('');
  await refer(nhs, 'RTD', 'cardiology');
  await refer(nhs, 'RTD', 'dermatology');
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
  kit = browserKit(browser, () => consoleUrl, ARTIFACTS);
}, 600_000);

afterAll(async () => {
  await browser?.close();
  await closeConsole?.();
  await conformance?.stop();
  await stack?.stop();
  await deleteTopics(Object.values(topics).concat(dlqTopicName(topics.violation))).catch(
    () => undefined,
  );
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Through the navigation to a page, until its heading is on screen (its code loads lazily). */
const open = async (page: Page, link: string, heading: RegExp) => {
  await page.getByRole('navigation').getByRole('link', { name: link }).click();
  await page.getByRole('heading', { level: 1, name: heading }).waitFor();
};

describe('console in a real browser', () => {
  it('a citizen (on a phone) sees the access the GP system made moments ago and flags it', async () => {
    expect((await fhir(`Patient/${alice.nhsNumber}`, gpToken)).status).toBe(200);
    const page = await kit.signIn(alice.email, alice.password, true);
    expect(new URL(page.url()).pathname).toBe('/citizen');
    await page.getByTestId('my-record').getByText('Alice Consoleton').waitFor();
    // the audit store has it within seconds: reload until the GP's access is listed
    const gpAccess = page.getByTestId('access').filter({ hasText: gp.id }).first();
    await refreshUntil(
      page,
      () => page.reload().then(() => undefined),
      () => gpAccess.isVisible(),
      'GP access listed',
    );
    await kit.expectAccessible(page, 'citizen');
    await gpAccess.getByRole('button', { name: "I don't recognise this" }).click();
    await page
      .getByLabel('What do you want to tell us?')
      .fill('I have never been to this practice');
    await kit.expectAccessible(page, 'citizen-flag');
    await page.getByRole('button', { name: 'Flag this access' }).click();
    await gpAccess.getByTestId('flagged').waitFor();
    await page.context().close();
  });

  it("the operator finds a system, an access, and the GP system's failing rule on its scorecard", async () => {
    const op = staff.operator;
    const page = await kit.signIn(op['email']!, op['password']!);
    expect(new URL(page.url()).pathname).toBe('/systems');
    const row = page.locator(`[data-system="${gp.id}"]`);
    await row.waitFor();
    await page.getByLabel('Search').fill(gp.id);
    await page
      .getByTestId('systems-count')
      .filter({ hasText: /^1 of \d+ systems$/ })
      .waitFor();
    // a product without a conformance scheme: live by the national operator's act (issue 18)
    await row.getByTestId('lifecycle').filter({ hasText: 'live' }).waitFor();
    await row.getByTestId('certificate').filter({ hasText: 'certificate: none' }).waitFor();
    // its product version's conformance over the last 24 hours (a rate, or none judged yet)
    await row
      .getByTestId('version-rate')
      .filter({ hasText: /^conformance \(24 h\): (\d+\.\d %|—)$/ })
      .waitFor();
    await kit.expectAccessible(page, 'systems-operator');
    // the access audit: the GP system's read of the citizen's record, found by NHS number
    await open(page, 'Access audit', /^Access audit$/);
    await page.getByLabel('Patient NHS number').fill(alice.nhsNumber);
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .getByTestId('audit')
      .getByText(`${gp.id} of organisation A81001 read`)
      .first()
      .waitFor();
    await kit.expectAccessible(page, 'audit-operator');
    // scorecards: the GP system's card, once the conformance service has counted its calls
    await open(page, 'Scorecards', /^Scorecards$/);
    await page.getByPlaceholder('Pick one').fill(gp.id);
    await page.getByRole('option', { name: gp.id }).click();
    const rule = page.getByTestId('rules').getByText(brokenRule, { exact: true });
    await refreshUntil(
      page,
      () => page.getByRole('button', { name: 'Refresh' }).click(),
      () => rule.isVisible(),
      `rule ${brokenRule} on the GP system's scorecard`,
    );
    expect(Number(await page.getByTestId('requests').textContent())).toBeGreaterThanOrEqual(2);
    await kit.expectAccessible(page, 'scorecards-operator');
    // back on Systems: the GP system's own rate (its refused Patient counted), not its version's
    await open(page, 'Systems', /^Connected systems$/);
    await page.getByLabel('Search').fill(gp.id);
    const ownRate = row.getByTestId('system-rate').filter({ hasText: /^\d+\.\d %$/ });
    await refreshUntil(
      page,
      async () => {
        await page.reload();
        await page.getByLabel('Search').fill(gp.id);
      },
      () => ownRate.isVisible(),
      "the GP system's own rate on Systems",
    );
    expect(Number(await ownRate.getAttribute('data-rate'))).toBeLessThan(1);
    await row.getByTestId('standing').filter({ hasText: 'version: compliant' }).waitFor();
    await kit.expectAccessible(page, 'systems-operator-rates');
    // the national operator reads any region: it picks north-east and sees its waiting list
    await open(page, 'Region', /^Regions$/);
    await kit.expectAccessible(page, 'region-operator-pick');
    await page.getByRole('combobox', { name: 'Region', exact: true }).selectOption('north-east');
    await page.getByRole('heading', { level: 1, name: 'Region north-east' }).waitFor();
    await page.getByTestId('providers').locator('[data-row="RTD"]').waitFor();
    await page.getByTestId('total-waiting').filter({ hasText: /^2$/ }).waitFor();
    await page.getByTestId('stream-health').waitFor();
    await kit.expectAccessible(page, 'region-operator');
    // any region's enforcement history: north-east's registrations into the sandbox so far
    await open(page, 'Enforcement', /^Enforcement$/);
    await page.getByRole('combobox', { name: 'Region', exact: true }).selectOption('north-east');
    await page.getByRole('heading', { level: 1, name: 'Enforcement in north-east' }).waitFor();
    await page
      .getByTestId('enforcement-history')
      .locator('tr[data-entry="lifecycle"]')
      .filter({ hasText: 'Tees Valley GP system' })
      .first()
      .waitFor();
    await kit.expectAccessible(page, 'enforcement-operator');
    await page.context().close();
  });

  it('the per-system scorecards door: the operator any systems, an authority its region only', async () => {
    await expectSystemScorecardsDoor(stack.gw.baseUrl, {
      operator: await getToken(stack.gw, operatorClient, 'trellis/admin system/MeasureReport.rs'),
      region: await getToken(
        stack.gw,
        regionClient,
        'region/north-east/scorecards.read system/MeasureReport.rs',
      ),
      ids: { gp: gp.id, operator: operatorClient.id },
    });
  });

  it('a supplier runs a conformance session, downloads its certificate and reads its scorecard', async () => {
    const sp = staff.supplier;
    const page = await kit.signIn(sp['email']!, sp['password']!);
    expect(new URL(page.url()).pathname).toBe('/home');
    await page.getByText('system/TestReport.crs').waitFor();
    await kit.expectAccessible(page, 'supplier-home');
    await open(page, 'Certificates', /^Certificates and conformance sessions$/);
    await page.getByRole('button', { name: 'Start a session' }).click();
    const session = page.getByTestId('session');
    await session.waitFor();
    const id = (await session.getAttribute('data-session'))!;
    await kit.expectAccessible(page, 'certificates-session-open');
    // the supplier's own system runs the role's scenarios in the sandbox (its own key, its token)
    const token = await getToken(stack.gw, supplierSystem, GP_SCOPES);
    const client = new SupplierClient(stack.fhirBase, token, {
      honourRetryAfter: true,
      sendIfMatch: true,
    });
    const nhs = await client.registerPatient();
    // live: the scenario just run stands met on the page before the session is finished
    const scenario = (key: string) =>
      page.locator(`[data-scenario="gp-system-${key}"]`).getByTestId('live');
    await scenario('register-patient').filter({ hasText: 'passing so far' }).waitFor();
    expect(await scenario('update-if-match').textContent()).toBe('waiting');
    await client.updatePatient(nhs);
    expect(await client.readEverything(nhs)).toBe(200);
    const report = await fetch(`${stack.fhirBase}/DiagnosticReport`, {
      method: 'POST',
      headers: { authorization: `Bearer ${labToken}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify(abnormalReport(nhs)),
    });
    if (report.status !== 201)
      throw new Error(`lab report ${report.status}: ${await report.text()}`);
    expect(await client.acknowledge(((await report.json()) as { id: string }).id)).toBe(200);
    await page.waitForFunction(
      () => {
        const live = [
          ...document.querySelectorAll('[data-testid="scenarios"] [data-testid="live"]'),
        ];
        return live.length === 4 && live.every((b) => b.textContent === 'passing so far');
      },
      undefined,
      { timeout: 90_000 },
    );
    await session
      .getByRole('button', { name: /register/i })
      .first()
      .click();
    await session.getByTestId('live-assertions').first().waitFor();
    await kit.expectAccessible(page, 'certificates-session-live');
    // the progress door: the session's own system only, nothing else asked
    await expectProgressDoor(stack.gw.baseUrl, token, id);
    await page.getByRole('button', { name: 'Finish session' }).click();
    // the results are on screen once the session is evaluated (Close replaces Finish)
    await session.getByRole('button', { name: 'Close' }).waitFor();
    const results = page.getByTestId('scenarios').getByTestId('result');
    expect(await results.allTextContents()).toEqual(['pass', 'pass', 'pass', 'pass']);
    const certificate = page.getByTestId('certificates').locator('[data-certificate]');
    await certificate.filter({ hasText: 'active' }).waitFor();
    await page.getByTestId('scenarios').getByRole('button').first().click();
    await kit.expectAccessible(page, 'certificates-passed');
    const download = page.waitForEvent('download');
    await certificate.getByRole('button', { name: /Download/ }).click();
    const jwt = readFileSync((await (await download).path())!, 'utf8');
    expect(decodeProtectedHeader(jwt).typ).toBe('trellis-conformance-certificate+jwt');
    expect(id).toMatch(/^[0-9a-f-]{36}$/);
    // its own scorecard: the sandbox's injected refusals are counted like any traffic
    await open(page, 'Scorecards', /^Scorecards$/);
    await refreshUntil(
      page,
      () => page.getByRole('button', { name: 'Refresh' }).click(),
      () => page.getByTestId('behaviours').getByText('rate-limited').isVisible(),
      "rate-limited on the supplier's scorecard",
    );
    await kit.expectAccessible(page, 'scorecards-supplier');
    // its product version's enforcement history: the operator's override, with its reason
    const reason = `override for the console test ${randomBytes(3).toString('hex')}`;
    await overrideCompliance(
      conformanceAddress,
      await getToken(stack.gw, operatorClient, 'trellis/admin system/MeasureReport.rs'),
      PRODUCT_VERSION,
      reason,
    );
    // the scorecard of its product version (its only one, shown once the kind is switched)
    await page.locator('label', { hasText: /^Product version$/ }).click();
    await page
      .getByRole('radio', { name: 'Product version' })
      .and(page.locator(':checked'))
      .waitFor({ state: 'attached' });
    const change = page.getByTestId('compliance-history').locator('tr[data-change]');
    await refreshUntil(
      page,
      () => page.getByRole('button', { name: 'Refresh' }).click(),
      () => change.filter({ hasText: reason }).isVisible(),
      'the override in the enforcement history',
    );
    expect(await change.first().textContent()).toContain('operator-override');
    await kit.expectAccessible(page, 'scorecards-supplier-history');
    // the JSON door itself: its own version's log, not another's, no unknown parameter
    const own = await getToken(stack.gw, supplierSystem, 'system/MeasureReport.rs');
    const changes = (pv: string, query = '') =>
      fetch(
        `${stack.gw.baseUrl}/admin/v1/product-versions/${encodeURIComponent(pv)}/compliance-changes${query}`,
        { headers: { authorization: `Bearer ${own}` } },
      );
    const mine = await changes(PRODUCT_VERSION, '?pageSize=1');
    expect(mine.status).toBe(200);
    expect(await mine.json()).toMatchObject({
      changes: [
        { version: 1, from: 'compliant', to: 'compliant', cause: 'operator-override', reason },
      ],
      nextPageToken: '',
    });
    expect((await changes('other-gp@1.0')).status).toBe(403);
    expect((await changes(PRODUCT_VERSION, '?since=yesterday')).status).toBe(400);
    expect((await changes(PRODUCT_VERSION, '?pageToken=x')).status).toBe(400);
    await page.context().close();
  });

  it('a regional authority reads its waiting lists and stream, approves a certified system for go-live, suspends another, and its next call is refused', async () => {
    const rg = staff.regional;
    const page = await kit.signIn(rg['email']!, rg['password']!);
    await page.locator(`[data-system="${gp.id}"]`).waitFor();
    expect(await page.locator(`[data-system="${staff.operator['systemId']}"]`).count()).toBe(0);
    // its region's systems' own rates, in one call for the page
    await page
      .locator(`[data-system="${gp.id}"]`)
      .getByTestId('system-rate')
      .filter({ hasText: /^\d+\.\d %$/ })
      .waitFor();
    await kit.expectAccessible(page, 'systems-regional');
    // its own console is a governance client: shown as one, with no lifecycle move offered
    await page.getByLabel('Search').fill(rg['systemId']!);
    const own = page.locator(`[data-system="${rg['systemId']}"]`);
    await own.getByTestId('lifecycle').filter({ hasText: 'governance client' }).waitFor();
    expect(await own.getByRole('button', { name: /Admit|certified|Approve/ }).count()).toBe(0);
    expect(await own.getByTestId('lifecycle-explain').count()).toBe(0);
    await page.getByLabel('Search').fill('');
    // the supplier's sandbox system, certified in the previous journey: certified, then live
    const sandbox = page.locator(`[data-system="${supplierSystem.id}"]`);
    await sandbox.getByTestId('certificate').filter({ hasText: 'certificate: active' }).waitFor();
    for (const [action, state] of [
      ['Mark certified', 'certified'],
      ['Approve go-live', 'live'],
    ] as const) {
      await sandbox.getByRole('button', { name: new RegExp(`^${action}`) }).click();
      await page.getByLabel('Reason').fill(`${action}: conformance session passed`);
      if (state === 'live') await kit.expectAccessible(page, 'systems-approve');
      await page.getByRole('dialog').getByRole('button', { name: action }).click();
      await sandbox.getByTestId('lifecycle').filter({ hasText: state }).waitFor();
    }
    await page
      .locator(`[data-system="${gp.id}"]`)
      .getByRole('button', { name: /Suspend/ })
      .click();
    await page.getByLabel('Reason').fill('Unrecognised access reported by a patient');
    await kit.expectAccessible(page, 'systems-suspend');
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
    // its region's enforcement history: its own acts and the compliance of its systems' versions
    await open(page, 'Enforcement', /^Enforcement in north-east$/);
    const history = page.getByTestId('enforcement-history');
    await history
      .locator('tr[data-entry="registry"][data-event="SUSPENDED"]')
      .filter({ hasText: 'Unrecognised access reported by a patient' })
      .waitFor();
    await history
      .locator('tr[data-entry="lifecycle"][data-event="live"]')
      .filter({ hasText: 'Approve go-live: conformance session passed' })
      .waitFor();
    await history
      .locator('tr[data-entry="compliance"][data-event="operator-override"]')
      .filter({ hasText: PRODUCT_VERSION })
      .waitFor();
    await kit.expectAccessible(page, 'enforcement-regional');
    await expectHistoryDoor(
      stack.gw.baseUrl,
      await getToken(
        stack.gw,
        regionClient,
        'region/north-east/systems.write region/north-east/scorecards.read system/MeasureReport.rs',
      ),
    );
    // its region's organisations' accesses: the GP system's read of Alice's record
    await open(page, 'Access audit', /^Access audit in north-east$/);
    await page.getByLabel('Patient NHS number').fill(alice.nhsNumber);
    await page.getByRole('button', { name: 'Search' }).click();
    await page
      .getByTestId('audit')
      .getByText(`${gp.id} of organisation A81001 read`)
      .first()
      .waitFor();
    await kit.expectAccessible(page, 'audit-regional');
    // its systems' scorecards: the GP system's broken rule
    await open(page, 'Scorecards', /^Scorecards$/);
    await page.getByPlaceholder('Pick one').fill(gp.id);
    await page.getByRole('option', { name: gp.id }).click();
    await page.getByTestId('rules').getByText(brokenRule, { exact: true }).waitFor();
    await kit.expectAccessible(page, 'scorecards-regional');
    // the region: its waiting list by provider and specialty, and its stream's subscribers
    const dashboards = await newAuthorityClient(
      stack.gw.baseUrl,
      await getToken(stack.gw, regionClient, 'region/north-east/systems.write'),
    );
    await open(page, 'Region', /^Region north-east$/);
    await page.getByTestId('providers').locator('[data-row="RTD"]').waitFor();
    expect(
      await page
        .getByTestId('specialties')
        .locator('[data-row]')
        .evaluateAll((rows) => rows.map((r) => r.getAttribute('data-row')).sort()),
    ).toEqual(['cardiology', 'dermatology']);
    expect(await page.getByTestId('total-waiting').textContent()).toBe('2');
    await page.getByTestId('stream-health').waitFor();
    await kit.expectAccessible(page, 'region');
    // its authority clients: a Kafka password re-keyed (shown once), the client withdrawn
    await rekeyAndWithdraw(page, kit, dashboards);
    await page.context().close();
  });

  it('no page broke its Content-Security-Policy', () => {
    expect(kit.cspViolations).toEqual([]);
  });
});
