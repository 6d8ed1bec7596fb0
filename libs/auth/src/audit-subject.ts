import type { AuditSubject } from './scope-table';

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
