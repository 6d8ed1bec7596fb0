import { randomBytes } from 'node:crypto';

const suffix = (): string => `${Date.now().toString(36)}${randomBytes(4).toString('hex')}`;

/**
 * A topic name no other test uses: `<base>.t<time36><hex>` (Kafka topic names allow
 * `[a-zA-Z0-9._-]`, max 249 chars). Provision it explicitly: auto-create is off.
 */
export function uniqueTopic(base = 'trellis.test'): string {
  const clean = base.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 200);
  return `${clean}.t${suffix()}`;
}

/** A consumer group id no other test uses: `<base>-t<time36><hex>`. */
export function uniqueGroupId(base = 'trellis-test'): string {
  return `${base.replace(/[^a-zA-Z0-9._-]/g, '-').slice(0, 200)}-t${suffix()}`;
}

/** Alias kept for the name used in the team contract. */
export const uniqueGroup = uniqueGroupId;
