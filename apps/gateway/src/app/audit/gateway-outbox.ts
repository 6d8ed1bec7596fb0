/**
 * The gateway's transactional outbox port (implemented by @trellis/events `createOutbox`):
 * `enqueue(tx, event)` inserts one event in the caller's transaction.
 */
export interface GatewayOutboxEvent {
  topic: string;
  key: string | null;
  type: string;
  subject?: string;
  odsCode?: string;
  region?: string;
  dataschema?: string;
  payload: Uint8Array;
}

export interface RawSql {
  $executeRaw(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<number>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): PromiseLike<T>;
}

export interface GatewayOutbox {
  enqueue(tx: RawSql, event: GatewayOutboxEvent): Promise<string>;
  /** Several events in one statement (the access auditor's group commit). */
  enqueueMany(tx: RawSql, events: readonly GatewayOutboxEvent[]): Promise<string[]>;
}

export const GATEWAY_OUTBOX = Symbol('GATEWAY_OUTBOX');
