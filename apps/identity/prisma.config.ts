// Read by the real Prisma CLI (generate, validate; migrate deploy where engines can be fetched).
import { defineConfig } from 'prisma/config';

const url = process.env.DATABASE_URL ?? '';
const schema = process.env.DATABASE_SCHEMA ?? 'identity';

export default defineConfig({
  schema: 'prisma',
  migrations: { path: 'prisma/migrations' },
  datasource: { url: url === '' ? '' : `${url}${url.includes('?') ? '&' : '?'}schema=${schema}` },
});
