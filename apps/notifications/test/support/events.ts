import type { Logger } from '@trellis/service-kit';

export { receivedEvent } from '@trellis/events/testing';

export const silentLogger = {
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  debug: () => undefined,
} as unknown as Logger;
