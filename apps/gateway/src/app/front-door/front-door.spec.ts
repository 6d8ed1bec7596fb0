import { Metadata, status, type ServiceError } from '@grpc/grpc-js';
import { google } from '@trellis/contracts';

import { httpStatusOfGrpc, passedOn, rateLimited } from './front-door.errors';
import { frontDoorRoutes } from './front-door.routes';

describe('frontDoorRoutes (from the proto service definitions)', () => {
  const routes = frontDoorRoutes();
  const byPath = new Map(routes.map((r) => [r.path, r]));

  it('serves every method of the five local-system services, once, each on its platform', () => {
    expect(new Set(routes.map((r) => r.path)).size).toBe(routes.length);
    expect(byPath.get('/trellis.identity.v1.PatientService/GetPatient')).toMatchObject({
      platform: 'identity',
      resourceType: 'Patient',
      write: false,
      action: 'R',
      unary: true,
    });
    expect(byPath.get('/trellis.appointments.v1.ScheduleService/PublishSlots')?.platform).toBe(
      'appointments',
    );
    expect(byPath.get('/trellis.results.v1.ReportService/AcknowledgeReport')?.platform).toBe(
      'results',
    );
    // the record locator is served by identity, as DocumentReference
    expect(byPath.get('/trellis.records.v1.RecordLocatorService/SearchPointers')).toMatchObject({
      platform: 'identity',
      resourceType: 'DocumentReference',
      write: false,
      action: 'R',
    });
    // the admin API is the gateway's own gRPC server, never forwarded
    expect(routes.some((r) => r.path.includes('gateway.v1'))).toBe(false);
  });

  it('tells reads from writes by the method name (reads are never counted as violations)', () => {
    const kind = (p: string) => {
      const r = byPath.get(p);
      return r && [r.write, r.action];
    };
    expect(kind('/trellis.identity.v1.PatientService/TracePatients')).toEqual([false, 'R']);
    expect(kind('/trellis.referrals.v1.ReferralService/ListIncomingReferrals')).toEqual([
      false,
      'R',
    ]);
    expect(kind('/trellis.identity.v1.PatientService/RegisterPatient')).toEqual([true, 'C']);
    expect(kind('/trellis.referrals.v1.ReferralService/SendReferral')).toEqual([true, 'C']);
    expect(kind('/trellis.identity.v1.PatientService/MergePatients')).toEqual([true, 'U']);
    expect(kind('/trellis.appointments.v1.AppointmentService/CancelAppointment')).toEqual([
      true,
      'U',
    ]);
    expect(kind('/trellis.records.v1.RecordLocatorService/CreatePointer')).toEqual([true, 'C']);
    expect(kind('/trellis.records.v1.RecordLocatorService/SupersedePointer')).toEqual([true, 'U']);
    expect(kind('/trellis.records.v1.RecordLocatorService/DeletePointer')).toEqual([true, 'D']);
  });
});

describe('front-door errors', () => {
  it('RESOURCE_EXHAUSTED carries RetryInfo and a retry-after trailer', () => {
    const e = rateLimited(300);
    expect(e.code).toBe(status.RESOURCE_EXHAUSTED);
    expect(e.metadata?.get('retry-after')).toEqual(['300']);
    const raw = e.metadata?.get('grpc-status-details-bin')[0] as Buffer;
    const st = google.rpc.Status.decode(raw);
    expect(st.code).toBe(status.RESOURCE_EXHAUSTED);
    const info = st.details.find((d) => d.typeUrl === 'type.googleapis.com/google.rpc.RetryInfo');
    // RetryInfo{1: Duration{1: 300}}: 0x0a len 0x08 varint(300)=0xac 0x02
    expect([...(info?.value ?? [])]).toEqual([0x0a, 0x03, 0x08, 0xac, 0x02]);
  });

  it('passes a platform error on unchanged, rich details included', () => {
    const metadata = new Metadata();
    metadata.set('grpc-status-details-bin', Buffer.from([1, 2, 3]));
    const err = { code: status.INVALID_ARGUMENT, details: 'bad', metadata } as ServiceError;
    expect(passedOn(err)).toEqual({ code: status.INVALID_ARGUMENT, details: 'bad', metadata });
  });

  it('records refused writes with the status REST would have answered', () => {
    expect(httpStatusOfGrpc(status.INVALID_ARGUMENT)).toBe(400);
    expect(httpStatusOfGrpc(status.FAILED_PRECONDITION)).toBe(422);
  });
});
