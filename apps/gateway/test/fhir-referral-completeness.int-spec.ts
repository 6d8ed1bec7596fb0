import { faker } from '@faker-js/faker/locale/en_GB';
import type {
  Binary,
  Bundle,
  CapabilityStatement,
  Extension,
  OperationOutcome,
  Patient,
  Resource,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { events } from '@trellis/contracts';
import {
  REFERRAL_ATTACHMENT_EXTENSION,
  REFERRAL_CONVERTED_TO_EXTENSION,
  REFERRAL_STATUS_REASON_EXTENSION,
  RTT_CLOCK_EXTENSION,
  rulesOf,
  validateFhirResource,
} from '@trellis/fhir';
import { Client } from 'fhir-kit-client';

import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { collect, startFhirStack, type FhirStack } from './fhir.harness';
import { waitFor } from './support/harness';
import { asBody, expectValid } from './support/fhir-assertions';

jest.setTimeout(600_000); // platforms boot in beforeAll: minutes on a saturated machine

const REQUEST_ID = 'https://fhir.trellis.nhs.uk/Id/referral-request';
const fixture = JSON.parse(
  readFileSync(join(__dirname, 'fixtures/ok/service-request.json'), 'utf8'),
) as ServiceRequest;

let stack: FhirStack;
let gpToken: string; // referrer A81001
let hospitalToken: string; // target RR8
let strangerToken: string; // B82002: not involved
let gp: Client;

beforeAll(async () => {
  stack = await startFhirStack({}, { referrals: true });
  ({ token: gpToken } = await stack.token(
    ['system/Patient.cruds', 'system/ServiceRequest.crus'],
    'A81001',
  ));
  ({ token: hospitalToken } = await stack.token(
    ['system/ServiceRequest.rus', 'system/Patient.r'],
    'RR8',
  ));
  ({ token: strangerToken } = await stack.token(['system/ServiceRequest.crus'], 'B82002'));
  gp = new Client({ baseUrl: stack.fhirBase, bearerToken: gpToken });
});

afterAll(async () => {
  await stack?.stop();
});

async function referralBody(): Promise<ServiceRequest> {
  const p = (await gp.create({
    resourceType: 'Patient',
    body: asBody({
      resourceType: 'Patient',
      name: [{ family: faker.person.lastName(), given: [faker.person.firstName()] }],
      gender: 'male',
      birthDate: faker.date.birthdate({ min: 20, max: 90, mode: 'age' }).toISOString().slice(0, 10),
    }),
  })) as unknown as Patient;
  const body = JSON.parse(JSON.stringify(fixture)) as ServiceRequest;
  body.subject = { reference: `Patient/${p.id!}` };
  body.identifier = [{ system: REQUEST_ID, value: `ref-${faker.string.alphanumeric(12)}` }];
  return body;
}

async function send(): Promise<ServiceRequest> {
  const s = (await gp.create({
    resourceType: 'ServiceRequest',
    body: asBody(await referralBody()),
  })) as unknown as ServiceRequest;
  expectValid(s);
  return s;
}

async function http(
  method: string,
  path: string,
  token: string,
  body?: unknown,
): Promise<{ status: number; headers: Headers; body: Resource }> {
  const res = await fetch(`${stack.fhirBase}/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const parsed = (await res.json()) as Resource;
  expectValid(parsed);
  return { status: res.status, headers: res.headers, body: parsed };
}

const params = (name?: string, value?: string) => ({
  resourceType: 'Parameters',
  parameter: name ? [{ name, valueString: value }] : [],
});
const op = (id: string, name: string, token: string, p = params()) =>
  http('POST', `ServiceRequest/${id}/$${name}`, token, p);
const refusal = (r: { status: number; body: Resource }) => {
  expect(r.body.resourceType).toBe('OperationOutcome');
  const o = r.body as OperationOutcome;
  return { status: r.status, rules: rulesOf(o), diagnostics: o.issue[0]?.diagnostics ?? '' };
};
const ext = (s: Resource, url: string) =>
  (s as ServiceRequest).extension?.find((e) => e.url === url);
const part = (e: Extension | undefined, url: string) => e?.extension?.find((x) => x.url === url);
/** The UTC date `days` after an instant's date. */
const dateAfter = (iso: string, days: number) => {
  const d = new Date(iso);
  return new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate() + days))
    .toISOString()
    .slice(0, 10);
};

describe('RTT clock on the ServiceRequest', () => {
  it('shows the running clock the platform computed (start, days waited, breach date) and stays a valid update body', async () => {
    const s = await send();
    const read = await http('GET', `ServiceRequest/${s.id!}`, hospitalToken);
    expect(read.status).toBe(200);
    const rtt = ext(read.body, RTT_CLOCK_EXTENSION);
    expect(part(rtt, 'start')?.valueDateTime).toBe(s.authoredOn);
    expect(part(rtt, 'status')?.valueCode).toBe('running');
    expect(part(rtt, 'daysWaited')?.valueInteger).toBe(0);
    expect(part(rtt, 'breachDate')?.valueDate).toBe(dateAfter(s.authoredOn!, 127));
    expect(part(rtt, 'breached18Weeks')?.valueBoolean).toBe(false);
    expect(part(rtt, 'twoWeekWaitBreachDate')).toBeUndefined(); // routine
    expect(
      validateFhirResource(read.body, { resourceType: 'ServiceRequest', mode: 'update' }).valid,
    ).toBe(true);
  });
});

describe('ServiceRequest/$return → referrals ReturnReferral', () => {
  it('the provider returns a referral with a reason: revoked + returned tag + reason, clock stopped, searchable, audited; illegal again (422), referrer refused (403)', async () => {
    const s = await send();
    const nhs = s.subject!.identifier!.value!;
    const audit = await collect(stack.gw.auditTopic);
    try {
      expect(
        refusal(await op(s.id!, 'return', gpToken, params('reason', 'not mine'))),
      ).toMatchObject({ status: 403, rules: ['platform.not-target-organisation'] });
      expect((await op(s.id!, 'return', hospitalToken)).status).toBe(400);

      const back = await op(
        s.id!,
        'return',
        hospitalToken,
        params('reason', 'manage in primary care'),
      );
      expect(back.status).toBe(200);
      const r = back.body as ServiceRequest;
      expect(r.status).toBe('revoked');
      expect(r.meta?.tag?.[0]?.code).toBe('returned');
      expect(ext(r, REFERRAL_STATUS_REASON_EXTENSION)?.valueString).toBe('manage in primary care');
      const rtt = ext(r, RTT_CLOCK_EXTENSION);
      expect(part(rtt, 'status')?.valueCode).toBe('stopped');
      expect(part(rtt, 'stopReason')?.valueCode).toBe('referral-closed');

      const seen = await http('GET', `ServiceRequest/${s.id!}`, gpToken);
      expect((seen.body as ServiceRequest).meta?.tag?.[0]?.code).toBe('returned');
      const search = await http(
        'GET',
        `ServiceRequest?requester=A81001&status=returned&patient=${nhs}`,
        gpToken,
      );
      expect(
        ((search.body as Bundle).entry ?? []).map((e) => (e.resource as ServiceRequest).id),
      ).toEqual([s.id]);

      const again = refusal(await op(s.id!, 'return', hospitalToken, params('reason', 'again')));
      expect(again).toMatchObject({ status: 422, rules: ['platform.illegal-transition'] });
      expect(again.diagnostics).toContain("is 'returned': cannot return");

      const recorded = await waitFor(() => {
        const found = audit.messages
          .map((m) => events.v1.AccessRecorded.decode(m.value!))
          .filter(
            (e) =>
              e.sourceService === 'gateway' &&
              e.resourceId === s.id &&
              e.interaction === 'POST /fhir/ServiceRequest/:id/$return',
          );
        return found.some((e) => e.outcome === '0') ? found : undefined;
      }, 60_000);
      expect(recorded.find((e) => e.outcome === '0')).toMatchObject({
        patientNhsNumber: nhs,
        odsCode: 'RR8',
      });
    } finally {
      await audit.stop();
    }
  });
});

describe('ServiceRequest/$convert → referrals ConvertAdviceToReferral', () => {
  it('turns an advice-and-guidance request into a new referral (201, basedOn, its own clock), once; not a request without advice (422)', async () => {
    const s = await send();
    const early = refusal(await op(s.id!, 'convert', gpToken));
    expect(early).toMatchObject({ status: 422, rules: ['platform.illegal-transition'] });
    expect(early.diagnostics).toContain("is 'sent'");

    const advised = await op(s.id!, 'advise', hospitalToken, params('advice', 'start a statin'));
    expect((advised.body as ServiceRequest).status).toBe('on-hold');
    // the provider's token has no .c: converting is the referrer's
    expect((await op(s.id!, 'convert', hospitalToken)).status).toBe(403);

    const made = await op(s.id!, 'convert', gpToken, params('note', 'no better on a statin'));
    expect(made.status).toBe(201);
    const referral = made.body as ServiceRequest;
    expect(made.headers.get('location')).toMatch(new RegExp(`/ServiceRequest/${referral.id!}$`));
    expect(referral).toMatchObject({
      status: 'active',
      basedOn: [{ reference: `ServiceRequest/${s.id!}` }],
      subject: s.subject,
    });
    expect(referral.id).not.toBe(s.id);
    expect(referral.note?.[0]?.text).toContain('no better on a statin');
    expect(part(ext(referral, RTT_CLOCK_EXTENSION), 'status')?.valueCode).toBe('running');

    const original = (await http('GET', `ServiceRequest/${s.id!}`, gpToken)).body;
    expect(ext(original, REFERRAL_CONVERTED_TO_EXTENSION)?.valueReference?.reference).toBe(
      `ServiceRequest/${referral.id!}`,
    );
    expect(ext(original, REFERRAL_STATUS_REASON_EXTENSION)?.valueString).toBe('start a statin');
    expect(refusal(await op(s.id!, 'convert', gpToken))).toMatchObject({
      status: 422,
      rules: ['platform.already-converted'],
    });
  });

  it('advertises $return and $convert with their OperationDefinitions, and documents the extensions', async () => {
    const cs = (await (await fetch(`${stack.fhirBase}/metadata`)).json()) as CapabilityStatement;
    const sr = cs.rest![0]!.resource!.find((r) => r.type === 'ServiceRequest')!;
    expect(sr.documentation).toContain(RTT_CLOCK_EXTENSION);
    const openapi = (await (await fetch(`${stack.fhirBase}/openapi.json`)).json()) as {
      components: { schemas: Record<string, { description?: string }> };
    };
    expect(openapi.components.schemas['ServiceRequest']?.description).toContain('breachDate');
    const ops = new Map((sr.operation ?? []).map((o) => [o.name, o.definition]));
    for (const name of ['return', 'convert']) {
      const def = ops.get(name);
      expect(def).toBeDefined();
      const id = def!.split('/').pop()!;
      const od = await http('GET', `OperationDefinition/${id}`, gpToken);
      expect(od.status).toBe(200);
    }
  });
});

describe('supportingInfo → stored attachments, downloadable as Binary', () => {
  const withAttachment = async (data: Buffer, sha256?: string): Promise<ServiceRequest> => ({
    ...(await referralBody()),
    contained: [
      {
        resourceType: 'Binary',
        id: 'a1',
        contentType: 'application/pdf',
        data: data.toString('base64'),
      },
    ],
    supportingInfo: [
      {
        reference: '#a1',
        display: 'ECG',
        ...(sha256
          ? {
              extension: [
                {
                  url: REFERRAL_ATTACHMENT_EXTENSION,
                  extension: [{ url: 'sha256', valueString: sha256 }],
                },
              ],
            }
          : {}),
      },
    ],
  });

  it("keeps supportingInfo with size and SHA-256, serves the Binary to the referral's readers only, audited", async () => {
    const data = randomBytes(200 * 1024);
    const sha256 = createHash('sha256').update(data).digest('hex');
    const created = await http(
      'POST',
      'ServiceRequest',
      gpToken,
      await withAttachment(data, sha256),
    );
    expect(created.status).toBe(201);
    const s = created.body as ServiceRequest;
    expect(s.contained).toBeUndefined();
    const info = s.supportingInfo ?? [];
    expect(info).toHaveLength(1);
    expect(info[0]).toMatchObject({ type: 'Binary', display: 'ECG' });
    const meta = part(info[0]?.extension?.[0], 'sha256');
    expect(meta?.valueString).toBe(sha256);
    expect(part(info[0]?.extension?.[0], 'size')?.valueInteger).toBe(data.length);
    const binaryPath = info[0]!.reference!;
    expect(binaryPath).toMatch(/^Binary\//);

    const audit = await collect(stack.gw.auditTopic);
    try {
      for (const token of [hospitalToken, gpToken]) {
        const res = await fetch(`${stack.fhirBase}/${binaryPath}`, {
          headers: { authorization: `Bearer ${token}` },
        });
        expect(res.status).toBe(200);
        expect(res.headers.get('digest')).toBe(
          `sha-256=${Buffer.from(sha256, 'hex').toString('base64')}`,
        );
        const b = (await res.json()) as Binary;
        expectValid(b);
        expect(b).toMatchObject({
          resourceType: 'Binary',
          contentType: 'application/pdf',
          securityContext: { reference: `ServiceRequest/${s.id!}` },
        });
        expect(Buffer.from(b.data!, 'base64').equals(data)).toBe(true);
      }
      expect((await http('GET', binaryPath, strangerToken)).status).toBe(404);
      const nhs = s.subject!.identifier!.value!;
      const recorded = await waitFor(() => {
        const found = audit.messages
          .map((m) => events.v1.AccessRecorded.decode(m.value!))
          .filter((e) => e.sourceService === 'gateway' && e.interaction === 'GET /fhir/Binary/:id');
        const ok = found.filter((e) => e.outcome === '0' && e.resourceId === s.id);
        return ok.length >= 2 ? ok : undefined;
      }, 60_000);
      expect(recorded.map((e) => [e.patientNhsNumber, e.odsCode]).sort()).toEqual(
        [
          [nhs, 'A81001'],
          [nhs, 'RR8'],
        ].sort(),
      );
    } finally {
      await audit.stop();
    }
  });

  it("takes a full-size attachment (the platform's 1 MiB: its base64 body is over the global 1 MiB limit) and downloads it intact", async () => {
    const data = randomBytes(1024 * 1024);
    const body = await withAttachment(data);
    expect(JSON.stringify(body).length).toBeGreaterThan(1024 * 1024); // the global limit would 413
    const created = await http('POST', 'ServiceRequest', gpToken, body);
    expect(created.status).toBe(201);
    const info = (created.body as ServiceRequest).supportingInfo ?? [];
    expect(part(info[0]?.extension?.[0], 'size')?.valueInteger).toBe(data.length);
    const res = await fetch(`${stack.fhirBase}/${info[0]!.reference!}`, {
      headers: { authorization: `Bearer ${hospitalToken}` },
    });
    expect(res.status).toBe(200);
    const b = (await res.json()) as Binary;
    expect(Buffer.from(b.data!, 'base64').equals(data)).toBe(true);
    // every other route keeps the small global limit
    const bigPatient = {
      resourceType: 'Patient',
      name: [{ family: 'x'.repeat(1024 * 1024 + 16) }],
    };
    expect(refusal(await http('POST', 'Patient', gpToken, bigPatient))).toMatchObject({
      status: 413,
      rules: ['http.payload-too-large'],
    });
  });

  it('refuses an attachment over the limit (413, nothing stored), a wrong SHA-256 (400) and a dangling supportingInfo (422)', async () => {
    const body = await withAttachment(randomBytes(1024 * 1024 + 1));
    const big = refusal(await http('POST', 'ServiceRequest', gpToken, body));
    expect(big).toMatchObject({ status: 413, rules: ['referral.attachment-too-large'] });
    expect(big.diagnostics).toContain('1048577 bytes; the attachment limit is 1048576 bytes');
    // nothing was stored: the same request id is still free (a stored one would be a replay or 409)
    const small = await withAttachment(randomBytes(16));
    const retry = await http('POST', 'ServiceRequest', gpToken, {
      ...small,
      subject: body.subject,
      identifier: body.identifier,
    });
    expect(retry.status).toBe(201);
    expect((retry.body as ServiceRequest).supportingInfo?.[0]?.extension?.[0]).toBeDefined();
    // far past the route's own body limit: refused by size before parsing
    const huge = await withAttachment(randomBytes(3 * 1024 * 1024));
    expect(refusal(await http('POST', 'ServiceRequest', gpToken, huge))).toMatchObject({
      status: 413,
      rules: ['http.payload-too-large'],
    });
    const wrong = await http(
      'POST',
      'ServiceRequest',
      gpToken,
      await withAttachment(randomBytes(64), 'a'.repeat(64)),
    );
    expect(wrong.status).toBe(400);
    const dangling = { ...(await referralBody()), supportingInfo: [{ reference: '#missing' }] };
    expect(refusal(await http('POST', 'ServiceRequest', gpToken, dangling))).toMatchObject({
      status: 422,
      rules: ['service-request.supporting-info'],
    });
  });
});
