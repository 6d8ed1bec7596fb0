/**
 * Demo data (`npx nx run referrals:seed`, run by `npm start` after `migrate`): referrals in every
 * state (sent, accepted, rejected, advice-given, booked, completed, cancelled) from the demo GP
 * practices to the demo trusts of the appointments seed, some of them breaching the 18-week and the
 * two-week-wait standards, with their timelines. Dates are relative to today, so the waiting lists
 * always show breaches. Idempotent: deterministic ids, rows replaced on re-run. NHS numbers are
 * synthetic (999 test range). Demo rows are written directly (no outbox events).
 */
import { createHash } from 'node:crypto';

import { createPrismaClient } from '@trellis/database';
import { completeNhsNumber } from '@trellis/nhs-number';
import { loadInfraEnv } from '@trellis/testing';

import { PrismaClient, type ReferralPriority, type ReferralStatus } from '../src/app/prisma';

const DAY = 86_400_000;

interface Org {
  ods: string;
  region: string;
}
const GP: Record<string, Org> = {
  tees: { ods: 'A81001', region: 'north-east' },
  camden: { ods: 'E81001', region: 'london' },
};
const TRUST: Record<string, Org & { specialty: string }> = {
  oxfordCardio: { ods: 'RTH', region: 'south-east', specialty: 'cardiology' },
  newcastleBreast: { ods: 'RTD', region: 'north-east', specialty: 'breast-surgery' },
  guysRheum: { ods: 'RJ1', region: 'london', specialty: 'rheumatology' },
  nottsOrtho: { ods: 'RX1', region: 'midlands', specialty: 'trauma-orthopaedics' },
};

interface Demo {
  key: string;
  gp: keyof typeof GP;
  trust: keyof typeof TRUST;
  priority: ReferralPriority;
  reason: [string, string];
  daysAgo: number;
  /** Status path after 'sent', each with the day offset from sending. */
  path: [ReferralStatus, number, string?][];
  firstAppointmentInDays?: number;
  rttStopAfterDays?: [number, string];
}

export const DEMO_REFERRALS: readonly Demo[] = [
  {
    key: 'sent-routine',
    gp: 'tees',
    trust: 'oxfordCardio',
    priority: 'routine',
    reason: ['29857009', 'Chest pain'],
    daysAgo: 3,
    path: [],
  },
  {
    key: 'sent-2ww-breach',
    gp: 'tees',
    trust: 'newcastleBreast',
    priority: 'two_week_wait',
    reason: ['254837009', 'Malignant neoplasm of breast'],
    daysAgo: 16,
    path: [],
  },
  {
    key: 'sent-urgent-18w-breach',
    gp: 'camden',
    trust: 'guysRheum',
    priority: 'urgent',
    reason: ['69896004', 'Rheumatoid arthritis'],
    daysAgo: 130,
    path: [],
  },
  {
    key: 'accepted-routine',
    gp: 'camden',
    trust: 'oxfordCardio',
    priority: 'routine',
    reason: ['38341003', 'Hypertensive disorder'],
    daysAgo: 40,
    path: [['accepted', 2, 'triaged to general cardiology']],
  },
  {
    key: 'accepted-52w-breach',
    gp: 'tees',
    trust: 'nottsOrtho',
    priority: 'routine',
    reason: ['239873007', 'Osteoarthritis of knee'],
    daysAgo: 380,
    path: [['accepted', 5]],
  },
  {
    key: 'rejected',
    gp: 'tees',
    trust: 'oxfordCardio',
    priority: 'routine',
    reason: ['29857009', 'Chest pain'],
    daysAgo: 10,
    path: [['rejected', 1, 'Refer to the rapid-access chest pain clinic instead']],
  },
  {
    key: 'advice-given',
    gp: 'camden',
    trust: 'guysRheum',
    priority: 'routine',
    reason: ['90560007', 'Gout'],
    daysAgo: 20,
    path: [
      [
        'advice_given',
        3,
        'Start allopurinol after the acute attack settles; re-refer if uric acid stays high',
      ],
    ],
  },
  {
    key: 'booked-2ww',
    gp: 'tees',
    trust: 'newcastleBreast',
    priority: 'two_week_wait',
    reason: ['254837009', 'Malignant neoplasm of breast'],
    daysAgo: 5,
    path: [
      ['accepted', 1],
      ['booked', 2],
    ],
    firstAppointmentInDays: 12,
  },
  {
    key: 'booked-routine-18w-breach',
    gp: 'camden',
    trust: 'nottsOrtho',
    priority: 'routine',
    reason: ['202855006', 'Lateral epicondylitis'],
    daysAgo: 140,
    path: [
      ['accepted', 10],
      ['booked', 100],
    ],
    firstAppointmentInDays: 145,
  },
  {
    key: 'completed',
    gp: 'tees',
    trust: 'oxfordCardio',
    priority: 'urgent',
    reason: ['49436004', 'Atrial fibrillation'],
    daysAgo: 60,
    path: [
      ['accepted', 1],
      ['booked', 3],
      ['completed', 50, 'Ablation performed; discharged to GP'],
    ],
    firstAppointmentInDays: 10,
    rttStopAfterDays: [50, 'first-definitive-treatment'],
  },
  {
    key: 'cancelled',
    gp: 'camden',
    trust: 'oxfordCardio',
    priority: 'routine',
    reason: ['195967001', 'Asthma'],
    daysAgo: 30,
    path: [['cancelled', 4, 'Patient moved out of area']],
  },
  {
    key: 'accepted-2ww-breach',
    gp: 'camden',
    trust: 'newcastleBreast',
    priority: 'two_week_wait',
    reason: ['254837009', 'Malignant neoplasm of breast'],
    daysAgo: 21,
    path: [['accepted', 1]],
  },
];

function stableUuid(name: string): string {
  const h = createHash('sha1').update(`trellis-referrals-demo:${name}`).digest('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-5${h.slice(13, 16)}-${((parseInt(h.slice(16, 18), 16) & 0x3f) | 0x80).toString(16)}${h.slice(18, 20)}-${h.slice(20, 32)}`;
}

function demoNhsNumber(i: number): string {
  for (let n = i * 10; ; n++) {
    const v = completeNhsNumber(`999${String(800000 + n).padStart(6, '0')}`);
    if (v) return v;
  }
}

const CLOSING: Record<string, string> = {
  rejected: 'referral-closed',
  advice_given: 'referral-closed',
  cancelled: 'referral-closed',
};

export async function seed(prisma: PrismaClient, now = new Date()): Promise<number> {
  const today = new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate(), 9));
  for (const [i, d] of DEMO_REFERRALS.entries()) {
    const id = stableUuid(d.key);
    const gp = GP[d.gp]!;
    const trust = TRUST[d.trust]!;
    const sentAt = new Date(today.getTime() - d.daysAgo * DAY);
    const at = (days: number) => new Date(sentAt.getTime() + days * DAY);
    const last = d.path[d.path.length - 1];
    const status: ReferralStatus = last ? last[0] : 'sent';
    let rttStoppedAt: Date | null = null;
    let rttStopReason: string | null = null;
    if (d.rttStopAfterDays) {
      rttStoppedAt = at(d.rttStopAfterDays[0]);
      rttStopReason = d.rttStopAfterDays[1];
    } else if (last && CLOSING[last[0]]) {
      rttStoppedAt = at(last[1]);
      rttStopReason = CLOSING[last[0]]!;
    }
    const data = {
      nhsNumber: demoNhsNumber(i + 1),
      referrerOdsCode: gp.ods,
      referrerRegion: gp.region,
      referrerPractitionerId: `G${String(8100000 + i)}`,
      targetOdsCode: trust.ods,
      targetRegion: trust.region,
      specialtyCode: trust.specialty,
      priority: d.priority,
      reasonCode: d.reason[0],
      reasonDisplay: d.reason[1],
      clinicalSummary: `Demo referral (${d.key}): ${d.reason[1].toLowerCase()}; synthetic data.`,
      status,
      sentAt,
      rttStartedAt: sentAt,
      rttStoppedAt,
      rttStopReason,
      firstAppointmentAt:
        d.firstAppointmentInDays !== undefined ? at(d.firstAppointmentInDays) : null,
      appointmentId: d.path.some((p) => p[0] === 'booked') ? `demo-appointment-${d.key}` : null,
      rejectionReason: status === 'rejected' ? (last?.[2] ?? null) : null,
      advice: status === 'advice_given' ? (last?.[2] ?? null) : null,
      cancellationReason: status === 'cancelled' ? (last?.[2] ?? null) : null,
      idempotencyKey: `demo:${d.key}`,
      requestHash: `demo:${d.key}`,
      version: 1 + d.path.length,
    };
    await prisma.$transaction(async (tx) => {
      await tx.referral.upsert({ where: { id }, create: { id, ...data }, update: data });
      await tx.referralTransition.deleteMany({ where: { referralId: id } });
      let from: string | null = null;
      const rows = [['sent', 0, undefined] as [ReferralStatus, number, string?], ...d.path].map(
        ([to, day, note]) => {
          const wire = to === 'advice_given' ? 'advice-given' : to;
          const byTarget = to !== 'sent' && to !== 'cancelled';
          const row = {
            referralId: id,
            fromStatus: from,
            toStatus: wire,
            at: at(day),
            actorSystemId:
              to === 'booked'
                ? 'trellis-appointments'
                : byTarget
                  ? 'demo-trust-epr'
                  : 'demo-gp-system',
            actorOdsCode: byTarget ? trust.ods : gp.ods,
            note: note ?? null,
            source: to === 'booked' ? 'event' : 'api',
          };
          from = wire;
          return row;
        },
      );
      await tx.referralTransition.createMany({ data: rows });
    });
  }
  return DEMO_REFERRALS.length;
}

if (require.main === module) {
  const env = loadInfraEnv();
  const url = process.env['DATABASE_URL'] ?? env.DATABASE_URL;
  const schema = process.env['DATABASE_SCHEMA'] ?? 'referrals';
  const prisma = createPrismaClient(PrismaClient, {
    url,
    schema,
    applicationName: 'referrals-seed',
  });
  seed(prisma)
    .then((n) => {
      process.stdout.write(
        `referrals seed: ${n} demo referrals (every state, some breaching) in schema ${schema}\n`,
      );
      return prisma.$disconnect();
    })
    .catch(async (e: unknown) => {
      process.stderr.write(
        `referrals seed failed: ${e instanceof Error ? e.message : String(e)}\n`,
      );
      await prisma.$disconnect();
      process.exit(1);
    });
}
