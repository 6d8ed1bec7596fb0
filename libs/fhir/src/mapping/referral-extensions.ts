import type { Binary, Extension, Reference, ServiceRequest } from '@medplum/fhirtypes';
import { referrals } from '@trellis/contracts';

import { FhirError } from '../outcome';
import {
  REFERRAL_ATTACHMENT_EXTENSION,
  REFERRAL_CONVERTED_TO_EXTENSION,
  REFERRAL_STATUS_REASON_EXTENSION,
  RTT_CLOCK_EXTENSION,
} from '../systems';
import { iso } from './summary-common';

const STOP_REASON: Record<number, string | undefined> = {
  [referrals.v1.RttStopReason.RTT_STOP_REASON_FIRST_DEFINITIVE_TREATMENT]:
    'first-definitive-treatment',
  [referrals.v1.RttStopReason.RTT_STOP_REASON_DECISION_NOT_TO_TREAT]: 'decision-not-to-treat',
  [referrals.v1.RttStopReason.RTT_STOP_REASON_REFERRAL_CLOSED]: 'referral-closed',
};

/**
 * The RTT clock as the referrals platform computed it (start, running or stopped and why, days
 * and weeks waited, breach dates and flags): nothing is recomputed here, so FHIR and gRPC agree.
 */
export function rttClockExtension(c: referrals.v1.RttClock | undefined): Extension | undefined {
  const start = iso(c?.startedAt);
  if (!c || !start) return undefined;
  const stop = iso(c.stoppedAt);
  const first = iso(c.firstAppointmentAt);
  const stopReason = STOP_REASON[c.stopReason];
  const twoWeekWait = c.twoWeekWaitBreachDate !== '';
  const parts: Extension[] = [
    { url: 'start', valueDateTime: start },
    { url: 'status', valueCode: c.running ? 'running' : 'stopped' },
    ...(stop ? [{ url: 'stop', valueDateTime: stop }] : []),
    ...(stopReason ? [{ url: 'stopReason', valueCode: stopReason }] : []),
    { url: 'daysWaited', valueInteger: c.daysWaited },
    { url: 'weeksWaited', valueInteger: c.weeksWaited },
    ...(c.breachDate ? [{ url: 'breachDate', valueDate: c.breachDate }] : []),
    { url: 'breached18Weeks', valueBoolean: c.breached18Weeks },
    ...(twoWeekWait
      ? [
          { url: 'twoWeekWaitBreachDate', valueDate: c.twoWeekWaitBreachDate },
          { url: 'breachedTwoWeekWait', valueBoolean: c.breachedTwoWeekWait },
        ]
      : []),
    ...(first ? [{ url: 'firstAppointment', valueDateTime: first }] : []),
  ];
  return { url: RTT_CLOCK_EXTENSION, extension: parts };
}

/** The referral's own extensions: RTT clock, why it is in its status, what it was converted to. */
export function referralExtensions(r: referrals.v1.Referral): Extension[] {
  const S = referrals.v1.ReferralStatus;
  const reason =
    r.status === S.REFERRAL_STATUS_REJECTED
      ? r.rejectionReason
      : r.status === S.REFERRAL_STATUS_RETURNED
        ? r.returnReason
        : r.status === S.REFERRAL_STATUS_CANCELLED
          ? r.cancellationReason
          : r.status === S.REFERRAL_STATUS_ADVICE_GIVEN
            ? r.advice
            : '';
  const rtt = rttClockExtension(r.rtt);
  return [
    ...(rtt ? [rtt] : []),
    ...(reason ? [{ url: REFERRAL_STATUS_REASON_EXTENSION, valueString: reason }] : []),
    ...(r.convertedToReferralId
      ? [
          {
            url: REFERRAL_CONVERTED_TO_EXTENSION,
            valueReference: { reference: `ServiceRequest/${r.convertedToReferralId}` },
          },
        ]
      : []),
  ];
}

/**
 * The referral's attachments as ServiceRequest.supportingInfo: a reference to the Binary that
 * serves the content (GET Binary/{id}, the referral's read rules), the title as display, and the
 * stored content type, size and SHA-256 (hex) in the referral-attachment extension.
 */
export function supportingInfoOf(r: referrals.v1.Referral): Reference[] {
  return r.attachments.map((a) => ({
    extension: [
      {
        url: REFERRAL_ATTACHMENT_EXTENSION,
        extension: [
          { url: 'contentType', valueCode: a.contentType },
          { url: 'size', valueInteger: Number(a.size) },
          { url: 'sha256', valueString: a.sha256 },
        ],
      },
    ],
    reference: `Binary/${a.id}`,
    type: 'Binary',
    ...(a.title ? { display: a.title } : {}),
  }));
}

/**
 * Attachments sent with a new referral: each supportingInfo that references a contained Binary
 * (`#id`, contentType + base64 data; the display is the title, an optional referral-attachment
 * sha256 is checked by the platform). A local reference to anything else is refused (422), so
 * nothing the sender attached is silently dropped; references to stored resources are ignored.
 */
export function attachmentsFromFhir(s: ServiceRequest): referrals.v1.AttachmentInput[] {
  const contained = new Map(
    (s.contained ?? []).flatMap((c) => (c.resourceType === 'Binary' && c.id ? [[c.id, c]] : [])),
  );
  return (s.supportingInfo ?? []).flatMap((ref, i) => {
    if (!ref.reference?.startsWith('#')) return [];
    const b = contained.get(ref.reference.slice(1)) as Binary | undefined;
    if (!b?.contentType || !b.data)
      throw FhirError.of(
        422,
        'business-rule',
        'service-request.supporting-info',
        `supportingInfo[${i}] must reference a contained Binary with contentType and data (${ref.reference})`,
        `ServiceRequest.supportingInfo[${i}]`,
      );
    const sha = ref.extension
      ?.find((e) => e.url === REFERRAL_ATTACHMENT_EXTENSION)
      ?.extension?.find((e) => e.url === 'sha256')?.valueString;
    return [
      {
        contentType: b.contentType,
        title: ref.display ?? '',
        data: Buffer.from(b.data, 'base64'),
        sha256: sha ?? '',
      },
    ];
  });
}
