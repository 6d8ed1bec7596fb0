import type { Bundle, ServiceRequest } from '@medplum/fhirtypes';
import type { AuditSubjectExtractor } from '@trellis/auth';
import { fromTimestamp, referrals } from '@trellis/contracts';
import { FhirError, referralToFhir } from '@trellis/fhir';

import { clip } from './fhir.search';
import { etag } from './fhir.support';

/** Audit subject of a referral's history: its id, and the patient of the newest version. */
export const historySubject: AuditSubjectExtractor = (req, res) => {
  const id = (req as { params?: { id?: string } }).params?.id;
  const first = (res as Bundle | undefined)?.entry?.[0]?.resource as ServiceRequest | undefined;
  const nhs = first?.subject?.identifier?.value;
  return { ...(id ? { resourceId: id } : {}), ...(nhs ? { nhsNumber: nhs } : {}) };
};

/** A stored referral version as FHIR: meta.versionId = the version, lastUpdated = when stored. */
export function versionToFhir(v: referrals.v1.ReferralVersion): ServiceRequest {
  const s = referralToFhir(v.referral!);
  const recorded = v.recordedAt ? fromTimestamp(v.recordedAt).toISOString() : undefined;
  s.meta = {
    ...s.meta,
    versionId: String(v.version),
    ...(recorded ? { lastUpdated: recorded } : {}),
  };
  return s;
}

/** ListIncoming/ListSentReferrals field → search parameter. */
export const WORKLIST_FIELDS: Record<string, string> = {
  nhs_number: 'patient',
  'page.page_token': '_page_token',
  'page.page_size': '_count',
};
export const RS = referrals.v1.ReferralStatus;
export const REFERRAL_STATUS_PARAM: Record<string, referrals.v1.ReferralStatus[] | undefined> = {
  active: [RS.REFERRAL_STATUS_SENT, RS.REFERRAL_STATUS_ACCEPTED, RS.REFERRAL_STATUS_BOOKED],
  'on-hold': [RS.REFERRAL_STATUS_ADVICE_GIVEN],
  revoked: [RS.REFERRAL_STATUS_REJECTED, RS.REFERRAL_STATUS_CANCELLED, RS.REFERRAL_STATUS_RETURNED],
  completed: [RS.REFERRAL_STATUS_COMPLETED],
  sent: [RS.REFERRAL_STATUS_SENT],
  accepted: [RS.REFERRAL_STATUS_ACCEPTED],
  booked: [RS.REFERRAL_STATUS_BOOKED],
  advice_given: [RS.REFERRAL_STATUS_ADVICE_GIVEN],
  rejected: [RS.REFERRAL_STATUS_REJECTED],
  cancelled: [RS.REFERRAL_STATUS_CANCELLED],
  returned: [RS.REFERRAL_STATUS_RETURNED],
};
export const token = (v: string) => (v.split('|').pop() ?? '').trim().toLowerCase();
export const statusParam = (v: string): referrals.v1.ReferralStatus[] => {
  const s = REFERRAL_STATUS_PARAM[token(v)];
  if (!s) throw FhirError.of(400, 'value', 'search.status', `unknown status ${clip(v)}`, 'status');
  return s;
};
export const REFERRAL_PRIORITY_PARAM: Record<string, referrals.v1.ReferralPriority | undefined> = {
  routine: referrals.v1.ReferralPriority.REFERRAL_PRIORITY_ROUTINE,
  urgent: referrals.v1.ReferralPriority.REFERRAL_PRIORITY_URGENT,
  asap: referrals.v1.ReferralPriority.REFERRAL_PRIORITY_TWO_WEEK_WAIT,
};

/** 412: the If-Match version is not the referral's current one. */
export function stale(expected: number, current: number): FhirError {
  const known = Number.isFinite(current);
  return FhirError.of(
    412,
    'conflict',
    'http.precondition-failed',
    `If-Match version ${expected} is stale${known ? ` (current ${current})` : ''}: read the referral again`,
    undefined,
    known ? { ETag: etag(current) } : undefined,
  );
}
