import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  createPrismaClient,
  isSerializationFailure,
  PrismaLifecycle,
  uniqueViolation,
  withTransactionRetry,
  type PrismaClientConstructor,
} from '@trellis/database';
import { createTestSchema, fakeNhsNumber, type TestSchema } from '@trellis/testing';
import { FIXTURE_DIR, runCli, sql } from './helpers';

/** The slice of the fixture's generated client this test uses (the client is generated in beforeAll). */
interface Patient {
  id: string;
  nhsNumber: string;
  familyName: string;
  givenName: string;
  sex: string;
  birthDate: Date | null;
}
interface FixtureClient {
  patient: {
    create(args: {
      data: Partial<Patient> & Pick<Patient, 'nhsNumber' | 'familyName' | 'givenName'>;
    }): Promise<Patient>;
    findMany(args?: unknown): Promise<Patient[]>;
    update(args: { where: { id: string }; data: Partial<Patient> }): Promise<Patient>;
    count(): Promise<number>;
  };
  $transaction<T>(
    fn: (tx: FixtureClient) => Promise<T>,
    options?: { isolationLevel?: 'Serializable' },
  ): Promise<T>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): Promise<T>;
  $connect(): Promise<void>;
  $disconnect(): Promise<void>;
}

describe('generate + PrismaPg client in a service schema', () => {
  const generatedDir = join(FIXTURE_DIR, 'src', 'generated', 'prisma');
  let PrismaClient: PrismaClientConstructor<FixtureClient>;
  let db: TestSchema;
  let other: TestSchema;
  let lifecycle: PrismaLifecycle<FixtureClient>;
  let prisma: FixtureClient;

  beforeAll(async () => {
    rmSync(generatedDir, { recursive: true, force: true });
    const generated = runCli(['tools/prisma/test/fixture', 'generate']);
    expect(generated.status).toBe(0);
    expect(existsSync(join(generatedDir, 'client.ts'))).toBe(true);
    // Generated moments ago, so loaded at run time rather than imported statically.
    const generatedModule = (await import(join(generatedDir, 'client'))) as {
      PrismaClient: PrismaClientConstructor<FixtureClient>;
    };
    PrismaClient = generatedModule.PrismaClient;
    [db, other] = await Promise.all([
      createTestSchema({ app: 'tools/prisma/test/fixture' }),
      createTestSchema({ app: 'tools/prisma/test/fixture' }),
    ]);
    lifecycle = new PrismaLifecycle(
      createPrismaClient(PrismaClient, {
        url: db.url,
        schema: db.schema,
        applicationName: 'fixture-test',
      }),
    );
    await lifecycle.onModuleInit();
    prisma = lifecycle.client;
  });

  afterAll(async () => {
    await lifecycle?.onApplicationShutdown();
    await db?.drop();
    await other?.drop();
  });

  it('writes model queries into the service schema only', async () => {
    const nhsNumber = fakeNhsNumber();
    const created = await prisma.patient.create({
      data: { nhsNumber, familyName: 'Smyth', givenName: 'Ann', sex: 'female' },
    });
    expect(created).toMatchObject({
      nhsNumber,
      familyName: 'Smyth',
      sex: 'female',
      birthDate: null,
    });
    const rows = await sql<{ nhs_number: string }>(
      `SELECT nhs_number FROM "${db.schema}".patients`,
    );
    expect(rows.map((r) => r.nhs_number)).toEqual([nhsNumber]);
    expect(await sql(`SELECT 1 FROM "${other.schema}".patients`)).toEqual([]);
  });

  it('resolves unqualified raw SQL to the service schema and public extensions', async () => {
    const [row] = await prisma.$queryRaw<
      { schema: string; path: string; sim: number; lev: number; n: bigint }[]
    >`
      SELECT current_schema()::text AS schema, current_setting('search_path') AS path,
             similarity('Smith', 'Smyth') AS sim, levenshtein('Smith', 'Smyth') AS lev,
             (SELECT count(*) FROM patients) AS n`;
    expect(row?.schema).toBe(db.schema);
    expect(row?.path).toBe(`"${db.schema}",public`);
    expect(row?.sim).toBeGreaterThan(0);
    expect(row?.lev).toBe(1);
    expect(Number(row?.n)).toBe(1);
  });

  it('maps a duplicate NHS number to a typed unique violation', async () => {
    const nhsNumber = fakeNhsNumber();
    await prisma.patient.create({ data: { nhsNumber, familyName: 'A', givenName: 'B' } });
    const error = await prisma.patient
      .create({ data: { nhsNumber, familyName: 'C', givenName: 'D' } })
      .catch((e: unknown) => e);
    expect(uniqueViolation(error)).toMatchObject({
      constraint: 'patients_nhs_number_key',
      model: 'Patient',
    });
  });

  it('recognises serialization failures from real conflicting serializable transactions and retries them', async () => {
    const p = await prisma.patient.create({
      data: { nhsNumber: fakeNhsNumber(), familyName: 'Race', givenName: 'Condition' },
    });
    let conflicts = 0;
    const bump = () =>
      withTransactionRetry(
        () =>
          prisma.$transaction(
            async (tx) => {
              const [current] = await tx.$queryRaw<
                { given_name: string }[]
              >`SELECT given_name FROM patients WHERE id = ${p.id}::uuid`;
              await new Promise((resolve) => setTimeout(resolve, 50));
              return tx.patient.update({
                where: { id: p.id },
                data: { givenName: `${current?.given_name}+` },
              });
            },
            { isolationLevel: 'Serializable' },
          ),
        {
          attempts: 10,
          onRetry: (_attempt, error) => {
            expect(isSerializationFailure(error)).toBe(true);
            conflicts++;
          },
        },
      );
    await Promise.all([bump(), bump(), bump()]);
    const [after] = await sql<{ given_name: string }>(
      `SELECT given_name FROM "${db.schema}".patients WHERE id = $1`,
      [p.id],
    );
    expect(after?.given_name).toBe('Condition+++');
    expect(conflicts).toBeGreaterThan(0);
  });

  it('reports readiness', async () => {
    expect(await lifecycle.isReady()).toBe(true);
  });
});
