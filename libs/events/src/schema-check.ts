import { existsSync, readdirSync, readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';

/** libs/events/prisma/events.prisma: the event models every service's Prisma folder links to. */
export const EVENTS_PRISMA_PATH = join(__dirname, '..', 'prisma', 'events.prisma');

export const EVENT_MODEL_NAMES = ['OutboxEvent', 'InboxEvent', 'DeadLetterEvent'] as const;

/** `model X { ... }` blocks of a Prisma schema, by name, normalised (comments and spacing). */
export function prismaModelBlocks(schema: string): Map<string, string> {
  const blocks = new Map<string, string>();
  const lines = schema.split(/\r?\n/);
  for (let i = 0; i < lines.length; i++) {
    const start = /^\s*model\s+(\w+)\s*\{\s*$/.exec(lines[i]!);
    if (!start) continue;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^\s*\}\s*$/.test(lines[j]!); j++) {
      const line = normaliseLine(lines[j]!);
      if (line) body.push(line);
    }
    blocks.set(start[1]!, body.join('\n'));
    i = j;
  }
  return blocks;
}

function normaliseLine(line: string): string {
  return line
    .replace(/\/\/.*$/, '')
    .trim()
    .replace(/\s+/g, ' ');
}

/**
 * Throws unless a service's Prisma folder takes the event models from this library: its
 * `events.prisma` is a link to events.prisma (Prisma's multi-file schema reads the whole folder),
 * and no other schema file there declares them again. Call it from each app's unit tests:
 *   it('takes the event tables from libs/events', () => assertSharedEventModels(join(__dirname, '../../prisma')));
 */
export function assertSharedEventModels(prismaDir: string): void {
  const link = join(prismaDir, 'events.prisma');
  const problems: string[] = [];
  if (!existsSync(link)) problems.push(`${link} is missing`);
  else if (realpathSync(link) !== realpathSync(EVENTS_PRISMA_PATH))
    problems.push(`${link} is not a link to ${EVENTS_PRISMA_PATH}`);
  for (const file of readdirSync(prismaDir).filter((f) => f.endsWith('.prisma'))) {
    if (file === 'events.prisma') continue;
    const models = prismaModelBlocks(readFileSync(join(prismaDir, file), 'utf8'));
    for (const name of EVENT_MODEL_NAMES)
      if (models.has(name)) problems.push(`${file} declares ${name} again`);
  }
  if (problems.length > 0)
    throw new Error(
      `the event models of ${prismaDir} must come from ${EVENTS_PRISMA_PATH} only:\n  ${problems.join('\n  ')}`,
    );
}
