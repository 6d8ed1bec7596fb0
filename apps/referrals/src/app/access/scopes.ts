import {
  defineScopeTable,
  populationExportRule,
  subjectByResourceId,
  subjectOfCreation,
  subjectOfRequestedPatient,
  subjectOfVersions,
} from '@trellis/auth';

const REFERRAL = '/trellis.referrals.v1.ReferralService';

/** Audit subject for calls addressed by referral id: the response names the patient. */
const byReferralId = subjectByResourceId({ response: 'referral', requestId: 'referralId' });

const update = {
  scope: 'system/ServiceRequest.u',
  patientData: true,
  subject: byReferralId,
} as const;

/**
 * The referrals platform's one scope table: every gRPC method of trellis.referrals.v1, its SMART
 * v2 scope (FHIR ServiceRequest), and whether it touches patient data (then every call, allowed or
 * denied, is written to the access audit). Organisation visibility (only the referring and the
 * target organisation see a referral) is enforced by ReferralsService with the caller's ODS code.
 * Waiting lists are aggregate counts with no patient in them: scoped, not patient-audited.
 */
export const REFERRALS_SCOPES = defineScopeTable({
  [`${REFERRAL}/SendReferral`]: {
    scope: 'system/ServiceRequest.c',
    patientData: true,
    subject: subjectOfCreation({ nhsNumber: ['nhsNumber'], response: 'referral' }),
  },
  [`${REFERRAL}/ConvertAdviceToReferral`]: {
    scope: 'system/ServiceRequest.c',
    patientData: true,
    subject: byReferralId,
  },
  [`${REFERRAL}/GetReferral`]: {
    scope: 'system/ServiceRequest.r',
    patientData: true,
    patientAccess: true, // a citizen's own referral (the service answers NOT_FOUND for another's)
    subject: byReferralId,
  },
  [`${REFERRAL}/GetReferralAttachment`]: {
    scope: 'system/ServiceRequest.r',
    patientData: true,
    patientAccess: true, // as GetReferral: the service answers NOT_FOUND for another's
    subject: (req, res) => {
      const r = res as { referralId?: string; nhsNumber?: string } | undefined;
      return {
        resourceId: r?.referralId || (req as { attachmentId?: string }).attachmentId,
        nhsNumber: r?.nhsNumber || undefined,
      };
    },
  },
  [`${REFERRAL}/GetReferralTimeline`]: {
    scope: 'system/ServiceRequest.r',
    patientData: true,
    subject: byReferralId,
  },
  [`${REFERRAL}/AcceptReferral`]: update,
  [`${REFERRAL}/RejectReferral`]: update,
  [`${REFERRAL}/ReturnReferral`]: update,
  [`${REFERRAL}/GiveAdvice`]: update,
  [`${REFERRAL}/CompleteReferral`]: update,
  [`${REFERRAL}/CancelReferral`]: update,
  [`${REFERRAL}/StopRttClock`]: update,
  [`${REFERRAL}/UpdateReferral`]: update,
  [`${REFERRAL}/GetReferralVersion`]: {
    scope: 'system/ServiceRequest.r',
    patientData: true,
    subject: subjectOfVersions({ requestId: 'referralId', answered: ['version', 'referral'] }),
  },
  [`${REFERRAL}/ListReferralVersions`]: {
    scope: 'system/ServiceRequest.r',
    patientData: true,
    subject: subjectOfVersions({
      requestId: 'referralId',
      answered: ['versions', 0, 'referral'],
    }),
  },
  // Worklists name many patients: audited as a search by the organisation, without one subject.
  [`${REFERRAL}/ListIncomingReferrals`]: { scope: 'system/ServiceRequest.s', patientData: true },
  [`${REFERRAL}/ListSentReferrals`]: { scope: 'system/ServiceRequest.s', patientData: true },
  [`${REFERRAL}/ListPatientReferrals`]: {
    scope: 'system/ServiceRequest.s',
    patientData: true,
    patientAccess: true, // a citizen's own referrals ($everything)
    subject: subjectOfRequestedPatient(),
  },
  [`${REFERRAL}/GetProviderWaitingList`]: { scope: 'system/ServiceRequest.s' },
  [`${REFERRAL}/GetRegionWaitingList`]: { scope: 'system/ServiceRequest.s' },
  // a region's authority (its region checked by the service) or the national operator
  [`${REFERRAL}/GetRegionalWaitingLists`]: { scope: 'region/*/waiting-lists.read' },
  // bulk export (the gateway's $export worker as the job's owner; not on the front door): the
  // patients are the gateway's regional list at identity; audited by the gateway per file
  '/trellis.referrals.v1.ReferralExportService/ListReferralsForPatients':
    populationExportRule('ServiceRequest'),
});
