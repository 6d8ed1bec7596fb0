import { connect, createServer, type Server, type Socket } from 'node:net';

/**
 * A TCP front for the Kafka broker, for degraded-boot tests: drops every connection until
 * `open()`, then forwards them (SASL and all, byte for byte). Point a service's KAFKA_BROKERS at
 * `127.0.0.1:<listen()>`; the broker advertises its own address, so once open the client talks to
 * the real broker directly as well.
 */
export class SwitchableBrokerProxy {
  private server: Server | undefined;
  private forwarding = false;
  private readonly sockets = new Set<Socket>();
  /** Connections dropped while closed (proof the service tried). */
  refused = 0;

  constructor(private readonly target: { host: string; port: number } = brokerAddress()) {}

  async listen(): Promise<number> {
    const server = createServer((client) => {
      this.sockets.add(client);
      client.on('close', () => this.sockets.delete(client));
      client.on('error', () => undefined);
      if (!this.forwarding) {
        this.refused++;
        client.destroy();
        return;
      }
      const upstream = connect(this.target.port, this.target.host);
      this.sockets.add(upstream);
      upstream.on('close', () => this.sockets.delete(upstream));
      upstream.on('error', () => client.destroy());
      client.on('error', () => upstream.destroy());
      client.pipe(upstream).pipe(client);
    });
    this.server = server;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    return (server.address() as { port: number }).port;
  }

  open(): void {
    this.forwarding = true;
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    await new Promise<void>((resolve) =>
      this.server ? this.server.close(() => resolve()) : resolve(),
    );
  }
}

/** The first broker of KAFKA_BROKERS as host and port. */
export function brokerAddress(brokers: string = process.env.KAFKA_BROKERS ?? ''): {
  host: string;
  port: number;
} {
  const first = brokers.split(',')[0]?.trim() ?? '';
  const at = first.lastIndexOf(':');
  if (at < 1) throw new Error(`KAFKA_BROKERS is not host:port (${first})`);
  return { host: first.slice(0, at), port: Number(first.slice(at + 1)) };
}
