// The platforms' bulk-export listing (ReferralExportService, AppointmentExportService,
// ReportExportService): every record of a batch of patients, keyset-paged by record id. One
// validation and one page-token scheme for all three, so the gateway's export worker pages them
// alike.
import { fromOptionalTimestamp } from '@trellis/contracts';

import type { FieldViolation } from './errors';
import { pageCursor } from './page-cursor';
import { FieldViolations, pageSize, UUID } from './violations';

/** Most NHS numbers in one request. */
export const PATIENT_BATCH_MAX = 500;
export const PATIENT_BATCH_DEFAULT_PAGE = 200;
export const PATIENT_BATCH_MAX_PAGE = 1000;

export interface PatientBatchRequest {
  nhsNumbers?: readonly string[];
  updatedSince?: Date | undefined;
  page?: { pageSize?: number; pageToken?: string };
}

export interface PatientBatchQuery {
  /** Normalised, deduplicated and sorted. */
  nhsNumbers: string[];
  updatedSince?: Date;
  /** Rows to fetch: the page size + 1 (the extra row says whether there is a next page). */
  take: number;
  /** Only ids after this one (the previous page's last). */
  afterId?: string;
  /** The response's page: the rows to return and the next page's token. */
  page<R extends { id: string }>(rows: readonly R[]): { rows: R[]; nextPageToken: string };
}

/**
 * Validates a batch request (1–500 valid NHS numbers, page size 0–1000, a token of this very
 * query) and returns the keyset query; every problem is one field violation of `refuse`'s
 * INVALID_ARGUMENT.
 */
export function patientBatchQuery(
  req: PatientBatchRequest,
  refuse: (violations: FieldViolation[]) => Error,
): PatientBatchQuery {
  const v = new FieldViolations(refuse);
  const given = req.nhsNumbers ?? [];
  if (given.length === 0) v.add('nhs_numbers', 'required', 'nhs_numbers is required');
  if (given.length > PATIENT_BATCH_MAX)
    v.add('nhs_numbers', 'max-items', `at most ${PATIENT_BATCH_MAX} nhs_numbers per request`);
  const nhs = new Set<string>();
  given.slice(0, PATIENT_BATCH_MAX).forEach((n, i) => {
    const ok = v.nhsNumber(`nhs_numbers[${i}]`, n);
    if (ok) nhs.add(ok);
  });
  const size = pageSize(
    req.page?.pageSize,
    v,
    'page.page_size',
    PATIENT_BATCH_MAX_PAGE,
    PATIENT_BATCH_DEFAULT_PAGE,
  );
  if (req.updatedSince && Number.isNaN(req.updatedSince.getTime()))
    v.add('updated_since', 'instant', 'updated_since is not a valid instant');
  const nhsNumbers = [...nhs].sort();
  const scope = { nhs: nhsNumbers, since: req.updatedSince?.toISOString() ?? '' };
  const codec = pageCursor<{ id: string }>({
    write: (c) => ({ i: c.id }),
    read: ({ i }) => (typeof i === 'string' && UUID.test(i) ? { id: i } : undefined),
    refuse: (violation) => refuse([violation]),
  });
  const judged = codec.check(req.page?.pageToken, scope);
  if (!judged.ok) v.add(judged.violation.field, judged.violation.rule, judged.violation.message);
  v.throwIfAny();
  return {
    nhsNumbers,
    ...(req.updatedSince ? { updatedSince: req.updatedSince } : {}),
    take: size + 1,
    ...(judged.ok && judged.cursor ? { afterId: judged.cursor.id } : {}),
    page: (rows) => {
      const page = rows.slice(0, size);
      const last = page[page.length - 1];
      return {
        rows: page,
        nextPageToken: rows.length > size && last ? codec.encode({ id: last.id }, scope) : '',
      };
    },
  };
}

/** A platform's export request as generated from proto (ListXForPatientsRequest). */
export interface PatientBatchProtoRequest {
  nhsNumbers: readonly string[];
  updatedSince?: { seconds?: number | null; nanos?: number | null } | undefined;
  page?: { pageSize?: number; pageToken?: string } | undefined;
}

/** {@link patientBatchQuery} of a platform's export request as it arrives over gRPC. */
export function patientBatchQueryOf(
  req: PatientBatchProtoRequest,
  refuse: (violations: FieldViolation[]) => Error,
): PatientBatchQuery {
  return patientBatchQuery(
    {
      nhsNumbers: req.nhsNumbers,
      updatedSince: fromOptionalTimestamp(req.updatedSince),
      ...(req.page ? { page: req.page } : {}),
    },
    refuse,
  );
}

/** The keyset query of a batch in Prisma's terms (`findMany` arguments). */
export interface PatientBatchFindArgs<F extends string> {
  where: { nhsNumber: { in: string[] }; id?: { gt: string } } & { [K in F]?: { gte: Date } };
  orderBy: { id: 'asc' };
  take: number;
}

/**
 * The `findMany` arguments of a batch: the patients' rows changed since `updatedSince` (by the
 * `changedAt` column), after the previous page's last id, in id order.
 */
export function patientBatchFindArgs<F extends string>(
  q: PatientBatchQuery,
  changedAt: F,
): PatientBatchFindArgs<F> {
  const since = q.updatedSince ? { [changedAt]: { gte: q.updatedSince } } : {};
  return {
    where: {
      nhsNumber: { in: q.nhsNumbers },
      ...(since as { [K in F]?: { gte: Date } }),
      ...(q.afterId ? { id: { gt: q.afterId } } : {}),
    },
    orderBy: { id: 'asc' },
    take: q.take,
  };
}
