// The national journey as a list of steps (./steps, in order), each taking what earlier steps
// produced; the result is what tools/e2e/journey.int-spec.ts asserts on.
import type { AuditEntry } from './audit';
import { journeyConfigFromEnv, type JourneyConfig } from './config';
import { demoSystems, type JourneyContext } from './context';
import { journeyGrpc } from './grpc';
import { consoleLog, type JourneyLog } from './log';
import type { ConsumerRun } from './regional';
import { registerSystems } from './steps/01-systems';
import { registerPatients } from './steps/02-patients';
import { sendReferral } from './steps/03-referral';
import { bookAtHospital } from './steps/04-booking';
import { reportResult } from './steps/05-results';
import { recordDeath } from './steps/06-death';
import { readRegionalStreams } from './steps/07-regional';
import { readSharedRecord, type EverythingSummary } from './steps/08-record';

export interface JourneyResult {
  gpClientId: string;
  startedAtMs: number;
  existingNhsNumber: string;
  duplicateStatus: number;
  duplicateCandidates: string[];
  nhsNumber: string;
  referralId: string;
  worklistContainsReferral: boolean;
  acceptedStatus: number;
  freeSlots: number;
  appointmentId: string;
  bookStatus: number;
  referralStatusAfterBooking: string;
  reportId: string;
  safetyNetBefore: boolean;
  acknowledgeStatus: number;
  safetyNetAfter: boolean;
  appointmentStatusAfterDeath: string;
  referralStatusAfterDeath: string;
  home: ConsumerRun;
  provider: ConsumerRun;
  other: ConsumerRun;
  otherOnHomeTopic: ConsumerRun;
  everything: { gp: EverythingSummary; hospital: EverythingSummary };
  /** ce_time of the domain event → record time on the home region's topic. */
  regionalDelayMs: { median: number; max: number };
  audit: AuditEntry[];
}

export async function runJourney(
  cfg: JourneyConfig = journeyConfigFromEnv(),
  log: JourneyLog = consoleLog(),
): Promise<JourneyResult> {
  const startedAtMs = Date.now() - 1000;
  const rpc = journeyGrpc(cfg);
  try {
    const ctx: JourneyContext = {
      cfg,
      log,
      rpc,
      startedAtMs,
      tokenUrl: `${cfg.gatewayUrl}/oauth2/token`,
      demoKey: demoSystems(cfg),
    };
    const parties = await registerSystems(ctx);
    const { tag, ...registered } = await registerPatients(ctx, parties);
    const { nhsNumber } = registered;
    const { referralId } = await sendReferral(ctx, parties, nhsNumber);
    const booked = await bookAtHospital(ctx, parties, { tag, nhsNumber, referralId });
    const resulted = await reportResult(ctx, parties, { tag, nhsNumber, referralId });
    const afterDeath = await recordDeath(ctx, parties, {
      nhsNumber,
      referralId,
      appointmentId: booked.appointmentId,
    });
    const regional = await readRegionalStreams(ctx, parties, nhsNumber);
    const { everything, audit } = await readSharedRecord(ctx, parties, nhsNumber);
    const { home, provider, other, otherOnHomeTopic, regionalDelayMs } = regional;
    return {
      gpClientId: parties.gpClientId,
      startedAtMs,
      ...registered,
      referralId,
      ...booked,
      ...resulted,
      ...afterDeath,
      home,
      provider,
      other,
      otherOnHomeTopic,
      everything,
      regionalDelayMs,
      audit,
    };
  } finally {
    rpc.close();
  }
}
