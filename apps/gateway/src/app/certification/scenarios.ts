import { type CertifiableRole } from './exchange';
import {
  afterFault,
  every,
  fail,
  honoursRetryAfter,
  is,
  ok,
  oneResource,
  pass,
  retriedToSuccess,
  sameKeyRetry,
  type Scenario,
  type ScenarioAssertion,
} from './checks';

export type { Scenario, ScenarioAssertion } from './checks';

const PATIENT = /^\/fhir\/Patient$/;
const PATIENT_ID = /^\/fhir\/Patient\/[^/]+$/;
const EVERYTHING = /^\/fhir\/Patient\/[^/]+\/\$everything$/;
const BOOK = /^\/fhir\/Appointment\/\$book$/;
const REPORT = /^\/fhir\/DiagnosticReport$/;
const REPORT_ID = /^\/fhir\/DiagnosticReport\/[^/]+$/;
const ACKNOWLEDGE = /^\/fhir\/DiagnosticReport\/[^/]+\/\$acknowledge$/;

const honourRetryAfter: ScenarioAssertion = {
  id: 'honour-retry-after',
  rule: { id: 'rate-limit.exceeded', source: 'RFC 9110 §10.2.3 Retry-After' },
  description:
    'After a 429 the client waits at least the Retry-After seconds before its next request',
  script: { direction: 'response', headerField: 'Retry-After', operator: 'notEmpty' },
  check: honoursRetryAfter('rate-limit'),
};

const SCENARIOS: readonly Scenario[] = [
  {
    key: 'register-patient',
    roles: ['gp-system', 'hospital-epr'],
    title: 'Register a patient without creating a duplicate',
    description:
      'Register a new synthetic patient with a conditional create (If-None-Exist), then register the same person again: the sandbox refuses the second create as a likely duplicate (412, issue code duplicate, naming the existing patient). The client must trace the existing record (read or search Patient) instead of registering again.',
    steps: [
      {
        label: 'register',
        description: 'POST the patient with If-None-Exist (e.g. family, given, birthdate)',
        method: 'post',
        type: 'create',
        resource: 'Patient',
        url: '/Patient',
        headers: { 'If-None-Exist': 'family={family}&given={given}&birthdate={birthdate}' },
      },
      {
        label: 'register-again',
        description: 'POST the same person again (the sandbox answers 412 duplicate)',
        method: 'post',
        type: 'create',
        resource: 'Patient',
        url: '/Patient',
        headers: { 'If-None-Exist': 'family={family}&given={given}&birthdate={birthdate}' },
      },
      {
        label: 'trace',
        description: 'Read or search the patient the refusal names',
        method: 'get',
        type: 'read',
        resource: 'Patient',
        url: '/Patient/{candidate}',
      },
    ],
    faults: [{ kind: 'duplicate', method: 'POST', path: PATIENT, occurrence: 2 }],
    assertions: [
      {
        id: 'create-if-none-exist',
        rule: { id: 'fhir.conditional-create', source: 'FHIR R4 http.html#ccreate' },
        description: 'Every patient registration is a conditional create (If-None-Exist)',
        script: { direction: 'request', headerField: 'If-None-Exist', operator: 'notEmpty' },
        check: (xs) => every(xs, 'POST', PATIENT, (x) => !!x.ifNoneExist, 'If-None-Exist'),
      },
      {
        id: 'create-succeeded',
        rule: { id: 'fhir.create', source: 'FHIR R4 http.html#create' },
        description: 'A registration was accepted (201 created, or 200 for an existing match)',
        script: { requestMethod: 'post' },
        check: (xs) => {
          const x = xs.find((e) => is(e, 'POST', PATIENT) && ok(e));
          return x ? pass('patient registered', x) : fail('no registration was accepted');
        },
      },
      {
        id: 'duplicate-traced',
        rule: { id: 'identity.duplicate.single-match' },
        description:
          'After a duplicate refusal the client traces the existing patient (GET Patient) before any further registration',
        check: (xs) => {
          const { fault, later } = afterFault(xs, 'duplicate');
          if (!fault) return fail('the second registration (duplicate refusal) was never made');
          const next = later.find((x) => /^\/fhir\/Patient(\/|$)/.test(x.path));
          if (!next) return fail('nothing traced after the duplicate refusal', fault);
          return next.method === 'GET' && ok(next)
            ? pass('traced the existing patient', next)
            : fail('registered again instead of tracing', next);
        },
      },
    ],
  },
  {
    key: 'update-if-match',
    roles: ['gp-system', 'hospital-epr'],
    title: 'Update a patient with If-Match and recover from a 412',
    description:
      'Read a patient, then update it with If-Match: W/"<version read>". The sandbox answers the first update 412 (another system updated the record meanwhile). The client must read the patient again and repeat the update with the new version.',
    steps: [
      {
        label: 'read',
        description: 'Read the patient (note the ETag)',
        method: 'get',
        type: 'read',
        resource: 'Patient',
        url: '/Patient/{nhs}',
      },
      {
        label: 'update',
        description: 'PUT the change with If-Match (the sandbox answers 412)',
        method: 'put',
        type: 'update',
        resource: 'Patient',
        url: '/Patient/{nhs}',
        headers: { 'If-Match': 'W/"{version}"' },
      },
      {
        label: 're-read-and-update',
        description: 'Read again and PUT with the new version',
        method: 'put',
        type: 'update',
        resource: 'Patient',
        url: '/Patient/{nhs}',
        headers: { 'If-Match': 'W/"{version}"' },
      },
    ],
    faults: [{ kind: 'precondition', method: 'PUT', path: PATIENT_ID, occurrence: 1 }],
    assertions: [
      {
        id: 'update-if-match',
        rule: { id: 'http.if-match-required', source: 'FHIR R4 http.html#concurrency' },
        description:
          'Every update is version-aware (If-Match: W/"<version>"), and the update is finally accepted',
        script: { direction: 'request', headerField: 'If-Match', operator: 'notEmpty' },
        check: (xs) => {
          const all = every(xs, 'PUT', PATIENT_ID, (x) => !!x.ifMatch, 'If-Match');
          if (!all.pass) return all;
          const done = xs.find((x) => is(x, 'PUT', PATIENT_ID) && ok(x));
          return done ? pass(all.message, done) : fail('no update was accepted', all.evidence);
        },
      },
      {
        id: 'recover-412',
        rule: { id: 'http.precondition-failed', source: 'FHIR R4 http.html#concurrency' },
        description: 'After a 412 the client reads the resource again before the next update',
        check: (xs) => {
          const { fault, later } = afterFault(xs, 'precondition');
          if (!fault) return fail('no update was made (the 412 was never triggered)');
          const next = later.find((x) => x.path === fault.path);
          if (!next) return fail('the resource was not touched again after the 412', fault);
          return next.method === 'GET' && ok(next)
            ? pass('re-read before updating again', next)
            : fail('updated again without re-reading', next);
        },
      },
    ],
  },
  {
    key: 'read-everything',
    roles: ['gp-system', 'hospital-epr'],
    title: "Read a patient's shared care record and honour Retry-After",
    description:
      'Read Patient/{nhs}/$everything for a sandbox patient. The sandbox answers the first read 429 with Retry-After; the client must wait that long, then read again.',
    steps: [
      {
        label: 'everything',
        description: 'GET $everything (the sandbox answers 429 + Retry-After)',
        method: 'get',
        type: 'operation',
        resource: 'Patient',
        url: '/Patient/{nhs}/$everything',
      },
      {
        label: 'everything-again',
        description: 'After Retry-After seconds, GET $everything again',
        method: 'get',
        type: 'operation',
        resource: 'Patient',
        url: '/Patient/{nhs}/$everything',
      },
    ],
    faults: [{ kind: 'rate-limit', method: 'GET', path: EVERYTHING, occurrence: 1 }],
    assertions: [
      honourRetryAfter,
      {
        id: 'everything-read',
        rule: { id: 'operation.everything', source: 'FHIR R4 patient-operation-everything' },
        description: 'The shared care record was read ($everything answered 200)',
        script: { responseCode: '200' },
        check: retriedToSuccess('rate-limit'),
      },
    ],
  },
  {
    key: 'acknowledge-result',
    roles: ['gp-system'],
    title: 'Acknowledge an abnormal result, retrying after a 503',
    description:
      'Acknowledge the abnormal lab result reported for your sandbox patient (DiagnosticReport/{id}/$acknowledge). The sandbox answers the first acknowledgement 503 with Retry-After; the client must retry it after that delay (acknowledgement is idempotent).',
    steps: [
      {
        label: 'acknowledge',
        description: 'POST $acknowledge (the sandbox answers 503)',
        method: 'post',
        type: 'operation',
        resource: 'DiagnosticReport',
        url: '/DiagnosticReport/{report}/$acknowledge',
      },
      {
        label: 'acknowledge-again',
        description: 'After Retry-After seconds, POST $acknowledge again',
        method: 'post',
        type: 'operation',
        resource: 'DiagnosticReport',
        url: '/DiagnosticReport/{report}/$acknowledge',
      },
    ],
    faults: [{ kind: 'unavailable', method: 'POST', path: ACKNOWLEDGE, occurrence: 1 }],
    assertions: [
      {
        id: 'acknowledged',
        rule: { id: 'results.acknowledge', source: 'Trellis DiagnosticReport/$acknowledge' },
        description: 'The result was acknowledged (200) after the 503',
        script: { responseCode: '200' },
        check: retriedToSuccess('unavailable'),
      },
      {
        id: 'retry-after-unavailable',
        rule: { id: 'http.unavailable', source: 'RFC 9110 §15.6.4 503 + Retry-After' },
        description: 'After a 503 the client waits the Retry-After seconds before retrying',
        check: honoursRetryAfter('unavailable'),
      },
    ],
  },
  {
    key: 'book-appointment',
    roles: ['hospital-epr'],
    title: 'Book with an idempotency key and retry safely after a lost answer',
    description:
      'Book a free slot for a sandbox patient with Appointment/$book and an idempotency-key. The sandbox books it and then drops the connection before the answer; the client must retry with the same key, and get the same booking back.',
    steps: [
      {
        label: 'book',
        description: 'POST $book with slot, patient and idempotency-key (the answer is lost)',
        method: 'post',
        type: 'operation',
        resource: 'Appointment',
        url: '/Appointment/$book',
      },
      {
        label: 'book-again',
        description: 'POST the same $book again (same idempotency-key)',
        method: 'post',
        type: 'operation',
        resource: 'Appointment',
        url: '/Appointment/$book',
      },
    ],
    faults: [{ kind: 'drop', method: 'POST', path: BOOK, occurrence: 1 }],
    assertions: [
      {
        id: 'book-idempotency-key',
        rule: { id: 'appointment.idempotency-key', source: 'Trellis Appointment/$book' },
        description: 'Every booking carries an idempotency-key',
        check: (xs) => every(xs, 'POST', BOOK, (x) => !!x.key, 'an idempotency-key'),
      },
      {
        id: 'book-retry-same-key',
        rule: { id: 'appointment.idempotency-key' },
        description: 'After a lost answer the booking is retried with the same key',
        check: sameKeyRetry('drop', BOOK),
      },
      {
        id: 'book-no-duplicate',
        rule: { id: 'appointment.slot' },
        description: 'Every accepted booking names the same Appointment (no double booking)',
        check: oneResource(BOOK),
      },
    ],
  },
  {
    key: 'post-amend-report',
    roles: ['lab-lims'],
    title: 'Post a report, never duplicate it on retry, then amend it',
    description:
      'Post a DiagnosticReport for a sandbox patient with its lab report identifier. The sandbox stores it and drops the connection before the answer; the client must retry with the same identifier (one report, not two). Then amend the report (status amended, version-reason) with If-Match.',
    steps: [
      {
        label: 'post',
        description: 'POST the report with its identifier (the answer is lost)',
        method: 'post',
        type: 'create',
        resource: 'DiagnosticReport',
        url: '/DiagnosticReport',
        headers: { 'If-None-Exist': 'identifier={lab-report-id system}|{id}' },
      },
      {
        label: 'post-again',
        description: 'POST it again with the same identifier',
        method: 'post',
        type: 'create',
        resource: 'DiagnosticReport',
        url: '/DiagnosticReport',
      },
      {
        label: 'amend',
        description: 'PUT the amended report with If-Match',
        method: 'put',
        type: 'update',
        resource: 'DiagnosticReport',
        url: '/DiagnosticReport/{report}',
        headers: { 'If-Match': 'W/"{version}"' },
      },
    ],
    faults: [{ kind: 'drop', method: 'POST', path: REPORT, occurrence: 1 }],
    assertions: [
      {
        id: 'report-identifier',
        rule: { id: 'diagnostic-report.identifier' },
        description: 'Every report carries its lab report identifier (the idempotency key)',
        check: (xs) => every(xs, 'POST', REPORT, (x) => !!x.key, 'a lab report identifier'),
      },
      {
        id: 'report-retry-no-duplicate',
        rule: { id: 'diagnostic-report.identifier' },
        description:
          'After a lost answer the report is posted again with the same identifier, and every accepted post names one report',
        check: (xs) => {
          const same = sameKeyRetry('drop', REPORT)(xs);
          return same.pass ? oneResource(REPORT)(xs) : same;
        },
      },
      {
        id: 'report-amended',
        rule: { id: 'diagnostic-report.version-reason', source: 'FHIR R4 http.html#concurrency' },
        description: 'The report is amended by a version-aware update (If-Match) that is accepted',
        script: { direction: 'request', headerField: 'If-Match', operator: 'notEmpty' },
        check: (xs) => {
          const all = every(xs, 'PUT', REPORT_ID, (x) => !!x.ifMatch, 'If-Match');
          if (!all.pass) return all;
          const done = xs.find((x) => is(x, 'PUT', REPORT_ID) && ok(x));
          return done ? pass('amended', done) : fail('no amendment was accepted', all.evidence);
        },
      },
    ],
  },
  {
    key: 'read-report',
    roles: ['lab-lims'],
    title: 'Read a report back and honour Retry-After',
    description:
      'Read the report you posted (DiagnosticReport/{id}). The sandbox answers the first read 429 with Retry-After; the client must wait that long, then read again.',
    steps: [
      {
        label: 'read',
        description: 'GET the report (the sandbox answers 429)',
        method: 'get',
        type: 'read',
        resource: 'DiagnosticReport',
        url: '/DiagnosticReport/{report}',
      },
    ],
    faults: [{ kind: 'rate-limit', method: 'GET', path: REPORT_ID, occurrence: 1 }],
    assertions: [
      honourRetryAfter,
      {
        id: 'report-read',
        rule: { id: 'fhir.read', source: 'FHIR R4 http.html#read' },
        description: 'The report was read (200)',
        script: { responseCode: '200' },
        check: retriedToSuccess('rate-limit'),
      },
    ],
  },
];

export function scenarioId(role: CertifiableRole, key: string): string {
  return `${role}-${key}`;
}

/** The scenarios of a role, each with its TestScript id. */
export function scenariosOf(role: CertifiableRole): Array<Scenario & { id: string }> {
  return SCENARIOS.filter((s) => s.roles.includes(role)).map((s) => ({
    ...s,
    id: scenarioId(role, s.key),
  }));
}

/** The scenario behind a TestScript id, with its role. */
export function scenarioById(
  id: string,
): (Scenario & { id: string; role: CertifiableRole }) | undefined {
  for (const s of SCENARIOS)
    for (const role of s.roles) if (scenarioId(role, s.key) === id) return { ...s, id, role };
  return undefined;
}

export function allScenarios(): Array<Scenario & { id: string; role: CertifiableRole }> {
  return SCENARIOS.flatMap((s) =>
    s.roles.map((role) => ({ ...s, id: scenarioId(role, s.key), role })),
  );
}
