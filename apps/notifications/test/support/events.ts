import { randomUUID } from 'node:crypto';

import { toReceivedEvent, type ReceivedEvent } from '@trellis/events';
import type { Logger } from '@trellis/service-kit';

/** An event as the consumer hands it over: protobuf data under CloudEvents headers. */
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

export const silentLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
} as unknown as Logger;
