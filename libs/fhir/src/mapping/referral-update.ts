import type { ServiceRequest } from '@medplum/fhirtypes';
import { fromTimestamp, referrals } from '@trellis/contracts';

import type { FhirIssue } from '../outcome';
import {
  GMC_SYSTEM,
  NHS_NUMBER_SYSTEM,
  ODS_ORGANISATION_SYSTEM,
  REFERRAL_REQUEST_ID_SYSTEM,
  REGION_EXTENSION,
  SDS_USER_SYSTEM,
  SNOMED_CT_SYSTEM,
} from '../systems';
import { referralToFhir } from './summaries';

const PRIORITY: Record<string, referrals.v1.ReferralPriority> = {
  routine: referrals.v1.ReferralPriority.REFERRAL_PRIORITY_ROUTINE,
  urgent: referrals.v1.ReferralPriority.REFERRAL_PRIORITY_URGENT,
  asap: referrals.v1.ReferralPriority.REFERRAL_PRIORITY_TWO_WEEK_WAIT,
};

/** What a FHIR ServiceRequest update asks the referrals platform to change. */
export interface ReferralChanges {
  /** UpdateReferral fields (the caller adds referral_id and expected_version). */
  update: Pick<
    referrals.v1.UpdateReferralRequest,
    'priority' | 'reason' | 'clinicalSummary' | 'note'
  >;
  /** One issue per immutable element the body changed (422, rule service-request.immutable). */
  immutable: FhirIssue[];
}

/**
 * A validated ServiceRequest update (FHIR update = full replacement) against the current
 * referral: `priority`, `code` (SNOMED CT reason) and `note` (clinical summary) are the
 * clinically mutable elements; the patient, the requester (organisation or practitioner), the
 * performer and its region, the specialty (category), the request id, `authoredOn`, `status` and
 * `intent` must stay as they are (a status changes through $accept/$reject/$cancel/...).
 * `identifier` and `authoredOn` may be left out.
 */
export function referralChangesFromFhir(
  s: ServiceRequest,
  current: referrals.v1.Referral,
): ReferralChanges {
  const immutable: FhirIssue[] = [];
  const refuse = (expression: string, message: string) =>
    immutable.push({
      severity: 'error',
      code: 'business-rule',
      rule: 'service-request.immutable',
      expression,
      message,
    });
  const nhs =
    s.subject?.reference?.replace(/^Patient\//, '') ??
    (s.subject?.identifier?.system === NHS_NUMBER_SYSTEM ? s.subject.identifier.value : undefined);
  if (nhs !== current.nhsNumber)
    refuse(
      'ServiceRequest.subject',
      `the patient cannot change (Patient/${current.nhsNumber}); cancel and refer again`,
    );
  const rid = s.requester?.identifier;
  const requesterOk =
    rid?.system === ODS_ORGANISATION_SYSTEM
      ? rid.value === current.referrer?.odsCode
      : rid?.system === SDS_USER_SYSTEM || rid?.system === GMC_SYSTEM
        ? rid.value === current.referrer?.practitionerId
        : false;
  if (!requesterOk)
    refuse(
      'ServiceRequest.requester',
      `the requester cannot change (organisation ${current.referrer?.odsCode ?? ''}, practitioner ${current.referrer?.practitionerId ?? ''})`,
    );
  const performers = s.performer ?? [];
  if (performers.length !== 1 || performers[0]?.identifier?.value !== current.target?.odsCode) {
    refuse(
      performers.length !== 1 ? 'ServiceRequest.performer' : 'ServiceRequest.performer[0]',
      `the performer cannot change (${current.target?.odsCode ?? ''}); cancel and refer again`,
    );
  } else {
    const region = performers[0]?.extension?.find((e) => e.url === REGION_EXTENSION)?.valueCode;
    if (region !== current.target?.region)
      refuse(
        'ServiceRequest.performer[0].extension',
        `the performer's region cannot change (${current.target?.region ?? ''})`,
      );
  }
  if (s.category?.[0]?.coding?.[0]?.code !== current.target?.specialtyCode)
    refuse(
      'ServiceRequest.category[0]',
      `the specialty cannot change (${current.target?.specialtyCode ?? ''}); cancel and refer again`,
    );
  const ids = (s.identifier ?? []).filter((i) => i.system === REFERRAL_REQUEST_ID_SYSTEM);
  if (ids.length > 0 && ids[0]?.value !== current.idempotencyKey)
    refuse(
      'ServiceRequest.identifier',
      `the request id cannot change (${REFERRAL_REQUEST_ID_SYSTEM}|${current.idempotencyKey})`,
    );
  const now = referralToFhir(current);
  if (s.status !== now.status)
    refuse(
      'ServiceRequest.status',
      `status is ${now.status ?? 'unknown'}; it changes through the operations ($accept, $reject, $return, $advise, $complete, $cancel), not by update`,
    );
  if (s.intent !== 'order') refuse('ServiceRequest.intent', 'intent is order');
  if (
    s.authoredOn !== undefined &&
    current.sentAt &&
    Date.parse(s.authoredOn) !== fromTimestamp(current.sentAt).getTime()
  )
    refuse(
      'ServiceRequest.authoredOn',
      `authoredOn is when the referral was sent (${now.authoredOn ?? ''})`,
    );
  const snomed = s.code?.coding?.find((c) => c.system === SNOMED_CT_SYSTEM);
  return {
    update: {
      priority:
        PRIORITY[s.priority ?? 'routine'] ??
        referrals.v1.ReferralPriority.REFERRAL_PRIORITY_UNSPECIFIED,
      reason: { code: snomed?.code ?? '', display: snomed?.display ?? '' },
      clinicalSummary: s.note?.map((n) => n.text ?? '').join('\n') ?? '',
      note: '',
    },
    immutable,
  };
}

/** Platform UpdateReferral field → FHIRPath of the ServiceRequest element it came from. */
export function referralFieldPath(field: string): string | undefined {
  if (field === 'priority') return 'ServiceRequest.priority';
  if (field.startsWith('reason')) return 'ServiceRequest.code';
  if (field === 'clinical_summary') return 'ServiceRequest.note';
  if (field === 'expected_version') return 'ServiceRequest.meta.versionId';
  return undefined;
}
