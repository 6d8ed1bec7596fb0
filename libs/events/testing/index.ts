// @trellis/events/testing: the spec helpers of a service's event tables (kept out of the
// production barrel).
import { readMigrations } from '@trellis/database';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';

import { toReceivedEvent, type ReceivedEvent } from '../src/cloudevents';
import { assertSharedEventModels } from '../src/schema-check';

/** An event as a consumer is handed it: protobuf data of the given CloudEvents type, fresh id. */
export function receivedEvent(type: string, data: Uint8Array): ReceivedEvent {
  return toReceivedEvent({
    topic: 't',
    partition: 0,
    offset: '0',
    key: null,
    value: data,
    headers: {
      ce_specversion: '1.0',
      ce_id: randomUUID(),
      ce_source: '/trellis/test',
      ce_type: type,
      ce_time: new Date().toISOString(),
      'content-type': 'application/protobuf',
    },
  });
}

/** Every migration script of a service's Prisma folder, in the order Prisma applies them. */
export function migrationsSql(prismaDir: string): string {
  return readMigrations(join(prismaDir, 'migrations'))
    .map((m) => m.script)
    .join('\n');
}

/**
 * A service's schema spec: its Prisma folder takes the event tables from libs/events, and each
 * named guarantee pins what its migrations must keep (given all of them as one SQL text).
 */
export function describeServiceSchema(
  service: string,
  prismaDir: string,
  guarantees: Readonly<Record<string, (sql: string) => void>>,
): void {
  describe(`${service} schema`, () => {
    it('takes the event tables from libs/events', () => {
      expect(() => assertSharedEventModels(prismaDir)).not.toThrow();
    });
    for (const [title, check] of Object.entries(guarantees))
      it(title, () => check(migrationsSql(prismaDir)));
  });
}
