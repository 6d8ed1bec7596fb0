import { readFileSync } from 'node:fs';
import { openEngine } from './engine';
import { migrationList } from './migrate-dev';
async function main() {
  const url = process.env.DATABASE_URL!;
  const schemaPath = '/work/main/tools/prisma/test/fixture/prisma/schema.prisma';
  const dm: [string, string][] = [[schemaPath, readFileSync(schemaPath, 'utf8') + '\nmodel Extra {\n  id Int @id\n}\n']];
  const filters = { externalTables: [], externalEnums: [] };
  for (let i = 0; i < 2; i++) {
    const { engine, close } = await openEngine({ url, schema: 'fixture_dbg' }, dm, { onShadowDatabase: (e, n) => console.log(e, n) });
    try {
      const ml = migrationList('/work/main/tools/prisma/test/fixture/prisma/migrations');
      console.log(await engine.devDiagnostic({ migrationsList: ml, filters }));
      console.log(await engine.applyMigrations({ migrationsList: ml, filters }));
      console.log(await engine.evaluateDataLoss({ migrationsList: ml, schema: { files: dm.map(([path, content]) => ({ path, content })) }, filters }));
    } catch (e) { console.log('ERR', i, String(e)); } finally { await close(); }
  }
}
main();
