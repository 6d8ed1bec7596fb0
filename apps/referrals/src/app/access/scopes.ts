import { defineScopeTable, patientRecordRules, sameRuleFor } from '@trellis/auth';

const REFERRAL = '/trellis.referrals.v1.ReferralService';

/** A referral (FHIR ServiceRequest), addressed by its id. */
const referral = patientRecordRules('ServiceRequest', {
  response: 'referral',
  requestId: 'referralId',
});

/**
 * The referrals platform's one scope table: every gRPC method of trellis.referrals.v1, its SMART
 * v2 scope (FHIR ServiceRequest), and whether it touches patient data (then every call, allowed or
 * denied, is written to the access audit). Organisation visibility (only the referring and the
 * target organisation see a referral) is enforced by ReferralsService with the caller's ODS code.
 * Waiting lists are aggregate counts with no patient in them: scoped, not patient-audited.
 */
export const REFERRALS_SCOPES = defineScopeTable({
  [`${REFERRAL}/SendReferral`]: referral.create(['nhsNumber']),
  // creates a referral out of the advice request named by id
  [`${REFERRAL}/ConvertAdviceToReferral`]: {
    scope: 'system/ServiceRequest.c',
    patientData: true,
    subject: referral.byId,
  },
  [`${REFERRAL}/GetReferral`]: {
    scope: 'system/ServiceRequest.r',
    patientData: true,
    patientAccess: true, // a citizen's own referral (the service answers NOT_FOUND for another's)
    subject: referral.byId,
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
  [`${REFERRAL}/GetReferralTimeline`]: referral.read,
  // the changes of one referral by the referrer or the target
  ...sameRuleFor(
    REFERRAL,
    [
      'AcceptReferral',
      'RejectReferral',
      'ReturnReferral',
      'GiveAdvice',
      'CompleteReferral',
      'CancelReferral',
      'StopRttClock',
      'UpdateReferral',
    ],
    referral.update,
  ),
  [`${REFERRAL}/GetReferralVersion`]: referral.versions(['version', 'referral']),
  [`${REFERRAL}/ListReferralVersions`]: referral.versions(['versions', 0, 'referral']),
  // Worklists name many patients: audited as a search by the organisation, without one subject.
  [`${REFERRAL}/ListIncomingReferrals`]: referral.worklist,
  [`${REFERRAL}/ListSentReferrals`]: referral.worklist,
  [`${REFERRAL}/ListPatientReferrals`]: referral.patientSearch, // also a citizen's own ($everything)
  [`${REFERRAL}/GetProviderWaitingList`]: { scope: 'system/ServiceRequest.s' },
  [`${REFERRAL}/GetRegionWaitingList`]: { scope: 'system/ServiceRequest.s' },
  // a region's authority (its region checked by the service) or the national operator
  [`${REFERRAL}/GetRegionalWaitingLists`]: { scope: 'region/*/waiting-lists.read' },
  // bulk export (the gateway's $export worker as the job's owner; not on the front door): the
  // patients are the gateway's regional list at identity; audited by the gateway per file
  '/trellis.referrals.v1.ReferralExportService/ListReferralsForPatients': referral.populationExport,
});
