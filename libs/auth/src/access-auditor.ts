import { randomUUID } from 'node:crypto';

import { trace } from '@opentelemetry/api';

import { type Caller } from './caller';
import { type AuditAction } from './scope-table';

export const ACCESS_AUDIT_TOPIC = 'trellis.audit.access.v1';
export const ACCESS_AUDIT_EVENT_TYPE = 'uk.nhs.trellis.audit.AccessRecorded.v1';
/**
 * Metadata the gateway puts on the calls it forwards: `grpc` from the gRPC front door (the
 * platform audits the call), `fhir` from the FHIR facade for a patient-data route (the gateway
 * audits the FHIR interaction itself, so the platform does not: one record per access).
 */
export const DOOR_HEADER = 'x-trellis-door';
/** DOOR_HEADER value of the FHIR facade's calls that the gateway audits itself. */
export const FHIR_DOOR_AUDITED = 'fhir';

/**
 * AuditEvent.outcome codes (FHIR R4 / BALP): success 0; minor failure 4 = denied (authn/authz,
 * organisation rules) or rejected (client error: not found, invalid, conflict); serious failure 8 =
 * server error. `outcome_description` tells denied from rejected.
 */
export const AUDIT_OUTCOME = { success: '0', denied: '4', rejected: '4', error: '8' } as const;
export type AuditOutcome = keyof typeof AUDIT_OUTCOME;

/** One access to patient data, before encoding. */
export interface AccessAuditRecord {
  /** gRPC path or `VERB /route`. */
  interaction: string;
  action: AuditAction;
  outcome: AuditOutcome;
  /** Non-secret reason for a failure, e.g. "PERMISSION_DENIED: INSUFFICIENT_SCOPE". */
  outcomeDescription?: string;
  /** The authenticated caller; absent when authentication itself failed. */
  caller?: Pick<Caller, 'systemId' | 'odsCode' | 'region' | 'userId' | 'productVersionId'>;
  /** End user named by the caller when authentication failed (still recorded). */
  userId?: string;
  patientNhsNumber?: string;
  /** A search's further returned patients (capped at MAX_AUDITED_PATIENTS in all on encoding). */
  morePatientNhsNumbers?: readonly string[];
  resourceType: string;
  resourceId?: string;
  requiredScope: string;
  traceId?: string;
  /** The gateway door a forwarded call came through (see `doorOf`). */
  door?: string;
}

/** The encoded audit event as handed to the service's outbox (matches libs/events enqueue input). */
export interface AuditOutboxMessage {
  topic: string;
  key: string;
  type: string;
  subject: string;
  odsCode: string;
  region: string;
  payload: Uint8Array;
}

/**
 * Port to the service's transactional outbox. `enqueue(tx, message)` must insert the message in
 * the outbox table using `tx` (a Prisma client or interactive transaction).
 */
export interface AuditOutboxPort<Tx = unknown> {
  enqueue(tx: Tx, message: AuditOutboxMessage): Promise<unknown>;
  /** Several messages in one statement (one transaction); enables group commit when present. */
  enqueueMany?(tx: Tx, messages: readonly AuditOutboxMessage[]): Promise<unknown>;
}

/** Group commit of audit records written outside a caller transaction. */
export interface AuditGroupCommitOptions {
  /** Most rows per INSERT (default 256). */
  maxRows?: number;
  /**
   * How long a batch waits for more rows once the first arrived, ms (default 0: the records of
   * the current event-loop turn, plus everything that queued while earlier batches were in flight).
   */
  maxDelayMs?: number;
  /** Batches being written at once (default 2). */
  maxInFlight?: number;
}

/** Encodes the BALP-shaped record as protobuf bytes (trellis.events.v1.AccessRecorded). */
export type AccessRecordEncoder = (record: AccessRecordedFields) => Uint8Array;

/** Field names of the trellis.events.v1.AccessRecorded message (ts-proto camelCase). */
export interface AccessRecordedFields {
  auditId: string;
  recordedAt: { seconds: number; nanos: number };
  action: string;
  outcome: string;
  outcomeDescription: string;
  interaction: string;
  systemId: string;
  odsCode: string;
  region: string;
  userId: string;
  patientNhsNumber: string;
  resourceType: string;
  resourceId: string;
  sourceService: string;
  traceId: string;
  requiredScope: string;
  productVersionId: string;
  door: string;
  morePatientNhsNumbers: string[];
  patientsOmitted: number;
}

export interface AccessAuditorOptions<Tx> {
  /** Service name written as the audit source (e.g. "identity"). */
  service: string;
  outbox: AuditOutboxPort<Tx>;
  /** Client used when the caller passes no transaction (a PrismaClient). */
  db: Tx;
  encode: AccessRecordEncoder;
  /** Topic override (tests); default trellis.audit.access.v1. */
  topic?: string;
  /**
   * Group commit (default on when the outbox has `enqueueMany`): records without a caller
   * transaction are buffered and written by one multi-row INSERT; each `record()` resolves only
   * once its batch committed, so callers still answer only after their audit row is durable.
   */
  groupCommit?: AuditGroupCommitOptions | false;
}

interface PendingAudit {
  message: AuditOutboxMessage;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Writes access audit events through the service's outbox, so an audit record is durable before
 * the response leaves (the interceptor waits for it) and is published at least once by the relay;
 * the event id (`audit_id`) lets consumers deduplicate.
 */
export class AccessAuditor<Tx = unknown> {
  private readonly group: Required<AuditGroupCommitOptions> | undefined;
  private queue: PendingAudit[] = [];
  private inFlight = 0;
  private scheduled = false;
  private readonly idleWaiters: Array<() => void> = [];

  constructor(private readonly options: AccessAuditorOptions<Tx>) {
    const g = options.groupCommit;
    this.group =
      g === false || typeof options.outbox.enqueueMany !== 'function'
        ? undefined
        : {
            maxRows: Math.max(1, g?.maxRows ?? 256),
            maxDelayMs: Math.max(0, g?.maxDelayMs ?? 0),
            maxInFlight: Math.max(1, g?.maxInFlight ?? 2),
          };
  }

  get service(): string {
    return this.options.service;
  }

  /** Records one access; pass `tx` to write it in the same transaction as a state change. */
  async record(record: AccessAuditRecord, tx?: Tx): Promise<string> {
    const fields = this.toFields(record);
    const nhs = fields.patientNhsNumber;
    const message: AuditOutboxMessage = {
      topic: this.options.topic ?? ACCESS_AUDIT_TOPIC,
      key: nhs || fields.systemId || 'anonymous',
      type: ACCESS_AUDIT_EVENT_TYPE,
      subject: nhs || fields.resourceId || fields.interaction,
      odsCode: fields.odsCode,
      region: fields.region,
      payload: this.options.encode(fields),
    };
    if (tx !== undefined || !this.group) {
      await this.options.outbox.enqueue(tx ?? this.options.db, message);
    } else {
      await new Promise<void>((resolve, reject) => {
        this.queue.push({ message, resolve, reject });
        this.schedule();
      });
    }
    return fields.auditId;
  }

  /** Resolves once every buffered record has been written (or failed). For shutdown and tests. */
  async flush(): Promise<void> {
    if (this.queue.length === 0 && this.inFlight === 0) return;
    await new Promise<void>((resolve) => {
      this.idleWaiters.push(resolve);
      this.schedule();
    });
  }

  private schedule(): void {
    const group = this.group;
    if (!group || this.scheduled || this.queue.length === 0) return;
    if (this.inFlight >= group.maxInFlight) return; // a finishing batch reschedules
    this.scheduled = true;
    const run = (): void => {
      this.scheduled = false;
      this.writeBatch();
    };
    if (this.queue.length >= group.maxRows) queueMicrotask(run);
    else if (group.maxDelayMs > 0) setTimeout(run, group.maxDelayMs);
    else setImmediate(run);
  }

  private writeBatch(): void {
    const group = this.group;
    const enqueueMany = this.options.outbox.enqueueMany;
    if (!group || !enqueueMany || this.queue.length === 0) return;
    const batch = this.queue.splice(0, group.maxRows);
    this.inFlight++;
    void enqueueMany
      .call(
        this.options.outbox,
        this.options.db,
        batch.map((p) => p.message),
      )
      .then(
        () => {
          for (const p of batch) p.resolve();
        },
        (err: unknown) => {
          for (const p of batch) p.reject(err);
        },
      )
      .finally(() => {
        this.inFlight--;
        if (this.queue.length > 0) this.schedule();
        else if (this.inFlight === 0) for (const w of this.idleWaiters.splice(0)) w();
      });
    if (this.queue.length > 0) this.schedule();
  }

  toFields(record: AccessAuditRecord): AccessRecordedFields {
    const now = Date.now();
    return {
      auditId: randomUUID(),
      recordedAt: { seconds: Math.floor(now / 1000), nanos: (now % 1000) * 1_000_000 },
      action: record.action,
      outcome: AUDIT_OUTCOME[record.outcome],
      outcomeDescription: record.outcomeDescription ?? '',
      interaction: record.interaction,
      systemId: record.caller?.systemId ?? '',
      odsCode: record.caller?.odsCode ?? '',
      region: record.caller?.region ?? '',
      userId: record.caller?.userId ?? record.userId ?? '',
      patientNhsNumber: record.patientNhsNumber ?? '',
      resourceType: record.resourceType,
      resourceId: record.resourceId ?? '',
      sourceService: this.options.service,
      traceId: record.traceId ?? currentTraceId() ?? '',
      requiredScope: record.requiredScope,
      productVersionId: record.caller?.productVersionId ?? '',
      door: record.door ?? '',
      ...patientsOf(record),
    };
  }
}

/**
 * Most patients one access record names (the first in `patientNhsNumber`, the rest in
 * `morePatientNhsNumbers`): a search answer larger than this is recorded with the first ones and
 * the count of the others (`patientsOmitted`), so a record stays small whatever the page size.
 */
export const MAX_AUDITED_PATIENTS = 50;

function patientsOf(
  record: AccessAuditRecord,
): Pick<AccessRecordedFields, 'morePatientNhsNumbers' | 'patientsOmitted'> {
  const more = [...new Set(record.morePatientNhsNumbers ?? [])].filter(
    (n) => n !== record.patientNhsNumber,
  );
  const room = record.patientNhsNumber ? MAX_AUDITED_PATIENTS - 1 : 0;
  return {
    morePatientNhsNumbers: more.slice(0, room),
    patientsOmitted: Math.max(0, more.length - room),
  };
}

export function currentTraceId(): string | undefined {
  const ctx = trace.getActiveSpan()?.spanContext();
  return ctx && ctx.traceId !== '00000000000000000000000000000000' ? ctx.traceId : undefined;
}

/**
 * The door named by a forwarded gRPC call's metadata (`x-trellis-door: grpc` from the gateway's
 * front door), or undefined. Platforms admit only the gateway and their peers (service identity),
 * so a local system cannot set it on a call that reaches them.
 */
export function doorOf(carrier: object | undefined): string | undefined {
  return doorValue(carrier) === 'grpc' ? 'grpc' : undefined;
}

/**
 * True when the gateway's FHIR facade made this call for a patient-data route it audits itself
 * (metadata `x-trellis-door: fhir`): the platform writes no second record of the same access.
 * Trusted like `doorOf`: only service-token holders reach a platform, and the gRPC front door
 * overwrites the header on everything it forwards.
 */
export function auditedByGateway(carrier: object | undefined): boolean {
  return doorValue(carrier) === FHIR_DOOR_AUDITED;
}

function doorValue(carrier: object | undefined): unknown {
  const get = (carrier as { get?: unknown } | undefined)?.get;
  if (typeof get !== 'function') return undefined;
  // gRPC Metadata.get answers an array; an HTTP request's get() a header string, which a REST
  // client could set itself: only the metadata of a forwarded gRPC call names a door
  const values: unknown = (get as (k: string) => unknown).call(carrier, DOOR_HEADER);
  return Array.isArray(values) ? (values[0] as unknown) : undefined;
}
