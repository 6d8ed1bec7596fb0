import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, relative } from 'node:path';
import { REPO_ROOT, type PrismaProject } from './prisma-project';

/**
 * Offline `prisma generate`: PRISMA_SCHEMA_ENGINE_BINARY points at any existing file so the CLI
 * does not try to download the native engine (generate never runs it), CHECKPOINT_DISABLE stops
 * the background version check. Uses the project's prisma.config.ts when present.
 */
export function generate(project: PrismaProject): void {
  const bin = join(REPO_ROOT, 'node_modules', 'prisma', 'build', 'index.js');
  const config = join(project.dir, 'prisma.config.ts');
  // the folder, not schema.prisma: its events.prisma link holds the shared event models
  const args = ['generate', '--schema', relative(REPO_ROOT, project.prismaDir)];
  if (existsSync(config)) args.push('--config', relative(REPO_ROOT, config));
  const result = spawnSync(process.execPath, [bin, ...args], {
    cwd: REPO_ROOT,
    stdio: 'inherit',
    env: {
      ...process.env,
      PRISMA_SCHEMA_ENGINE_BINARY: process.env.PRISMA_SCHEMA_ENGINE_BINARY ?? '/bin/false',
      CHECKPOINT_DISABLE: '1',
      PRISMA_HIDE_UPDATE_MESSAGE: '1',
    },
  });
  if (result.status !== 0)
    throw new Error(
      `prisma generate failed for ${project.name} (exit ${result.status ?? result.signal})`,
    );
}
