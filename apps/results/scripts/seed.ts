/**
 * Demo data (`npx nx run results:seed`, run by `npm start` after `migrate`, before the services
 * start): pathology and imaging reports for the first patients of the synthetic 999 range (the
 * numbers identity's seed allocates first), from demo labs to the demo GP practices:
 * full blood counts, U&E, HbA1c, lipids and one chest X-ray; some abnormal, one critical
 * (potassium 6.9 mmol/L).
 *
 * Written through ReportsService, so every report passes the same validation (UCUM units, LOINC /
 * SNOMED CT check digits) and its ResultAvailable event goes to the outbox (published when the
 * service's relay starts). Identity is not running yet at seed time, so the patient check is
 * skipped (the numbers are the range's own). Idempotent: a re-run is a replay of every report.
 */
import { completeNhsNumber } from '@trellis/nhs-number';
import { createPrismaClient } from '@trellis/database';
import { createOutbox } from '@trellis/events';
import { loadInfraEnv } from '@trellis/testing';

import { LOINC_SYSTEM, SNOMED_SYSTEM } from '../src/app/domain/codes';
import type { Actor } from '../src/app/domain/ports';
import type { ObservationInput, ReportSubmission } from '../src/app/domain/report-content';
import type { PatientDirectory } from '@trellis/identity-client';
import { PrismaClient } from '../src/app/prisma';
import { ReportsRepository } from '../src/app/reports/reports.repository';
import { ReportsService } from '../src/app/reports/reports.service';
import { OutboxResultEventSink } from '../src/events/outbox-result-event-sink';

/** The first `n` valid NHS numbers of the 999 test range. */
export function demoNhsNumbers(n: number): string[] {
  const out: string[] = [];
  for (let i = 999000000; out.length < n; i++) {
    const nhs = completeNhsNumber(String(i));
    if (nhs) out.push(nhs);
  }
  return out;
}

const q = (
  code: string,
  display: string,
  value: number,
  unit: string,
  low: number | undefined,
  high: number | undefined,
  interpretation = 'normal',
): ObservationInput => ({
  code: { system: LOINC_SYSTEM, code, display },
  quantity: { value, unit },
  referenceRange: {
    ...(low !== undefined ? { low: { value: low, unit } } : {}),
    ...(high !== undefined ? { high: { value: high, unit } } : {}),
  },
  interpretation,
});

interface Requester {
  odsCode: string;
  region: string;
  practitionerId: string;
}
const A81001: Requester = { odsCode: 'A81001', region: 'north-east', practitionerId: 'G8123456' };
const E81001: Requester = { odsCode: 'E81001', region: 'london', practitionerId: 'G8765432' };
const LABS: Record<string, Actor> = {
  RTD: { systemId: 'demo-rtd-lims', odsCode: 'RTD', region: 'north-east' },
  RJ1: { systemId: 'demo-rj1-lims', odsCode: 'RJ1', region: 'london' },
};

function pathology(
  labReportId: string,
  nhsNumber: string,
  requester: Requester,
  code: [string, string],
  issued: string,
  observations: ObservationInput[],
  conclusion = '',
): ReportSubmission {
  return {
    labReportId,
    nhsNumber,
    category: 'pathology',
    code: { system: LOINC_SYSTEM, code: code[0], display: code[1] },
    status: 'final',
    requester,
    issued: new Date(issued),
    conclusion,
    observations,
  };
}

export function demoReports(): { lab: Actor; report: ReportSubmission }[] {
  const [p1, p2, p3, p4, p5] = demoNhsNumbers(5) as [string, string, string, string, string];
  const FBC: [string, string] = ['58410-2', 'CBC panel - Blood by Automated count'];
  const UE: [string, string] = ['24326-1', 'Electrolytes 1998 panel - Serum or Plasma'];
  const HBA1C: [string, string] = ['4548-4', 'Hemoglobin A1c/Hemoglobin.total in Blood'];
  const LIPIDS: [string, string] = ['57698-3', 'Lipid panel with direct LDL - Serum or Plasma'];
  const fbc = (hb: number, hbI = 'normal', wbc = 6.4, wbcI = 'normal') => [
    q('718-7', 'Haemoglobin', hb, 'g/L', 130, 170, hbI),
    q('6690-2', 'White cell count', wbc, '10*9/L', 4, 11, wbcI),
    q('777-3', 'Platelets', 245, '10*9/L', 150, 400),
    q('789-8', 'Red cell count', 4.7, '10*12/L', 4.5, 5.9),
    q('787-2', 'MCV', 89, 'fL', 80, 100),
  ];
  const ue = (k: number, kI: string, creat: number, creatI = 'normal') => [
    q('2951-2', 'Sodium', 139, 'mmol/L', 133, 146),
    q('2823-3', 'Potassium', k, 'mmol/L', 3.5, 5.3, kI),
    q('22664-7', 'Urea', 6.1, 'mmol/L', 2.5, 7.8),
    q('14682-9', 'Creatinine', creat, 'umol/L', 59, 104, creatI),
    q(
      '62238-1',
      'eGFR',
      creat > 150 ? 38 : 84,
      'mL/min/{1.73_m2}',
      60,
      undefined,
      creat > 150 ? 'low' : 'normal',
    ),
  ];
  const rtd = LABS['RTD']!;
  const rj1 = LABS['RJ1']!;
  return [
    {
      lab: rtd,
      report: pathology('RTD-DEMO-0001', p1, A81001, FBC, '2026-11-16T10:12:00Z', fbc(142)),
    },
    {
      lab: rtd,
      report: pathology(
        'RTD-DEMO-0002',
        p1,
        A81001,
        UE,
        '2026-11-16T10:14:00Z',
        ue(4.4, 'normal', 81),
      ),
    },
    {
      lab: rtd,
      report: pathology(
        'RTD-DEMO-0003',
        p2,
        A81001,
        HBA1C,
        '2026-11-17T09:40:00Z',
        [q('59261-8', 'HbA1c (IFCC)', 71, 'mmol/mol', undefined, 48, 'high')],
        'HbA1c in the diabetic range; review diabetes management.',
      ),
    },
    {
      lab: rtd,
      report: pathology('RTD-DEMO-0004', p2, A81001, LIPIDS, '2026-11-17T09:42:00Z', [
        q('14647-2', 'Total cholesterol', 6.8, 'mmol/L', undefined, 5, 'high'),
        q('14646-4', 'HDL cholesterol', 1.1, 'mmol/L', 1, undefined),
        q('22748-8', 'LDL cholesterol', 4.6, 'mmol/L', undefined, 3, 'high'),
        q('14927-8', 'Triglycerides', 2.4, 'mmol/L', undefined, 1.7, 'high'),
        q('9322-9', 'Cholesterol/HDL ratio', 6.2, '1', undefined, 4.5, 'high'),
      ]),
    },
    {
      lab: rtd,
      report: pathology(
        'RTD-DEMO-0005',
        p3,
        A81001,
        UE,
        '2026-11-18T16:05:00Z',
        ue(6.9, 'critical-high', 212, 'high'),
        'Potassium critically raised; sample not haemolysed. Telephoned to duty doctor.',
      ),
    },
    {
      lab: rj1,
      report: pathology(
        'RJ1-DEMO-0001',
        p4,
        E81001,
        FBC,
        '2026-11-19T11:20:00Z',
        fbc(104, 'low', 12.9, 'high'),
      ),
    },
    {
      lab: rj1,
      report: pathology('RJ1-DEMO-0002', p5, E81001, HBA1C, '2026-11-19T11:25:00Z', [
        q('59261-8', 'HbA1c (IFCC)', 39, 'mmol/mol', undefined, 48),
      ]),
    },
    {
      lab: rj1,
      report: {
        labReportId: 'RJ1-DEMO-RAD-0001',
        nhsNumber: p4,
        category: 'radiology',
        code: { system: SNOMED_SYSTEM, code: '399208008', display: 'Plain chest X-ray' },
        status: 'final',
        requester: E81001,
        issued: new Date('2026-11-20T14:00:00Z'),
        conclusion:
          'Heart size normal. Lungs clear. No pleural effusion or pneumothorax. No acute abnormality.',
        observations: [],
      },
    },
  ];
}

const activeDirectory: PatientDirectory = {
  standing: (nhsNumber) => Promise.resolve({ kind: 'active', nhsNumber }),
};

export async function seed(prisma: PrismaClient): Promise<{ created: number; replayed: number }> {
  const service = new ReportsService(
    new ReportsRepository(prisma),
    activeDirectory,
    new OutboxResultEventSink(createOutbox({ source: '/trellis/results' })),
    { now: () => new Date() },
  );
  let created = 0;
  let replayed = 0;
  for (const { lab, report } of demoReports()) {
    const res = await service.submit(lab, report, { correlationId: 'results-demo-seed' });
    if (res.replayed) replayed++;
    else created++;
  }
  return { created, replayed };
}

if (require.main === module) {
  const env = loadInfraEnv();
  const url = process.env['DATABASE_URL'] ?? env.DATABASE_URL;
  const schema = process.env['DATABASE_SCHEMA'] ?? 'results';
  const prisma = createPrismaClient(PrismaClient, { url, schema, applicationName: 'results-seed' });
  seed(prisma)
    .then((r) => {
      process.stdout.write(
        `results seed: ${r.created} new reports, ${r.replayed} already present, in schema ${schema}\n`,
      );
      return prisma.$disconnect();
    })
    .catch(async (e: unknown) => {
      process.stderr.write(`results seed failed: ${e instanceof Error ? e.message : String(e)}\n`);
      await prisma.$disconnect();
      process.exit(1);
    });
}
