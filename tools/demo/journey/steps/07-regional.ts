// Step 7: regional authorities read their streams with their own Kafka credentials
// (tools/regional/consumer.ts: plain @platformatic/kafka + .proto files).
import { randomUUID } from 'node:crypto';

import type { JourneyContext, Parties } from '../context';
import { sleep } from '../fhir';
import { compact } from '../log';
import { runRegionalConsumer, type ConsumerRun } from '../regional';

export interface RegionalReads {
  home: ConsumerRun;
  provider: ConsumerRun;
  other: ConsumerRun;
  otherOnHomeTopic: ConsumerRun;
  /** ce_time of the domain event → record time on the home region's topic. */
  regionalDelayMs: { median: number; max: number };
}

export async function readRegionalStreams(
  { cfg, log, startedAtMs }: JourneyContext,
  { hospitalSys }: Parties,
  nhsNumber: string,
): Promise<RegionalReads> {
  log.step(
    `Regional authorities read their streams with their own Kafka credentials (tools/regional/consumer.ts: plain @platformatic/kafka + .proto files)`,
  );
  const since = String(startedAtMs);
  const expectHome = [
    'PatientRegistered',
    'ReferralSent',
    'ReferralAccepted',
    'AppointmentBooked',
    'ReferralBooked',
    'ResultAvailable',
    'ResultAcknowledged',
    'PatientDeceased',
    'AppointmentCancelled',
  ];
  const shortType = (t: string) =>
    t.replace(/^uk\.nhs\.trellis\.[a-z]+\./, '').replace(/\.v\d+$/, '');
  let home: ConsumerRun = { code: null, events: [], stderr: '' };
  const deadline = Date.now() + 45_000;
  log.sent(
    `consumer.ts --region ${cfg.homeRegion} --timestamp ${new Date(startedAtMs).toISOString()} --subject ${nhsNumber} (as User:region-${cfg.homeRegion})`,
  );
  do {
    home = await runRegionalConsumer([
      '--region',
      cfg.homeRegion,
      '--group',
      `region-${cfg.homeRegion}.journey-${randomUUID().slice(0, 8)}`,
      '--timestamp',
      since,
      '--subject',
      nhsNumber,
      '--idle-exit-ms',
      '4000',
    ]);
    const seen = new Set(home.events.map((e) => shortType(e.type)));
    if (home.code !== 0 || expectHome.every((t) => seen.has(t))) break;
    await sleep(1000);
  } while (Date.now() < deadline);
  log.received(
    `${home.events.length} event(s) on trellis.region.${cfg.homeRegion}.v1 (exit ${home.code}):`,
  );
  for (const e of home.events)
    log.note(
      `  [p${e.partition}@${e.offset}] ${shortType(e.type)}  (${e.source}, ${e.payloadView})`,
    );
  if (home.stderr) log.note(home.stderr);
  const delays = home.events
    .filter((e) => e.time && e.recordTime)
    .map((e) => Date.parse(e.recordTime!) - Date.parse(e.time!))
    .sort((a, b) => a - b);
  const regionalDelayMs = {
    median: delays[Math.floor(delays.length / 2)] ?? -1,
    max: delays[delays.length - 1] ?? -1,
  };
  log.note(
    `domain event written (ce_time) → on the regional stream: median ${regionalDelayMs.median} ms, max ${regionalDelayMs.max} ms`,
  );
  const provider = await runRegionalConsumer([
    '--region',
    hospitalSys.region,
    '--group',
    `region-${hospitalSys.region}.journey-${randomUUID().slice(0, 8)}`,
    '--timestamp',
    since,
    '--subject',
    nhsNumber,
    '--idle-exit-ms',
    '3000',
  ]);
  log.received(
    `the hospital's region (${hospitalSys.region}): ${provider.events.length} event(s): ${provider.events.map((e) => `${shortType(e.type)}/${e.payloadView}`).join(', ')}`,
  );
  const referralIn = (run: ConsumerRun) =>
    (
      run.events.find((e) => shortType(e.type) === 'ReferralSent')?.data as
        { referral?: unknown } | undefined
    )?.referral;
  log.note(`ReferralSent as ${cfg.homeRegion} (home, full) sees it: ${compact(referralIn(home))}`);
  log.note(
    `ReferralSent as ${hospitalSys.region} (minimal) sees it: ${compact(referralIn(provider))}`,
  );
  const other = await runRegionalConsumer([
    '--region',
    cfg.otherRegion,
    '--group',
    `region-${cfg.otherRegion}.journey-${randomUUID().slice(0, 8)}`,
    '--timestamp',
    since,
    '--subject',
    nhsNumber,
    '--idle-exit-ms',
    '3000',
  ]);
  log.received(
    `an uninvolved region (${cfg.otherRegion}): ${other.events.length} event(s) about this patient (exit ${other.code})`,
  );
  log.sent(
    `consumer.ts --region ${cfg.otherRegion} --topic trellis.region.${cfg.homeRegion}.v1 (User:region-${cfg.otherRegion} tries the other region's topic)`,
  );
  const otherOnHomeTopic = await runRegionalConsumer([
    '--region',
    cfg.otherRegion,
    '--topic',
    `trellis.region.${cfg.homeRegion}.v1`,
    '--group',
    `region-${cfg.otherRegion}.journey-${randomUUID().slice(0, 8)}`,
    '--from-beginning',
    '--idle-exit-ms',
    '3000',
  ]);
  log.received(
    `exit ${otherOnHomeTopic.code}: ${otherOnHomeTopic.stderr.trim() || '(no error)'}; ${otherOnHomeTopic.events.length} event(s) read`,
  );
  return { home, provider, other, otherOnHomeTopic, regionalDelayMs };
}
