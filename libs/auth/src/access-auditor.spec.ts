import { Metadata } from '@grpc/grpc-js';

import {
  AccessAuditor,
  auditedByGateway,
  doorOf,
  MAX_AUDITED_PATIENTS,
  type AccessAuditRecord,
  type AuditOutboxMessage,
} from './access-auditor';

const record = (nhs: string): AccessAuditRecord => ({
  interaction: '/t.v1.S/Get',
  action: 'R',
  outcome: 'success',
  caller: { systemId: 'gp-1', odsCode: 'A1', region: 'london' },
  patientNhsNumber: nhs,
  resourceType: 'Patient',
  requiredScope: 'system/Patient.r',
});

interface Deferred {
  rows: readonly AuditOutboxMessage[];
  tx: unknown;
  resolve: () => void;
  reject: (e: unknown) => void;
}

/** An outbox whose multi-row writes complete only when the test says so. */
function manualOutbox(): {
  batches: Deferred[];
  singles: Array<{ tx: unknown; message: AuditOutboxMessage }>;
  port: {
    enqueue: (tx: unknown, m: AuditOutboxMessage) => Promise<void>;
    enqueueMany: (tx: unknown, m: readonly AuditOutboxMessage[]) => Promise<void>;
  };
} {
  const batches: Deferred[] = [];
  const singles: Array<{ tx: unknown; message: AuditOutboxMessage }> = [];
  return {
    batches,
    singles,
    port: {
      enqueue: async (tx, message) => {
        singles.push({ tx, message });
      },
      enqueueMany: (tx, rows) =>
        new Promise<void>((resolve, reject) => batches.push({ rows, tx, resolve, reject })),
    },
  };
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('AccessAuditor group commit', () => {
  it('writes the records of one turn in one multi-row insert and holds each caller until it committed', async () => {
    const { batches, singles, port } = manualOutbox();
    const db = { db: true };
    const auditor = new AccessAuditor({
      service: 't',
      db,
      outbox: port,
      encode: () => new Uint8Array([1]),
    });
    let settled = 0;
    const calls = ['9990000018', '9990000026', '9990000034'].map((n) =>
      auditor.record(record(n)).then((id) => {
        settled++;
        return id;
      }),
    );
    await tick();
    expect(batches).toHaveLength(1);
    expect(batches[0]!.tx).toBe(db);
    expect(batches[0]!.rows.map((r) => r.key)).toEqual(['9990000018', '9990000026', '9990000034']);
    await tick();
    expect(settled).toBe(0); // not committed yet: nothing is acknowledged
    batches[0]!.resolve();
    const ids = await Promise.all(calls);
    expect(new Set(ids).size).toBe(3);
    expect(singles).toHaveLength(0);
  });

  it('fails every record of a batch whose insert failed', async () => {
    const { batches, port } = manualOutbox();
    const auditor = new AccessAuditor({
      service: 't',
      db: {},
      outbox: port,
      encode: () => new Uint8Array([1]),
    });
    const a = auditor.record(record('9990000018'));
    const b = auditor.record(record('9990000026'));
    await tick();
    batches[0]!.reject(new Error('db down'));
    await expect(a).rejects.toThrow('db down');
    await expect(b).rejects.toThrow('db down');
  });

  it('queues while batches are in flight and caps rows per insert', async () => {
    const { batches, port } = manualOutbox();
    const auditor = new AccessAuditor({
      service: 't',
      db: {},
      outbox: port,
      encode: () => new Uint8Array([1]),
      groupCommit: { maxRows: 2, maxInFlight: 1 },
    });
    const all = Array.from({ length: 5 }, (_, i) => auditor.record(record(`99900000${10 + i}`)));
    await tick();
    expect(batches.map((b) => b.rows.length)).toEqual([2]); // one in flight at most
    batches[0]!.resolve();
    await tick();
    await tick();
    expect(batches.map((b) => b.rows.length)).toEqual([2, 2]);
    batches[1]!.resolve();
    await tick();
    await tick();
    expect(batches.map((b) => b.rows.length)).toEqual([2, 2, 1]);
    batches[2]!.resolve();
    await Promise.all(all);
    await auditor.flush();
  });

  it('writes in the caller transaction directly (state change + audit together)', async () => {
    const { batches, singles, port } = manualOutbox();
    const auditor = new AccessAuditor({
      service: 't',
      db: {},
      outbox: port,
      encode: () => new Uint8Array([1]),
    });
    const tx = { tx: true };
    await auditor.record(record('9990000018'), tx);
    expect(singles).toEqual([expect.objectContaining({ tx })]);
    expect(batches).toHaveLength(0);
  });

  it('writes one row at a time when group commit is off or the outbox has no enqueueMany', async () => {
    const { batches, singles, port } = manualOutbox();
    const off = new AccessAuditor({
      service: 't',
      db: {},
      outbox: port,
      encode: () => new Uint8Array([1]),
      groupCommit: false,
    });
    await Promise.all([off.record(record('9990000018')), off.record(record('9990000026'))]);
    const plain = new AccessAuditor({
      service: 't',
      db: {},
      outbox: { enqueue: port.enqueue },
      encode: () => new Uint8Array([1]),
    });
    await plain.record(record('9990000034'));
    expect(singles).toHaveLength(3);
    expect(batches).toHaveLength(0);
  });
});

describe('doorOf', () => {
  it('names the gRPC door only from forwarded gRPC metadata, never from an HTTP header', () => {
    const md = new Metadata();
    md.set('x-trellis-door', 'grpc');
    expect(doorOf(md)).toBe('grpc');
    expect(doorOf(new Metadata())).toBeUndefined();
    // an Express request: get() answers a string (or undefined) that the REST client controls
    const http = { get: (name: string) => (name === 'x-trellis-door' ? 'grpc' : undefined) };
    expect(doorOf(http)).toBeUndefined();
    expect(doorOf({ get: () => undefined })).toBeUndefined();
    expect(doorOf(undefined)).toBeUndefined();
  });

  it("tells the FHIR facade's audited calls (fhir) apart, from gRPC metadata only", () => {
    const md = new Metadata();
    md.set('x-trellis-door', 'fhir');
    expect(auditedByGateway(md)).toBe(true);
    expect(doorOf(md)).toBeUndefined();
    const grpcDoor = new Metadata();
    grpcDoor.set('x-trellis-door', 'grpc');
    expect(auditedByGateway(grpcDoor)).toBe(false);
    expect(auditedByGateway(new Metadata())).toBe(false);
    const http = { get: (name: string) => (name === 'x-trellis-door' ? 'fhir' : undefined) };
    expect(auditedByGateway(http)).toBe(false);
    expect(auditedByGateway(undefined)).toBe(false);
  });
});

describe('patients of a search', () => {
  const auditor = new AccessAuditor({
    service: 'gateway',
    db: {},
    encode: () => new Uint8Array(),
    outbox: { enqueue: async () => undefined },
  });
  const nhs = (i: number) => String(9990000000 + i);

  it('names every returned patient once, the first as the patient', () => {
    const f = auditor.toFields({
      ...record(nhs(1)),
      morePatientNhsNumbers: [nhs(2), nhs(1), nhs(3), nhs(2)],
    });
    expect([f.patientNhsNumber, f.morePatientNhsNumbers, f.patientsOmitted]).toEqual([
      nhs(1),
      [nhs(2), nhs(3)],
      0,
    ]);
  });

  it(`names at most ${MAX_AUDITED_PATIENTS} patients per record and counts the others`, () => {
    const more = Array.from({ length: 80 }, (_, i) => nhs(i + 2));
    const f = auditor.toFields({ ...record(nhs(1)), morePatientNhsNumbers: more });
    expect(f.morePatientNhsNumbers).toEqual(more.slice(0, MAX_AUDITED_PATIENTS - 1));
    expect(f.patientsOmitted).toBe(80 - (MAX_AUDITED_PATIENTS - 1));
  });

  it('a record without a patient names no further patients', () => {
    const f = auditor.toFields({ ...record(''), morePatientNhsNumbers: [nhs(2)] });
    expect([f.morePatientNhsNumbers, f.patientsOmitted]).toEqual([[], 1]);
  });
});
