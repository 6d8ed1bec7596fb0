import type {
  Appointment,
  Bundle,
  DiagnosticReport,
  OperationOutcome,
  Patient,
  Resource,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { appointments, results, toTimestamp } from '@trellis/contracts';
import { rulesOf, structuralIssues } from '@trellis/fhir';
import { Client, type FhirResource } from 'fhir-kit-client';

import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { PlatformClients } from '../src/app/fhir/platform-clients';
import { startFhirStack, type FhirStack } from './fhir.harness';

jest.setTimeout(180_000);

const asBody = (r: Resource): FhirResource => r as unknown as FhirResource;
const pb = results.v1;

function expectValid(resource: Resource): void {
  expect(structuralIssues(resource)).toEqual([]);
  if (resource.resourceType === 'Bundle') {
    for (const e of resource.entry ?? [])
      if (e.resource) expect(structuralIssues(e.resource)).toEqual([]);
  }
}

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
    const clients = new PlatformClients(
      { results: `127.0.0.1:${stack.results!.grpcUrl.split(':').pop()}` },
      10_000,
    );
    try {
      const submitted = await clients.call<results.v1.SubmitReportResponse>(
        'results',
        'trellis.results.v1.ReportService',
        'SubmitReport',
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
    const clients = new PlatformClients(
      { appointments: `127.0.0.1:${stack.appointments!.grpcUrl.split(':').pop()}` },
      10_000,
    );
    let slotId: string;
    try {
      const md = { authorization: `Bearer ${hospitalSchedulerToken}` };
      const schedule = await clients.call<appointments.v1.CreateScheduleResponse>(
        'appointments',
        'trellis.appointments.v1.ScheduleService',
        'CreateSchedule',
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
      const slots = await clients.call<appointments.v1.PublishSlotsResponse>(
        'appointments',
        'trellis.appointments.v1.ScheduleService',
        'PublishSlots',
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
