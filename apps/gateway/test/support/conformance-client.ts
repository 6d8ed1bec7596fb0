// A scripted supplier client for the gp-system and lab-lims conformance scenarios (issue 17), as a
// supplier would write it against the TestScripts: every request names its scenario, and the
// client's handling of the sandbox's faults is switchable to play a careless supplier too.
import { fakerEN_GB as faker } from '@faker-js/faker';
import type {
  Bundle,
  DiagnosticReport,
  OperationOutcome,
  Parameters,
  Patient,
  Resource,
} from '@medplum/fhirtypes';

const LAB_REPORT_ID = 'https://fhir.trellis.nhs.uk/Id/lab-report-id';
const VERSION_REASON = 'https://fhir.trellis.nhs.uk/StructureDefinition/version-reason';

export interface ClientHabits {
  /** Wait the Retry-After a 429/503 names before the next request (a careless client does not). */
  honourRetryAfter: boolean;
  /** Send If-Match on updates (a careless client does not). */
  sendIfMatch: boolean;
}

export interface FhirAnswer<T = Resource> {
  status: number;
  headers: Headers;
  body: T;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class SupplierClient {
  constructor(
    private readonly fhirBase: string,
    private readonly token: string,
    private readonly habits: ClientHabits,
    /** Role prefix of the TestScript ids (gp-system or hospital-epr for the shared scenarios). */
    private readonly role = 'gp-system',
  ) {}

  async call<T = Resource>(
    scenario: string | null,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<FhirAnswer<T>> {
    const res = await fetch(`${this.fhirBase}${path}`, {
      method,
      headers: {
        authorization: `Bearer ${this.token}`,
        accept: 'application/fhir+json',
        ...(body === undefined ? {} : { 'content-type': 'application/fhir+json' }),
        ...(scenario ? { 'x-trellis-scenario': scenario } : {}),
        ...headers,
      },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    const text = await res.text();
    return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : {}) as T };
  }

  /** One request, retried (up to 3 times) after 429/503 — waiting Retry-After when the habit says so. */
  private async withRetry<T>(
    scenario: string,
    method: string,
    path: string,
    body?: unknown,
    headers: Record<string, string> = {},
  ): Promise<FhirAnswer<T>> {
    for (let attempt = 0; ; attempt++) {
      const a = await this.call<T>(scenario, method, path, body, headers);
      if ((a.status !== 429 && a.status !== 503) || attempt === 3) return a;
      if (this.habits.honourRetryAfter)
        await sleep(Number(a.headers.get('retry-after') ?? '1') * 1000 + 100);
    }
  }

  async startSession(retryAfter: number, role = this.role): Promise<FhirAnswer<Parameters>> {
    return this.call<Parameters>(null, 'POST', '/TestScript/$start-session', {
      resourceType: 'Parameters',
      parameter: [
        { name: 'role', valueCode: role },
        { name: 'retry-after', valueInteger: retryAfter },
      ],
    });
  }

  async finishSession(session: string): Promise<FhirAnswer<Bundle>> {
    return this.call<Bundle>(null, 'POST', '/TestScript/$finish-session', {
      resourceType: 'Parameters',
      parameter: [{ name: 'session', valueId: session }],
    });
  }

  /** gp-system-register-patient: conditional create, then trace the duplicate the sandbox refuses. */
  async registerPatient(): Promise<string> {
    const scenario = `${this.role}-register-patient`;
    const family = faker.person.lastName();
    const given = faker.person.firstName();
    const birthDate = faker.date
      .birthdate({ min: 20, max: 90, mode: 'age' })
      .toISOString()
      .slice(0, 10);
    const patient: Patient = {
      resourceType: 'Patient',
      name: [{ family, given: [given] }],
      gender: faker.helpers.arrayElement(['male', 'female'] as const),
      birthDate,
    };
    const ifNoneExist = {
      'if-none-exist': `family=${encodeURIComponent(family)}&given=${encodeURIComponent(given)}&birthdate=${birthDate}`,
    };
    const first = await this.call<Patient>(scenario, 'POST', '/Patient', patient, ifNoneExist);
    if (first.status !== 201 && first.status !== 200)
      throw new Error(`registration failed: ${String(first.status)} ${JSON.stringify(first.body)}`);
    const again = await this.call<OperationOutcome>(
      scenario,
      'POST',
      '/Patient',
      patient,
      ifNoneExist,
    );
    const candidate = /Patient\/(\d{10})/.exec(
      again.body.issue?.map((i) => i.diagnostics ?? i.details?.text ?? '').join(' ') ?? '',
    )?.[1];
    if (again.status === 412 && candidate) {
      const traced = await this.call<Patient>(scenario, 'GET', `/Patient/${candidate}`);
      return traced.body.id!;
    }
    return first.body.id!;
  }

  /** gp-system-update-if-match: version-aware update, re-read after the 412. */
  async updatePatient(nhs: string): Promise<number> {
    const scenario = `${this.role}-update-if-match`;
    let status = 0;
    for (let attempt = 0; attempt < 3; attempt++) {
      const read = await this.call<Patient>(scenario, 'GET', `/Patient/${nhs}`);
      const body = { ...read.body };
      delete body.meta;
      const ifMatch: Record<string, string> = this.habits.sendIfMatch
        ? { 'if-match': read.headers.get('etag') ?? '' }
        : {};
      const put = await this.call(scenario, 'PUT', `/Patient/${nhs}`, body, ifMatch);
      status = put.status;
      if (status !== 412) return status;
    }
    return status;
  }

  /** gp-system-read-everything: $everything, honouring Retry-After (or not). */
  async readEverything(nhs: string): Promise<number> {
    const a = await this.withRetry(
      `${this.role}-read-everything`,
      'GET',
      `/Patient/${nhs}/$everything`,
    );
    return a.status;
  }

  /** gp-system-acknowledge-result: acknowledge the report, retrying after the 503. */
  async acknowledge(reportId: string): Promise<number> {
    const a = await this.withRetry(
      'gp-system-acknowledge-result',
      'POST',
      `/DiagnosticReport/${reportId}/$acknowledge`,
      {
        resourceType: 'Parameters',
        parameter: [{ name: 'note', valueString: 'seen, patient called' }],
      },
    );
    return a.status;
  }

  /**
   * lab-lims-post-amend-report: post with the lab report identifier (If-None-Exist); when the
   * answer is lost, post the same report again; then amend it with If-Match.
   */
  async postAndAmendReport(report: DiagnosticReport): Promise<string> {
    const scenario = 'lab-lims-post-amend-report';
    const id = report.identifier?.find((i) => i.system === LAB_REPORT_ID)?.value ?? '';
    const cond = { 'if-none-exist': `identifier=${LAB_REPORT_ID}|${id}` };
    let posted: FhirAnswer<DiagnosticReport> | undefined;
    for (let attempt = 0; attempt < 3 && !posted; attempt++) {
      try {
        posted = await this.call<DiagnosticReport>(
          scenario,
          'POST',
          '/DiagnosticReport',
          report,
          cond,
        );
      } catch {
        // the connection dropped: the report may exist — the same identifier makes the retry safe
      }
    }
    if (!posted?.body.id) throw new Error(`report not posted: ${JSON.stringify(posted?.body)}`);
    const current = await this.call<DiagnosticReport>(
      scenario,
      'GET',
      `/DiagnosticReport/${posted.body.id}`,
    );
    const amended: DiagnosticReport = {
      ...current.body,
      status: 'amended',
      extension: [
        ...(current.body.extension ?? []).filter((e) => e.url !== VERSION_REASON),
        { url: VERSION_REASON, valueString: 'haemoglobin re-measured on a second sample' },
      ],
    };
    delete amended.meta;
    const ifMatch: Record<string, string> = this.habits.sendIfMatch
      ? { 'if-match': current.headers.get('etag') ?? '' }
      : {};
    const put = await this.call(
      scenario,
      'PUT',
      `/DiagnosticReport/${posted.body.id}`,
      amended,
      ifMatch,
    );
    if (put.status !== 200)
      throw new Error(`amendment: ${String(put.status)} ${JSON.stringify(put.body)}`);
    return posted.body.id;
  }

  /** lab-lims-read-report: read the report back, honouring Retry-After (or not). */
  async readReport(id: string): Promise<number> {
    return (await this.withRetry('lab-lims-read-report', 'GET', `/DiagnosticReport/${id}`)).status;
  }

  /**
   * hospital-epr-book-appointment: book with an idempotency key; when the answer is lost, book
   * again with the same key (the same booking comes back).
   */
  async book(slotId: string, nhs: string): Promise<string | undefined> {
    const key = `book-${slotId}`;
    const params = {
      resourceType: 'Parameters',
      parameter: [
        { name: 'slot', valueReference: { reference: `Slot/${slotId}` } },
        { name: 'patient', valueReference: { reference: `Patient/${nhs}` } },
        { name: 'idempotency-key', valueString: key },
      ],
    };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const a = await this.call(
          `${this.role}-book-appointment`,
          'POST',
          '/Appointment/$book',
          params,
        );
        return a.body.id;
      } catch {
        // the connection dropped: the booking may exist — the same key makes the retry safe
      }
    }
    return undefined;
  }
}
