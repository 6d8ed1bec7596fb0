import { toPoolConfig } from '@trellis/database';
import type { Logger } from '@trellis/service-kit';
import { Client } from 'pg';

/**
 * The NOTIFY channel the stream recorder signals on, in the inbox transaction (so only on commit);
 * the payload is the schema whose streams grew (test schemas share the database).
 */
export const RECORDED_CHANNEL = 'trellis_notifications_recorded';

/** What the listener needs of a pg connection (a seam for unit specs). */
export interface ListenConnection {
  on(event: 'notification', fn: (msg: { channel: string; payload?: string }) => void): unknown;
  on(event: 'error' | 'end', fn: (err?: Error) => void): unknown;
  connect(): Promise<unknown>;
  query(sql: string): Promise<unknown>;
  end(): Promise<unknown>;
}

export interface WakeListenerOptions {
  schema: string;
  /** A fresh, unconnected connection per attempt. */
  connection: () => ListenConnection;
  /** Wait before listening again after the connection was lost (the poll covers the gap). */
  reconnectMs: number;
  logger: Logger;
}

/**
 * A dedicated connection LISTENing on RECORDED_CHANNEL: calls `onWake` for each notification about
 * this schema. Losing the connection only loses the wake-ups (the worker's poll still runs): it
 * wakes once (something may have been recorded meanwhile) and listens again after `reconnectMs`.
 */
export class WakeListener {
  private client?: ListenConnection;
  private retry?: NodeJS.Timeout;
  private stopped = false;
  private onWake: () => void = () => undefined;

  constructor(private readonly options: WakeListenerOptions) {}

  get listening(): boolean {
    return this.client !== undefined;
  }

  start(onWake: () => void): void {
    this.onWake = onWake;
    void this.listen();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.retry) clearTimeout(this.retry);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async listen(): Promise<void> {
    this.retry = undefined;
    if (this.stopped) return;
    const client = this.options.connection();
    let lost = false;
    const onLost = (err?: Error) => {
      if (lost) return;
      lost = true;
      if (this.client === client) this.client = undefined;
      void client.end().catch(() => undefined);
      if (this.stopped) return;
      this.options.logger.warn({ err }, 'notification wake-up listener lost; polling meanwhile');
      this.onWake();
      this.retry = setTimeout(() => void this.listen(), this.options.reconnectMs);
    };
    client.on('error', onLost);
    client.on('end', onLost);
    client.on('notification', (msg) => {
      if (msg.channel === RECORDED_CHANNEL && msg.payload === this.options.schema) this.onWake();
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${RECORDED_CHANNEL}`);
      if (this.stopped) {
        await client.end().catch(() => undefined);
        return;
      }
      if (!lost) this.client = client;
    } catch (err) {
      onLost(err instanceof Error ? err : new Error(String(err)));
    }
  }
}

/** A pg connection to the service's database for the listener. */
export function pgListenConnection(url: string, schema: string): () => ListenConnection {
  return () =>
    new Client({
      ...toPoolConfig({ url, schema }),
      application_name: `trellis-notifications-wake:${schema}`,
      keepAlive: true,
    });
}
