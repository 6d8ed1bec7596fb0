// The read by NHS number runs straight on the pool (a named statement, no Prisma pipeline): it must
// answer exactly what the Prisma read answers — names, addresses, telecom, GP, merge state.
import { createPrismaClientWithPool } from '@trellis/database';
import { identity } from '@trellis/contracts';
import { PrismaClient } from '../src/generated/prisma/client';
import { PatientsRepository } from '../src/app/patients/patients.repository';
import { IdentityHarness, person, startIdentity } from './harness';

const G = identity.v1.Gender;

describe('identity read path (pool vs Prisma)', () => {
  let h: IdentityHarness;
  beforeAll(async () => {
    h = await startIdentity();
  });
  afterAll(async () => {
    await h?.close();
  });

  it('answers the same record as the Prisma read, merged and survivor numbers included', async () => {
    const c = h.client();
    const survivor = (
      await c.registerPatient({
        patient: person({ family: 'Quillfeather', given: ['Maud'], birthDate: '1952-06-01' }),
        overrideDuplicates: false,
        overrideReason: '',
      })
    ).patient!.nhsNumber;
    const dup = (
      await c.registerPatient({
        patient: person({
          family: 'Quillfeather',
          given: ['Maudie'],
          birthDate: '1952-06-01',
          gender: G.GENDER_FEMALE,
        }),
        overrideDuplicates: true,
        overrideReason: 'unsure at the desk',
      })
    ).patient!.nhsNumber;
    await c.mergePatients({
      supersededNhsNumber: dup,
      survivorNhsNumber: survivor,
      expectedSupersededVersion: 1,
      expectedSurvivorVersion: 1,
      reason: 'same person',
    });

    const { client: prisma, pool } = createPrismaClientWithPool(PrismaClient, {
      url: h.schema.url,
      schema: h.schema.schema,
      poolSize: 2,
    });
    try {
      const viaPool = new PatientsRepository(pool);
      const viaPrisma = new PatientsRepository();
      for (const nhs of [survivor, dup, '9990000018']) {
        // twice: the second read runs the statement already prepared on the connection
        for (let i = 0; i < 2; i++) {
          expect(await viaPool.read(prisma, nhs)).toEqual(await viaPrisma.find(prisma, nhs));
        }
      }
      const s = await viaPool.read(prisma, survivor);
      expect(s?.supersededNhsNumbers).toEqual([dup]);
      expect(s?.names.length).toBeGreaterThan(0);
      expect((await viaPool.read(prisma, dup))?.mergedInto).toBe(survivor);
    } finally {
      await prisma.$disconnect();
    }
    expect(pool.ended).toBe(true);
  });
});
