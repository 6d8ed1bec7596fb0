// Proof (issue 22): identity boots and serves with Kafka unreachable. Its broker address is a TCP
// proxy that drops every connection: boot completes, readiness answers 200 "degraded" (kafka),
// a registration commits with its PatientRegistered row waiting in the outbox and reads serve it;
// once the proxy forwards, the relay connects by itself and the outbox drains.
import { SwitchableBrokerProxy } from '@trellis/testing';

import { person, startIdentity, type IdentityHarness } from './harness';

interface Readiness {
  status: string;
  degraded?: string[];
  checks: Record<string, { ok: boolean; degraded?: boolean; error?: string }>;
}

async function until(what: string, probe: () => Promise<boolean>, ms = 90_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await probe())) {
    if (Date.now() > end) throw new Error(`not within ${ms} ms: ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe('identity: degraded, not down, when Kafka is unreachable at boot', () => {
  const proxy = new SwitchableBrokerProxy();
  let h: IdentityHarness | undefined;

  afterAll(async () => {
    await h?.close();
    await proxy.close();
  });

  it('boots, registers into the outbox, serves reads, and drains once Kafka is back', async () => {
    const port = await proxy.listen();
    const identity = await startIdentity({
      relay: true,
      env: { KAFKA_BROKERS: `127.0.0.1:${port}` },
    });
    h = identity;
    expect(proxy.refused).toBeGreaterThan(0);
    const ready = `http://127.0.0.1:${identity.handle.httpPort}/health/ready`;
    const res = await fetch(ready);
    expect(res.status).toBe(200);
    const report = (await res.json()) as Readiness;
    expect(report.status).toBe('degraded');
    expect(report.degraded).toEqual(['kafka']);
    expect(report.checks.kafka?.error).toMatch(/^unreachable .*outbox relay not started/);

    const client = identity.client();
    const registered = await client.registerPatient({
      patient: person({ family: 'Outage', given: ['Olive'], birthDate: '1979-11-02' }),
      overrideDuplicates: false,
      overrideReason: '',
    });
    const nhs = registered.patient!.nhsNumber;
    const read = await client.getPatient({ nhsNumber: nhs });
    expect(read.patient?.nhsNumber).toBe(nhs);
    const pending = (): Promise<Array<{ ce_type: string; sent: boolean }>> =>
      identity.sql(
        `SELECT ce_type, sent_at IS NOT NULL AS sent FROM outbox_events
          WHERE key = $1 AND topic = 'trellis.identity.patient.v1' ORDER BY seq`,
        [nhs],
      );
    expect(await pending()).toEqual([
      { ce_type: 'uk.nhs.trellis.identity.PatientRegistered.v1', sent: false },
    ]);
    identity.handle.health.cacheMs = 0;
    const backlog = (await identity.handle.health.report()).checks.find((c) => c.name === 'kafka');
    expect(backlog?.error).toMatch(/outbox backlog [1-9]\d* event\(s\)/);

    proxy.open();
    await until('the outbox drained', async () => (await pending()).every((r) => r.sent));
    await until(
      'readiness ok',
      async () => (await identity.handle.health.report()).degraded.length === 0,
    );
    const after = (await (await fetch(ready)).json()) as Readiness;
    expect(after.status).toBe('ok');
  });
});
