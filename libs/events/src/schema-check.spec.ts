import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertSchemaHasEventModels, EVENTS_PRISMA_PATH, prismaModelBlocks } from './schema-check';

const events = readFileSync(EVENTS_PRISMA_PATH, 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'events-schema-'));
function schemaFile(content: string): string {
  const path = join(dir, `${Math.random().toString(36).slice(2)}.prisma`);
  writeFileSync(path, content);
  return path;
}
const header =
  'generator client {\n  provider = "prisma-client"\n}\n\nmodel Patient {\n  id String @id\n}\n\n';

describe('assertSchemaHasEventModels', () => {
  it('accepts a schema with the models copied verbatim (comments and spacing aside)', () => {
    const reformatted = events.replace(/ {2,}/g, ' ').replace(/\/\/\/.*\n/g, '');
    expect(() => assertSchemaHasEventModels(schemaFile(header + events))).not.toThrow();
    expect(() => assertSchemaHasEventModels(schemaFile(header + reformatted))).not.toThrow();
  });

  it('names a missing model and the first differing line', () => {
    const drifted = events
      .replace('attempts     Int       @default(0)', 'attempts     Int       @default(1)')
      .replace(/model DeadLetterEvent \{[\s\S]*?\n\}/, '');
    expect(() => assertSchemaHasEventModels(schemaFile(header + drifted))).toThrow(
      /model OutboxEvent differs at line 17: expected "attempts Int @default\(0\)", found "attempts Int @default\(1\)"[\s\S]*model DeadLetterEvent is missing/,
    );
  });

  it('is what the events test schema itself satisfies', () => {
    expect(() =>
      assertSchemaHasEventModels(join(__dirname, '..', 'test', 'prisma', 'schema.prisma')),
    ).not.toThrow();
  });

  it('parses model blocks', () => {
    expect([...prismaModelBlocks(events).keys()]).toEqual([
      'OutboxEvent',
      'InboxEvent',
      'DeadLetterEvent',
    ]);
  });
});
