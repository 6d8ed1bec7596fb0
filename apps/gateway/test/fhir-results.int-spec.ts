import { faker } from '@faker-js/faker/locale/en_GB';
import type {
  Bundle,
  CapabilityStatement,
  DiagnosticReport,
  Extension,
  Observation,
  OperationOutcome,
  Patient,
} from '@medplum/fhirtypes';
import { rulesOf } from '@trellis/fhir';
import { Client } from 'fhir-kit-client';

import { randomUUID } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

import { startFhirStack, type FhirStack } from './fhir.harness';
import { asBody, asPage, expectValid, failure } from './support/fhir-assertions';

// DiagnosticReport / Observation over FHIR → the real results platform (gRPC, PostgreSQL):
// update (If-Match, amend/correct/append/cancel), _history, conditional create, paged search with
// filters, the requester/basedOn round trip and the DiagnosticReport not-ok table.

jest.setTimeout(180_000);

const LAB_ID = 'https://fhir.trellis.nhs.uk/Id/lab-report-id';
const REQUESTER = 'https://fhir.trellis.nhs.uk/StructureDefinition/report-requester';
const REASON = 'https://fhir.trellis.nhs.uk/StructureDefinition/version-reason';
const REGION = 'https://fhir.trellis.nhs.uk/StructureDefinition/region';
const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const GMC = 'https://fhir.hl7.org.uk/Id/gmc-number';
const V2_0074 = 'http://terminology.hl7.org/CodeSystem/v2-0074';

const issuesOf = (o: OperationOutcome) =>
  (o.issue ?? []).map((i) => `${i.details?.coding?.[0]?.code ?? ''}@${i.expression?.[0] ?? ''}`);

const ucum = (value: number, unit: string) => ({
  value,
  unit,
  system: 'http://unitsofmeasure.org',
  code: unit,
});

interface ReportOpts {
  status?: DiagnosticReport['status'];
  haemoglobin?: number;
  issued?: string;
  conclusion?: string;
  category?: 'LAB' | 'RAD';
  referralId?: string;
  reason?: string;
}

/** A full blood count from lab RR8, requested by GP practice A81001 (Dr by GMC number). */
function labReport(nhs: string, labReportId: string, o: ReportOpts = {}): DiagnosticReport {
  const extension: Extension[] = [
    {
      url: REQUESTER,
      extension: [
        {
          url: 'organization',
          valueReference: {
            type: 'Organization',
            identifier: { system: ODS, value: 'A81001' },
            extension: [{ url: REGION, valueCode: 'north-east' }],
          },
        },
        { url: 'practitioner', valueIdentifier: { system: GMC, value: '7654321' } },
      ],
    },
    ...(o.reason ? [{ url: REASON, valueString: o.reason }] : []),
  ];
  return {
    resourceType: 'DiagnosticReport',
    identifier: [{ system: LAB_ID, value: labReportId }],
    extension,
    basedOn: [{ reference: `ServiceRequest/${o.referralId ?? randomUUID()}` }],
    status: o.status ?? 'final',
    category: [{ coding: [{ system: V2_0074, code: o.category ?? 'LAB' }] }],
    code: { coding: [{ system: 'http://loinc.org', code: '58410-2', display: 'CBC panel' }] },
    subject: { reference: `Patient/${nhs}` },
    performer: [{ type: 'Organization', identifier: { system: ODS, value: 'RR8' } }],
    issued: o.issued ?? '2026-03-02T09:00:00.000Z',
    ...(o.conclusion ? { conclusion: o.conclusion } : {}),
    contained: [
      {
        resourceType: 'Observation',
        id: 'hb',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
        subject: { reference: `Patient/${nhs}` },
        valueQuantity: ucum(o.haemoglobin ?? 142, 'g/L'),
        referenceRange: [{ low: ucum(130, 'g/L'), high: ucum(170, 'g/L') }],
      },
      {
        resourceType: 'Observation',
        id: 'wbc',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '6690-2' }] },
        subject: { reference: `Patient/${nhs}` },
        valueQuantity: ucum(6.1, '10*9/L'),
      },
    ],
    result: [{ reference: '#hb' }, { reference: '#wbc' }],
  };
}

/** The report as read back, made into the body of an update (id + new status/content). */
function revise(
  current: DiagnosticReport,
  status: DiagnosticReport['status'],
  reason: string | undefined,
  change: (d: DiagnosticReport) => void = () => undefined,
): DiagnosticReport {
  const d = structuredClone(current);
  delete d.meta;
  d.status = status;
  d.extension = [
    ...(d.extension ?? []).filter((e) => e.url === REQUESTER),
    ...(reason ? [{ url: REASON, valueString: reason }] : []),
  ];
  for (const c of d.contained ?? []) (c as Observation).status = 'final';
  change(d);
  return d;
}

let stack: FhirStack;
let lab: Client;
let gp: Client;
let labToken: string;
let gpReader: Client;

beforeAll(async () => {
  stack = await startFhirStack({}, { results: true });
  ({ token: labToken } = await stack.token(
    ['system/DiagnosticReport.crus', 'system/Observation.rs', 'system/Patient.r'],
    'RR8',
  ));
  const { token: gpToken } = await stack.token(
    ['system/Patient.cruds', 'system/DiagnosticReport.rus', 'system/Observation.rs'],
    'A81001',
  );
  const { token: readerToken } = await stack.token(['system/DiagnosticReport.rs'], 'A81001');
  lab = new Client({ baseUrl: stack.fhirBase, bearerToken: labToken });
  gp = new Client({ baseUrl: stack.fhirBase, bearerToken: gpToken });
  gpReader = new Client({ baseUrl: stack.fhirBase, bearerToken: readerToken });
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
      gender: faker.helpers.arrayElement(['male', 'female', 'other'] as const),
      birthDate: faker.date.birthdate({ min: 20, max: 90, mode: 'age' }).toISOString().slice(0, 10),
    }),
  })) as unknown as Patient;
  expect(p.id).toMatch(/^999\d{7}$/);
  return p.id!;
}

const labId = (tag: string) => `${tag}-${Date.now().toString(36)}-${faker.string.alphanumeric(6)}`;

/** POST with headers (fetch: fhir-kit-client does not show the status of a 200 vs 201). */
async function post(
  body: DiagnosticReport,
  headers: Record<string, string> = {},
): Promise<{ status: number; headers: Headers; body: DiagnosticReport }> {
  const res = await fetch(`${stack.fhirBase}/DiagnosticReport`, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${labToken}`,
      'content-type': 'application/fhir+json',
      ...headers,
    },
    body: JSON.stringify(body),
  });
  const json = (await res.json()) as DiagnosticReport;
  expectValid(json);
  return { status: res.status, headers: res.headers, body: json };
}

/** The next page of a searchset/history Bundle through fhir-kit-client, undefined on the last. */
async function nextPage(client: Client, b: Bundle): Promise<Bundle | undefined> {
  const next = client.nextPage({
    bundle: asPage(b),
  });
  return next ? ((await next) as unknown as Bundle) : undefined;
}

const put = (d: DiagnosticReport, ifMatch?: string, client: Client = lab) =>
  client.update({
    resourceType: 'DiagnosticReport',
    id: d.id!,
    body: asBody(d),
    ...(ifMatch ? { options: { headers: { 'If-Match': ifMatch } } } : {}),
  }) as unknown as Promise<DiagnosticReport>;

describe('CapabilityStatement: DiagnosticReport interactions', () => {
  it('advertises update, history, conditional create and the search filters', async () => {
    const cs = (await gpReader.capabilityStatement()) as unknown as CapabilityStatement;
    expectValid(cs);
    const dr = cs.rest![0]!.resource!.find((r) => r.type === 'DiagnosticReport')!;
    expect(dr.interaction!.map((i) => i.code).sort()).toEqual(
      ['create', 'history-instance', 'read', 'search-type', 'update', 'vread'].sort(),
    );
    expect(dr.conditionalCreate).toBe(true);
    expect(dr.searchParam!.map((p) => p.name)).toEqual(
      expect.arrayContaining(['patient', 'code', 'status', 'category', 'date']),
    );
  });
});

describe('DiagnosticReport create → read round trip and conditional create', () => {
  it('keeps the requester extension, basedOn and category from create to read and vread', async () => {
    const nhs = await newPatient();
    const referral = randomUUID();
    const sent = labReport(nhs, labId('rt'), { referralId: referral, conclusion: 'normal count' });
    const created = await post(sent);
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toBe('W/"1"');
    expect(created.headers.get('location')).toBe(
      `${stack.fhirBase}/DiagnosticReport/${created.body.id}/_history/1`,
    );
    for (const d of [
      created.body,
      (await gp.read({
        resourceType: 'DiagnosticReport',
        id: created.body.id!,
      })) as unknown as DiagnosticReport,
      (await gp.vread({
        resourceType: 'DiagnosticReport',
        id: created.body.id!,
        version: '1',
      })) as unknown as DiagnosticReport,
    ]) {
      expectValid(d);
      expect(d.extension?.find((e) => e.url === REQUESTER)).toEqual(sent.extension![0]);
      expect(d.basedOn).toEqual([{ reference: `ServiceRequest/${referral}` }]);
      expect(d.category?.[0]?.coding?.[0]).toMatchObject({ system: V2_0074, code: 'LAB' });
      expect(d.identifier).toEqual(sent.identifier);
      expect(d.conclusion).toBe('normal count');
    }
  });

  it('If-None-Exist on the lab report id: an existing report is answered 200 with no new version', async () => {
    const nhs = await newPatient();
    const id = labId('cc');
    const criteria = { 'If-None-Exist': `identifier=${LAB_ID}|${id}` };
    const first = await post(labReport(nhs, id), criteria);
    expect(first.status).toBe(201);
    // different content under the same identifier: the existing report, unchanged (no 409)
    const again = await post(
      labReport(nhs, id, { haemoglobin: 99, conclusion: 'late edit' }),
      criteria,
    );
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.meta?.versionId).toBe('1');
    expect(again.body.conclusion).toBeUndefined();
    expect(again.headers.get('content-location')).toBe(
      `${stack.fhirBase}/DiagnosticReport/${first.body.id}/_history/1`,
    );
    const history = (await lab.resourceHistory({
      resourceType: 'DiagnosticReport',
      id: first.body.id!,
    })) as unknown as Bundle;
    expect(history.total).toBe(1);
    // without the header the same change is a conflict (the lab identifier is the idempotency key)
    const conflict = await post(labReport(nhs, id, { haemoglobin: 99 }));
    expect(conflict.status).toBe(409);
    // criteria the platform's unique key cannot answer are refused, never ignored
    for (const bad of [
      `identifier=${id}`,
      `identifier=http://example.org/acc|${id}`,
      `subject=Patient/${nhs}`,
      `identifier=${LAB_ID}|${id}&status=final`,
    ]) {
      const res = await post(labReport(nhs, id), { 'If-None-Exist': bad });
      expect([bad, res.status]).toEqual([bad, 400]);
      expect(rulesOf(res.body as unknown as OperationOutcome)).toEqual([
        'conditional-create.criteria',
      ]);
    }
    // the criteria must name the report's own lab report id
    const mismatch = await post(labReport(nhs, labId('cc-other')), criteria);
    expect([mismatch.status, rulesOf(mismatch.body as unknown as OperationOutcome)]).toEqual([
      400,
      ['conditional-create.identifier-mismatch'],
    ]);
    // a new identifier under If-None-Exist creates once, however many lab retries race
    const fresh = labId('cc-new');
    const body = labReport(nhs, fresh);
    const raced = await Promise.all(
      Array.from({ length: 10 }, () =>
        post(body, { 'If-None-Exist': `identifier=${LAB_ID}|${fresh}` }),
      ),
    );
    expect(raced.map((r) => r.status).sort()).toEqual([...Array<number>(9).fill(200), 201]);
    expect(new Set(raced.map((r) => r.body.id)).size).toBe(1);
    expect(new Set(raced.map((r) => r.body.meta?.versionId))).toEqual(new Set(['1']));
  });
});

describe('DiagnosticReport update (PUT, If-Match) and _history', () => {
  it('amends, corrects, appends and cancels as new versions; history pages newest first', async () => {
    const nhs = await newPatient();
    const created = (await post(labReport(nhs, labId('upd')))).body;
    const id = created.id!;

    // If-Match is required, and must be the latest version
    const v2body = revise(created, 'amended', 'haemolysed sample re-run', (d) => {
      (d.contained![0] as Observation).valueQuantity = ucum(128, 'g/L');
    });
    const noMatch = await failure(put(v2body));
    expect(noMatch.status).toBe(428);
    expect(rulesOf(noMatch.outcome)).toEqual(['http.if-match-required']);
    const stale = await failure(put(v2body, 'W/"7"'));
    expect(stale.status).toBe(412);
    expect(rulesOf(stale.outcome)).toEqual(['http.precondition-failed']);
    expect((await failure(put(v2body, 'version one'))).status).toBe(400);

    const v2 = await put(v2body, 'W/"1"');
    expectValid(v2);
    expect(v2).toMatchObject({ id, status: 'amended', meta: { versionId: '2' } });
    expect(v2.extension?.find((e) => e.url === REASON)?.valueString).toBe(
      'haemolysed sample re-run',
    );
    expect((v2.contained![0] as Observation).valueQuantity?.value).toBe(128);
    expect((v2.contained![0] as Observation).status).toBe('amended');
    // the same If-Match again is stale now
    expect(
      (
        await failure(
          put(
            revise(v2, 'corrected', 'typo', () => undefined),
            'W/"1"',
          ),
        )
      ).status,
    ).toBe(412);

    const v3 = await put(
      revise(v2, 'corrected', 'transcription error', (d) => {
        (d.contained![1] as Observation).valueQuantity = ucum(6.3, '10*9/L');
      }),
      'W/"2"',
    );
    expectValid(v3);
    expect(v3).toMatchObject({ status: 'corrected', meta: { versionId: '3' } });

    const v4 = await put(
      revise(v3, 'appended', 'film comment added', (d) => {
        d.conclusion = 'film reviewed: no blasts seen';
      }),
      'W/"3"',
    );
    expectValid(v4);
    expect(v4).toMatchObject({
      status: 'appended',
      conclusion: 'film reviewed: no blasts seen',
      meta: { versionId: '4' },
    });
    // Observation has no "appended": the report's observations read as amended
    expect(v4.contained!.map((c) => (c as Observation).status)).toEqual(['amended', 'amended']);
    const obs = (await gp.read({
      resourceType: 'Observation',
      id: `${id}-obs-0`,
    })) as unknown as Observation;
    expectValid(obs);
    expect(obs).toMatchObject({ status: 'amended', meta: { versionId: '4' } });

    // a new version needs its reason (chokepoint rule, update mode)
    const noReason = await failure(put(revise(v4, 'amended', undefined), 'W/"4"'));
    expect(noReason.status).toBe(422);
    expect(issuesOf(noReason.outcome)).toEqual([
      'diagnostic-report.version-reason@DiagnosticReport.extension',
    ]);
    // subject, identifier and performer cannot change: one issue each, with the element path
    const other = await newPatient();
    const immutable = await failure(
      put(
        revise(v4, 'amended', 'moved', (d) => {
          d.subject = { reference: `Patient/${other}` };
          d.identifier = [{ system: LAB_ID, value: 'another-id' }];
          d.performer = [{ type: 'Organization', identifier: { system: ODS, value: 'RTH' } }];
        }),
        'W/"4"',
      ),
    );
    expect(immutable.status).toBe(422);
    expect(issuesOf(immutable.outcome)).toEqual([
      'diagnostic-report.immutable@DiagnosticReport.subject',
      'diagnostic-report.immutable@DiagnosticReport.identifier',
      'diagnostic-report.immutable@DiagnosticReport.performer',
    ]);
    // the body's id must be the URL's
    const wrongId = await failure(
      lab.update({
        resourceType: 'DiagnosticReport',
        id,
        body: asBody({ ...revise(v4, 'amended', 'x'), id: randomUUID() }),
        options: { headers: { 'If-Match': 'W/"4"' } },
      }),
    );
    expect([wrongId.status, rulesOf(wrongId.outcome)]).toEqual([400, ['fhir.id-mismatch']]);
    // only the performing lab: the requesting GP (scope u) is refused by the platform, a token
    // without the update scope by the gateway
    const requester = await failure(put(revise(v4, 'amended', 'gp edit'), 'W/"4"', gp));
    expect(requester.status).toBe(403);
    expect(rulesOf(requester.outcome)).toEqual(['platform.not-performing-lab']);
    expect((await failure(put(revise(v4, 'amended', 'x'), 'W/"4"', gpReader))).status).toBe(403);
    // a structurally invalid update is refused at the chokepoint with its path
    const invalid = await failure(
      put(
        revise(v4, 'amended', 'units', (d) => {
          (d.contained![0] as Observation).valueQuantity!.system = 'http://example.org/units';
        }),
        'W/"4"',
      ),
    );
    expect(issuesOf(invalid.outcome)).toEqual([
      'terminology.ucum.required@DiagnosticReport.contained[0].valueQuantity.system',
    ]);

    // cancel: status cancelled (+ reason) → CancelReport; nothing after a cancellation
    const v5 = await put(revise(v4, 'cancelled', 'sample mislabelled'), 'W/"4"');
    expectValid(v5);
    expect(v5).toMatchObject({ status: 'cancelled', meta: { versionId: '5' } });
    const afterCancel = await failure(put(revise(v5, 'amended', 'too late'), 'W/"5"'));
    expect([afterCancel.status, rulesOf(afterCancel.outcome)]).toEqual([
      422,
      ['platform.illegal-transition'],
    ]);

    // history: Bundle type history, newest first, two per page following next links
    const statuses: string[] = [];
    const versions: string[] = [];
    let page = (await gp.resourceHistory({
      resourceType: 'DiagnosticReport',
      id,
    })) as unknown as Bundle;
    expectValid(page);
    expect(page.total).toBe(5);
    expect(page.entry).toHaveLength(5);
    page = (await fetch(`${stack.fhirBase}/DiagnosticReport/${id}/_history?_count=2`, {
      headers: { authorization: `Bearer ${labToken}` },
    }).then((r) => r.json())) as Bundle;
    const methods: string[] = [];
    for (let i = 0; i < 5; i++) {
      expectValid(page);
      expect(page).toMatchObject({ resourceType: 'Bundle', type: 'history', total: 5 });
      for (const e of page.entry ?? []) {
        const d = e.resource as DiagnosticReport;
        statuses.push(d.status);
        versions.push(d.meta!.versionId!);
        methods.push(`${e.request!.method} ${e.response!.etag}`);
      }
      const next = await nextPage(lab, page);
      if (!next) break;
      page = next;
    }
    expect(versions).toEqual(['5', '4', '3', '2', '1']);
    expect(statuses).toEqual(['cancelled', 'appended', 'corrected', 'amended', 'final']);
    expect(methods).toEqual(['PUT W/"5"', 'PUT W/"4"', 'PUT W/"3"', 'PUT W/"2"', 'POST W/"1"']);
    // vread still serves the first version as sent
    const v1 = (await gp.vread({
      resourceType: 'DiagnosticReport',
      id,
      version: '1',
    })) as unknown as DiagnosticReport;
    expect(v1).toMatchObject({ status: 'final', meta: { versionId: '1' } });
    expect((v1.contained![0] as Observation).valueQuantity?.value).toBe(142);
    // unknown report, malformed page token
    const missing = await failure(
      lab.resourceHistory({ resourceType: 'DiagnosticReport', id: randomUUID() }),
    );
    expect(missing.status).toBe(404);
    const badToken = await fetch(
      `${stack.fhirBase}/DiagnosticReport/${id}/_history?_page_token=x`,
      {
        headers: { authorization: `Bearer ${labToken}` },
      },
    );
    expect(badToken.status).toBe(400);
  });

  it('makes a preliminary report final with PUT; a released report needs amended/corrected/appended', async () => {
    const nhs = await newPatient();
    const prelim = (await post(labReport(nhs, labId('pre'), { status: 'preliminary' }))).body;
    expect(prelim.status).toBe('preliminary');
    // two writers based on version 1 at once: the platform's row lock lets one win, the other 412
    const racers = await Promise.allSettled(
      ['preliminary: 128', 'preliminary: 131'].map((conclusion) =>
        put(
          revise(prelim, 'preliminary', undefined, (d) => {
            d.conclusion = conclusion;
          }),
          'W/"1"',
        ),
      ),
    );
    expect(racers.map((r) => r.status).sort()).toEqual(['fulfilled', 'rejected']);
    const lost = await failure(
      Promise.reject((racers.find((r) => r.status === 'rejected') as PromiseRejectedResult).reason),
    );
    expect([lost.status, rulesOf(lost.outcome)]).toEqual([412, ['http.precondition-failed']]);
    const final = await put(
      revise(prelim, 'final', undefined, (d) => {
        d.conclusion = 'confirmed';
      }),
      'W/"2"',
    );
    expectValid(final);
    expect(final).toMatchObject({
      status: 'final',
      conclusion: 'confirmed',
      meta: { versionId: '3' },
    });
    // the same final content again: unchanged (no new version)
    const same = await put(revise(final, 'final', undefined), 'W/"3"');
    expect(same.meta?.versionId).toBe('3');
    // a different final content: 409, send it as amended/corrected with a reason
    const changed = await failure(
      put(
        revise(final, 'final', undefined, (d) => {
          d.conclusion = 'changed silently';
        }),
        'W/"3"',
      ),
    );
    expect([changed.status, rulesOf(changed.outcome)]).toEqual([
      409,
      ['platform.report-identifier-conflict'],
    ]);
  });
});

describe('DiagnosticReport search: platform paging, total and filters', () => {
  it('follows next links with the platform total, and filters by status, category and date', async () => {
    const nhs = await newPatient();
    const ids: string[] = [];
    for (const [i, issued] of [
      '2026-01-10T09:00:00.000Z',
      '2026-02-10T09:00:00.000Z',
      '2026-03-10T09:00:00.000Z',
    ].entries()) {
      ids.push(
        (await post(labReport(nhs, labId(`s${i}`), { issued, category: i === 2 ? 'RAD' : 'LAB' })))
          .body.id!,
      );
    }
    const cancelled = (await gp.read({
      resourceType: 'DiagnosticReport',
      id: ids[0]!,
    })) as unknown as DiagnosticReport;
    await put(revise(cancelled, 'cancelled', 'duplicate request'), 'W/"1"');

    const seen: string[] = [];
    let page = (await gpReader.search({
      resourceType: 'DiagnosticReport',
      searchParams: { patient: nhs, _count: '1' },
    })) as unknown as Bundle;
    for (let i = 0; i < 5; i++) {
      expectValid(page);
      expect(page.total).toBe(3);
      expect(page.entry).toHaveLength(1);
      seen.push(...(page.entry ?? []).map((e) => e.resource!.id!));
      const next = page.link?.find((l) => l.relation === 'next')?.url;
      if (i < 2) expect(next).toMatch(/_page_token=/);
      if (!next) break;
      page = (await nextPage(gpReader, page))!;
    }
    expect(seen).toEqual([...ids].reverse());

    const search = async (q: Record<string, string>) => {
      const b = (await gpReader.search({
        resourceType: 'DiagnosticReport',
        searchParams: { patient: nhs, ...q },
      })) as unknown as Bundle;
      expectValid(b);
      return { ids: (b.entry ?? []).map((e) => e.resource!.id!), total: b.total };
    };
    expect(await search({ status: 'cancelled' })).toEqual({ ids: [ids[0]], total: 1 });
    expect(await search({ status: 'final,amended' })).toEqual({ ids: [ids[2], ids[1]], total: 2 });
    expect(await search({ category: 'RAD' })).toEqual({ ids: [ids[2]], total: 1 });
    expect(await search({ category: `${V2_0074}|LAB` })).toEqual({
      ids: [ids[1], ids[0]],
      total: 2,
    });
    expect(await search({ date: 'ge2026-02-01' })).toEqual({ ids: [ids[2], ids[1]], total: 2 });
    expect(await search({ date: '2026-02' })).toEqual({ ids: [ids[1]], total: 1 });
    const range = (await fetch(
      `${stack.fhirBase}/DiagnosticReport?patient=${nhs}&date=ge2026-01-01&date=lt2026-02-11`,
      { headers: { authorization: `Bearer ${labToken}` } },
    ).then((r) => r.json())) as Bundle;
    expect(range.entry?.map((e) => e.resource!.id)).toEqual([ids[1], ids[0]]);
    expect(await search({ date: 'gt2026-03-10', status: 'final' })).toEqual({ ids: [], total: 0 });
    // _count=0: the total only
    expect(await search({ _count: '0' })).toEqual({ ids: [], total: 3 });
    // bad parameters are refused with their rule
    for (const [q, rule] of [
      ['status=done', 'search.status'],
      ['category=MICRO', 'search.category'],
      ['date=yesterday', 'search.date'],
      ['_count=many', 'search.count'],
    ] as const) {
      const [k, v] = q.split('=') as [string, string];
      const res = await failure(
        gpReader.search({
          resourceType: 'DiagnosticReport',
          searchParams: { patient: nhs, [k]: v },
        }),
      );
      expect([q, res.status, rulesOf(res.outcome)]).toEqual([q, 400, [rule]]);
    }
  });
});

describe('validation at the chokepoint: the DiagnosticReport not-ok table', () => {
  const dir = join(__dirname, 'fixtures/not-ok');
  const table = readdirSync(dir)
    .filter((f) => f.startsWith('DiagnosticReport-') && f.endsWith('.json'))
    .sort()
    .map(
      (f) =>
        [
          f,
          JSON.parse(readFileSync(join(dir, f), 'utf8')) as {
            expect: { status: number; rule: string; expression: string };
            resource: DiagnosticReport;
          },
        ] as const,
    );

  it('has at least 12 invalid reports', () => {
    expect(table.length).toBeGreaterThanOrEqual(12);
  });

  it.each(table)('%s is refused with its rule and path', async (_f, fixture) => {
    const res = await failure(
      lab.create({ resourceType: 'DiagnosticReport', body: asBody(fixture.resource) }),
    );
    expect(res.status).toBe(fixture.expect.status);
    const issue = res.outcome.issue!.find((i) =>
      i.details?.coding?.some((c) => c.code === fixture.expect.rule),
    );
    expect(issue?.expression).toEqual([fixture.expect.expression]);
    expect(issue?.diagnostics).toBeTruthy();
  });

  it('accepts the valid report the table is derived from', async () => {
    const nhs = await newPatient();
    const ok = JSON.parse(
      readFileSync(join(__dirname, 'fixtures/ok/diagnostic-report.json'), 'utf8'),
    ) as DiagnosticReport;
    const res = await post({
      ...ok,
      identifier: [{ system: LAB_ID, value: labId('ok') }],
      subject: { reference: `Patient/${nhs}` },
      contained: ok.contained!.map((c) => ({
        ...(c as Observation),
        subject: { reference: `Patient/${nhs}` },
      })),
    });
    expect(res.status).toBe(201);
  });
});
