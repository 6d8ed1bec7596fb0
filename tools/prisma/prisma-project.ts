import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';

export const REPO_ROOT = resolve(__dirname, '../..');

/** Where one service's Prisma files live. */
export interface PrismaProject {
  /** App name, e.g. `identity`. */
  name: string;
  /** Project root, e.g. `<repo>/apps/identity`. */
  dir: string;
  prismaDir: string;
  schemaPath: string;
  migrationsDir: string;
  /** Default PostgreSQL schema: the app name with `-` → `_`. */
  defaultSchema: string;
}

const APP_NAME = /^[a-z][a-z0-9-]*$/;

/**
 * `identity` → `apps/identity`; anything containing a `/` is taken as a project directory
 * (used by the tests' fixture: `tools/prisma/test/fixture`).
 */
export function resolveProject(appOrDir: string, root = REPO_ROOT): PrismaProject {
  const isPath = appOrDir.includes('/') || appOrDir.startsWith('.');
  if (!isPath && !APP_NAME.test(appOrDir))
    throw new Error(`Invalid app name ${JSON.stringify(appOrDir)}`);
  const dir = isPath ? resolve(root, appOrDir) : join(root, 'apps', appOrDir);
  const name = basename(dir);
  const prismaDir = join(dir, 'prisma');
  const schemaPath = join(prismaDir, 'schema.prisma');
  if (!existsSync(schemaPath)) throw new Error(`No Prisma schema at ${schemaPath}`);
  return {
    name,
    dir,
    prismaDir,
    schemaPath,
    migrationsDir: join(prismaDir, 'migrations'),
    defaultSchema: name.replace(/-/g, '_'),
  };
}

/** The schema files of a project, as [path, content] pairs (schema.prisma plus any sibling *.prisma). */
export function readSchemaFiles(project: PrismaProject): [string, string][] {
  return readdirSync(project.prismaDir)
    .filter((file) => file.endsWith('.prisma'))
    .sort()
    .map((file) => {
      const path = join(project.prismaDir, file);
      return [path, readFileSync(path, 'utf8')] as [string, string];
    });
}
