// Read by the real Prisma CLI (prisma generate / validate, and prisma migrate deploy where the
// native engine can be downloaded). tools/prisma/cli.ts reads the same files directly.
import { defineConfig } from 'prisma/config';

const url = process.env.DATABASE_URL ?? '';
const schema = process.env.DATABASE_SCHEMA ?? 'events_test';

export default defineConfig({
  schema: 'prisma/schema.prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: url === '' ? '' : `${url}${url.includes('?') ? '&' : '?'}schema=${schema}` },
});
