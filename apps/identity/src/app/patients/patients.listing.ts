import { isNationalOperator, mayActInRegion } from '@trellis/auth';
import { isRegion, pageCursor } from '@trellis/service-kit';

import type { Actor, PatientView } from './patient.model';
import { IdentityError, IdentityErrorCode } from './patients.errors';
import type { PatientSupport } from './patients.support';

export const LIST_DEFAULT_PAGE_SIZE = 200;
export const LIST_MAX_PAGE_SIZE = 1000;

export interface ListPatientsQuery {
  region: string;
  updatedSince?: Date;
  pageSize?: number;
  pageToken?: string;
}

const invalid = (field: string, rule: string, message: string) =>
  new IdentityError(IdentityErrorCode.ValidationFailed, message, [{ field, rule, message }]);

/** The page token: the last NHS number served, bound to the query (another query's is refused). */
const listingCursor = pageCursor<string>({
  write: (after) => ({ a: after }),
  read: ({ a }) => (typeof a === 'string' && /^\d{10}$/.test(a) ? a : undefined),
  refuse: (violation) =>
    new IdentityError(IdentityErrorCode.ValidationFailed, violation.message, [violation]),
  message: 'malformed page token or another query’s',
});

/**
 * Bulk export's source (FHIR $export at the gateway): the patients registered with a practice of a
 * region, NHS-number order, keyset-paged. A region's authority (region/<r>/population.read with a
 * token of that region) lists its own region; the national operator any region, or every patient
 * with no region. Merged-away records are left out (their survivor is listed); restricted records
 * are left out entirely unless the caller holds trellis/restricted.read — a bulk reader without it
 * gets none of their data, not even the masked record.
 */
export class PatientListing {
  constructor(private readonly s: PatientSupport) {}

  async list(
    actor: Actor,
    q: ListPatientsQuery,
  ): Promise<{ patients: PatientView[]; nextPageToken: string }> {
    const region = q.region.trim();
    if (region === '') {
      if (!isNationalOperator(actor))
        throw invalid(
          'region',
          'required',
          'region is required (every region: national operator only)',
        );
    } else {
      if (!isRegion(region))
        throw invalid('region', 'region.unknown', `unknown region ${region.slice(0, 40)}`);
      if (!mayActInRegion(actor, region, 'population.read'))
        throw new IdentityError(
          IdentityErrorCode.NotYourRegion,
          `the caller may not list the patients of ${region}`,
        );
    }
    const size = q.pageSize ?? 0;
    if (!Number.isInteger(size) || size < 0 || size > LIST_MAX_PAGE_SIZE)
      throw invalid('page.page_size', 'page-size', `page_size must be 0–${LIST_MAX_PAGE_SIZE}`);
    const take = size || LIST_DEFAULT_PAGE_SIZE;
    const restricted = this.s.mayReadRestricted(actor);
    const scope = { region, updatedSince: q.updatedSince, restricted };
    const after = listingCursor.decode(q.pageToken, scope) ?? '';
    const numbers = await this.s.repo.listNumbers({ ...scope, after, take });
    const page = listingCursor.page(numbers, take, (last) => last, scope);
    const records = await this.s.repo.findMany(page.rows);
    const patients = page.rows
      .map((nhs) => records.get(nhs))
      .filter((r) => r !== undefined)
      .map((r) => this.s.view(actor, r));
    return { patients, nextPageToken: page.nextPageToken };
  }
}
