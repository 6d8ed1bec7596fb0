// Proof (issue 22): the gateway boots and serves with Kafka unreachable, and suspension holds.
// Its broker address is a TCP proxy that drops every connection: boot completes, readiness answers
// 200 "degraded" (kafka, suspension-feed), tokens are issued and calls served, and a system
// suspended meanwhile is refused at once — the suspension check reads the registry table while
// the feed has not replayed (or its status events wait in the outbox). Once the proxy forwards,
// the relay drains, the feed replays (it retries by itself) and the registry refuses the system.
import { status } from '@grpc/grpc-js';
import { AUTH_STATUS_REGISTRY, type SystemStatusRegistry } from '@trellis/auth';
import { SwitchableBrokerProxy } from '@trellis/testing';

import { GatewayPrismaService } from '../src/app/database/gateway-prisma.service';
import {
  adminClient,
  getToken,
  grpcCode,
  registerClient,
  startGateway,
  type GatewayUnderTest,
} from './support/harness';

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

describe('gateway: degraded, not down, when Kafka is unreachable at boot', () => {
  const proxy = new SwitchableBrokerProxy();
  let gw: GatewayUnderTest | undefined;
  let admin: ReturnType<typeof adminClient> | undefined;

  afterAll(async () => {
    admin?.close();
    await gw?.stop();
    await proxy.close();
  });

  it('boots, serves, refuses a system suspended while the feed is down, and recovers', async () => {
    const port = await proxy.listen();
    const g = await startGateway({ KAFKA_BROKERS: `127.0.0.1:${port}` });
    gw = g;
    expect(proxy.refused).toBeGreaterThan(0);
    const ready = `${g.baseUrl}/health/ready`;
    const res = await fetch(ready);
    expect(res.status).toBe(200);
    const report = (await res.json()) as Readiness;
    expect(report.status).toBe('degraded');
    expect(report.degraded).toEqual(expect.arrayContaining(['kafka', 'suspension-feed']));
    expect(report.checks['suspension-feed']?.error).toMatch(
      /suspensions checked against the database on each call meanwhile/,
    );
    const registry = g.handle.app.get<SystemStatusRegistry>(AUTH_STATUS_REGISTRY);
    expect(registry.ready).toBe(false);

    // Served: the token endpoint and the admin API answer, checked against the registry table.
    admin = adminClient(g.grpcAddress);
    const operator = await registerClient(g, { scopes: ['trellis/admin'], name: 'Operator' });
    const victim = await registerClient(g, { scopes: ['trellis/admin'], name: 'Soon suspended' });
    const operatorToken = await getToken(g, operator, 'trellis/admin');
    const victimToken = await getToken(g, victim, 'trellis/admin');
    expect(await grpcCode(admin.systems.getSystem({ id: victim.id }, admin.as(victimToken)))).toBe(
      'OK',
    );

    // Suspended while the feed is down: the victim's live token is refused (next mark read).
    await admin.systems.suspendSystem(
      { id: victim.id, reason: 'outage drill' },
      admin.as(operatorToken),
    );
    await until(
      'the suspended system refused',
      async () =>
        (await grpcCode(admin!.systems.getSystem({ id: victim.id }, admin!.as(victimToken)))) ===
        status.UNAUTHENTICATED,
    );
    expect(
      await grpcCode(admin.systems.getSystem({ id: victim.id }, admin.as(operatorToken))),
    ).toBe('OK');
    const unsent = async (): Promise<number> => {
      const [row] = await g.handle.app.get(GatewayPrismaService).$queryRaw<Array<{ n: number }>>`
        SELECT count(*)::int AS n FROM outbox_events
         WHERE sent_at IS NULL AND topic = ${g.systemTopic}`;
      return row?.n ?? -1;
    };
    expect(await unsent()).toBeGreaterThan(0);
    expect(registry.ready).toBe(false);

    // Kafka back: the relay drains, the feed replays by itself, readiness returns to ok.
    proxy.open();
    await until('the status events published', async () => (await unsent()) === 0);
    await until('the feed replayed the suspension', () =>
      Promise.resolve(registry.ready && registry.isSuspended(victim.id)),
    );
    await until('readiness ok', async () => (await g.handle.health.report()).degraded.length === 0);
    expect(((await (await fetch(ready)).json()) as Readiness).status).toBe('ok');
    expect(await grpcCode(admin.systems.getSystem({ id: victim.id }, admin.as(victimToken)))).toBe(
      status.UNAUTHENTICATED,
    );

    // Reactivated: served again (the change is seen through the table until it is published).
    await admin.systems.reactivateSystem({ id: victim.id }, admin.as(operatorToken));
    const fresh = await getToken(g, victim, 'trellis/admin');
    await until(
      'the reactivated system served',
      async () =>
        (await grpcCode(admin!.systems.getSystem({ id: victim.id }, admin!.as(fresh)))) === 'OK',
    );
  });
});
