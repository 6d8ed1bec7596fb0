// The record locator's versions and NRL's search parameters (issue 21), through both doors: every
// change of a pointer keeps a version (vread, _history), If-Match guards supersede and retire, and
// a consumer narrows a patient's pointers by type, custodian, date and status. The gRPC front door
// answers the same (one rule set in identity).
import { status } from '@grpc/grpc-js';
import type { Bundle, DocumentReference } from '@medplum/fhirtypes';
import { events, records } from '@trellis/contracts';

import { PlatformCallError, PlatformClients } from '../src/app/fhir/platform-clients';
import { collect, startFhirStack, type FhirStack } from './fhir.harness';
import { waitFor } from './support/harness';
import {
  CRISIS_PLAN,
  DISCHARGE,
  fhirCaller,
  ids,
  linkPath,
  NHS,
  ODS,
  pointer,
  replacing,
  SCT,
} from './support/record-locator';

jest.setTimeout(300_000);

const { PointerStatus } = records.v1;

let stack: FhirStack;
let fhir: ReturnType<typeof fhirCaller>;
let hospital: string; // RR8: a custodian
let other: string; // B82002: another custodian
let gp: string; // A81001: reads and searches only
let readOnly: string; // A81002: reads only (no search scope)
let door: PlatformClients;

beforeAll(async () => {
  stack = await startFhirStack({}, { gatewayEnv: { FHIR_PLATFORM_DEADLINE_MS: '30000' } });
  fhir = fhirCaller(stack.fhirBase);
  ({ token: hospital } = await stack.token(
    ['system/Patient.cruds', 'system/DocumentReference.cruds'],
    'RR8',
  ));
  ({ token: other } = await stack.token(['system/DocumentReference.cruds'], 'B82002'));
  ({ token: gp } = await stack.token(['system/DocumentReference.rs'], 'A81001'));
  ({ token: readOnly } = await stack.token(['system/DocumentReference.r'], 'A81002'));
  door = new PlatformClients({ identity: stack.frontDoor }, 30_000);
});

afterAll(async () => {
  door?.close();
  await stack?.stop();
});

const as = (token: string) => ({ authorization: `Bearer ${token}` });
const ifMatch = (v: string | number) => ({ 'if-match': `W/"${v}"` });

/** A front-door call's gRPC status and reason (OK when it answered). */
async function grpcRefusal(p: Promise<unknown>): Promise<[number, string | undefined]> {
  try {
    await p;
    return [status.OK, undefined];
  } catch (err) {
    if (err instanceof PlatformCallError) return [err.decoded.code, err.decoded.reason];
    throw err;
  }
}

describe('DocumentReference versions', () => {
  it('keeps every version across create → supersede → entered-in-error; vread, _history, If-Match', async () => {
    const { http, refused, patient } = fhir;
    const nhs = await patient(hospital);
    const audit = await collect(stack.gw.auditTopic);
    try {
      const created = await http<DocumentReference>(
        'POST',
        'DocumentReference',
        hospital,
        pointer(nhs, CRISIS_PLAN),
      );
      expect([created.status, created.headers.get('etag')]).toEqual([201, 'W/"1"']);
      const a = created.body!;

      // a stale or malformed If-Match changes nothing
      const stale = await refused(
        http('POST', 'DocumentReference', hospital, pointer(nhs, CRISIS_PLAN, replacing(a.id!)), {
          'if-match': 'W/"2"',
        }),
      );
      expect(stale).toMatchObject({ status: 412, rules: ['http.precondition-failed'] });
      const malformed = await refused(
        http('DELETE', `DocumentReference/${a.id!}`, hospital, undefined, { 'if-match': 'two' }),
      );
      expect(malformed).toMatchObject({ status: 400, rules: ['http.if-match'] });
      // If-Match names the replaced pointer's version: a plain registration has none
      expect(
        (
          await refused(
            http('POST', 'DocumentReference', hospital, pointer(nhs, DISCHARGE), ifMatch(1)),
          )
        ).status,
      ).toBe(400);
      expect(
        (await http<DocumentReference>('GET', `DocumentReference/${a.id!}`, gp)).body,
      ).toMatchObject({ status: 'current', meta: { versionId: '1' } });

      const next = await http<DocumentReference>(
        'POST',
        'DocumentReference',
        hospital,
        pointer(nhs, CRISIS_PLAN, replacing(a.id!)),
        ifMatch(1),
      );
      expect(next.status).toBe(201);
      const b = next.body!;
      const aNow = (await http<DocumentReference>('GET', `DocumentReference/${a.id!}`, gp)).body!;
      expect([aNow.status, aNow.meta?.versionId]).toEqual(['superseded', '2']);
      expect(aNow.meta!.lastUpdated! >= a.meta!.lastUpdated!).toBe(true);

      expect(
        await refused(
          http('DELETE', `DocumentReference/${b.id!}`, hospital, undefined, ifMatch(2)),
        ),
      ).toMatchObject({ status: 412, rules: ['http.precondition-failed'] });
      expect(
        (await http('DELETE', `DocumentReference/${b.id!}`, hospital, undefined, ifMatch(1)))
          .status,
      ).toBe(204);
      expect((await refused(http('GET', `DocumentReference/${b.id!}`, gp))).status).toBe(410);

      // vread of every version, by another organisation (read scope), a retired pointer's too
      const vread = async (id: string, vid: string) =>
        http<DocumentReference>('GET', `DocumentReference/${id}/_history/${vid}`, gp);
      const seen = await Promise.all(
        [
          [a.id!, '1'],
          [a.id!, '2'],
          [b.id!, '1'],
          [b.id!, '2'],
        ].map(async ([id, vid]) => {
          const r = await vread(id!, vid!);
          return [r.status, r.body?.status, r.body?.meta?.versionId, r.headers.get('etag')];
        }),
      );
      expect(seen).toEqual([
        [200, 'current', '1', 'W/"1"'],
        [200, 'superseded', '2', 'W/"2"'],
        [200, 'current', '1', 'W/"1"'],
        [200, 'entered-in-error', '2', 'W/"2"'],
      ]);
      expect((await vread(b.id!, '2')).body?.relatesTo).toEqual(replacing(a.id!).relatesTo);
      // versions that do not exist, or cannot (beyond the int32 field, not a number): 404
      for (const vid of ['3', '0', '9999999999', 'abc'])
        expect([vid, (await refused(vread(a.id!, vid))).status]).toEqual([vid, 404]);
      expect((await refused(vread('00000000-0000-4000-8000-000000000000', '1'))).status).toBe(404);

      // _history: newest first, each entry with the interaction that made it; paged
      const history = await http<Bundle>('GET', `DocumentReference/${b.id!}/_history`, gp);
      expect(history.body?.type).toBe('history');
      expect(
        history.body?.entry?.map((e) => [
          e.request?.method,
          e.response?.status,
          (e.resource as DocumentReference).status,
          e.response?.etag,
        ]),
      ).toEqual([
        ['DELETE', '204 No Content', 'entered-in-error', 'W/"2"'],
        ['POST', '201 Created', 'current', 'W/"1"'],
      ]);
      const page = await http<Bundle>('GET', `DocumentReference/${a.id!}/_history?_count=1`, gp);
      expect(page.body?.entry?.map((e) => e.response?.etag)).toEqual(['W/"2"']);
      const rest = await http<Bundle>('GET', linkPath(page.body, 'next')!, gp);
      expect([rest.body?.entry?.map((e) => e.response?.etag), linkPath(rest.body, 'next')]).toEqual(
        [['W/"1"'], undefined],
      );
      const foreign = `DocumentReference/${b.id!}/_history?_page_token=${new URL(page.body!.link!.find((l) => l.relation === 'next')!.url).searchParams.get('_page_token')!}`;
      expect((await refused(http('GET', foreign, gp))).status).toBe(400); // another pointer's token
      expect(
        (await refused(http('GET', `DocumentReference/${a.id!}/_history?author=x`, gp))).status,
      ).toBe(400);

      // the gRPC door answers the same versions under the same rules
      const ctx = as(gp);
      const v2 = await door.call(door.records.getPointerVersion, { id: a.id!, version: 2 }, ctx);
      expect([v2.version?.change, v2.version?.pointer?.status]).toEqual([
        'superseded',
        PointerStatus.POINTER_STATUS_SUPERSEDED,
      ]);
      const listed = await door.call(
        door.records.listPointerVersions,
        { id: b.id!, page: undefined },
        ctx,
      );
      expect(listed.versions.map((v) => [v.pointer?.version, v.change])).toEqual([
        [2, 'deleted'],
        [1, 'created'],
      ]);
      expect(
        await grpcRefusal(
          door.call(door.records.getPointerVersion, { id: a.id!, version: 3 }, ctx),
        ),
      ).toEqual([status.NOT_FOUND, 'POINTER_VERSION_NOT_FOUND']);
      const c = await http<DocumentReference>(
        'POST',
        'DocumentReference',
        hospital,
        pointer(nhs, DISCHARGE),
      );
      expect(
        await grpcRefusal(
          door.call(
            door.records.deletePointer,
            { id: c.body!.id!, expectedVersion: 2 },
            as(hospital),
          ),
        ),
      ).toEqual([status.ABORTED, 'VERSION_CONFLICT']);

      // vread and _history are reads like any other: audited with the patient and the pointer
      const recorded = await waitFor(() => {
        const mine = audit.messages
          .map((m) => events.v1.AccessRecorded.decode(m.value!))
          .filter((e) => e.patientNhsNumber === nhs && e.odsCode === 'A81001');
        const vreads = mine.filter(
          (e) =>
            e.interaction === 'GET /fhir/DocumentReference/:id/_history/:vid' && e.outcome === '0',
        );
        const histories = mine.filter(
          (e) => e.interaction === 'GET /fhir/DocumentReference/:id/_history' && e.outcome === '0',
        );
        return vreads.length >= 4 && histories.length >= 3 ? { vreads, histories } : undefined;
      }, 90_000);
      expect(new Set(recorded.vreads.map((e) => e.resourceId))).toEqual(new Set([a.id, b.id]));
      expect(recorded.histories[0]).toMatchObject({
        action: 'R',
        resourceType: 'DocumentReference',
      });
    } finally {
      await audit.stop();
    }
  });
});

describe('DocumentReference search parameters (NRL)', () => {
  it('narrows a patient’s pointers by type, custodian, date and status, paged; both doors', async () => {
    const { http, refused, patient } = fhir;
    const nhs = await patient(hospital);
    const register = async (token: string, type: string, over = {}) => {
      const r = await http<DocumentReference>(
        'POST',
        'DocumentReference',
        token,
        pointer(nhs, type, over),
      );
      expect(r.status).toBe(201);
      return r.body!;
    };
    const p1 = await register(hospital, CRISIS_PLAN);
    const p2 = await register(hospital, DISCHARGE);
    const p3 = await register(other, DISCHARGE);
    const p4 = await register(hospital, CRISIS_PLAN, replacing(p1.id!)); // p1 superseded
    const p5 = await register(other, CRISIS_PLAN);
    expect((await http('DELETE', `DocumentReference/${p5.id!}`, other)).status).toBe(204);

    const found = async (q: string, token = gp) => {
      const r = await http<Bundle>(
        'GET',
        `DocumentReference?subject:identifier=${NHS}|${nhs}&${q}`,
        token,
      );
      expect(r.status).toBe(200);
      return ids(r.body);
    };
    expect(await found('')).toEqual([p4.id, p3.id, p2.id]); // current only, newest first
    expect(await found(`type=${SCT}|${CRISIS_PLAN}`)).toEqual([p4.id]);
    expect(await found(`custodian:identifier=${ODS}|B82002`)).toEqual([p3.id]);
    expect(await found(`custodian:identifier=${ODS}|RR8&type=${DISCHARGE}`)).toEqual([p2.id]);
    expect(await found('status=superseded')).toEqual([p1.id]);
    expect(await found('status=entered-in-error')).toEqual([p5.id]);
    expect(await found('status=current,superseded,entered-in-error')).toEqual(
      [p5, p4, p3, p2, p1].map((p) => p.id),
    );
    // date: the registration instant, with prefixes, at the precision given
    const at = p3.date!;
    expect(await found(`date=ge${at}`)).toEqual([p4.id, p3.id]);
    expect(await found(`date=gt${at}`)).toEqual([p4.id]);
    expect(await found(`date=le${at}`)).toEqual([p3.id, p2.id]);
    expect(await found(`date=lt${at}`)).toEqual([p2.id]);
    expect(await found(`date=${at}`)).toEqual([p3.id]);
    expect(await found(`date=ge${at}&date=le${at}&status=current,superseded`)).toEqual([p3.id]);
    expect(await found(`date=${at.slice(0, 4)}`)).toEqual([p4.id, p3.id, p2.id]);
    expect(await found('date=lt2000-01-01')).toEqual([]);

    // paged with the shared cursor, bound to its query
    const all = 'status=current,superseded,entered-in-error';
    const first = await http<Bundle>('GET', `DocumentReference?patient=${nhs}&${all}&_count=2`, gp);
    expect(ids(first.body)).toEqual([p5.id, p4.id]);
    const second = await http<Bundle>('GET', linkPath(first.body, 'next')!, gp);
    expect(ids(second.body)).toEqual([p3.id, p2.id]);
    const third = await http<Bundle>('GET', linkPath(second.body, 'next')!, gp);
    expect([ids(third.body), linkPath(third.body, 'next')]).toEqual([[p1.id], undefined]);
    const token = new URL(
      first.body!.link!.find((l) => l.relation === 'next')!.url,
    ).searchParams.get('_page_token')!;
    expect(
      await refused(http('GET', `DocumentReference?patient=${nhs}&_page_token=${token}`, gp)),
    ).toMatchObject({ status: 400, expressions: ['_page_token'] });
    // _count is bounded by the server maximum, never taken as given
    const huge = await http<Bundle>('GET', `DocumentReference?patient=${nhs}&_count=100000`, gp);
    const self = new URL(huge.body!.link!.find((l) => l.relation === 'self')!.url);
    expect(Number(self.searchParams.get('_count'))).toBeLessThan(100000);

    // bad parameters: 400 naming the parameter
    const bad = (q: string) => refused(http('GET', `DocumentReference?patient=${nhs}&${q}`, gp));
    expect(await bad('author:identifier=RR8')).toMatchObject({
      status: 400,
      rules: ['search.unknown-parameter'],
      expressions: ['author:identifier'],
    });
    expect(await bad('date=ne2026')).toMatchObject({ status: 400, expressions: ['date'] });
    expect(await bad('status=preliminary')).toMatchObject({ status: 400, expressions: ['status'] });
    expect(await bad('custodian=RR8')).toMatchObject({ status: 400, expressions: ['custodian'] });
    expect(await bad(`custodian:identifier=${ODS}|not-an-ods-code`)).toMatchObject({
      status: 400,
      rules: ['platform.ods-code.format'],
      expressions: ['custodian'],
    });

    // scopes: a reader without the search scope reads but cannot search
    expect((await refused(http('GET', `DocumentReference?patient=${nhs}`, readOnly))).status).toBe(
      403,
    );
    expect((await http('GET', `DocumentReference/${p3.id!}/_history/1`, readOnly)).status).toBe(
      200,
    );

    // the gRPC door: the same request, the same answers
    const search = (q: Partial<records.v1.SearchPointersRequest>) =>
      door
        .call(
          door.records.searchPointers,
          {
            nhsNumber: nhs,
            typeCodes: [],
            custodianOdsCode: '',
            statuses: [],
            dateFrom: undefined,
            dateBefore: undefined,
            page: undefined,
            ...q,
          },
          as(gp),
        )
        .then((r) => r.pointers.map((p) => p.id));
    expect(await search({})).toEqual([p4.id, p3.id, p2.id]);
    expect(await search({ custodianOdsCode: 'B82002' })).toEqual([p3.id]);
    expect(await search({ statuses: [PointerStatus.POINTER_STATUS_SUPERSEDED] })).toEqual([p1.id]);
    const ms = Date.parse(at);
    const ts = { seconds: Math.floor(ms / 1000), nanos: (ms % 1000) * 1_000_000 };
    expect(await search({ dateFrom: ts })).toEqual([p4.id, p3.id]);
    expect(await search({ dateBefore: ts })).toEqual([p2.id]);
    expect(await grpcRefusal(search({ custodianOdsCode: 'not-an-ods-code' }))).toEqual([
      status.INVALID_ARGUMENT,
      'VALIDATION_FAILED',
    ]);
    expect(
      await grpcRefusal(search({ statuses: [PointerStatus.POINTER_STATUS_UNSPECIFIED] })),
    ).toEqual([status.INVALID_ARGUMENT, 'VALIDATION_FAILED']);
  });

  it("shows a restricted patient's pointers, versions and history only to those who may see them", async () => {
    const { http, refused, patient } = fhir;
    const nhs = await patient(hospital, {
      meta: {
        security: [
          { system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R' },
        ],
      },
    });
    const p = await http<DocumentReference>(
      'POST',
      'DocumentReference',
      hospital,
      pointer(nhs, CRISIS_PLAN),
    );
    expect(p.status).toBe(201);
    const q = `DocumentReference?patient=${nhs}&custodian:identifier=${ODS}|RR8`;
    expect(ids((await http<Bundle>('GET', q, hospital)).body)).toEqual([p.body!.id]);
    expect(ids((await http<Bundle>('GET', q, gp)).body)).toEqual([]);
    expect(
      (await refused(http('GET', `DocumentReference/${p.body!.id!}/_history/1`, gp))).status,
    ).toBe(404);
    expect(
      (await refused(http('GET', `DocumentReference/${p.body!.id!}/_history`, gp))).status,
    ).toBe(404);
    expect(
      await grpcRefusal(
        door.call(door.records.listPointerVersions, { id: p.body!.id!, page: undefined }, as(gp)),
      ),
    ).toEqual([status.NOT_FOUND, 'POINTER_NOT_FOUND']);
  });
});
