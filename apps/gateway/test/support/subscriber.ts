// A local system's rest-hook endpoint for the subscription suites: a real HTTP server that
// applies each notification once (deduplicating on the Bundle id, as docs/subscriptions.md asks
// receivers to), can go down (its port closed) and come back on the same port, and can lose one
// acknowledgement (apply, then answer 500) to provoke a redelivery.
import type { Bundle, Parameters } from '@medplum/fhirtypes';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';

export interface Received {
  id: string;
  type: string;
  eventNumber?: number;
  focus?: string;
  patient?: string;
  /** full-resource: the focus resource the notification carried. */
  resource?: unknown;
  eventsSinceStart: string;
  headers: IncomingMessage['headers'];
}

export interface Subscriber {
  url: string;
  /** Every POST received, in arrival order (redeliveries included). */
  deliveries: Received[];
  /** Effects applied, in order: one per distinct notification id. */
  applied: Received[];
  /** The next delivery of this event number is applied but answered 500 (a lost ack). */
  loseAckOf(eventNumber: number): void;
  down(): Promise<void>;
  up(): Promise<void>;
  close(): Promise<void>;
}

function parse(body: string, headers: IncomingMessage['headers']): Received {
  const bundle = JSON.parse(body) as Bundle;
  const status = bundle.entry?.[0]?.resource as Parameters | undefined;
  const param = (name: string) => status?.parameter?.find((p) => p.name === name);
  const event = param('notification-event')?.part;
  const part = (name: string) => event?.find((p) => p.name === name);
  const number = part('event-number')?.valueString;
  const focus = part('focus')?.valueReference?.reference;
  const patient = part('additional-context')?.valueReference?.reference;
  const resource = bundle.entry?.[1]?.resource;
  return {
    id: String(bundle.id),
    type: String(param('type')?.valueCode),
    eventsSinceStart: String(param('events-since-subscription-start')?.valueString),
    ...(number ? { eventNumber: Number(number) } : {}),
    ...(focus ? { focus } : {}),
    ...(patient ? { patient } : {}),
    ...(resource ? { resource } : {}),
    headers,
  };
}

export async function startSubscriber(port: number): Promise<Subscriber> {
  const deliveries: Received[] = [];
  const applied: Received[] = [];
  const seen = new Set<string>();
  const loseAck = new Set<number>();
  const handle = (req: IncomingMessage, res: ServerResponse) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => (body += c));
    req.on('end', () => {
      let r: Received;
      try {
        r = parse(body, req.headers);
      } catch {
        res.writeHead(400).end();
        return;
      }
      deliveries.push(r);
      if (r.type === 'event-notification' && !seen.has(r.id)) {
        seen.add(r.id);
        applied.push(r);
      }
      if (r.eventNumber !== undefined && loseAck.delete(r.eventNumber)) res.writeHead(500).end();
      else res.writeHead(200).end();
    });
  };
  let server: Server | undefined;
  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer(handle);
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = undefined;
      if (!s) return resolve();
      s.close(() => resolve());
      s.closeAllConnections();
    });
  await listen();
  return {
    url: `http://127.0.0.1:${String(port)}/hooks/trellis`,
    deliveries,
    applied,
    loseAckOf: (n) => loseAck.add(n),
    down: stop,
    up: listen,
    close: stop,
  };
}
