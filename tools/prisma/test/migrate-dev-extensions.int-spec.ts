import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { uniqueSchemaName } from '@trellis/testing';
import { migrateDev } from '../migrate-dev';
import type { PrismaProject } from '../prisma-project';
import { databaseUrl, dropSchemas, FIXTURE_DIR, sql } from './helpers';

/**
 * Hand-written SQL in migrations (what identity does for search): pg_trgm operator classes,
 * fuzzystrmatch functions in expression indexes, plpgsql bodies full of `;`. The shadow
 * database must replay it (extensions copied from the main database), and a trigram index that
 * the schema declares with `ops: raw("gin_trgm_ops")` must not be proposed for dropping.
 */
describe('migrate-dev with extension-based hand-written SQL', () => {
  const schema = uniqueSchemaName('fixture_ext');
  let root: string;
  let project: PrismaProject;

  beforeAll(() => {
    root = mkdtempSync(join(tmpdir(), 'trellis-ext-'));
    cpSync(join(FIXTURE_DIR, 'prisma'), join(root, 'prisma'), { recursive: true });
    const folder = join(root, 'prisma', 'migrations', '29990101000000_search');
    mkdirSync(folder);
    writeFileSync(
      join(folder, 'migration.sql'),
      `CREATE INDEX "patients_family_trgm_idx" ON "patients" USING GIN ("family_name" gin_trgm_ops);
CREATE INDEX "patients_family_sound_idx" ON "patients" (dmetaphone("family_name"));
CREATE FUNCTION "family_sound"(name text) RETURNS text LANGUAGE plpgsql IMMUTABLE AS $$
BEGIN
  RETURN dmetaphone(name);
END;
$$;
`,
    );
    project = {
      name: 'fixture',
      dir: root,
      prismaDir: join(root, 'prisma'),
      schemaPath: join(root, 'prisma', 'schema.prisma'),
      migrationsDir: join(root, 'prisma', 'migrations'),
      defaultSchema: schema,
    };
  });

  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
    await dropSchemas(schema);
  });

  it('proposes dropping a trigram index the schema does not declare', async () => {
    const result = await migrateDev(project, {
      url: databaseUrl(),
      schema,
      name: 'probe',
      createOnly: true,
    });
    expect(result.applied).toHaveLength(3);
    expect(result.script).toBe('-- DropIndex\nDROP INDEX "patients_family_trgm_idx";\n');
    rmSync(join(project.migrationsDir, result.created ?? 'missing'), { recursive: true });
  });

  it('is in sync once the schema declares it (expression index and function are left alone)', async () => {
    const text = readFileSync(project.schemaPath, 'utf8').replace(
      '  @@index([familyName])',
      '  @@index([familyName])\n  @@index([familyName(ops: raw("gin_trgm_ops"))], type: Gin, map: "patients_family_trgm_idx")',
    );
    writeFileSync(project.schemaPath, text);
    const result = await migrateDev(project, { url: databaseUrl(), schema, name: 'nothing' });
    expect(result.created).toBeUndefined();
    const [row] = await sql<{ sound: string }>(`SELECT "${schema}".family_sound('Smith') AS sound`);
    expect(row?.sound).toBe('SM0');
  });
});
