import { regionScope } from './region-scopes';
import type { AuditSubject, ProtectedRule } from './scope-table';

function fieldOf(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null
    ? (value as Record<string, unknown>)[key]
    : undefined;
}

function stringOf(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Where a call addressed by resource id finds its subject (`subjectByResourceId`). */
export interface ResourceIdSubjectSpec {
  /** The response field holding the resource, e.g. `report`. */
  response: string;
  /** The request field holding the id, e.g. `reportId`. */
  requestId: string;
  /** The resource's id field (default `id`). */
  id?: string;
  /** The resource's NHS number field (default `nhsNumber`). */
  nhsNumber?: string;
}

/**
 * The audit subject of a call addressed by resource id: the response's resource names it and its
 * patient; a refused or failed call (no response) is still attributed to the requested id.
 */
export function subjectByResourceId(
  spec: ResourceIdSubjectSpec,
): (req: unknown, res?: unknown) => AuditSubject {
  return (req, res) => {
    const resource = fieldOf(res, spec.response);
    return {
      resourceId:
        stringOf(fieldOf(resource, spec.id ?? 'id')) || stringOf(fieldOf(req, spec.requestId)),
      nhsNumber: stringOf(fieldOf(resource, spec.nhsNumber ?? 'nhsNumber')) || undefined,
    };
  };
}

/** A field path into a request or response message, e.g. `['versions', 0, 'referral']`. */
export type FieldPath = readonly (string | number)[];

function stringAt(value: unknown, path: FieldPath): string | undefined {
  return stringOf(path.reduce<unknown>((at, key) => fieldOf(at, String(key)), value));
}

/**
 * The audit subject of a call that creates a record: the request names the patient (at
 * `nhsNumber`, e.g. `['report', 'nhsNumber']`), the response the record created (its `id`).
 */
export function subjectOfCreation(spec: {
  /** Where the request names the patient. */
  nhsNumber: FieldPath;
  /** The response field holding the created record, e.g. `referral`. */
  response: string;
}): (req: unknown, res?: unknown) => AuditSubject {
  return (req, res) => ({
    nhsNumber: stringAt(req, spec.nhsNumber),
    resourceId: stringAt(res, [spec.response, 'id']),
  });
}

/**
 * The audit subject of a read of a record's versions: the requested id names the record, the
 * version answered (`answered`, e.g. `['versions', 0, 'referral']`) its patient.
 */
export function subjectOfVersions(spec: {
  /** The request field holding the record's id, e.g. `referralId`. */
  requestId: string;
  /** Where the answer holds a version of the record (with its `nhsNumber`). */
  answered: FieldPath;
}): (req: unknown, res?: unknown) => AuditSubject {
  return (req, res) => ({
    resourceId: stringAt(req, [spec.requestId]),
    nhsNumber: stringAt(res, [...spec.answered, 'nhsNumber']) || undefined,
  });
}

/** The audit subject of a call that names its patient in the request (`nhsNumber` by default). */
export function subjectOfRequestedPatient(
  path: FieldPath = ['nhsNumber'],
): (req: unknown) => AuditSubject {
  return (req) => ({ nhsNumber: stringAt(req, path) || undefined });
}

/**
 * The rule of a bulk read of a region's population for FHIR $export (identity's patient list, a
 * platform's `…ExportService/List…ForPatients` that the gateway's $export worker calls as the job's
 * owner): some region's population-read scope (which region is the handler's check or the
 * gateway's judgement), patient data audited as an export of `resourceType` with no one subject.
 */
export function populationExportRule(resourceType: string): ProtectedRule {
  return {
    scope: regionScope('*', 'population.read'),
    patientData: true,
    resourceType,
    action: 'E',
    subject: () => ({}),
  };
}
