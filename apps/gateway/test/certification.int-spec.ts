// Issue 17 end to end (real gateway, identity, results, appointments, PostgreSQL, Kafka): scripted
// suppliers of every role pass their scenarios despite the injected faults and get certificates
// they verify with the JWKS alone; a careless one fails exactly the Retry-After and If-Match
// assertions; certificates gate production scopes and follow compliance enforcement. Every
// TestScript, TestReport and VerificationResult passes the FHIR validator.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

import { fakerEN_GB as faker } from '@faker-js/faker';

import type { Bundle, DiagnosticReport, VerificationResult } from '@medplum/fhirtypes';
import { createEventBus, kafkaConfigFromEnv, type EventBus } from '@trellis/events';
import { validateFhirResource } from '@trellis/fhir';
import { uniqueGroupId, uniqueTopic } from '@trellis/testing';
import { createRemoteJWKSet, decodeJwt, exportJWK, generateKeyPair, jwtVerify } from 'jose';

import { CertificationService } from '../src/app/certification/certification.service';
import { ProductsService } from '../src/app/products/products.service';
import { SystemsService } from '../src/app/systems/systems.service';
import { startFhirStack, type FhirStack } from './fhir.harness';
import {
  abnormalReport,
  decisionFor,
  failedAssertions,
  GP_SCOPES,
  reportsOf,
  ROLE_SETUP,
  type Role,
} from './support/certification-fixtures';
import { SupplierClient, type ClientHabits } from './support/conformance-client';
import { GatewayGrpcClient, grpcCode } from './support/grpc-client';
import {
  BOOTSTRAP_CALLER,
  createTopics,
  deleteTopics,
  getToken,
  registerClient,
  requestToken,
  assertion,
  type TestClient,
} from './support/harness';

jest.setTimeout(300_000);

let stack: FhirStack;
let labToken: string;

async function postReport(nhs: string): Promise<string> {
  const res = await fetch(`${stack.fhirBase}/DiagnosticReport`, {
    method: 'POST',
    headers: { authorization: `Bearer ${labToken}`, 'content-type': 'application/fhir+json' },
    body: JSON.stringify(abnormalReport(nhs)),
  });
  const body = (await res.json()) as DiagnosticReport;
  if (res.status !== 201)
    throw new Error(`lab report: ${String(res.status)} ${JSON.stringify(body)}`);
  return body.id!;
}

async function supplier(
  productId: string,
  habits: ClientHabits,
  role: Role = 'gp-system',
): Promise<{ client: SupplierClient; system: TestClient }> {
  const { scopes, ods, prisma } = ROLE_SETUP[role];
  const products = stack.gw.handle.app.get(ProductsService);
  await products.registerProduct(
    { id: productId, supplier: `${productId} Ltd`, name: `${productId} ${role}`, role: prisma },
    BOOTSTRAP_CALLER,
  );
  await products.registerVersion(productId, '1.0', BOOTSTRAP_CALLER);
  const client = await registerClient(stack.gw, {
    scopes: scopes.split(' '),
    odsCode: ods,
    productVersionId: `${productId}@1.0`,
  });
  const token = await getToken(stack.gw, client, scopes);
  return { client: new SupplierClient(stack.fhirBase, token, habits, role), system: client };
}

/** Runs every gp-system scenario in a session; returns the finish-session Bundle. */
async function certify(client: SupplierClient): Promise<Bundle> {
  const started = await client.startSession(1);
  expect(started.status).toBe(201);
  const session = started.body.parameter!.find((p) => p.name === 'session')!.valueId!;
  const nhs = await client.registerPatient();
  expect(nhs).toMatch(/^999\d{7}$/);
  await client.updatePatient(nhs);
  expect(await client.readEverything(nhs)).toBe(200);
  expect(await client.acknowledge(await postReport(nhs))).toBe(200);
  const finished = await client.finishSession(session);
  expect(finished.status).toBe(200);
  for (const e of finished.body.entry ?? [])
    expect(validateFhirResource(e.resource).issues).toEqual([]);
  return finished.body;
}

const complianceTopic = uniqueTopic('trellis.test.compliance');
let bus: EventBus;
let careful: { system: TestClient; certificateId: string } | undefined;

beforeAll(async () => {
  await createTopics([{ name: complianceTopic }]);
  bus = createEventBus(kafkaConfigFromEnv(process.env, 'certification-test'));
  stack = await startFhirStack(
    {},
    {
      results: true,
      appointments: true,
      gatewayEnv: {
        GATEWAY_COMPLIANCE_TOPIC: complianceTopic,
        GATEWAY_COMPLIANCE_GROUP: uniqueGroupId('gw-compliance'),
      },
    },
  );
  ({ token: labToken } = await stack.token(
    ['system/DiagnosticReport.crus', 'system/Observation.rs', 'system/Patient.r'],
    'RR8',
  ));
});
afterAll(async () => {
  await stack?.stop();
  await deleteTopics([complianceTopic]).catch(() => undefined);
});

describe('conformance kit (gp-system)', () => {
  it('serves the TestScripts of every role publicly, each valid FHIR R4', async () => {
    const res = await fetch(`${stack.fhirBase}/TestScript`);
    expect(res.status).toBe(200);
    const bundle = (await res.json()) as Bundle;
    const ids = (bundle.entry ?? []).map((e) => e.resource!.id);
    expect(ids).toEqual(
      expect.arrayContaining([
        'gp-system-register-patient',
        'gp-system-update-if-match',
        'gp-system-read-everything',
        'gp-system-acknowledge-result',
        'hospital-epr-book-appointment',
        'lab-lims-post-amend-report',
      ]),
    );
    for (const e of bundle.entry ?? []) expect(validateFhirResource(e.resource).issues).toEqual([]);
    const one = await fetch(`${stack.fhirBase}/TestScript/gp-system-update-if-match`);
    expect(one.status).toBe(200);
    expect(JSON.stringify(await one.json())).toContain('http.if-match-required');
    expect((await fetch(`${stack.fhirBase}/TestScript/nope`)).status).toBe(404);
    expect((await fetch(`${stack.fhirBase}/TestScript?context=dentist`)).status).toBe(400);
  });

  it('a supplier handling every fault passes every scenario and gets a verifiable certificate', async () => {
    const good = await supplier('careful', { honourRetryAfter: true, sendIfMatch: true });
    const out = await certify(good.client);
    const reports = reportsOf(out);
    expect(reports).toHaveLength(4);
    expect(failedAssertions(reports)).toEqual([]);
    const cert = (out.entry ?? []).find((e) => e.resource?.resourceType === 'VerificationResult')
      ?.resource as VerificationResult;
    expect(cert.status).toBe('validated');
    const jwt = Buffer.from(cert.validator![0]!.attestationSignature!.data!, 'base64').toString(
      'utf8',
    );
    // verified with the published JWKS alone
    const { payload, protectedHeader } = await jwtVerify(
      jwt,
      createRemoteJWKSet(new URL(`${stack.gw.baseUrl}/.well-known/jwks.json`)),
      { issuer: stack.gw.baseUrl, typ: 'trellis-conformance-certificate+jwt' },
    );
    expect(protectedHeader.kid).toBeDefined();
    expect(payload).toMatchObject({
      sub: 'careful@1.0',
      supplier: 'careful Ltd',
      product: 'careful',
      version: '1.0',
      role: 'gp-system',
      rules_version: 'trellis-rules-2026.12',
      jti: cert.id,
    });
    expect(payload['test_reports']).toHaveLength(4);
    expect(payload.exp! - payload.iat!).toBe(365 * 86_400);

    const register = await fetch(
      `${stack.fhirBase}/VerificationResult?target=${encodeURIComponent('Group/careful@1.0')}`,
    );
    const listed = (await register.json()) as Bundle;
    expect(listed.entry?.map((e) => e.resource!.id)).toEqual([cert.id]);
    careful = { system: good.system, certificateId: cert.id! };
    for (const e of listed.entry ?? []) expect(validateFhirResource(e.resource).issues).toEqual([]);
  });

  it('a careless supplier fails exactly the Retry-After and If-Match assertions, and gets no certificate', async () => {
    const bad = await supplier('careless', { honourRetryAfter: false, sendIfMatch: false });
    const out = await certify(bad.client);
    const reports = reportsOf(out);
    expect(reports).toHaveLength(4);
    expect(failedAssertions(reports).sort()).toEqual([
      'gp-system-acknowledge-result: retry-after-unavailable',
      'gp-system-read-everything: honour-retry-after',
      'gp-system-update-if-match: update-if-match',
    ]);
    expect(out.entry?.some((e) => e.resource?.resourceType === 'VerificationResult')).toBe(false);
    const register = await fetch(
      `${stack.fhirBase}/VerificationResult?target=${encodeURIComponent('Group/careless@1.0')}`,
    );
    expect(((await register.json()) as Bundle).total).toBe(0);

    // in production the uncertified version gets no role scopes, and is told which certificate
    await stack.gw.handle.app
      .get(CertificationService)
      .setEnvironment(bad.system.id, 'production', 'go-live attempt', 'operator');
    const refused = await tokenFor(bad.system, GP_SCOPES);
    expect(refused).toMatchObject({
      status: 400,
      body: {
        error: 'invalid_scope',
        error_description:
          'production scopes of the gp-system role need a valid gp-system conformance certificate for product version careless@1.0: none issued',
      },
    });
  });
});

async function tokenFor(
  system: TestClient,
  scope: string,
): Promise<{ status: number; body: Record<string, unknown> }> {
  return requestToken(stack.gw.tokenUrl, {
    grant_type: 'client_credentials',
    client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
    client_assertion: await assertion(system, stack.gw.tokenUrl),
    scope,
  });
}

/** The certificate's status in the public register, once it is `want` (polled up to 60 s). */
async function registerStatus(id: string, want: string): Promise<string | undefined> {
  let status: string | undefined;
  for (let i = 0; i < 300 && status !== want; i++) {
    if (i > 0) await new Promise((r) => setTimeout(r, 200));
    const v = (await (
      await fetch(`${stack.fhirBase}/VerificationResult/${id}`)
    ).json()) as VerificationResult;
    status = v.extension?.[0]?.extension?.find((e) => e.url === 'status')?.valueCode;
  }
  return status;
}

describe('certificates bound to credentials', () => {
  it('a certified version in production gets the role scopes, its tokens name the certificate; enforcement suspends it (writes withheld, reads kept), recovery reinstates it', async () => {
    expect(careful).toBeDefined();
    const { system, certificateId } = careful!;
    await stack.gw.handle.app
      .get(CertificationService)
      .setEnvironment(system.id, 'production', 'certified, go-live approved', 'operator');
    const granted = await tokenFor(system, GP_SCOPES);
    expect(granted.status).toBe(200);
    expect(decodeJwt(granted.body['access_token'] as string)['certificate']).toBe(certificateId);

    await decisionFor(bus, complianceTopic, 'careful@1.0', 'Enforced');
    expect(await registerStatus(certificateId, 'suspended')).toBe('suspended');
    const writes = await tokenFor(system, GP_SCOPES);
    expect(writes.status).toBe(400);
    expect(writes.body['error']).toBe('invalid_scope');
    expect(writes.body['error_description']).toContain(
      `certificate ${certificateId} of product version careful@1.0 is suspended by compliance enforcement`,
    );
    const reads = await tokenFor(system, 'system/Patient.rs');
    expect(reads.status).toBe(200);

    await decisionFor(bus, complianceTopic, 'careful@1.0', 'Restored');
    expect(await registerStatus(certificateId, 'active')).toBe('active');
    expect((await tokenFor(system, GP_SCOPES)).status).toBe(200);
  });
});

const codeOf = async (p: Promise<unknown>) => {
  const code = await grpcCode(p);
  return code === 'OK' ? 0 : code;
};

describe('conformance sessions over gRPC', () => {
  it('a session started and finished without the scenarios fails them all; only the operator moves systems to production, where sessions are refused', async () => {
    const grpc = new GatewayGrpcClient(stack.gw.grpcAddress);
    try {
      const { system } = await supplier('grpc-gp', { honourRetryAfter: true, sendIfMatch: true });
      const token = await getToken(stack.gw, system, GP_SCOPES);
      const started = await grpc.certification.startSession(
        { retryAfterSeconds: 1 },
        grpc.as(token),
      );
      expect(started.testScriptIds).toHaveLength(4);
      const finished = await grpc.certification.finishSession(
        { sessionId: started.sessionId },
        grpc.as(token),
      );
      expect(finished.passed).toBe(false);
      expect(finished.certificateId).toBe('');
      expect(finished.results.map((r) => r.passed)).toEqual([false, false, false, false]);
      for (const r of finished.results) {
        expect(r.failedAssertions.length).toBeGreaterThan(0);
        expect(validateFhirResource(JSON.parse(r.testReportJson)).issues).toEqual([]);
      }
      expect(
        await codeOf(
          grpc.certification.finishSession({ sessionId: started.sessionId }, grpc.as(token)),
        ),
      ).toBe(9);

      const production = { systemId: system.id, environment: 2, reason: 'go-live approved' };
      expect(
        await codeOf(grpc.certification.setSystemEnvironment(production, grpc.as(token))),
      ).toBe(7);
      const operator = await registerClient(stack.gw, { scopes: ['trellis/admin'] });
      const admin = await getToken(stack.gw, operator, 'trellis/admin');
      expect(
        await codeOf(grpc.certification.setSystemEnvironment(production, grpc.as(admin))),
      ).toBe(0);
      expect(await codeOf(grpc.certification.startSession({}, grpc.as(token)))).toBe(9);
    } finally {
      grpc.close();
    }
  });
});

describe('the example supplier client (tools/conformance/example-client.ts)', () => {
  it('takes a sandbox system from its key pair to a verified certificate', async () => {
    const products = stack.gw.handle.app.get(ProductsService);
    await products.registerProduct(
      { id: 'example', supplier: 'Example Ltd', name: 'Example GP', role: 'gp_system' },
      BOOTSTRAP_CALLER,
    );
    await products.registerVersion('example', '2.0', BOOTSTRAP_CALLER);
    // the supplier's own key pair: the public half registered, the private half its secret
    const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
    const kid = 'example-key-1';
    const clientId = `example-${randomUUID().slice(0, 8)}`;
    await stack.gw.handle.app.get(SystemsService).register(
      {
        clientId,
        name: 'Example GP',
        supplier: 'Example Ltd',
        odsCode: 'A81001',
        region: 'north-east',
        keys: {
          jwksJson: JSON.stringify({
            keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' }],
          }),
        },
        allowedScopes: GP_SCOPES.split(' '),
        productVersionId: 'example@2.0',
      },
      BOOTSTRAP_CALLER,
    );
    const dir = mkdtempSync(join(tmpdir(), 'example-client-'));
    try {
      const keyFile = join(dir, 'private.jwk.json');
      writeFileSync(
        keyFile,
        JSON.stringify({ ...(await exportJWK(privateKey)), kid, alg: 'ES384' }),
        { mode: 0o600 },
      );
      // a result the practice requested, for the acknowledge scenario (another 999 patient)
      const { token: gpToken } = await stack.token(['system/Patient.cruds'], 'A81001');
      const registered = await fetch(`${stack.fhirBase}/Patient`, {
        method: 'POST',
        headers: { authorization: `Bearer ${gpToken}`, 'content-type': 'application/fhir+json' },
        body: JSON.stringify({
          resourceType: 'Patient',
          name: [{ family: faker.person.lastName(), given: [faker.person.firstName()] }],
          gender: 'male',
          birthDate: '1961-04-12',
        }),
      });
      const nhs = ((await registered.json()) as { id: string }).id;
      const reportId = await postReport(nhs);
      const { stdout } = await promisify(execFile)(
        process.execPath,
        ['-r', '@swc-node/register', 'tools/conformance/example-client.ts'],
        {
          cwd: join(__dirname, '../../..'),
          env: {
            ...process.env,
            GATEWAY_URL: stack.gw.baseUrl,
            CLIENT_ID: clientId,
            PRIVATE_JWK_FILE: keyFile,
            REPORT_ID: reportId,
          },
        },
      );
      for (const id of [
        'register-patient',
        'update-if-match',
        'read-everything',
        'acknowledge-result',
      ])
        expect(stdout).toContain(`PASS TestScript/gp-system-${id}`);
      expect(stdout).toMatch(/certificate [0-9a-f-]{36}: example@2\.0 gp-system until /);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('conformance kit (lab-lims)', () => {
  it('a lab that retries a lost post with the same identifier and amends with If-Match is certified, with one report', async () => {
    const { token: gpToken } = await stack.token(['system/Patient.cruds'], 'A81001');
    const registered = await fetch(`${stack.fhirBase}/Patient`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gpToken}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({
        resourceType: 'Patient',
        name: [{ family: faker.person.lastName(), given: [faker.person.firstName()] }],
        gender: 'female',
        birthDate: '1975-09-30',
      }),
    });
    const nhs = ((await registered.json()) as { id: string }).id;
    const { client } = await supplier(
      'steady-lims',
      { honourRetryAfter: true, sendIfMatch: true },
      'lab-lims',
    );
    const started = await client.startSession(1, 'lab-lims');
    expect(started.status).toBe(201);
    const session = started.body.parameter!.find((p) => p.name === 'session')!.valueId!;
    const report = abnormalReport(nhs);
    const id = await client.postAndAmendReport(report);
    expect(await client.readReport(id)).toBe(200);
    // the dropped answer's report and the retry's are one: the patient has one report (searched
    // within the session: a sandbox system reaches the platforms only there, issue 18)
    const search = await client.call<Bundle>(null, 'GET', `/DiagnosticReport?patient=${nhs}`);
    expect(search.status).toBe(200);
    expect(search.body.entry?.map((e) => e.resource?.id)).toEqual([id]);
    const finished = await client.finishSession(session);
    const reports = reportsOf(finished.body);
    expect(reports.map((r) => r.testScript.reference).sort()).toEqual([
      'TestScript/lab-lims-post-amend-report',
      'TestScript/lab-lims-read-report',
    ]);
    expect(failedAssertions(reports)).toEqual([]);
    for (const e of finished.body.entry ?? [])
      expect(validateFhirResource(e.resource).issues).toEqual([]);
    expect(
      finished.body.entry?.some((e) => e.resource?.resourceType === 'VerificationResult'),
    ).toBe(true);
    // the session closed, the lab (in the sandbox until its region approves it live) is refused
    expect((await client.call(null, 'GET', `/DiagnosticReport/${id}`)).status).toBe(403);
  });
});

describe('conformance kit (hospital-epr)', () => {
  it('an EPR that books with an idempotency key and retries a lost answer with the same key is certified, with one booking', async () => {
    const { client } = await supplier(
      'steady-epr',
      { honourRetryAfter: true, sendIfMatch: true },
      'hospital-epr',
    );
    const started = await client.startSession(1);
    expect(started.status).toBe(201);
    const session = started.body.parameter!.find((p) => p.name === 'session')!.valueId!;
    const nhs = await client.registerPatient();
    expect(await client.updatePatient(nhs)).toBe(200);
    expect(await client.readEverything(nhs)).toBe(200);
    // the hospital's own clinic and a free slot tomorrow (not judged by any scenario)
    const schedule = await client.call<{ id: string }>(null, 'POST', '/Schedule', {
      resourceType: 'Schedule',
      actor: [
        {
          type: 'Organization',
          identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RR8' },
        },
      ],
      serviceType: [{ coding: [{ code: 'cardiology-clinic' }], text: 'cardiology-clinic' }],
      comment: `${faker.person.lastName()} clinic`,
    });
    expect(schedule.status).toBe(201);
    const start = new Date(Date.now() + 86_400_000);
    start.setUTCHours(10, 0, 0, 0);
    const slot = await client.call<{ id: string }>(null, 'POST', '/Slot', {
      resourceType: 'Slot',
      schedule: { reference: `Schedule/${schedule.body.id}` },
      status: 'free',
      start: start.toISOString(),
      end: new Date(start.getTime() + 15 * 60_000).toISOString(),
    });
    expect(slot.status).toBe(201);
    const appointment = await client.book(slot.body.id, nhs);
    expect(appointment).toBeDefined();
    const finished = await client.finishSession(session);
    const reports = reportsOf(finished.body);
    expect(reports).toHaveLength(4);
    expect(failedAssertions(reports)).toEqual([]);
    for (const e of finished.body.entry ?? [])
      expect(validateFhirResource(e.resource).issues).toEqual([]);
    expect(
      finished.body.entry?.some((e) => e.resource?.resourceType === 'VerificationResult'),
    ).toBe(true);
  });
});
