import { faker } from '@faker-js/faker/locale/en_GB';
import type {
  Bundle,
  CapabilityStatement,
  OperationOutcome,
  Patient,
  Resource,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { events } from '@trellis/contracts';
import { rulesOf, validateFhirResource } from '@trellis/fhir';
import { Client } from 'fhir-kit-client';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { collect, startFhirStack, type FhirStack } from './fhir.harness';
import { waitFor } from './support/harness';
import { asBody, expectValid } from './support/fhir-assertions';

jest.setTimeout(180_000);

const REQUEST_ID = 'https://fhir.trellis.nhs.uk/Id/referral-request';
const clone = <T>(x: T): T => JSON.parse(JSON.stringify(x)) as T;

/** A ServiceRequest read back must be a valid update body as it stands (read → modify → PUT). */
function expectUpdatable(s: ServiceRequest): void {
  expect(validateFhirResource(s, { resourceType: 'ServiceRequest', mode: 'update' })).toEqual({
    valid: true,
    status: 200,
    issues: [],
  });
}

let stack: FhirStack;
let gpToken: string; // referrer A81001: create, read, update, search
let hospitalToken: string; // target RR8
let strangerToken: string; // B82002: not involved
let readOnlyToken: string; // A81001 without .u
let gp: Client;
let hospital: Client;
const fixture = JSON.parse(
  readFileSync(join(__dirname, 'fixtures/ok/service-request.json'), 'utf8'),
) as ServiceRequest;

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
  ({ token: strangerToken } = await stack.token(
    ['system/ServiceRequest.crus', 'system/Patient.r'],
    'B82002',
  ));
  ({ token: readOnlyToken } = await stack.token(['system/ServiceRequest.rs'], 'A81001'));
  gp = new Client({ baseUrl: stack.fhirBase, bearerToken: gpToken });
  hospital = new Client({ baseUrl: stack.fhirBase, bearerToken: hospitalToken });
});

afterAll(async () => {
  await stack?.stop();
});

async function newPatient(): Promise<string> {
  const p = (await gp.create({
    resourceType: 'Patient',
    body: asBody({
      resourceType: 'Patient',
      name: [{ family: faker.person.lastName(), given: [faker.person.firstName()] }],
      gender: 'female',
      birthDate: faker.date.birthdate({ min: 20, max: 90, mode: 'age' }).toISOString().slice(0, 10),
    }),
  })) as unknown as Patient;
  return p.id!;
}

function referralBody(nhs: string, requestId = `ref-${faker.string.alphanumeric(12)}`) {
  const body = clone(fixture);
  body.subject = { reference: `Patient/${nhs}` };
  body.identifier = [{ system: REQUEST_ID, value: requestId }];
  return body;
}

async function send(nhs?: string): Promise<ServiceRequest> {
  const s = (await gp.create({
    resourceType: 'ServiceRequest',
    body: asBody(referralBody(nhs ?? (await newPatient()))),
  })) as unknown as ServiceRequest;
  expectValid(s);
  return s;
}

/** Raw HTTP (status, headers and the OperationOutcome / resource), for the refusals. */
async function http(
  method: string,
  path: string,
  token: string,
  body?: unknown,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: Resource }> {
  const res = await fetch(`${stack.fhirBase}/${path}`, {
    method,
    headers: {
      authorization: `Bearer ${token}`,
      ...(body !== undefined ? { 'content-type': 'application/fhir+json' } : {}),
      ...headers,
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const parsed = (await res.json()) as Resource;
  expectValid(parsed);
  return { status: res.status, headers: res.headers, body: parsed };
}

const outcome = (r: { status: number; body: Resource }) => {
  expect(r.body.resourceType).toBe('OperationOutcome');
  const o = r.body as OperationOutcome;
  return {
    status: r.status,
    rules: rulesOf(o),
    expressions: o.issue.flatMap((i) => i.expression ?? []),
  };
};

describe('ServiceRequest update (PUT + If-Match) → referrals UpdateReferral', () => {
  it('the referrer changes priority, reason and note at the version it read; ETag, version and history follow', async () => {
    const sent = await send();
    const read = (await gp.read({
      resourceType: 'ServiceRequest',
      id: sent.id!,
    })) as unknown as ServiceRequest;
    expectValid(read);
    expectUpdatable(read);
    expect(read.identifier).toEqual(sent.identifier);
    expect(read.performer?.[0]?.extension?.[0]?.valueCode).toBe('yorkshire');

    const changed = clone(read);
    changed.priority = 'urgent';
    changed.code = {
      coding: [{ system: 'http://snomed.info/sct', code: '230690007', display: 'Stroke' }],
    };
    changed.note = [{ text: 'Now also breathless at rest.' }];
    const updated = (await gp.update({
      resourceType: 'ServiceRequest',
      id: read.id!,
      body: asBody(changed),
      options: { headers: { 'If-Match': `W/"${read.meta!.versionId}"` } },
    })) as unknown as ServiceRequest;
    expectValid(updated);
    expect(updated).toMatchObject({
      id: read.id,
      meta: { versionId: String(Number(read.meta!.versionId) + 1) },
      priority: 'urgent',
      code: { coding: [{ code: '230690007' }] },
      note: [{ text: 'Now also breathless at rest.' }],
      subject: read.subject,
      requester: read.requester,
      performer: read.performer,
      identifier: read.identifier,
    });

    // the provider sees the change (and the ETag) on its next read
    const res = await http('GET', `ServiceRequest/${read.id}`, hospitalToken);
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe(`W/"${updated.meta!.versionId}"`);
    expect((res.body as ServiceRequest).priority).toBe('urgent');

    // the same body again changes nothing: 200, same version
    const again = await http('PUT', `ServiceRequest/${read.id}`, gpToken, updated, {
      'If-Match': `W/"${updated.meta!.versionId}"`,
    });
    expect(again.status).toBe(200);
    expect((again.body as ServiceRequest).meta?.versionId).toBe(updated.meta!.versionId);
  });

  it('refuses stale, missing and malformed If-Match (412 / 428 / 400)', async () => {
    const s = await send();
    const body = { ...clone(s), priority: 'urgent' as const };
    const stale = await http('PUT', `ServiceRequest/${s.id}`, gpToken, body, {
      'If-Match': `W/"${Number(s.meta!.versionId) + 5}"`,
    });
    expect(outcome(stale)).toMatchObject({ status: 412, rules: ['http.precondition-failed'] });
    expect(stale.headers.get('etag')).toBe(`W/"${s.meta!.versionId}"`);
    // a concurrent change makes the first writer's version stale
    const ok = await http('PUT', `ServiceRequest/${s.id}`, gpToken, body, {
      'If-Match': `W/"${s.meta!.versionId}"`,
    });
    expect(ok.status).toBe(200);
    const lost = await http(
      'PUT',
      `ServiceRequest/${s.id}`,
      gpToken,
      { ...body, priority: 'routine' },
      { 'If-Match': `W/"${s.meta!.versionId}"` },
    );
    expect(outcome(lost)).toMatchObject({ status: 412, rules: ['http.precondition-failed'] });
    expect(outcome(await http('PUT', `ServiceRequest/${s.id}`, gpToken, body))).toMatchObject({
      status: 428,
      rules: ['http.if-match-required'],
    });
    expect(
      outcome(await http('PUT', `ServiceRequest/${s.id}`, gpToken, body, { 'If-Match': 'v1' })),
    ).toMatchObject({ status: 400, rules: ['http.if-match'] });
  });

  it('refuses changes to immutable elements with 422 naming each element, invalid bodies at the chokepoint, and a body id other than the URL', async () => {
    const s = await send();
    const ifMatch = { 'If-Match': `W/"${s.meta!.versionId}"` };
    const other = await newPatient();
    const moved = clone(s);
    moved.subject = { reference: `Patient/${other}` };
    moved.performer = [
      {
        type: 'Organization',
        identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RX1' },
        extension: [
          { url: 'https://fhir.trellis.nhs.uk/StructureDefinition/region', valueCode: 'london' },
        ],
      },
    ];
    moved.identifier = [{ system: REQUEST_ID, value: 'another-request-id' }];
    moved.requester = {
      identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'B82002' },
    };
    moved.category = [{ coding: [{ code: 'dermatology' }] }];
    expect(outcome(await http('PUT', `ServiceRequest/${s.id}`, gpToken, moved, ifMatch))).toEqual({
      status: 422,
      rules: Array(5).fill('service-request.immutable'),
      expressions: [
        'ServiceRequest.subject',
        'ServiceRequest.requester',
        'ServiceRequest.performer[0]',
        'ServiceRequest.category[0]',
        'ServiceRequest.identifier',
      ],
    });
    const closed = { ...clone(s), status: 'completed' as const };
    expect(outcome(await http('PUT', `ServiceRequest/${s.id}`, gpToken, closed, ifMatch))).toEqual({
      status: 422,
      rules: ['service-request.immutable'],
      expressions: ['ServiceRequest.status'],
    });
    // the requester may be given as the practitioner it was sent with, but not another one
    const byGmc = clone(s);
    byGmc.requester = {
      identifier: { system: 'https://fhir.nhs.uk/Id/sds-user-id', value: 'G0000001' },
    };
    expect(
      outcome(await http('PUT', `ServiceRequest/${s.id}`, gpToken, byGmc, ifMatch)).expressions,
    ).toEqual(['ServiceRequest.requester']);
    const asSent = { ...clone(s), requester: fixture.requester, priority: 'asap' as const };
    const okPractitioner = await http('PUT', `ServiceRequest/${s.id}`, gpToken, asSent, ifMatch);
    expect(okPractitioner.status).toBe(200);
    expect((okPractitioner.body as ServiceRequest).priority).toBe('asap');
    const next = { 'If-Match': `W/"${(okPractitioner.body as ServiceRequest).meta!.versionId}"` };

    // Trellis rules at the chokepoint: a bad SNOMED CT concept id, an unknown priority
    const bad = clone(okPractitioner.body as ServiceRequest);
    bad.code = { coding: [{ system: 'http://snomed.info/sct', code: '29857008' }] };
    expect(outcome(await http('PUT', `ServiceRequest/${s.id}`, gpToken, bad, next))).toEqual({
      status: 422,
      rules: ['terminology.snomed.format'],
      expressions: ['ServiceRequest.code.coding[0].code'],
    });
    const stat = { ...clone(okPractitioner.body as ServiceRequest), priority: 'stat' as const };
    expect(outcome(await http('PUT', `ServiceRequest/${s.id}`, gpToken, stat, next))).toMatchObject(
      { status: 422, rules: ['service-request.priority'] },
    );
    // FHIR structure
    const broken = { ...clone(okPractitioner.body as ServiceRequest), priority: 7 };
    expect(outcome(await http('PUT', `ServiceRequest/${s.id}`, gpToken, broken, next)).status).toBe(
      400,
    );
    const wrongId = { ...clone(okPractitioner.body as ServiceRequest), id: 'someone-else' };
    expect(
      outcome(await http('PUT', `ServiceRequest/${s.id}`, gpToken, wrongId, next)),
    ).toMatchObject({
      status: 400,
      rules: ['fhir.id-mismatch'],
      expressions: ['ServiceRequest.id'],
    });
  });

  it('lets only the referrer update: the provider is refused (403), another organisation cannot see it (404), no .u scope is 403', async () => {
    const s = await send();
    const body = { ...clone(s), priority: 'urgent' as const };
    const ifMatch = { 'If-Match': `W/"${s.meta!.versionId}"` };
    expect(
      outcome(await http('PUT', `ServiceRequest/${s.id}`, hospitalToken, body, ifMatch)),
    ).toMatchObject({ status: 403, rules: ['platform.not-referring-organisation'] });
    expect(
      outcome(await http('PUT', `ServiceRequest/${s.id}`, strangerToken, body, ifMatch)),
    ).toMatchObject({ status: 404 });
    expect(
      outcome(await http('PUT', `ServiceRequest/${s.id}`, readOnlyToken, body, ifMatch)).status,
    ).toBe(403);
    const unknown = { ...body, id: '00000000-0000-4000-8000-000000000000' };
    expect(
      outcome(await http('PUT', `ServiceRequest/${unknown.id}`, gpToken, unknown, ifMatch)).status,
    ).toBe(404);
    const unchanged = await http('GET', `ServiceRequest/${s.id}`, gpToken);
    expect((unchanged.body as ServiceRequest).meta?.versionId).toBe(s.meta!.versionId);
  });

  it('refuses to update a referral that is no longer open (409): rejected by the provider, cancelled by the referrer', async () => {
    // (booked → 409 and the return to accepted when the appointment is cancelled are proved in
    // apps/referrals with real Kafka: this stack runs the referrals platform without its inbox)
    const rejectedOne = await send();
    const rejected = (await hospital.operation({
      resourceType: 'ServiceRequest',
      id: rejectedOne.id!,
      name: '$reject',
      input: asBody({
        resourceType: 'Parameters',
        parameter: [{ name: 'reason', valueString: 'refer to the community service' }],
      }),
    })) as unknown as ServiceRequest;
    expectValid(rejected);
    expect(rejected.status).toBe('revoked');
    expect(
      outcome(
        await http(
          'PUT',
          `ServiceRequest/${rejected.id}`,
          gpToken,
          { ...clone(rejected), priority: 'urgent' },
          { 'If-Match': `W/"${rejected.meta!.versionId}"` },
        ),
      ),
    ).toEqual({
      status: 409,
      rules: ['service-request.not-editable'],
      expressions: ['ServiceRequest.status'],
    });

    const s = await send();
    const accepted = (await hospital.operation({
      resourceType: 'ServiceRequest',
      id: s.id!,
      name: '$accept',
      input: asBody({ resourceType: 'Parameters', parameter: [] }),
    })) as unknown as ServiceRequest;
    // accepted (not yet booked) is still editable by the referrer
    const ok = await http(
      'PUT',
      `ServiceRequest/${s.id}`,
      gpToken,
      { ...clone(accepted), priority: 'urgent' },
      { 'If-Match': `W/"${accepted.meta!.versionId}"` },
    );
    expect(ok.status).toBe(200);
    expect(ok.body.meta?.tag?.[0]?.code).toBe('accepted');
    const cancelled = (await gp.operation({
      resourceType: 'ServiceRequest',
      id: s.id!,
      name: '$cancel',
      input: asBody({
        resourceType: 'Parameters',
        parameter: [{ name: 'reason', valueString: 'patient moved away' }],
      }),
    })) as unknown as ServiceRequest;
    expect(cancelled.status).toBe('revoked');
    const refused = await http(
      'PUT',
      `ServiceRequest/${s.id}`,
      gpToken,
      { ...clone(cancelled), priority: 'routine' },
      { 'If-Match': `W/"${cancelled.meta!.versionId}"` },
    );
    expect(outcome(refused)).toMatchObject({
      status: 409,
      rules: ['service-request.not-editable'],
    });
    expect((refused.body as OperationOutcome).issue[0]!.diagnostics).toContain("is 'cancelled'");
  });
});

describe('ServiceRequest vread and _history → referrals GetReferralVersion / ListReferralVersions', () => {
  it('keeps every version: history newest first (paged), vread of each, both organisations only', async () => {
    const s = await send();
    const v1 = s.meta!.versionId!;
    const u = await http(
      'PUT',
      `ServiceRequest/${s.id}`,
      gpToken,
      { ...clone(s), priority: 'urgent', note: [{ text: 'Second opinion requested.' }] },
      { 'If-Match': `W/"${v1}"` },
    );
    expect(u.status).toBe(200);
    const accepted = (await hospital.operation({
      resourceType: 'ServiceRequest',
      id: s.id!,
      name: '$accept',
      input: asBody({ resourceType: 'Parameters', parameter: [] }),
    })) as unknown as ServiceRequest;
    const versions = [1, 2, 3].map(String);
    expect(accepted.meta?.versionId).toBe('3');

    const history = (await gp.resourceHistory({
      resourceType: 'ServiceRequest',
      id: s.id!,
    })) as unknown as Bundle;
    expectValid(history);
    expect(history.type).toBe('history');
    expect(history.total).toBe(3);
    expect(history.entry!.map((e) => e.resource!.meta?.versionId)).toEqual([...versions].reverse());
    expect(history.entry!.map((e) => [e.request?.method, e.response?.etag])).toEqual([
      ['PUT', 'W/"3"'],
      ['PUT', 'W/"2"'],
      ['POST', 'W/"1"'],
    ]);
    expect(history.entry!.map((e) => (e.resource as ServiceRequest).priority)).toEqual([
      'urgent',
      'urgent',
      'routine',
    ]);
    expect(history.entry![0]!.resource!.meta?.tag?.[0]?.code).toBe('accepted');

    // one per page through next links (the provider may page it too)
    const paged = await http('GET', `ServiceRequest/${s.id}/_history?_count=1`, hospitalToken);
    let page = paged.body as Bundle;
    const seen: string[] = [];
    for (let n = 0; n < 10; n++) {
      expectValid(page);
      expect(page.entry?.length).toBe(1);
      seen.push(page.entry![0]!.resource!.meta!.versionId!);
      const next = page.link?.find((l) => l.relation === 'next');
      if (!next) break;
      page = (await hospital.nextPage({
        bundle: page as unknown as Parameters<Client['nextPage']>[0]['bundle'],
      })) as unknown as Bundle;
    }
    expect(seen).toEqual(['3', '2', '1']);

    // vread: each version as it was, with its ETag
    for (const v of versions) {
      const res = await http('GET', `ServiceRequest/${s.id}/_history/${v}`, hospitalToken);
      expect(res.status).toBe(200);
      expect(res.headers.get('etag')).toBe(`W/"${v}"`);
      expect(res.body.meta?.versionId).toBe(v);
    }
    const first = (await gp.vread({
      resourceType: 'ServiceRequest',
      id: s.id!,
      version: '1',
    })) as unknown as ServiceRequest;
    expectValid(first);
    expect(first).toMatchObject({ priority: 'routine', note: fixture.note, status: 'active' });
    expect(first.meta?.tag?.[0]?.code).toBe('sent');

    expect(outcome(await http('GET', `ServiceRequest/${s.id}/_history/9`, gpToken))).toMatchObject({
      status: 404,
      rules: ['platform.version-not-found'],
    });
    expect(outcome(await http('GET', `ServiceRequest/${s.id}/_history/x`, gpToken)).status).toBe(
      404,
    );
    // another organisation sees neither the versions nor that they exist
    expect(
      outcome(await http('GET', `ServiceRequest/${s.id}/_history/1`, strangerToken)).status,
    ).toBe(404);
    expect(
      outcome(await http('GET', `ServiceRequest/${s.id}/_history`, strangerToken)).status,
    ).toBe(404);
    const { token: noRead } = await stack.token(['system/ServiceRequest.s'], 'A81001');
    expect(outcome(await http('GET', `ServiceRequest/${s.id}/_history`, noRead)).status).toBe(403);
  });
});

describe('access audit of the new ServiceRequest interactions', () => {
  it('audits update, vread and history with the patient and the referral, and the refused update too', async () => {
    const s = await send();
    const nhs = s.subject!.identifier!.value!;
    const audit = await collect(stack.gw.auditTopic);
    try {
      const put = await http(
        'PUT',
        `ServiceRequest/${s.id}`,
        gpToken,
        { ...clone(s), priority: 'urgent' },
        { 'If-Match': `W/"${s.meta!.versionId}"` },
      );
      expect(put.status).toBe(200);
      expect((await http('GET', `ServiceRequest/${s.id}/_history/1`, hospitalToken)).status).toBe(
        200,
      );
      expect((await http('GET', `ServiceRequest/${s.id}/_history`, gpToken)).status).toBe(200);
      expect(
        (
          await http(
            'PUT',
            `ServiceRequest/${s.id}`,
            strangerToken,
            { ...clone(s), priority: 'urgent' },
            { 'If-Match': `W/"2"` },
          )
        ).status,
      ).toBe(404);
      const seen = await waitFor(() => {
        const found = audit.messages
          .map((m) => events.v1.AccessRecorded.decode(m.value!))
          .filter((e) => e.sourceService === 'gateway' && e.resourceId === s.id);
        return found.length >= 4 ? found : undefined;
      }, 20_000);
      expect(
        seen
          .filter((e) => e.outcome === '0')
          .map((e) => [e.interaction, e.patientNhsNumber, e.resourceType, e.odsCode]),
      ).toEqual(
        expect.arrayContaining([
          ['PUT /fhir/ServiceRequest/:id', nhs, 'ServiceRequest', 'A81001'],
          ['GET /fhir/ServiceRequest/:id/_history/:vid', nhs, 'ServiceRequest', 'RR8'],
          ['GET /fhir/ServiceRequest/:id/_history', nhs, 'ServiceRequest', 'A81001'],
        ]),
      );
      // the refused update by another organisation is audited, not as a success
      expect(seen.find((e) => e.odsCode === 'B82002')?.outcome).not.toBe('0');
    } finally {
      await audit.stop();
    }
  });
});

describe('ServiceRequest conditional create (If-None-Exist: identifier) → the idempotency key', () => {
  it('creates once, answers the existing referral with 200, and refuses a different request under the same identifier (412)', async () => {
    const nhs = await newPatient();
    const requestId = `cond-${faker.string.alphanumeric(10)}`;
    const body = referralBody(nhs, requestId);
    const ifNoneExist = { 'If-None-Exist': `identifier=${REQUEST_ID}|${requestId}` };
    const created = await http('POST', 'ServiceRequest', gpToken, body, ifNoneExist);
    expect(created.status).toBe(201);
    const id = created.body.id;
    const again = await http('POST', 'ServiceRequest', gpToken, body, ifNoneExist);
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(id);
    expect(again.headers.get('content-location')).toBe(
      `${stack.fhirBase}/ServiceRequest/${id}/_history/1`,
    );
    // fhir-kit-client's create with the header answers the same referral
    const viaClient = (await gp.create({
      resourceType: 'ServiceRequest',
      body: asBody(body),
      options: { headers: ifNoneExist },
    })) as unknown as ServiceRequest;
    expect(viaClient.id).toBe(id);

    const different = { ...clone(body), priority: 'urgent' as const };
    expect(
      outcome(await http('POST', 'ServiceRequest', gpToken, different, ifNoneExist)),
    ).toMatchObject({
      status: 412,
      rules: ['conditional-create.different-request'],
      expressions: ['ServiceRequest.identifier'],
    });
    // without the header the same clash is a plain 409
    expect(outcome(await http('POST', 'ServiceRequest', gpToken, different)).status).toBe(409);
    // criteria other than the request id, or naming another request id, are refused
    expect(
      outcome(
        await http('POST', 'ServiceRequest', gpToken, body, {
          'If-None-Exist': `identifier=https://example.org/ids|${requestId}`,
        }),
      ),
    ).toMatchObject({ status: 400, rules: ['conditional-create.criteria'] });
    expect(
      outcome(
        await http('POST', 'ServiceRequest', gpToken, body, {
          'If-None-Exist': `subject=Patient/${nhs}`,
        }),
      ),
    ).toMatchObject({ status: 400, rules: ['conditional-create.criteria'] });
    expect(
      outcome(
        await http('POST', 'ServiceRequest', gpToken, body, {
          'If-None-Exist': `identifier=${REQUEST_ID}|some-other-request`,
        }),
      ),
    ).toMatchObject({ status: 400, rules: ['conditional-create.identifier-mismatch'] });
    // the same request id from another organisation is that organisation's own request
    const theirs = await http('POST', 'ServiceRequest', strangerToken, body, ifNoneExist);
    expect(theirs.status).toBe(201);
    expect(theirs.body.id).not.toBe(id);
  });

  it('serialises concurrent identical conditional creates: one 201, the rest 200 with the same referral', async () => {
    const nhs = await newPatient();
    const requestId = `race-${faker.string.alphanumeric(10)}`;
    const body = referralBody(nhs, requestId);
    const results = await Promise.all(
      Array.from({ length: 12 }, () =>
        http('POST', 'ServiceRequest', gpToken, body, {
          'If-None-Exist': `identifier=${REQUEST_ID}|${requestId}`,
        }),
      ),
    );
    expect(results.map((r) => r.status).sort((a, b) => a - b)).toEqual([
      ...Array(11).fill(200),
      201,
    ]);
    expect(new Set(results.map((r) => r.body.id)).size).toBe(1);
    const sent = (await gp.search({
      resourceType: 'ServiceRequest',
      searchParams: { requester: 'A81001', _count: 50 },
    })) as unknown as Bundle;
    expectValid(sent);
    expect(
      (sent.entry ?? []).filter(
        (e) => (e.resource as ServiceRequest).identifier?.[0]?.value === requestId,
      ),
    ).toHaveLength(1);
  });

  it('advertises update, vread, history-instance and conditional create for ServiceRequest', async () => {
    const res = await fetch(`${stack.fhirBase}/metadata`);
    const cs = (await res.json()) as CapabilityStatement;
    expectValid(cs);
    const sr = cs.rest![0]!.resource!.find((r) => r.type === 'ServiceRequest')!;
    expect(sr.interaction!.map((i) => i.code)).toEqual(
      expect.arrayContaining(['read', 'vread', 'update', 'history-instance', 'create']),
    );
    expect(sr.conditionalCreate).toBe(true);
  });
});
