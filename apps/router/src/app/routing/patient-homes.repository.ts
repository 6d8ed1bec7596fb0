import type { Prisma } from '../prisma';
import type { PatientHomeFact } from './regional-policy';

type Tx = Prisma.TransactionClient;

/**
 * Each patient's home as the router last learnt it (region, GP practice, confidentiality), read and
 * written in the inbox transaction that records the event (so it takes that transaction per call).
 */
export interface PatientHomes {
  find(tx: Tx, nhsNumber: string): Promise<PatientHomeFact | null>;
  /** Records the home (the first one or a newer version of it). */
  save(tx: Tx, home: PatientHomeFact): Promise<void>;
}

/** `patient_homes` in the router's schema. */
export class PatientHomesRepository implements PatientHomes {
  find(tx: Tx, nhsNumber: string): Promise<PatientHomeFact | null> {
    return tx.patientHome.findUnique({ where: { nhsNumber } });
  }

  async save(tx: Tx, home: PatientHomeFact): Promise<void> {
    const { nhsNumber, ...fact } = home;
    await tx.patientHome.upsert({
      where: { nhsNumber },
      create: { nhsNumber, ...fact },
      update: fact,
    });
  }
}
