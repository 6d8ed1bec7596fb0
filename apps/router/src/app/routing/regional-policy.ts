import { createHash } from 'node:crypto';
import { events } from '@trellis/contracts';
import {
  PoisonMessageError,
  REFERRAL_EVENT_NAMES,
  RESULT_EVENT_NAMES,
  type MessageCodec,
  type ReceivedEvent,
} from '@trellis/events';

const E = events.v1;

/** What the router knows about a patient's home (registered GP practice and its region). */
export interface PatientHomeFact {
  nhsNumber: string;
  region: string;
  gpOdsCode: string;
  confidentiality: string;
  version: number;
}

/** `full`: the event as published; `minimal`: free text and staff/other-patient identifiers removed. */
export type PayloadView = 'full' | 'minimal';

/** One message for one region's stream. */
export interface RegionalDelivery {
  region: string;
  view: PayloadView;
  /** Deterministic per (original event, region): the same event routed twice has the same id. */
  id: string;
  payload: Uint8Array;
}

/** The routing decision for one domain event. */
export interface RoutingDecision {
  /** Region responsible for the patient (GP registration), when known. */
  homeRegion: string | undefined;
  deliveries: RegionalDelivery[];
  /** Regions the event named that are not in the platform's region table (not routed). */
  unknownRegions: string[];
  /** New home fact to remember (identity events only). */
  home?: PatientHomeFact;
}

/** Minimal shape shared by every event payload: the platform-wide EventContext at field 1. */
interface WithContext {
  context?: events.v1.EventContext | undefined;
}

interface EventSpec<T extends WithContext> {
  codec: MessageCodec<T>;
  /** Region of the organisation acting for the patient when the router has no home fact. */
  fallbackHome?: (msg: T) => string | undefined;
  /** Identity events: the home fact the event establishes. */
  home?: (msg: T) => PatientHomeFact | undefined;
  /** Extra regions named only in the payload. */
  regions?: (msg: T) => string[];
  /** Strip what another organisation's region is not entitled to (mutates a decoded copy). */
  minimise: (msg: T, restricted: boolean) => void;
}

function spec<T extends WithContext>(s: EventSpec<T>): EventSpec<WithContext> {
  return s as unknown as EventSpec<WithContext>;
}

type PatientCtx = events.v1.PatientEventContext | undefined;
const homeOf = (p: PatientCtx): PatientHomeFact | undefined =>
  p && p.nhsNumber && p.region
    ? {
        nhsNumber: p.nhsNumber,
        region: p.region,
        gpOdsCode: p.gpOdsCode,
        confidentiality: p.confidentiality || 'normal',
        version: p.version,
      }
    : undefined;
const hidePractice = (p: PatientCtx, restricted: boolean): void => {
  if (p && restricted) {
    p.gpOdsCode = '';
    p.region = '';
  }
};
const referral = (r: events.v1.ReferralEventContext | undefined): void => {
  if (!r) return;
  r.reasonCode = '';
  r.reasonDisplay = '';
  r.referrerPractitionerId = '';
};
const report = (r: events.v1.ResultEventContext | undefined): void => {
  if (!r) return;
  r.codeDisplay = '';
  r.mostSevereInterpretation = '';
  r.severity = '';
  r.abnormalCount = 0;
  r.requesterPractitionerId = '';
};
const appointment = (a: events.v1.AppointmentEventContext | undefined): void => {
  if (a) a.practitionerId = '';
};

/**
 * Every domain event type the router understands, by ce_type. What `minimise` removes is what a
 * region that is NOT the patient's home region does not receive (docs/regional-streams.md).
 */
export const EVENT_SPECS: ReadonlyMap<string, EventSpec<WithContext>> = new Map<
  string,
  EventSpec<WithContext>
>([
  // identity: home = the registered GP practice's region
  [
    'uk.nhs.trellis.identity.PatientRegistered.v1',
    spec({
      codec: E.PatientRegistered,
      home: (m) => homeOf(m.patient),
      minimise: (m, restricted) => {
        hidePractice(m.patient, restricted);
        m.overriddenCandidates = []; // other patients' NHS numbers
        m.overrideReason = '';
      },
    }),
  ],
  [
    'uk.nhs.trellis.identity.PatientUpdated.v1',
    spec({
      codec: E.PatientUpdated,
      home: (m) => homeOf(m.patient),
      minimise: (m, restricted) => hidePractice(m.patient, restricted),
    }),
  ],
  [
    'uk.nhs.trellis.identity.PatientDeceased.v1',
    spec({
      codec: E.PatientDeceased,
      home: (m) => homeOf(m.patient),
      minimise: (m, restricted) => hidePractice(m.patient, restricted),
    }),
  ],
  [
    'uk.nhs.trellis.identity.PatientMerged.v1',
    spec({
      codec: E.PatientMerged,
      home: (m) => homeOf(m.patient),
      minimise: (m, restricted) => hidePractice(m.patient, restricted),
    }),
  ],
  [
    'uk.nhs.trellis.identity.GpRegistrationChanged.v1',
    spec({
      codec: E.GpRegistrationChanged,
      home: (m) => homeOf(m.patient),
      regions: (m) => [m.previousRegion],
      // the previous region learns the patient left, not (for a restricted patient) where to
      minimise: (m, restricted) => hidePractice(m.patient, restricted),
    }),
  ],
  // referrals: both the referrer's and the target's region
  ...REFERRAL_EVENT_NAMES.map((name): [string, EventSpec<WithContext>] => [
    `uk.nhs.trellis.referrals.${name}.v1`,
    spec({
      codec: E[name] as MessageCodec<
        events.v1.ReferralSent & { note?: string; reason?: string; advice?: string }
      >,
      fallbackHome: (m) => m.referral?.referrerRegion || undefined,
      regions: (m) => [m.referral?.referrerRegion ?? '', m.referral?.targetRegion ?? ''],
      minimise: (m) => {
        referral(m.referral);
        if (typeof m.note === 'string') m.note = '';
        if (typeof m.reason === 'string' && name !== 'RttClockStopped') m.reason = '';
        if (typeof m.advice === 'string') m.advice = '';
      },
    }),
  ]),
  // results: the lab's and the requester's region
  ...RESULT_EVENT_NAMES.map((name): [string, EventSpec<WithContext>] => [
    `uk.nhs.trellis.results.${name}.v1`,
    spec({
      codec: E[name] as MessageCodec<
        events.v1.ResultAvailable & {
          reason?: string;
          note?: string;
          acknowledgedByUserId?: string;
        }
      >,
      fallbackHome: (m) => m.report?.requester?.region || undefined,
      regions: (m) => [m.report?.performingLab?.region ?? '', m.report?.requester?.region ?? ''],
      minimise: (m) => {
        report(m.report);
        if (typeof m.reason === 'string') m.reason = '';
        if (typeof m.note === 'string') m.note = '';
        if (typeof m.acknowledgedByUserId === 'string') m.acknowledgedByUserId = '';
      },
    }),
  ]),
  // appointments: the provider's region (+ the booking organisation's, named in ce_regions)
  ...(
    [
      'AppointmentBooked',
      'AppointmentCancelled',
      'AppointmentRescheduled',
      'AppointmentAttended',
      'AppointmentMissed',
    ] as const
  ).map((name): [string, EventSpec<WithContext>] => [
    `uk.nhs.trellis.appointments.${name}.v1`,
    spec({
      codec: E[name] as MessageCodec<events.v1.AppointmentBooked & { reason?: string }>,
      fallbackHome: (m) => {
        const booking = m.appointment?.bookingOdsCode;
        return m.context?.organisations.find((o) => o.odsCode === booking)?.region || undefined;
      },
      regions: (m) => [m.appointment?.region ?? ''],
      minimise: (m) => {
        appointment(m.appointment);
        if (typeof m.reason === 'string') m.reason = '';
      },
    }),
  ]),
]);

/** Stable UUID (v5 layout, SHA-1) of one event's copy on one region's stream. */
export function regionalEventId(originalId: string, region: string): string {
  const h = createHash('sha1').update(`trellis.router:${originalId}:${region}`).digest();
  h[6] = (h[6]! & 0x0f) | 0x50;
  h[8] = (h[8]! & 0x3f) | 0x80;
  const x = h.subarray(0, 16).toString('hex');
  return `${x.slice(0, 8)}-${x.slice(8, 12)}-${x.slice(12, 16)}-${x.slice(16, 20)}-${x.slice(20)}`;
}

/**
 * Decides which regional streams get an event and in which view:
 *  - regions concerned = the patient's home region (the region of the registered GP practice: the
 *    responsible commissioner) ∪ ce_region ∪ ce_regions ∪ EventContext.regions ∪ regions named in
 *    the payload (referrer/target, lab/requester, previous practice);
 *  - the home region gets the event as published (`full`); every other region gets `minimal`.
 *  - when the router has never heard of the patient, the region of the organisation acting for
 *    the patient (referrer, requester, booking organisation; identity: the practice) stands in.
 */
export function decideRouting(
  event: Pick<ReceivedEvent, 'id' | 'type' | 'key' | 'region' | 'regions' | 'data'>,
  known: PatientHomeFact | undefined,
  regionTable: ReadonlySet<string>,
): RoutingDecision | undefined {
  const s = EVENT_SPECS.get(event.type);
  if (!s) return undefined;
  let msg: WithContext;
  try {
    msg = s.codec.decode(event.data);
  } catch (cause) {
    throw new PoisonMessageError(`payload of ${event.id} is not a valid ${event.type}`, { cause });
  }
  const home = s.home?.(msg);
  const homeRegion = home?.region || known?.region || s.fallbackHome?.(msg) || event.region;
  const restricted = (home ?? known)?.confidentiality === 'restricted';
  const named = [
    homeRegion,
    event.region,
    ...(event.regions ?? []),
    ...(msg.context?.regions ?? []),
    ...(s.regions?.(msg) ?? []),
  ].filter((r): r is string => typeof r === 'string' && r !== '');
  const unique = [...new Set(named)];
  const unknownRegions = unique.filter((r) => !regionTable.has(r));
  let minimal: Uint8Array | undefined;
  const minimalPayload = (): Uint8Array => {
    if (!minimal) {
      const copy = s.codec.decode(event.data);
      if (copy.context?.actor) delete copy.context.actor.userId;
      s.minimise(copy, restricted);
      minimal = s.codec.encode(copy).finish();
    }
    return minimal;
  };
  const deliveries = unique
    .filter((r) => regionTable.has(r))
    .map((region): RegionalDelivery => {
      const view: PayloadView = region === homeRegion ? 'full' : 'minimal';
      return {
        region,
        view,
        id: regionalEventId(event.id, region),
        payload: view === 'full' ? event.data : minimalPayload(),
      };
    });
  return { homeRegion, deliveries, unknownRegions, ...(home ? { home } : {}) };
}
