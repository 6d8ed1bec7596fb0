import { pageCursor } from '@trellis/service-kit';

import {
  type Actor,
  type PatientRecord,
  type PatientVersionEntry,
  type PatientView,
  viewFor,
} from './patient.model';
import { IdentityError, IdentityErrorCode } from './patients.errors';
import { notFound, type PatientSupport } from './patients.support';
import { requireNhsNumber } from './patients.validation';

/** A patient's version history, across the numbers merged into the surviving record. */
export class PatientHistory {
  constructor(private readonly s: PatientSupport) {}

  async history(
    actor: Actor,
    nhsInput: string,
    pageSize: number,
    pageToken: string,
  ): Promise<{
    versions: Array<PatientVersionEntry & { view: PatientView }>;
    nextPageToken: string;
  }> {
    const nhs = requireNhsNumber(nhsInput, 'nhs_number');
    if (pageSize < 0 || pageSize > 500) {
      throw IdentityError.validation([
        { field: 'page.page_size', rule: 'range', message: 'must be between 0 and 500' },
      ]);
    }
    const size = pageSize || 50;
    const offset = historyCursor.decode(pageToken, nhs) ?? 0;
    const { survivor, numbers } = await this.lineage(nhs);
    const rows = await this.s.repo.history(numbers, offset, size + 1);
    const page = rows.slice(0, size);
    return {
      versions: page.map((v) => ({ ...v, view: this.versionView(actor, survivor, v) })),
      nextPageToken: rows.length > size ? historyCursor.encode(offset + size, nhs) : '',
    };
  }

  async version(
    actor: Actor,
    nhsInput: string,
    version: number,
  ): Promise<PatientVersionEntry & { view: PatientView }> {
    const nhs = requireNhsNumber(nhsInput, 'nhs_number');
    if (!Number.isInteger(version) || version < 1) {
      throw IdentityError.validation([
        { field: 'version', rule: 'range', message: 'must be a positive version number' },
      ]);
    }
    const { survivor, numbers } = await this.lineage(nhs);
    const entry = await this.s.repo.version(numbers, version, nhs);
    if (!entry) {
      throw new IdentityError(
        IdentityErrorCode.VersionNotFound,
        `patient ${nhs} has no version ${version}`,
        [{ field: 'version', rule: 'version.unknown', message: 'no such version' }],
      );
    }
    return { ...entry, view: this.versionView(actor, survivor, entry) };
  }

  /**
   * A historic snapshot is withheld if the record is restricted now or was then: the address a
   * patient had before the restriction is usually the one the restriction protects.
   */
  private versionView(actor: Actor, now: PatientRecord, v: PatientVersionEntry): PatientView {
    const restricted =
      now.confidentiality === 'restricted' ? 'restricted' : v.snapshot.confidentiality;
    const view = viewFor(
      { ...v.snapshot, confidentiality: restricted },
      this.s.mayReadRestricted(actor),
    );
    return { ...view, confidentiality: v.snapshot.confidentiality };
  }

  /** The surviving record of a number plus every number merged into it. */
  private async lineage(nhs: string): Promise<{ survivor: PatientRecord; numbers: string[] }> {
    const record = await this.s.repo.find(nhs);
    if (!record) throw notFound(nhs, 'nhs_number');
    const survivor = record.mergedInto ? await this.s.repo.find(record.mergedInto) : record;
    if (!survivor) throw notFound(nhs, 'nhs_number');
    return { survivor, numbers: [survivor.nhsNumber, ...survivor.supersededNhsNumbers] };
  }
}

/** The history's page token: the offset reached, bound to the NHS number asked for. */
const historyCursor = pageCursor<number>({
  write: (o) => ({ o }),
  read: ({ o }) => (typeof o === 'number' && Number.isInteger(o) && o >= 0 ? o : undefined),
  refuse: (violation) => IdentityError.validation([violation]),
  rule: 'page-token.invalid',
  message: 'is not a token from this history',
});
