export type { PlatformActor as Actor } from '@trellis/identity-client';
export { CLOCK, systemClock, type Clock } from '@trellis/service-kit';
