import { connectionsConnectsChannel } from '@platformatic/kafka';

let guarded = false;

/**
 * @platformatic/kafka 2.x can emit 'error' twice on one broker connection when it closes during
 * the SASL handshake (a broker restarting, a proxy or load balancer dropping the connection): the
 * pool listens once, so the second emit has no listener and kills the process. The failure also
 * reaches the operation's callback (retried, then reported), so a listener on every connection
 * that ignores the event changes nothing else. Installed once per process, via the client's
 * diagnostics channel (it sees every connection, including clients made outside this library).
 */
export function guardConnectionErrors(): void {
  if (guarded) return;
  guarded = true;
  const seen = new WeakSet<object>();
  connectionsConnectsChannel.start.subscribe((message: unknown) => {
    const connection = (message as { connection?: unknown } | null)?.connection;
    if (!isEmitter(connection) || seen.has(connection)) return;
    seen.add(connection);
    connection.on('error', () => undefined);
  });
}

function isEmitter(value: unknown): value is { on(event: 'error', fn: () => void): unknown } {
  return typeof (value as { on?: unknown } | null)?.on === 'function';
}
