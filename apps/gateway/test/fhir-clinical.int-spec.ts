import type {
  Appointment,
  Bundle,
  DiagnosticReport,
  Observation,
  OperationOutcome,
  Patient,
  Resource,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { results, toTimestamp } from '@trellis/contracts';
import { rulesOf } from '@trellis/fhir';
import { Client } from 'fhir-kit-client';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { PlatformClients } from '../src/app/fhir/platform-clients';
import { startFhirStack, type FhirStack } from './fhir.harness';
import { asBody, expectValid } from './support/fhir-assertions';

jest.setTimeout(180_000);

const pb = results.v1;

function fbc(labReportId: string, nhsNumber: string): Record<string, unknown> {
  const obs = (code: string, value: number, unit: string, low: number, high: number) => ({
    code: { system: pb.CodeSystem.CODE_SYSTEM_LOINC, code, display: '' },
    valueQuantity: { value, unit },
    referenceRange: { low: { value: low, unit }, high: { value: high, unit } },
    interpretation: pb.Interpretation.INTERPRETATION_NORMAL,
  });
  return {
    labReportId,
    nhsNumber,
    category: pb.ReportCategory.REPORT_CATEGORY_PATHOLOGY,
    code: {
      system: pb.CodeSystem.CODE_SYSTEM_LOINC,
      code: '58410-2',
      display: 'CBC panel - Blood by Automated count',
    },
    status: pb.ReportStatus.REPORT_STATUS_FINAL,
    requester: {
      organisation: { odsCode: 'A81001', region: 'north-east' },
      practitionerId: 'G8123456',
    },
    issued: toTimestamp(new Date('2026-01-05T09:30:00Z')),
    conclusion: '',
    versionReason: '',
    observations: [obs('718-7', 135, 'g/L', 130, 170), obs('6690-2', 6.1, '10*9/L', 4, 11)],
  };
}

let stack: FhirStack;
let gp: Client;
let gpToken: string;
let labToken: string;
let hospitalToken: string;
let gpReferrerToken: string;
let gpBookerToken: string;
let hospitalSchedulerToken: string;

beforeAll(async () => {
  stack = await startFhirStack({}, { results: true, referrals: true, appointments: true });
  ({ token: gpToken } = await stack.token(
    [
      'system/Patient.cruds',
      'system/DiagnosticReport.rus',
      'system/Appointment.rs',
      'system/ServiceRequest.rs',
    ],
    'A81001',
  ));
  ({ token: labToken } = await stack.token(
    ['system/DiagnosticReport.cru', 'system/Patient.r'],
    'RR8',
  ));
  ({ token: hospitalToken } = await stack.token(
    ['system/ServiceRequest.rus', 'system/Patient.r'],
    'RR8',
  ));
  ({ token: gpReferrerToken } = await stack.token(
    [
      'system/Patient.cruds',
      'system/ServiceRequest.crus',
      'system/DiagnosticReport.rs',
      'system/Appointment.rs',
    ],
    'A81001',
  ));
  ({ token: gpBookerToken } = await stack.token(
    [
      'system/Patient.cruds',
      'system/Appointment.crus',
      'system/ServiceRequest.rs',
      'system/DiagnosticReport.rs',
      'system/Schedule.r',
      'system/Slot.s',
    ],
    'A81001',
  ));
  ({ token: hospitalSchedulerToken } = await stack.token(
    ['system/Schedule.cr', 'system/Slot.crs'],
    'RR8',
  ));
  gp = new Client({ baseUrl: stack.fhirBase, bearerToken: gpToken });
});

afterAll(async () => {
  await stack?.stop();
});

describe('ServiceRequest over FHIR → referrals gRPC (real referrals platform)', () => {
  it('the receiving hospital reads and accepts a referral; the GP sees it in $everything', async () => {
    const patient = (await gp.create({
      resourceType: 'Patient',
      body: asBody({
        resourceType: 'Patient',
        name: [{ family: 'Reftest', given: ['Sam'] }],
        gender: 'male',
        birthDate: '1969-06-09',
      }),
    })) as unknown as Patient;
    // the GP sends the referral over FHIR (validated at the chokepoint), replay-safe by identifier
    const body = JSON.parse(
      readFileSync(join(__dirname, 'fixtures/ok/service-request.json'), 'utf8'),
    ) as ServiceRequest;
    body.subject = { reference: `Patient/${patient.id}` };
    body.identifier = [
      { system: 'https://fhir.trellis.nhs.uk/Id/referral-request', value: `ref-${patient.id}` },
    ];
    const send = () =>
      fetch(`${stack.fhirBase}/ServiceRequest`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${gpReferrerToken}`,
          'content-type': 'application/fhir+json',
        },
        body: JSON.stringify(body),
      });
    const first = await send();
    const sent = (await first.json()) as ServiceRequest;
    expect({ status: first.status, sent }).toEqual({
      status: 201,
      sent: expect.objectContaining({ resourceType: 'ServiceRequest' }),
    });
    expectValid(sent);
    const referralId = sent.id!;
    const again = await send();
    expect(again.status).toBe(200);
    expect(((await again.json()) as ServiceRequest).id).toBe(referralId);
    const hospital = new Client({ baseUrl: stack.fhirBase, bearerToken: hospitalToken });
    const sr = (await hospital.read({
      resourceType: 'ServiceRequest',
      id: referralId,
    })) as unknown as ServiceRequest;
    expectValid(sr);
    expect(sr.subject?.reference).toBe(`Patient/${patient.id}`);
    expect(sr.code?.coding?.[0]).toMatchObject({
      system: 'http://snomed.info/sct',
      code: '29857009',
    });
    const accepted = (await hospital.operation({
      resourceType: 'ServiceRequest',
      id: referralId,
      name: '$accept',
      input: asBody({
        resourceType: 'Parameters',
        parameter: [{ name: 'note', valueString: 'clinic in 2 weeks' }],
      }),
    })) as unknown as ServiceRequest;
    expectValid(accepted);
    expect(accepted.meta?.tag?.[0]?.code).toBe('accepted');
    // the platform's state machine answers through the facade: an accepted, unbooked referral
    // cannot be completed yet (FAILED_PRECONDITION → 422 business-rule)
    const early = await fetch(`${stack.fhirBase}/ServiceRequest/${referralId}/$complete`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${hospitalToken}`,
        'content-type': 'application/fhir+json',
      },
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [{ name: 'note', valueString: 'x' }],
      }),
    });
    expect(early.status).toBe(422);
    const earlyOutcome = (await early.json()) as OperationOutcome;
    expectValid(earlyOutcome);
    expect(earlyOutcome.issue![0]!.code).toBe('business-rule');
    const all = (await new Client({
      baseUrl: stack.fhirBase,
      bearerToken: gpReferrerToken,
    }).operation({
      resourceType: 'Patient',
      id: patient.id!,
      name: '$everything',
      method: 'GET',
    })) as unknown as Bundle;
    expectValid(all);
    expect(
      all.entry!.filter((e) => e.search?.mode === 'outcome').map((e) => JSON.stringify(e.resource)),
    ).toEqual([]);
    expect(
      all
        .entry!.filter((e) => e.resource!.resourceType === 'ServiceRequest')
        .map((e) => e.resource!.id),
    ).toEqual([referralId]);
  });
});

describe('Observation read and search over FHIR → results GetReport/SearchReports', () => {
  it("serves a report's observations to the requesting organisation, by id and by patient + code", async () => {
    const patient = (await gp.create({
      resourceType: 'Patient',
      body: asBody({
        resourceType: 'Patient',
        name: [{ family: 'Observe', given: ['Ola'] }],
        gender: 'female',
        birthDate: '1990-09-09',
      }),
    })) as unknown as Patient;
    const lab = new Client({ baseUrl: stack.fhirBase, bearerToken: labToken });
    const report = (await lab.create({
      resourceType: 'DiagnosticReport',
      body: asBody(fhirReport(`LABO-${Date.now()}`, patient.id!)),
    })) as unknown as DiagnosticReport;
    const { token } = await stack.token(
      ['system/Observation.rs', 'system/DiagnosticReport.rs'],
      'A81001',
    );
    const reader = new Client({ baseUrl: stack.fhirBase, bearerToken: token });

    const hb = (await reader.read({
      resourceType: 'Observation',
      id: `${report.id}-obs-0`,
    })) as unknown as Observation;
    expectValid(hb);
    expect(hb.code.coding?.[0]?.code).toBe('718-7');
    expect(hb.valueQuantity).toMatchObject({ value: 182, code: 'g/L' });
    expect(hb.subject?.reference).toBe(`Patient/${patient.id}`);
    expect(hb.performer?.[0]?.identifier?.value).toBe('RR8');

    const all = (await reader.search({
      resourceType: 'Observation',
      searchParams: { patient: patient.id! },
    })) as unknown as Bundle;
    expectValid(all);
    expect(all.total).toBe(3);
    expect(all.entry!.map((e) => e.resource!.id)).toEqual(
      [0, 1, 2].map((i) => `${report.id}-obs-${i}`),
    );
    const byCode = (await reader.search({
      resourceType: 'Observation',
      searchParams: { patient: patient.id!, code: 'http://loinc.org|5909-7' },
    })) as unknown as Bundle;
    expectValid(byCode);
    expect(byCode.entry!.map((e) => (e.resource as Observation).valueString)).toEqual([
      'normochromic normocytic',
    ]);

    const status = async (path: string, bearer: string) =>
      (await fetch(`${stack.fhirBase}/${path}`, { headers: { authorization: `Bearer ${bearer}` } }))
        .status;
    expect(await status(`Observation/${report.id}-obs-9`, token)).toBe(404);
    expect(await status('Observation/not-an-observation-id', token)).toBe(404);
    expect(await status(`Observation?code=718-7`, token)).toBe(400);
    // Observation scope alone is refused at the gateway
    const { token: noObs } = await stack.token(['system/DiagnosticReport.rs'], 'A81001');
    expect(await status(`Observation/${report.id}-obs-0`, noObs)).toBe(403);
    // another organisation cannot see the report's observations
    const { token: other } = await stack.token(
      ['system/Observation.rs', 'system/DiagnosticReport.rs'],
      'B82002',
    );
    expect([403, 404]).toContain(await status(`Observation/${report.id}-obs-0`, other));
  });
});

describe('GET ServiceRequest worklists over FHIR → referrals ListIncoming/ListSent', () => {
  it('pages the provider incoming and referrer sent worklists with status and priority filters', async () => {
    const patient = (await gp.create({
      resourceType: 'Patient',
      body: asBody({
        resourceType: 'Patient',
        name: [{ family: 'Worklist', given: ['Kit'] }],
        gender: 'female',
        birthDate: '1980-08-08',
      }),
    })) as unknown as Patient;
    const fixture = JSON.parse(
      readFileSync(join(__dirname, 'fixtures/ok/service-request.json'), 'utf8'),
    ) as ServiceRequest;
    const ids: Record<string, string> = {};
    for (const [i, priority] of (['routine', 'urgent', 'routine'] as const).entries()) {
      const body: ServiceRequest = {
        ...fixture,
        priority,
        subject: { reference: `Patient/${patient.id}` },
        identifier: [
          {
            system: 'https://fhir.trellis.nhs.uk/Id/referral-request',
            value: `wl-${i}-${patient.id}`,
          },
        ],
      };
      const res = await fetch(`${stack.fhirBase}/ServiceRequest`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${gpReferrerToken}`,
          'content-type': 'application/fhir+json',
        },
        body: JSON.stringify(body),
      });
      expect(res.status).toBe(201);
      ids[`${priority}-${i}`] = ((await res.json()) as ServiceRequest).id!;
    }
    const mine = new Set(Object.values(ids));
    const hospital = new Client({ baseUrl: stack.fhirBase, bearerToken: hospitalToken });

    // incoming worklist of the provider (RR8), two per page, following next links
    let page = (await hospital.search({
      resourceType: 'ServiceRequest',
      searchParams: { performer: 'RR8', _count: 2 },
    })) as unknown as Bundle;
    const seen: string[] = [];
    for (let n = 0; n < 50; n++) {
      expectValid(page);
      expect(page.type).toBe('searchset');
      expect(page.entry?.length ?? 0).toBeLessThanOrEqual(2);
      for (const e of page.entry ?? []) {
        expect((e.resource as ServiceRequest).performer?.[0]?.identifier?.value).toBe('RR8');
        seen.push(e.resource!.id!);
      }
      const next = page.link?.find((l) => l.relation === 'next');
      if (!next) break;
      expect(next.url).toContain('_count=2');
      page = (await hospital.nextPage({
        bundle: page as unknown as Parameters<Client['nextPage']>[0]['bundle'],
      })) as unknown as Bundle;
    }
    expect(seen.filter((id) => mine.has(id)).sort()).toEqual([...mine].sort());
    expect(new Set(seen).size).toBe(seen.length); // no repeats across pages

    // priority filter
    const urgent = (await hospital.search({
      resourceType: 'ServiceRequest',
      searchParams: {
        performer: 'https://fhir.nhs.uk/Id/ods-organization-code|RR8',
        priority: 'urgent',
        _count: 500,
      },
    })) as unknown as Bundle;
    expectValid(urgent);
    const urgentIds = urgent.entry!.map((e) => e.resource!.id!);
    expect(urgentIds).toContain(ids['urgent-1']);
    expect(urgentIds).not.toContain(ids['routine-0']);
    expect(urgent.entry!.every((e) => (e.resource as ServiceRequest).priority === 'urgent')).toBe(
      true,
    );

    // the referrer's sent list, filtered by status
    const referrer = new Client({ baseUrl: stack.fhirBase, bearerToken: gpReferrerToken });
    const sent = (await referrer.search({
      resourceType: 'ServiceRequest',
      searchParams: { requester: 'A81001', status: 'active', _count: 500 },
    })) as unknown as Bundle;
    expectValid(sent);
    expect(sent.entry!.map((e) => e.resource!.id).filter((id) => mine.has(id!)).length).toBe(3);
    const completed = (await referrer.search({
      resourceType: 'ServiceRequest',
      searchParams: { requester: 'A81001', status: 'completed,revoked', _count: 500 },
    })) as unknown as Bundle;
    expect(completed.entry?.map((e) => e.resource!.id).filter((id) => mine.has(id!)) ?? []).toEqual(
      [],
    );

    // refusals: someone else's worklist, no worklist named, unknown status
    const get = async (qs: string) => {
      const res = await fetch(`${stack.fhirBase}/ServiceRequest?${qs}`, {
        headers: { authorization: `Bearer ${hospitalToken}` },
      });
      const body = (await res.json()) as OperationOutcome;
      expectValid(body);
      return { status: res.status, rules: rulesOf(body) };
    };
    expect(await get('performer=A81001')).toEqual({
      status: 403,
      rules: ['search.service-request.organisation'],
    });
    expect(await get('status=active')).toEqual({
      status: 400,
      rules: ['search.service-request.worklist'],
    });
    expect(await get('performer=RR8&status=bogus')).toEqual({
      status: 400,
      rules: ['search.status'],
    });
  });
});

describe('DiagnosticReport over FHIR → results gRPC (real results platform)', () => {
  let patient: Patient;
  let reportId: string;

  it('reads, searches, vreads and acknowledges a lab report; $everything gathers it', async () => {
    patient = (await gp.create({
      resourceType: 'Patient',
      body: asBody({
        resourceType: 'Patient',
        name: [{ family: 'Labtest', given: ['Rae'] }],
        gender: 'female',
        birthDate: '1977-07-07',
      }),
    })) as unknown as Patient;

    // the lab submits over gRPC (the other door), with its own gateway-issued token
    // local systems' gRPC enters through the gateway's front door (the platforms admit only the gateway)
    const clients = new PlatformClients({ results: stack.frontDoor }, 10_000);
    try {
      const submitted = await clients.call(
        clients.reports.submitReport,
        { report: fbc(`LAB-${Date.now()}`, patient.id!) },
        { authorization: `Bearer ${labToken}` },
      );
      reportId = submitted.report!.id;
    } finally {
      clients.close();
    }

    const report = (await gp.read({
      resourceType: 'DiagnosticReport',
      id: reportId,
    })) as unknown as DiagnosticReport;
    expectValid(report);
    expect(report.status).toBe('final');
    expect(report.subject?.reference).toBe(`Patient/${patient.id}`);
    expect(report.contained).toHaveLength(2);
    expect(report.result).toEqual([{ reference: '#obs-0' }, { reference: '#obs-1' }]);

    const v1 = (await gp.vread({
      resourceType: 'DiagnosticReport',
      id: reportId,
      version: '1',
    })) as unknown as DiagnosticReport;
    expect(v1.meta?.versionId).toBe('1');

    const found = (await gp.search({
      resourceType: 'DiagnosticReport',
      searchParams: { patient: patient.id! },
    })) as unknown as Bundle;
    expectValid(found);
    expect(found.entry!.map((e) => e.resource!.id)).toEqual([reportId]);

    const ack = (await gp.operation({
      resourceType: 'DiagnosticReport',
      id: reportId,
      name: '$acknowledge',
      input: asBody({
        resourceType: 'Parameters',
        parameter: [{ name: 'note', valueString: 'seen, normal' }],
      }),
    })) as unknown as DiagnosticReport;
    expectValid(ack);
    expect(ack.extension?.[0]?.extension).toEqual(
      expect.arrayContaining([{ url: 'organisation', valueString: 'A81001' }]),
    );

    const all = (await gp.operation({
      resourceType: 'Patient',
      id: patient.id!,
      name: '$everything',
      method: 'GET',
    })) as unknown as Bundle;
    expectValid(all);
    const types = all
      .entry!.filter((e) => e.search?.mode === 'match')
      .map((e) => e.resource!.resourceType)
      .sort();
    expect(types).toEqual(['DiagnosticReport', 'Patient']); // no referral for this patient yet
    const outcomes = all
      .entry!.filter((e) => e.search?.mode === 'outcome')
      .map((e) => rulesOf(e.resource as OperationOutcome)[0])
      .sort();
    // all four platforms answer: no gap to report
    expect(outcomes).toEqual([]);
  });

  it('answers unknown ids and bad operation input as OperationOutcome', async () => {
    const res = await fetch(
      `${stack.fhirBase}/DiagnosticReport/00000000-0000-4000-8000-000000000000`,
      {
        headers: { authorization: `Bearer ${gpToken}` },
      },
    );
    expect(res.status).toBe(404);
    expectValid((await res.json()) as OperationOutcome);
    const bad = await fetch(`${stack.fhirBase}/DiagnosticReport/${reportId}/$acknowledge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${gpToken}`, 'content-type': 'application/fhir+json' },
      body: JSON.stringify({ resourceType: 'Parameters', parameter: 'note' }),
    });
    expect(bad.status).toBe(400);
    const outcome = (await bad.json()) as OperationOutcome;
    expect(rulesOf(outcome)).toContain('fhir.cardinality');
    const missingPatient = await fetch(`${stack.fhirBase}/DiagnosticReport`, {
      headers: { authorization: `Bearer ${gpToken}` },
    });
    expect(missingPatient.status).toBe(400);
  });
});

function fhirReport(labReportId: string, nhs: string, conclusion = ''): DiagnosticReport {
  const ucum = (value: number, unit: string) => ({
    value,
    unit,
    system: 'http://unitsofmeasure.org',
    code: unit,
  });
  return {
    resourceType: 'DiagnosticReport',
    identifier: [{ system: 'https://fhir.trellis.nhs.uk/Id/lab-report-id', value: labReportId }],
    extension: [
      {
        url: 'https://fhir.trellis.nhs.uk/StructureDefinition/report-requester',
        extension: [
          {
            url: 'organization',
            valueReference: {
              type: 'Organization',
              identifier: {
                system: 'https://fhir.nhs.uk/Id/ods-organization-code',
                value: 'A81001',
              },
              extension: [
                {
                  url: 'https://fhir.trellis.nhs.uk/StructureDefinition/region',
                  valueCode: 'north-east',
                },
              ],
            },
          },
          {
            url: 'practitioner',
            valueIdentifier: { system: 'https://fhir.hl7.org.uk/Id/gmc-number', value: 'G8123456' },
          },
        ],
      },
    ],
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '58410-2', display: 'CBC panel' }] },
    subject: {
      reference: `Patient/${nhs}`,
      identifier: { system: 'https://fhir.nhs.uk/Id/nhs-number', value: nhs },
    },
    performer: [
      {
        type: 'Organization',
        identifier: { system: 'https://fhir.nhs.uk/Id/ods-organization-code', value: 'RR8' },
      },
    ],
    issued: '2026-02-01T10:00:00.000Z',
    ...(conclusion ? { conclusion } : {}),
    contained: [
      {
        resourceType: 'Observation',
        id: 'hb',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
        subject: { reference: `Patient/${nhs}` },
        valueQuantity: ucum(182, 'g/L'),
        referenceRange: [{ low: ucum(130, 'g/L'), high: ucum(170, 'g/L') }],
        interpretation: [
          {
            coding: [
              {
                system: 'http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation',
                code: 'H',
              },
            ],
          },
        ],
      },
      {
        resourceType: 'Observation',
        id: 'film',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '5909-7' }] },
        subject: { reference: `Patient/${nhs}` },
        valueString: 'normochromic normocytic',
      },
      {
        resourceType: 'Observation',
        id: 'grp',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '882-1' }] },
        subject: { reference: `Patient/${nhs}` },
        valueCodeableConcept: {
          coding: [
            {
              system: 'http://snomed.info/sct',
              code: '278149003',
              display: 'Blood group A Rh(D) positive',
            },
          ],
        },
      },
    ],
    result: [{ reference: '#hb' }, { reference: '#film' }, { reference: '#grp' }],
  };
}

describe('POST DiagnosticReport over FHIR → results SubmitReport (real results platform)', () => {
  it('submits a report with contained observations, replays idempotently, refuses conflicts and invalid input', async () => {
    const patient = (await gp.create({
      resourceType: 'Patient',
      body: asBody({
        resourceType: 'Patient',
        name: [{ family: 'Submit', given: ['Lab'] }],
        gender: 'male',
        birthDate: '1966-06-06',
      }),
    })) as unknown as Patient;
    const lab = new Client({ baseUrl: stack.fhirBase, bearerToken: labToken });
    const labId = `LABF-${Date.now()}`;
    const post = (body: unknown) =>
      fetch(`${stack.fhirBase}/DiagnosticReport`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${labToken}`,
          'content-type': 'application/fhir+json',
        },
        body: JSON.stringify(body),
      });

    const first = await post(fhirReport(labId, patient.id!));
    if (first.status !== 201) throw new Error(`${first.status} ${await first.text()}`);
    expect(first.headers.get('location')).toMatch(/\/DiagnosticReport\/[^/]+\/_history\/1$/);
    const created = (await first.json()) as DiagnosticReport;
    expectValid(created);
    expect(created.identifier?.[0]?.value).toBe(labId);
    expect(created.performer?.[0]?.identifier?.value).toBe('RR8');
    expect(created.subject?.reference).toBe(`Patient/${patient.id}`);
    const obs = created.contained as Array<{
      valueQuantity?: unknown;
      valueString?: string;
      valueCodeableConcept?: { coding?: Array<{ code?: string }> };
      interpretation?: Array<{ coding?: Array<{ code?: string }> }>;
      referenceRange?: unknown[];
    }>;
    expect(obs).toHaveLength(3);
    expect(obs[0]!.valueQuantity).toEqual({
      value: 182,
      unit: 'g/L',
      system: 'http://unitsofmeasure.org',
      code: 'g/L',
    });
    expect(obs[0]!.interpretation?.[0]?.coding?.[0]?.code).toBe('H');
    expect(obs[0]!.referenceRange).toHaveLength(1);
    expect(obs[1]!.valueString).toBe('normochromic normocytic');
    expect(obs[2]!.valueCodeableConcept?.coding?.[0]?.code).toBe('278149003');

    // replay: same content → the same report, 200
    const replay = await post(fhirReport(labId, patient.id!));
    expect(replay.status).toBe(200);
    expect(((await replay.json()) as DiagnosticReport).id).toBe(created.id);

    // the requesting GP sees it
    const read = (await gp.read({
      resourceType: 'DiagnosticReport',
      id: created.id!,
    })) as unknown as DiagnosticReport;
    expectValid(read);
    expect(read.contained).toHaveLength(3);

    // different content under the same lab identifier → 409 from the platform
    const conflict = await post(fhirReport(labId, patient.id!, 'different content'));
    expect(conflict.status).toBe(409);
    expectValid((await conflict.json()) as OperationOutcome);

    // invalid on the way in: a non-UCUM quantity is refused with the rule and path, never sent
    const bad = fhirReport(`${labId}-x`, patient.id!);
    (bad.contained![0] as { valueQuantity: { system: string } }).valueQuantity.system =
      'http://example.org/units';
    const refused = await post(bad);
    expect(refused.status).toBe(422);
    const outcome = (await refused.json()) as OperationOutcome;
    expect(rulesOf(outcome)).toContain('terminology.ucum.required');
    expect(outcome.issue?.map((i) => i.expression?.[0])).toContain(
      'DiagnosticReport.contained[0].valueQuantity.system',
    );

    // a client library creates through the same door (fhir-kit-client)
    const viaKit = (await lab.create({
      resourceType: 'DiagnosticReport',
      body: asBody(fhirReport(`${labId}-k`, patient.id!)),
    })) as unknown as DiagnosticReport;
    expectValid(viaKit);
    expect(viaKit.id).not.toBe(created.id);
  });
});

describe('Appointment over FHIR → appointments gRPC, then $everything with one platform stopped', () => {
  it('books a published slot with $book (idempotent), reads and searches it', async () => {
    const patient = (await gp.create({
      resourceType: 'Patient',
      body: asBody({
        resourceType: 'Patient',
        name: [{ family: 'Booktest', given: ['Kim'] }],
        gender: 'other',
        birthDate: '1988-08-08',
      }),
    })) as unknown as Patient;
    // local systems' gRPC enters through the gateway's front door (the platforms admit only the gateway)
    const clients = new PlatformClients({ appointments: stack.frontDoor }, 10_000);
    let slotId: string;
    try {
      const md = { authorization: `Bearer ${hospitalSchedulerToken}` };
      const schedule = await clients.call(
        clients.schedules.createSchedule,
        {
          odsCode: '',
          serviceType: 'cardiology-clinic',
          specialty: 'cardiology',
          practitionerId: '',
          region: '',
          bookableByOdsCodes: [],
          bookableByOrgTypes: [],
          name: 'Cardiology clinic',
        },
        md,
      );
      const start = new Date(Date.now() + 3 * 86_400_000);
      start.setUTCHours(10, 0, 0, 0);
      const slots = await clients.call(
        clients.schedules.publishSlots,
        {
          scheduleId: schedule.schedule!.id,
          slots: [
            {
              start: toTimestamp(start),
              end: toTimestamp(new Date(start.getTime() + 15 * 60_000)),
              status: 0,
            },
          ],
        },
        md,
      );
      slotId = slots.slots[0]!.id;
    } finally {
      clients.close();
    }
    // the GP finds the slot over FHIR
    const booker = new Client({ baseUrl: stack.fhirBase, bearerToken: gpBookerToken });
    const free = (await booker.search({
      resourceType: 'Slot',
      searchParams: { 'service-type': 'cardiology-clinic', organization: 'RR8' },
    })) as unknown as Bundle;
    expectValid(free);
    expect(free.entry!.map((e) => e.resource!.id)).toEqual([slotId]);
    const slot = free.entry![0]!.resource as { schedule: { reference: string }; status: string };
    expect(slot.status).toBe('free');
    const schedule = (await booker.read({
      resourceType: 'Schedule',
      id: slot.schedule.reference.split('/')[1]!,
    })) as unknown as Resource;
    expectValid(schedule);
    const book = () =>
      fetch(`${stack.fhirBase}/Appointment/$book`, {
        method: 'POST',
        headers: {
          authorization: `Bearer ${gpBookerToken}`,
          'content-type': 'application/fhir+json',
        },
        body: JSON.stringify({
          resourceType: 'Parameters',
          parameter: [
            { name: 'slot', valueReference: { reference: `Slot/${slotId}` } },
            { name: 'patient', valueReference: { reference: `Patient/${patient.id}` } },
            { name: 'idempotency-key', valueString: `book-${patient.id}` },
          ],
        }),
      });
    const first = await book();
    const booked = (await first.json()) as Appointment;
    expect(first.status).toBe(201);
    expectValid(booked);
    expect(booked.status).toBe('booked');
    const replay = await book();
    expect(replay.status).toBe(200);
    expect(((await replay.json()) as Appointment).id).toBe(booked.id);

    const read = (await booker.read({
      resourceType: 'Appointment',
      id: booked.id!,
    })) as unknown as Appointment;
    expectValid(read);
    expect(read.slot).toEqual([{ reference: `Slot/${slotId}` }]);
    const found = (await booker.search({
      resourceType: 'Appointment',
      searchParams: { patient: `Patient/${patient.id}` },
    })) as unknown as Bundle;
    expect(found.entry!.map((e) => e.resource!.id)).toEqual([booked.id]);

    const missingParam = await fetch(`${stack.fhirBase}/Appointment/$book`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${gpBookerToken}`,
        'content-type': 'application/fhir+json',
      },
      body: JSON.stringify({
        resourceType: 'Parameters',
        parameter: [{ name: 'slot', valueString: slotId }],
      }),
    });
    expect(missingParam.status).toBe(400);
    expect(rulesOf((await missingParam.json()) as OperationOutcome)).toEqual([
      'operation.parameter.required',
      'operation.parameter.required',
    ]);

    // all four platforms up: Patient + Appointment, no outcome entries
    const all = (await booker.operation({
      resourceType: 'Patient',
      id: patient.id!,
      name: '$everything',
      method: 'GET',
    })) as unknown as Bundle;
    expectValid(all);
    expect(all.entry!.map((e) => e.resource!.resourceType).sort()).toEqual([
      'Appointment',
      'Patient',
    ]);

    // one platform stopped: the rest still answers, plus an OperationOutcome naming it
    await stack.stopPlatform('results');
    const partial = (await booker.operation({
      resourceType: 'Patient',
      id: patient.id!,
      name: '$everything',
      method: 'GET',
    })) as unknown as Bundle;
    expectValid(partial);
    expect(
      partial
        .entry!.filter((e) => e.search?.mode === 'match')
        .map((e) => e.resource!.resourceType)
        .sort(),
    ).toEqual(['Appointment', 'Patient']);
    const outcomes = partial
      .entry!.filter((e) => e.search?.mode === 'outcome')
      .map((e) => rulesOf(e.resource as OperationOutcome)[0]);
    expect(outcomes).toEqual(['everything.platform-unavailable.results']);

    const cancelled = (await booker.operation({
      resourceType: 'Appointment',
      id: booked.id!,
      name: '$cancel',
      input: asBody({
        resourceType: 'Parameters',
        parameter: [{ name: 'reason', valueString: 'patient request' }],
      }),
    })) as unknown as Appointment;
    expectValid(cancelled);
    expect(cancelled.status).toBe('cancelled');
  });
});
