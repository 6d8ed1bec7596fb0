// The record locator through the FHIR door (issue 21): DocumentReference pointers registered by one
// organisation (the custodian), found by another by patient and type, superseded and retired by the
// custodian only, audited like every read, each change with its event in identity's outbox.
import { faker } from '@faker-js/faker/locale/en_GB';
import { status } from '@grpc/grpc-js';
import type {
  Bundle,
  CapabilityStatement,
  DocumentReference,
  Patient,
  Resource,
} from '@medplum/fhirtypes';
import { events } from '@trellis/contracts';
import { validateFhirResource } from '@trellis/fhir';
import { Client as PgClient } from 'pg';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { collect, startFhirStack, type FhirStack } from './fhir.harness';
import { waitFor } from './support/harness';
import {
  CRISIS_PLAN,
  DISCHARGE,
  fhirCaller,
  ids,
  NHS,
  ODS,
  pointer,
  SCT,
} from './support/record-locator';
import { RawGrpc } from './support/two-doors';

jest.setTimeout(300_000);

let stack: FhirStack;
let fhir: ReturnType<typeof fhirCaller>;
let pg: PgClient;
let hospital: string; // RR8: the custodian
let gp: string; // A81001: reads only
let other: string; // B82002: another custodian

beforeAll(async () => {
  // a loaded machine: a platform call may take longer than the default 5 s deadline
  stack = await startFhirStack({}, { gatewayEnv: { FHIR_PLATFORM_DEADLINE_MS: '30000' } });
  fhir = fhirCaller(stack.fhirBase);
  ({ token: hospital } = await stack.token(
    ['system/Patient.cruds', 'system/DocumentReference.cruds'],
    'RR8',
  ));
  ({ token: gp } = await stack.token(['system/DocumentReference.rs'], 'A81001'));
  ({ token: other } = await stack.token(['system/DocumentReference.cruds'], 'B82002'));
  pg = new PgClient({ connectionString: process.env['DATABASE_URL'] });
  await pg.connect();
});

afterAll(async () => {
  await pg?.end();
  await stack?.stop();
});

type Caller = ReturnType<typeof fhirCaller>;
function http<T extends Resource = Resource>(...a: Parameters<Caller['http']>) {
  return fhir.http<T>(...a);
}
const refused: Caller['refused'] = (p) => fhir.refused(p);

/** A synthetic patient registered by the hospital (optionally from a fixture): its NHS number. */
async function patient(fixture?: string): Promise<string> {
  const base = fixture
    ? (JSON.parse(readFileSync(join(__dirname, 'fixtures/ok', fixture), 'utf8')) as Patient)
    : {};
  const { id: _id, name: _name, birthDate: _born, ...rest } = base as Patient;
  return fhir.patient(hospital, rest);
}

/** identity's outbox (the relay is off in the test stack: rows stay put) for these event types. */
async function pointerEvents(nhs: string): Promise<Array<{ type: string; pointerId: string }>> {
  const r = await pg.query<{ ce_type: string; payload: Buffer }>(
    `SELECT ce_type, payload FROM "${stack.identitySchema.schema}".outbox_events
      WHERE key = $1 AND ce_type LIKE 'uk.nhs.trellis.records.%' ORDER BY seq`,
    [nhs],
  );
  return r.rows.map((row) => {
    const type = row.ce_type.split('.').at(-2)!;
    const codec =
      type === 'DocumentPointerCreated'
        ? events.v1.DocumentPointerCreated
        : type === 'DocumentPointerSuperseded'
          ? events.v1.DocumentPointerSuperseded
          : events.v1.DocumentPointerDeleted;
    return { type, pointerId: codec.decode(row.payload).pointer?.pointerId ?? '' };
  });
}

describe('DocumentReference: the record locator', () => {
  it('one organisation registers, another finds by patient and type, the custodian supersedes and retires; audited, with events', async () => {
    const nhs = await patient();
    const audit = await collect(stack.gw.auditTopic);
    try {
      const body = pointer(nhs, CRISIS_PLAN);
      const created = await http<DocumentReference>('POST', 'DocumentReference', hospital, body);
      expect(created.status).toBe(201);
      const plan = created.body!;
      expect(created.headers.get('location')).toContain(`/DocumentReference/${plan.id!}`);
      expect(plan).toMatchObject({
        status: 'current',
        custodian: { identifier: { system: ODS, value: 'RR8' } },
        subject: { identifier: { system: NHS, value: nhs } },
        type: {
          coding: [{ system: SCT, code: CRISIS_PLAN, display: 'Mental health crisis plan' }],
        },
        content: [{ attachment: body.content[0]!.attachment }],
      });
      // a pointer as read back is a valid DocumentReference to register again (validator, create mode)
      const { id: _id, meta: _meta, ...again } = plan;
      expect(
        validateFhirResource(again, { resourceType: 'DocumentReference', mode: 'create' }),
      ).toMatchObject({ valid: true });
      // idempotent on the master identifier: the same pointer, 200
      const replay = await http<DocumentReference>('POST', 'DocumentReference', hospital, body);
      expect([replay.status, replay.body?.id]).toEqual([200, plan.id]);

      const summary = (
        await http<DocumentReference>(
          'POST',
          'DocumentReference',
          hospital,
          pointer(nhs, DISCHARGE),
        )
      ).body!;

      const all = await http<Bundle>(
        'GET',
        `DocumentReference?subject:identifier=${NHS}|${nhs}`,
        gp,
      );
      expect(all.status).toBe(200);
      expect(ids(all.body)).toEqual([summary.id, plan.id]); // newest first
      const byType = await http<Bundle>(
        'GET',
        `DocumentReference?patient.identifier=${NHS}|${nhs}&type=${SCT}|${CRISIS_PLAN}`,
        gp,
      );
      expect(ids(byType.body)).toEqual([plan.id]);
      // paged with the shared cursor: the next link carries on where the first page stopped
      const first = await http<Bundle>('GET', `DocumentReference?patient=${nhs}&_count=1`, gp);
      const next = first.body?.link?.find((l) => l.relation === 'next')?.url;
      expect([ids(first.body), next !== undefined]).toEqual([[summary.id], true]);
      const second = await http<Bundle>('GET', next!.slice(next!.indexOf('DocumentReference')), gp);
      expect(ids(second.body)).toEqual([plan.id]);

      const read = await http<DocumentReference>('GET', `DocumentReference/${plan.id!}`, gp);
      expect([read.status, read.body?.meta?.versionId]).toEqual([200, '1']);

      // only the custodian supersedes
      const stranger = await refused(
        http('POST', 'DocumentReference', other, {
          ...pointer(nhs, CRISIS_PLAN),
          relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${plan.id!}` } }],
        }),
      );
      expect(stranger).toMatchObject({ status: 403, rules: ['platform.pointer.custodian'] });

      const v2 = await http<DocumentReference>('POST', 'DocumentReference', hospital, {
        ...pointer(nhs, CRISIS_PLAN),
        relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${plan.id!}` } }],
      });
      expect(v2.status).toBe(201);
      expect(v2.body?.relatesTo).toEqual([
        { code: 'replaces', target: { reference: `DocumentReference/${plan.id!}` } },
      ]);
      const old = await http<DocumentReference>('GET', `DocumentReference/${plan.id!}`, gp);
      expect([old.body?.status, old.body?.meta?.versionId]).toEqual(['superseded', '2']);
      const afterSupersede = await http<Bundle>(
        'GET',
        `DocumentReference?subject=Patient/${nhs}&type=${CRISIS_PLAN}`,
        gp,
      );
      expect(ids(afterSupersede.body)).toEqual([v2.body!.id]);
      // a superseded pointer cannot be superseded again
      expect(
        await refused(
          http('POST', 'DocumentReference', hospital, {
            ...pointer(nhs, CRISIS_PLAN),
            relatesTo: [
              { code: 'replaces', target: { reference: `DocumentReference/${plan.id!}` } },
            ],
          }),
        ),
      ).toMatchObject({ status: 422, rules: ['platform.pointer.not-current'] });

      // retire: the reader has no .d scope, another organisation is not the custodian
      expect((await refused(http('DELETE', `DocumentReference/${summary.id!}`, gp))).status).toBe(
        403,
      );
      expect(
        await refused(http('DELETE', `DocumentReference/${summary.id!}`, other)),
      ).toMatchObject({
        status: 403,
        rules: ['platform.pointer.custodian'],
      });
      expect((await http('DELETE', `DocumentReference/${summary.id!}`, hospital)).status).toBe(204);
      expect((await refused(http('GET', `DocumentReference/${summary.id!}`, gp))).status).toBe(410);
      const left = await http<Bundle>(
        'GET',
        `DocumentReference?subject:identifier=${NHS}|${nhs}`,
        gp,
      );
      expect(ids(left.body)).toEqual([v2.body!.id]);

      expect(await pointerEvents(nhs)).toEqual([
        { type: 'DocumentPointerCreated', pointerId: plan.id },
        { type: 'DocumentPointerCreated', pointerId: summary.id },
        { type: 'DocumentPointerSuperseded', pointerId: v2.body!.id },
        { type: 'DocumentPointerDeleted', pointerId: summary.id },
      ]);

      // every interaction audited once, by the gateway, with the patient and the caller
      const recorded = await waitFor(() => {
        const mine = audit.messages
          .map((m) => events.v1.AccessRecorded.decode(m.value!))
          .filter((e) => e.patientNhsNumber === nhs && e.resourceType === 'DocumentReference');
        const search = mine.find(
          (e) => e.interaction === 'GET /fhir/DocumentReference' && e.odsCode === 'A81001',
        );
        const reads = mine.filter(
          (e) => e.interaction === 'GET /fhir/DocumentReference/:id' && e.resourceId === plan.id,
        );
        const deleted = mine.find(
          (e) => e.interaction === 'DELETE /fhir/DocumentReference/:id' && e.outcome === '0',
        );
        return search && reads.length >= 2 && deleted ? { mine, search, deleted } : undefined;
      }, 90_000);
      expect(recorded.search).toMatchObject({
        sourceService: 'gateway',
        action: 'R',
        outcome: '0',
      });
      expect(recorded.deleted).toMatchObject({
        odsCode: 'RR8',
        action: 'D',
        resourceId: summary.id,
      });
      // the platform wrote no second record of the FHIR interactions
      expect(recorded.mine.filter((e) => e.sourceService === 'identity')).toEqual([]);
    } finally {
      await audit.stop();
    }
  });

  it("withholds a restricted patient's pointers from other organisations (not from the custodian)", async () => {
    const nhs = await patient('patient-restricted.json');
    const created = await http<DocumentReference>(
      'POST',
      'DocumentReference',
      hospital,
      pointer(nhs, CRISIS_PLAN),
    );
    expect(created.status).toBe(201);
    const q = `DocumentReference?subject:identifier=${NHS}|${nhs}`;
    expect(ids((await http<Bundle>('GET', q, hospital)).body)).toEqual([created.body!.id]);
    expect(ids((await http<Bundle>('GET', q, gp)).body)).toEqual([]);
    expect((await refused(http('GET', `DocumentReference/${created.body!.id!}`, gp))).status).toBe(
      404,
    );
  });

  it('answers bad requests with precise 4xx OperationOutcomes', async () => {
    const nhs = await patient();
    const post = (body: unknown, token = hospital) =>
      refused(http('POST', 'DocumentReference', token, body));
    const http1 = pointer(nhs, CRISIS_PLAN);
    http1.content[0]!.attachment.url = 'http://epr.example.nhs.uk/doc/1';
    expect(await post(http1)).toMatchObject({
      status: 400,
      rules: ['platform.url.https'],
      expressions: ['DocumentReference.content[0].attachment.url'],
    });
    expect(await post(pointer(nhs, '22298006'))).toMatchObject({
      status: 422,
      rules: ['terminology.value-set'],
    });
    expect(
      await post(
        pointer(nhs, CRISIS_PLAN, { custodian: { identifier: { system: ODS, value: 'A81001' } } }),
      ),
    ).toMatchObject({ status: 403, rules: ['document-reference.custodian'] });
    expect(await post(pointer('9990000018', CRISIS_PLAN))).toMatchObject({
      status: 422,
      rules: ['platform.patient.unknown'],
    });
    expect((await post({ resourceType: 'DocumentReference', status: 'nonsense' })).status).toBe(
      400,
    );
    expect((await post(pointer(nhs, CRISIS_PLAN), gp)).status).toBe(403); // no .c scope
    // the same master identifier with other content
    const first = pointer(nhs, CRISIS_PLAN);
    expect((await http('POST', 'DocumentReference', hospital, first)).status).toBe(201);
    expect(
      await post({ ...pointer(nhs, DISCHARGE), masterIdentifier: first.masterIdentifier }),
    ).toMatchObject({ status: 409, rules: ['platform.pointer.exists'] });

    const search = (q: string) => refused(http('GET', `DocumentReference?${q}`, gp));
    expect(await search(`type=${CRISIS_PLAN}`)).toMatchObject({
      status: 400,
      rules: ['search.patient'],
    });
    expect(await search(`subject=Patient/${nhs}&type=http://loinc.org|1-8`)).toMatchObject({
      status: 400,
      rules: ['search.type'],
    });
    expect(await search(`subject=Patient/${nhs}&type=22298006`)).toMatchObject({
      status: 400,
      rules: ['platform.type.value-set'],
    });
    expect((await search(`subject=Patient/${nhs}&_page_token=bm90LW91cnM`)).status).toBe(400);
    expect((await search(`custodian=RR8&subject=Patient/${nhs}`)).status).toBe(400);
    expect(
      (await refused(http('GET', `DocumentReference/${faker.string.uuid()}`, gp))).status,
    ).toBe(404);
    expect((await refused(http('GET', 'DocumentReference/not-a-pointer', gp))).status).toBe(404);
  });

  it('is described by the CapabilityStatement and the OpenAPI document', async () => {
    const cs = (await http<CapabilityStatement>('GET', 'metadata', gp)).body!;
    const dr = cs.rest?.[0]?.resource?.find((r) => r.type === 'DocumentReference');
    expect(dr?.interaction?.map((i) => i.code).sort()).toEqual([
      'create',
      'delete',
      'history-instance',
      'read',
      'search-type',
      'vread',
    ]);
    expect(dr?.searchParam?.map((p) => p.name)).toEqual(
      expect.arrayContaining([
        'subject',
        'patient',
        'patient.identifier',
        'type',
        'custodian',
        'date',
        'status',
      ]),
    );
    const api = (await (await fetch(`${stack.fhirBase}/openapi.json`)).json()) as {
      paths: Record<string, Record<string, unknown>>;
    };
    expect(Object.keys(api.paths['/fhir/DocumentReference'] ?? {}).sort()).toEqual(['get', 'post']);
    expect(Object.keys(api.paths['/fhir/DocumentReference/{id}'] ?? {}).sort()).toEqual([
      'delete',
      'get',
    ]);
    expect(Object.keys(api.paths['/fhir/DocumentReference/{id}/_history'] ?? {})).toEqual(['get']);
    expect(Object.keys(api.paths['/fhir/DocumentReference/{id}/_history/{vid}'] ?? {})).toEqual([
      'get',
    ]);
  });

  it('the gRPC front door serves RecordLocatorService with the same scopes', async () => {
    const nhs = await patient();
    const created = await http<DocumentReference>(
      'POST',
      'DocumentReference',
      hospital,
      pointer(nhs, DISCHARGE),
    );
    const door = new RawGrpc(stack.frontDoor);
    try {
      const path = (m: string) => `/trellis.records.v1.RecordLocatorService/${m}`;
      const get = { request: { id: created.body!.id! } };
      expect((await door.call(path('GetPointer'), { ...get, token: gp })).code).toBe(status.OK);
      expect(
        (await door.call(path('SearchPointers'), { token: gp, request: { nhsNumber: nhs } })).code,
      ).toBe(status.OK);
      // the reader holds no .d scope; another organisation is not the custodian
      expect((await door.call(path('DeletePointer'), { ...get, token: gp })).code).toBe(
        status.PERMISSION_DENIED,
      );
      const stranger = await door.call(path('DeletePointer'), { ...get, token: other });
      expect([stranger.code, stranger.details]).toEqual([
        status.PERMISSION_DENIED,
        expect.stringContaining('only the custodian (RR8)'),
      ]);
      expect((await door.call(path('DeletePointer'), { ...get, token: hospital })).code).toBe(
        status.OK,
      );
    } finally {
      door.close();
    }
  });
});
