import { chmodSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

import { createPrismaClient } from '@trellis/database';

import { PrismaClient } from '../generated/prisma/client';

/** One seeded patient a demo citizen signs in as (the local OpenID provider reads this file). */
export interface DemoPatient {
  nhsNumber: string;
  givenName: string;
  familyName: string;
  birthDate: string;
  gpOdsCode: string;
  gpRegion: string;
}

/**
 * Writes the first `count` living, unrestricted seeded patients with a GP to `file` (git-ignored
 * `.trellis/demo/patients.json`): the demo citizens of apps/citizen-idp are these patients.
 */
export async function writeDemoPatients(options: {
  url: string;
  schema: string;
  file: string;
  count?: number;
}): Promise<DemoPatient[]> {
  const prisma = createPrismaClient(PrismaClient, {
    url: options.url,
    schema: options.schema,
    poolSize: 1,
    applicationName: 'identity-seed',
  });
  try {
    const rows = await prisma.patient.findMany({
      where: {
        deceasedAt: null,
        mergedInto: null,
        confidentiality: 'normal',
        gpOdsCode: { not: null },
      },
      orderBy: { nhsNumber: 'asc' },
      take: options.count ?? 5,
      include: { names: { orderBy: { position: 'asc' }, take: 1 } },
    });
    const patients = rows.map((p) => ({
      nhsNumber: p.nhsNumber,
      givenName: p.names[0]?.given[0] ?? '',
      familyName: p.names[0]?.family ?? '',
      birthDate: p.birthDate.toISOString().slice(0, 10),
      gpOdsCode: p.gpOdsCode ?? '',
      gpRegion: p.gpRegion ?? '',
    }));
    mkdirSync(dirname(options.file), { recursive: true });
    writeFileSync(options.file, `${JSON.stringify(patients, null, 2)}\n`, { mode: 0o600 });
    chmodSync(options.file, 0o600);
    return patients;
  } finally {
    await prisma.$disconnect();
  }
}
