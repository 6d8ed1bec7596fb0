import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSharedEventModels, EVENTS_PRISMA_PATH, prismaModelBlocks } from './schema-check';

const events = readFileSync(EVENTS_PRISMA_PATH, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'events-schema-'));
const header =
  'generator client {\n  provider = "prisma-client"\n}\n\nmodel Patient {\n  id String @id\n}\n\n';

describe('assertSharedEventModels', () => {
  const folder = (files: Record<string, string>, link = true): string => {
    const prismaDir = join(dir, Math.random().toString(36).slice(2));
    mkdirSync(prismaDir);
    for (const [name, content] of Object.entries(files))
      writeFileSync(join(prismaDir, name), content);
    if (link) symlinkSync(EVENTS_PRISMA_PATH, join(prismaDir, 'events.prisma'));
    return prismaDir;
  };

  it('accepts a folder that links events.prisma and declares the models nowhere else', () => {
    expect(() => assertSharedEventModels(folder({ 'schema.prisma': header }))).not.toThrow();
    expect(() => assertSharedEventModels(join(__dirname, '..', 'test', 'prisma'))).not.toThrow();
  });

  it('refuses a missing link, a copy instead of the link, and a model declared again', () => {
    expect(() => assertSharedEventModels(folder({ 'schema.prisma': header }, false))).toThrow(
      /events\.prisma is missing/,
    );
    expect(() =>
      assertSharedEventModels(folder({ 'schema.prisma': header, 'events.prisma': events }, false)),
    ).toThrow(/is not a link to/);
    expect(() => assertSharedEventModels(folder({ 'schema.prisma': header + events }))).toThrow(
      /schema\.prisma declares OutboxEvent again[\s\S]*DeadLetterEvent again/,
    );
  });

  it('parses model blocks', () => {
    expect([...prismaModelBlocks(events).keys()]).toEqual([
      'OutboxEvent',
      'InboxEvent',
      'DeadLetterEvent',
    ]);
  });
});
