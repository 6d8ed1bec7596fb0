// Citizen access end to end (real gateway, identity, audit store and local OpenID provider
// processes, real PostgreSQL and Kafka): a citizen signs in with OpenID Connect (authorization code
// + PKCE, driven by an HTTP client through the provider's real pages), exchanges the ID token for a
// patient token, reads their record, sees who looked at it (and their own read), is refused
// everyone else's record and log however the request is shaped, and flags an access.
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import type {
  AuditEvent,
  Bundle,
  DiagnosticReport,
  OperationOutcome,
  Patient,
  ServiceRequest,
} from '@medplum/fhirtypes';
import { events } from '@trellis/contracts';
import { NHS_NUMBER_SYSTEM, ODS_ORGANISATION_SYSTEM, validateFhirResource } from '@trellis/fhir';
import { Client as PgClient } from 'pg';

import { startAuditStack, type AuditStack, type DemoCitizen } from './support/audit-stack';
import { citizenSignIn, type CitizenSession } from './support/citizen-login';
import { expectValid } from './support/fhir-assertions';
import { collect } from './support/harness';

jest.setTimeout(240_000);

const REDIRECT = 'http://127.0.0.1:9/callback';
const ODS = ODS_ORGANISATION_SYSTEM;
const ucum = (value: number, unit: string) => ({
  value,
  unit,
  system: 'http://unitsofmeasure.org',
  code: unit,
});

/** A full blood count from lab RR8 for the patient, requested by their GP practice A81001. */
function labReport(nhs: string): DiagnosticReport {
  return {
    resourceType: 'DiagnosticReport',
    identifier: [
      {
        system: 'https://fhir.trellis.nhs.uk/Id/lab-report-id',
        value: randomBytes(8).toString('hex'),
      },
    ],
    extension: [
      {
        url: 'https://fhir.trellis.nhs.uk/StructureDefinition/report-requester',
        extension: [
          {
            url: 'organization',
            valueReference: {
              type: 'Organization',
              identifier: { system: ODS, value: 'A81001' },
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
            valueIdentifier: { system: 'https://fhir.hl7.org.uk/Id/gmc-number', value: '7654321' },
          },
        ],
      },
    ],
    status: 'final',
    category: [
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0074', code: 'LAB' }] },
    ],
    code: { coding: [{ system: 'http://loinc.org', code: '58410-2', display: 'CBC panel' }] },
    subject: { reference: `Patient/${nhs}` },
    performer: [{ type: 'Organization', identifier: { system: ODS, value: 'RR8' } }],
    issued: new Date().toISOString(),
    contained: [
      {
        resourceType: 'Observation',
        id: 'hb',
        status: 'final',
        code: { coding: [{ system: 'http://loinc.org', code: '718-7' }] },
        subject: { reference: `Patient/${nhs}` },
        valueQuantity: ucum(142, 'g/L'),
        referenceRange: [{ low: ucum(130, 'g/L'), high: ucum(170, 'g/L') }],
      },
    ],
    result: [{ reference: '#hb' }],
  };
}
/** A routine cardiology referral from the GP practice to RR8 (the FHIR suite's fixture). */
function referralOf(nhs: string): ServiceRequest {
  const body = JSON.parse(
    readFileSync(join(__dirname, 'fixtures/ok/service-request.json'), 'utf8'),
  ) as ServiceRequest;
  body.subject = { reference: `Patient/${nhs}` };
  body.identifier = [
    {
      system: 'https://fhir.trellis.nhs.uk/Id/referral-request',
      value: `citizen-${randomBytes(6).toString('hex')}`,
    },
  ];
  return body;
}

let stack: AuditStack;
let gp: string;
let hospital: string;
let hospitalSystem: string;
let lab: string;
let alice: DemoCitizen;
let bob: DemoCitizen;
let session: CitizenSession;
let otherReferral: string;

async function fhir<T>(
  path: string,
  token: string,
  init: { method?: string; body?: unknown } = {},
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${stack.fhirBase}/${path}`, {
    method: init.method ?? 'GET',
    headers: {
      authorization: `Bearer ${token}`,
      ...(init.body ? { 'content-type': 'application/fhir+json' } : {}),
    },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  return { status: res.status, body: (await res.json()) as T };
}

function person(given: string, family: string): Patient {
  return {
    resourceType: 'Patient',
    name: [{ use: 'official', family, given: [given] }],
    gender: 'female',
    birthDate: '1975-06-07',
    address: [{ use: 'home', line: ['2 Test Road'], city: 'Durham', postalCode: 'DH1 3LE' }],
    generalPractitioner: [{ identifier: { system: ODS_ORGANISATION_SYSTEM, value: 'A81001' } }],
  };
}

async function citizenOf(given: string, family: string): Promise<DemoCitizen> {
  const created = await fhir<Patient>('Patient', gp, {
    method: 'POST',
    body: person(given, family),
  });
  expect(created.status).toBe(201);
  return {
    sub: `demo-${created.body.id!}`,
    email: `${given.toLowerCase()}@citizen.example`,
    password: randomBytes(12).toString('base64url'),
    nhsNumber: created.body.id!,
    givenName: given,
    familyName: family,
    birthDate: '1975-06-07',
  };
}

const orgOf = (e: AuditEvent) =>
  e.agent.find((a) => a.who?.identifier?.system === ODS_ORGANISATION_SYSTEM)?.who?.identifier
    ?.value;

/** The access records a service's outbox holds for a patient (written before it answered). */
async function accessRecords(schema: string, nhs: string): Promise<events.v1.AccessRecorded[]> {
  const pg = new PgClient({ connectionString: process.env['DATABASE_URL'] });
  await pg.connect();
  try {
    const r = await pg.query<{ payload: Buffer }>(
      `SELECT payload FROM "${schema}".outbox_events
        WHERE key = $1 AND ce_type = 'uk.nhs.trellis.audit.AccessRecorded.v1' ORDER BY seq`,
      [nhs],
    );
    return r.rows.map((row) => events.v1.AccessRecorded.decode(row.payload));
  } finally {
    await pg.end();
  }
}

/** Polls the citizen's log until `ok` holds (condition-based; the deadline ends a hung test). */
async function logUntil(
  query: string,
  ok: (events: AuditEvent[]) => boolean,
): Promise<AuditEvent[]> {
  const end = Date.now() + 60_000;
  for (;;) {
    const r = await fhir<Bundle<AuditEvent>>(`AuditEvent?${query}`, session.accessToken);
    const list = (r.body.entry ?? []).map((e) => e.resource!);
    if (r.status === 200 && ok(list)) return list;
    if (Date.now() > end) throw new Error(`log never matched: ${JSON.stringify(r.body)}`);
    await new Promise((res) => setTimeout(res, 200));
  }
}

beforeAll(async () => {
  // every platform of $everything runs: the citizen's record is whole (no platform missing)
  stack = await startAuditStack({ results: true, referrals: true, appointments: true });
  ({ token: gp } = await stack.system(
    ['system/Patient.cruds', 'system/ServiceRequest.crus'],
    'A81001',
    'north-east',
  ));
  let hospitalClient: { id: string };
  ({ token: hospital, client: hospitalClient } = await stack.system(
    ['system/Patient.rs'],
    'R1K01',
    'london',
  ));
  hospitalSystem = hospitalClient.id;
  ({ token: lab } = await stack.system(
    ['system/Patient.rs', 'system/DiagnosticReport.crus', 'system/Observation.rs'],
    'RR8',
    'yorkshire',
  ));
  alice = await citizenOf('Alice', 'Citizenson');
  bob = await citizenOf('Bob', 'Otherperson');
  await stack.startIdp([alice, bob], REDIRECT);
});

afterAll(async () => {
  await stack?.stop();
});

describe('citizen access: OpenID Connect sign-in, own record, access log, flag', () => {
  it('signs in (code + PKCE), reads the record and sees who looked, and the own read, within seconds', async () => {
    // earlier in the day: the GP, the hospital and the lab look at Alice's record
    expect((await fhir(`Patient/${alice.nhsNumber}`, gp)).status).toBe(200);
    expect((await fhir(`Patient/${alice.nhsNumber}`, hospital)).status).toBe(200);
    expect(
      (await fhir(`Patient?identifier=${NHS_NUMBER_SYSTEM}|${alice.nhsNumber}`, lab)).status,
    ).toBe(200);
    // a demographic trace by the GP that returns her: audited with the patient it returned
    const traced = await fhir<Bundle>('Patient?family=Citizenson&birthdate=1975-06-07', gp);
    expect(traced.body.entry?.map((e) => e.resource?.id)).toContain(alice.nhsNumber);
    const posted = await fhir<DiagnosticReport>('DiagnosticReport', lab, {
      method: 'POST',
      body: labReport(alice.nhsNumber),
    });
    expect(posted.status === 201 ? 'created' : JSON.stringify(posted.body)).toBe('created');
    const referred = await fhir<ServiceRequest>('ServiceRequest', gp, {
      method: 'POST',
      body: referralOf(alice.nhsNumber),
    });
    expect(referred.status === 201 ? 'created' : JSON.stringify(referred.body)).toBe('created');
    const bobsReferral = await fhir<ServiceRequest>('ServiceRequest', gp, {
      method: 'POST',
      body: referralOf(bob.nhsNumber),
    });
    expect(bobsReferral.status).toBe(201);
    otherReferral = bobsReferral.body.id!;

    session = await citizenSignIn({
      issuer: stack.idpIssuer,
      clientId: 'trellis-citizen',
      redirectUri: REDIRECT,
      email: alice.email,
      password: alice.password,
      tokenUrl: stack.gw.tokenUrl,
    });
    expect(session.pages[0]).toContain('Sign in');
    expect(session.pages.some((p) => p.includes('Share your details'))).toBe(true);
    expect(session).toMatchObject({ patient: alice.nhsNumber, expiresIn: 300 });
    expect(session.scope.split(' ')).toEqual(['patient/*.rs', 'patient/AuditEvent.u']);

    const own = await fhir<Patient>(`Patient/${alice.nhsNumber}`, session.accessToken);
    expect(own.status).toBe(200);
    expectValid(own.body);
    expect(own.body.name?.[0]?.family).toBe('Citizenson');
    const res = await fetch(`${stack.fhirBase}/Patient/${alice.nhsNumber}/$everything`, {
      headers: { authorization: `Bearer ${session.accessToken}` },
    });
    const everything = (await res.json()) as Bundle;
    expect(res.status).toBe(200);
    // their whole record: the patient, the GP's referral and the lab's report (every platform
    // admits the patient's own token), with no platform missing (no warning, no outcome entry)
    expect(res.headers.get('warning')).toBeNull();
    expect((everything.entry ?? []).filter((e) => e.search?.mode !== 'match')).toEqual([]);
    const matches = (everything.entry ?? []).filter((e) => e.search?.mode === 'match');
    expect(matches.map((e) => [e.resource?.resourceType, e.resource?.id])).toEqual([
      ['Patient', alice.nhsNumber],
      ['ServiceRequest', referred.body.id],
      ['DiagnosticReport', posted.body.id],
    ]);
    for (const m of matches) expectValid(m.resource!);
    // their referral by id and by search; someone else's is not found
    const ownReferral = await fhir<ServiceRequest>(
      `ServiceRequest/${referred.body.id!}`,
      session.accessToken,
    );
    expect(ownReferral.status).toBe(200);
    const searched = await fhir<Bundle>(
      `ServiceRequest?patient=${alice.nhsNumber}`,
      session.accessToken,
    );
    expect(searched.body.entry?.map((e) => e.resource?.id)).toEqual([referred.body.id]);

    const log = await logUntil(`patient=${alice.nhsNumber}`, (list) => {
      const orgs = new Set(list.map(orgOf));
      return (
        ['A81001', 'R1K01', 'RR8'].every((o) => orgs.has(o)) &&
        list.some((e) => orgOf(e) === 'A81001' && e.subtype?.[0]?.code === 'GET /fhir/Patient') &&
        list.some(
          (e) =>
            e.purposeOfEvent?.[0]?.coding?.[0]?.code === 'PATRQT' &&
            e.subtype?.[0]?.code === 'GET /fhir/Patient/:id',
        )
      );
    });
    for (const e of log) expect(validateFhirResource(e)).toMatchObject({ valid: true });
    const mine = log.find(
      (e) =>
        e.purposeOfEvent?.[0]?.coding?.[0]?.code === 'PATRQT' &&
        e.subtype?.[0]?.code === 'GET /fhir/Patient/:id',
    )!;
    expect(mine.text?.div).toContain('You read your patient record');
    expect(mine.agent.find((a) => a.requestor)?.who?.reference).toBe(`Patient/${alice.nhsNumber}`);
    const labQuery = log.find((e) => orgOf(e) === 'RR8' && e.action === 'R')!;
    expect(labQuery.subtype?.[0]?.code).toBe('GET /fhir/Patient');
    expect(labQuery.text?.div).toContain('of organisation RR8');
    const trace = log.find(
      (e) => orgOf(e) === 'A81001' && e.subtype?.[0]?.code === 'GET /fhir/Patient',
    );
    expect(
      trace?.entity?.find((x) => x.what?.identifier?.system === NHS_NUMBER_SYSTEM)?.what?.identifier
        ?.value,
    ).toBe(alice.nhsNumber);
    const labReportAccess = log.find((e) => orgOf(e) === 'RR8' && e.action === 'C');
    expect(labReportAccess?.text?.div).toContain('created a test report');

    // one record per access: the hospital's single read and the citizen's own reads are the
    // gateway's records of the FHIR interactions; the platforms that served them (identity, the
    // audit store) wrote none of their own (the FHIR facade marks its calls x-trellis-door: fhir)
    expect(log.filter((e) => orgOf(e) === 'R1K01').map((e) => e.subtype?.[0]?.code)).toEqual([
      'GET /fhir/Patient/:id',
    ]);
    const byGateway = await accessRecords(stack.gw.schema.schema, alice.nhsNumber);
    expect(
      byGateway.filter((r) => r.systemId === hospitalSystem).map((r) => r.interaction),
    ).toEqual(['GET /fhir/Patient/:id']);
    expect(
      byGateway
        .filter(
          (r) => r.systemId.startsWith('citizen:') && r.interaction === 'GET /fhir/Patient/:id',
        )
        .map((r) => r.sourceService),
    ).toEqual(['gateway']);
    for (const schema of [stack.schemas.identity, stack.schemas.audit]) {
      const second = (await accessRecords(schema, alice.nhsNumber)).filter(
        (r) => r.systemId === hospitalSystem || r.systemId.startsWith('citizen:'),
      );
      expect([schema, second.map((r) => r.interaction)]).toEqual([schema, []]);
    }
  });

  it("refuses another patient's record and access log however the request is shaped", async () => {
    const t = session.accessToken;
    const refused = async (path: string, method = 'GET', body?: unknown) => {
      const r = await fhir<OperationOutcome>(path, t, { method, ...(body ? { body } : {}) });
      expect([path, [400, 403, 404].includes(r.status)]).toEqual([path, true]);
      expect(r.body.resourceType).toBe('OperationOutcome');
      return r.status;
    };
    const b = bob.nhsNumber;
    expect(await refused(`Patient/${b}`)).toBe(403);
    expect(await refused(`Patient/${b}/$everything`)).toBe(403);
    expect(await refused(`ServiceRequest/${otherReferral}`)).toBe(404);
    expect(await refused(`ServiceRequest?patient=${b}`)).toBe(403);
    expect(await refused(`ServiceRequest?requester=A81001`)).toBe(400);
    expect(await refused(`AuditEvent?patient=${b}`)).toBe(403);
    expect(await refused(`AuditEvent?patient=Patient/${b}`)).toBe(403);
    expect(await refused(`AuditEvent?entity=Patient/${b}`)).toBe(403);
    expect(await refused(`AuditEvent?patient=${NHS_NUMBER_SYSTEM}|${b}`)).toBe(403);
    await refused(`AuditEvent?patient=${alice.nhsNumber}&entity=Patient/${b}`);
    await refused('AuditEvent'); // everyone's log
    await refused(`AuditEvent?agent=Organization/R1K01`);
    await refused(`Patient?identifier=${NHS_NUMBER_SYSTEM}|${b}`);
    await refused(`Patient?family=Otherperson`);
    await refused(`Patient/${b}/_history`);
    await refused('Patient', 'POST', person('Mallory', 'Intruder'));
    // an access to Bob's record, by its id: not found for Alice
    expect((await fhir(`Patient/${b}`, gp)).status).toBe(200);
    const bobs = await (async () => {
      const end = Date.now() + 60_000;
      const { token: operator } = await stack.system(
        ['trellis/admin', 'system/AuditEvent.rs'],
        'X26',
      );
      for (;;) {
        const r = await fhir<Bundle<AuditEvent>>(`AuditEvent?patient=${b}`, operator);
        if (r.body.entry?.length) return r.body.entry[0]!.resource!;
        if (Date.now() > end) throw new Error("Bob's access never stored");
        await new Promise((res) => setTimeout(res, 200));
      }
    })();
    expect(await refused(`AuditEvent/${bobs.id}`)).toBe(404);
    expect(
      await refused(`AuditEvent/${bobs.id}/$flag`, 'POST', {
        resourceType: 'Parameters',
        parameter: [{ name: 'reason', valueString: 'not mine' }],
      }),
    ).toBe(404);
  });

  it("flags an access: events for the organisation's DPO and the GP's region", async () => {
    const dpo = await collect(stack.flagTopic);
    const region = await collect(stack.regionTopic('north-east'));
    try {
      const log = await logUntil(`patient=${alice.nhsNumber}&agent=Organization/R1K01`, (l) =>
        l.some((e) => orgOf(e) === 'R1K01'),
      );
      const access = log.find((e) => orgOf(e) === 'R1K01')!;
      const body = {
        resourceType: 'Parameters',
        parameter: [{ name: 'reason', valueString: 'I have never been to this hospital' }],
      };
      const flagged = await fhir<AuditEvent>(`AuditEvent/${access.id}/$flag`, session.accessToken, {
        method: 'POST',
        body,
      });
      expect(flagged.status).toBe(200);
      expectValid(flagged.body);
      expect(flagged.body.extension?.[0]?.valueDateTime).toBeDefined();
      const again = await fhir<AuditEvent>(`AuditEvent/${access.id}/$flag`, session.accessToken, {
        method: 'POST',
        body,
      });
      expect(again.body.extension).toEqual(flagged.body.extension);
      // a connected system cannot flag for the patient
      expect(
        (await fhir(`AuditEvent/${access.id}/$flag`, gp, { method: 'POST', body })).status,
      ).toBe(403);

      const end = Date.now() + 60_000;
      while (dpo.messages.length < 1 || region.messages.length < 1) {
        if (Date.now() > end) throw new Error('the flag events never arrived');
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(dpo.messages).toHaveLength(1);
      expect(region.messages).toHaveLength(1);
      const forDpo = events.v1.AccessFlagged.decode(dpo.messages[0]!.value!);
      expect(forDpo).toMatchObject({
        auditId: access.id,
        odsCode: 'R1K01',
        patientNhsNumber: alice.nhsNumber,
        gpOdsCode: 'A81001',
        gpRegion: 'north-east',
        reason: 'I have never been to this hospital',
      });
      expect(dpo.messages[0]!.headers?.['ce_odscode']?.toString()).toBe('R1K01');
      expect(dpo.messages[0]!.key?.toString()).toBe(alice.nhsNumber);
      const forRegion = events.v1.AccessFlagged.decode(region.messages[0]!.value!);
      expect(forRegion.flagId).toBe(forDpo.flagId);
      expect(region.messages[0]!.headers?.['ce_region']?.toString()).toBe('north-east');
    } finally {
      await dpo.stop();
      await region.stop();
    }
  });
});
