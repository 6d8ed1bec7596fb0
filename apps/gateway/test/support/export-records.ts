// Clinical records for the $export test, created over FHIR through the gateway like any local
// system would: a referral (GP A81001 → RR8), an appointment (RR8's slot booked by the GP) and a
// lab report with its observations (lab RR8, requested by A81001) per patient, each returning the
// ids the test later expects in (or absent from) the export.
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { faker } from '@faker-js/faker/locale/en_GB';
import type { DiagnosticReport, Resource, ServiceRequest } from '@medplum/fhirtypes';

const ODS = 'https://fhir.nhs.uk/Id/ods-organization-code';
const FIXTURE_NHS = '9434765919';
const fixture = (name: string) =>
  readFileSync(join(__dirname, '../fixtures/ok', name), 'utf8').replaceAll(FIXTURE_NHS, '%NHS%');
const serviceRequest = fixture('service-request.json');
const diagnosticReport = fixture('diagnostic-report.json');

export interface ExportRecordTokens {
  /** GP A81001: system/ServiceRequest.c, system/Appointment.c (and reads). */
  gp: string;
  /** Hospital RR8: system/Schedule.c, system/Slot.c. */
  hospital: string;
  /** Lab RR8: system/DiagnosticReport.c. */
  lab: string;
}

/** What one patient's records are, as the test will find them in an export. */
export interface PatientRecords {
  referral: string;
  appointment: string;
  report: string;
  /** Observations of the report (two in the fixture). */
  observations: number;
}

export class ExportRecords {
  private scheduleId?: string;
  private slotIndex = 0;

  constructor(
    private readonly fhirBase: string,
    private readonly tokens: ExportRecordTokens,
  ) {}

  private async post<T extends Resource>(path: string, token: string, body: unknown): Promise<T> {
    const res = await fetch(`${this.fhirBase}/${path}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${token}`,
        'content-type': 'application/fhir+json',
        accept: 'application/fhir+json',
      },
      body: JSON.stringify(body),
    });
    const parsed = (await res.json()) as T;
    if (res.status !== 201)
      throw new Error(`POST ${path}: ${res.status} ${JSON.stringify(parsed)}`);
    return parsed;
  }

  async referral(nhs: string): Promise<string> {
    const body = JSON.parse(serviceRequest.replaceAll('%NHS%', nhs)) as ServiceRequest;
    body.identifier = [{ ...body.identifier![0]!, value: `exp-${faker.string.alphanumeric(12)}` }];
    return (await this.post<ServiceRequest>('ServiceRequest', this.tokens.gp, body)).id!;
  }

  async appointment(nhs: string): Promise<string> {
    this.scheduleId ??= (
      await this.post('Schedule', this.tokens.hospital, {
        resourceType: 'Schedule',
        actor: [{ type: 'Organization', identifier: { system: ODS, value: 'RR8' } }],
        serviceType: [{ coding: [{ code: 'cardiology' }], text: 'cardiology' }],
        comment: `${faker.person.lastName()} clinic`,
      })
    ).id!;
    const start = new Date(Date.now() + 3 * 86_400_000);
    start.setUTCHours(9, 15 * this.slotIndex++, 0, 0);
    const slot = await this.post('Slot', this.tokens.hospital, {
      resourceType: 'Slot',
      schedule: { reference: `Schedule/${this.scheduleId}` },
      status: 'free',
      start: start.toISOString(),
      end: new Date(start.getTime() + 15 * 60_000).toISOString(),
    });
    const booked = await this.post('Appointment/$book', this.tokens.gp, {
      resourceType: 'Parameters',
      parameter: [
        { name: 'slot', valueReference: { reference: `Slot/${slot.id!}` } },
        { name: 'patient', valueReference: { reference: `Patient/${nhs}` } },
        { name: 'idempotency-key', valueString: `exp-${randomUUID()}` },
      ],
    });
    return booked.id!;
  }

  async report(nhs: string): Promise<{ id: string; observations: number }> {
    const body = JSON.parse(diagnosticReport.replaceAll('%NHS%', nhs)) as DiagnosticReport;
    body.identifier = [{ ...body.identifier![0]!, value: `exp-${randomUUID()}` }];
    body.subject = { reference: `Patient/${nhs}` };
    const created = await this.post<DiagnosticReport>('DiagnosticReport', this.tokens.lab, body);
    return { id: created.id!, observations: body.result?.length ?? 0 };
  }

  /** A referral, an appointment and a report (with its observations) of one patient. */
  async all(nhs: string): Promise<PatientRecords> {
    const referral = await this.referral(nhs);
    const appointment = await this.appointment(nhs);
    const r = await this.report(nhs);
    return { referral, appointment, report: r.id, observations: r.observations };
  }
}
