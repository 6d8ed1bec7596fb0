import { createPrismaClient, type PrismaClientConstructor } from '@trellis/database';

import { createTestSchema, type TestSchema } from './test-schema';

/** Fresh migrated schemas of one app, each with its Prisma client, released together. */
export interface SchemaPool<TPrisma> {
  /** A new schema with `app`'s migrations and a Prisma client on it. */
  schema(): Promise<{ prisma: TPrisma; name: string }>;
  /** Disconnects every client, then drops every schema (for afterAll). */
  release(): Promise<void>;
}

/**
 * For suites that need several databases of one service (a crash and a replay into a second
 * schema, say): hands out fresh schemas and remembers them for `release()`.
 */
export function createSchemaPool<TPrisma extends { $disconnect(): Promise<void> }>(
  app: string,
  PrismaClient: PrismaClientConstructor<TPrisma>,
): SchemaPool<TPrisma> {
  const schemas: TestSchema[] = [];
  const clients: TPrisma[] = [];
  return {
    async schema() {
      const s = await createTestSchema(app);
      schemas.push(s);
      const prisma = createPrismaClient(PrismaClient, { url: s.url, schema: s.schema });
      clients.push(prisma);
      return { prisma, name: s.schema };
    },
    async release() {
      for (const c of clients.splice(0)) await c.$disconnect();
      for (const s of schemas.splice(0)) await s.drop();
    },
  };
}
