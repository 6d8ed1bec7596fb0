// Access control at the gateway's gRPC door: token verification (401-class), the scope matrix
// generated from the declared table (403-class), suspension latency and the per-system rate limit.
import { status } from '@grpc/grpc-js';
import { createSystemStatusFeed, defineScopeTable, SystemStatusRegistry } from '@trellis/auth';
import { createTestAuthority, runGrpcScopeMatrix } from '@trellis/auth/testing';
import { PROTO_ROOT, protoPath } from '@trellis/contracts';
import { base64url, SignJWT } from 'jose';

import { GatewayPrismaService } from '../src/app/database/gateway-prisma.service';
import { PRODUCTS_SCOPE_RULES } from '../src/app/products/products.scopes';
import { SYSTEMS_SCOPE_RULES } from '../src/app/systems/systems.scopes';
import { SigningKeyRing } from '../src/app/tokens/signing-keys';
import {
  adminClient,
  assertion,
  env,
  getToken,
  grpcCode,
  registerClient,
  requestToken,
  startGateway,
  waitFor,
  type GatewayUnderTest,
  type TestClient,
} from './support/harness';

describe('gateway access control (gRPC admin API)', () => {
  let gw: GatewayUnderTest;
  let admin: ReturnType<typeof adminClient>;
  let operator: TestClient;
  let adminToken: string;

  beforeAll(async () => {
    gw = await startGateway();
    admin = adminClient(gw.grpcAddress);
    operator = await registerClient(gw, {
      scopes: ['trellis/admin'],
      odsCode: 'X26',
      region: 'london',
      name: 'Operator console',
    });
    adminToken = await getToken(gw, operator, 'trellis/admin');
  });
  afterAll(async () => {
    admin?.close();
    await gw?.stop();
  });

  describe('unauthenticated calls → UNAUTHENTICATED', () => {
    const req = { id: 'whatever' };
    it('missing token', async () => {
      expect(await grpcCode(admin.systems.getSystem(req))).toBe(status.UNAUTHENTICATED);
    });
    it('malformed token and non-Bearer schemes', async () => {
      expect(
        await grpcCode(admin.systems.getSystem(req, admin.rawAuthorization('Bearer not.a.jwt'))),
      ).toBe(status.UNAUTHENTICATED);
      expect(
        await grpcCode(
          admin.systems.getSystem(req, admin.rawAuthorization('Basic YWRtaW46YWRtaW4=')),
        ),
      ).toBe(status.UNAUTHENTICATED);
      expect(
        await grpcCode(
          admin.systems.getSystem(req, admin.rawAuthorization(`Bearer ${adminToken}x`)),
        ),
      ).toBe(status.UNAUTHENTICATED);
    });
    it('expired token (signed by the platform key)', async () => {
      const ring = await SigningKeyRing.load(gw.keyFile);
      const key = ring.current;
      const now = Math.floor(Date.now() / 1000);
      const expired = await new SignJWT({
        client_id: operator.id,
        scope: 'trellis/admin',
        ods_code: 'X26',
        region: 'london',
      })
        .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt' })
        .setIssuer(gw.baseUrl)
        .setAudience('urn:trellis:platform')
        .setSubject(operator.id)
        .setJti('e1')
        .setIssuedAt(now - 400)
        .setExpirationTime(now - 100)
        .sign(key.privateKey);
      expect(await grpcCode(admin.systems.getSystem(req, admin.as(expired)))).toBe(
        status.UNAUTHENTICATED,
      );
    });
    it('wrongly signed token (another issuer key with the same claims)', async () => {
      const other = await createTestAuthority(gw.baseUrl);
      const forged = await other.issue({
        systemId: operator.id,
        scopes: ['trellis/admin'],
        odsCode: 'X26',
        region: 'london',
      });
      expect(await grpcCode(admin.systems.getSystem(req, admin.as(forged)))).toBe(
        status.UNAUTHENTICATED,
      );
    });
    it('alg:none token', async () => {
      const now = Math.floor(Date.now() / 1000);
      const claims = {
        iss: gw.baseUrl,
        aud: 'urn:trellis:platform',
        sub: operator.id,
        client_id: operator.id,
        jti: 'n1',
        iat: now,
        exp: now + 60,
        scope: 'trellis/admin',
        ods_code: 'X26',
        region: 'london',
      };
      const none = `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'at+jwt' }))}.${base64url.encode(JSON.stringify(claims))}.`;
      expect(await grpcCode(admin.systems.getSystem(req, admin.as(none)))).toBe(
        status.UNAUTHENTICATED,
      );
    });
  });

  it('scope matrix from the declared table: every method → UNAUTHENTICATED without a token, PERMISSION_DENIED without its scope, past the guard with it', async () => {
    const matrix = await registerClient(gw, {
      scopes: ['system/*.cruds', 'trellis/restricted.read', 'trellis/admin'],
    });
    const results = await runGrpcScopeMatrix({
      // The operator's admin API; the region-bound rules have their own table test
      // (regional-authority.int-spec.ts): no client may hold a region/* wildcard.
      table: defineScopeTable({ ...SYSTEMS_SCOPE_RULES, ...PRODUCTS_SCOPE_RULES }),
      protoFiles: protoPath('trellis/gateway/v1/gateway.proto'),
      includeDirs: [PROTO_ROOT],
      address: gw.grpcAddress,
      issueToken: (scopes) => getToken(gw, matrix, scopes.join(' ')),
      request: () => ({ id: 'no-such-system' }),
    });
    expect(results.map((r) => r.key.slice('/trellis.gateway.v1.'.length)).sort()).toEqual([
      'ConnectedSystemService/GetSystem',
      'ConnectedSystemService/ListSystems',
      'ConnectedSystemService/ReactivateSystem',
      'ConnectedSystemService/RegisterSystem',
      'ConnectedSystemService/RotateSystemKeys',
      'ConnectedSystemService/SuspendSystem',
      'ConnectedSystemService/UpdateSystemScopes',
      'ProductService/ListProducts',
      'ProductService/RegisterProduct',
      'ProductService/RegisterProductVersion',
    ]);
    for (const r of results) {
      expect([r.key, r.withoutToken, r.lackingScope]).toEqual([
        r.key,
        status.UNAUTHENTICATED,
        status.PERMISSION_DENIED,
      ]);
      expect([
        r.key,
        [status.UNAUTHENTICATED, status.PERMISSION_DENIED].includes(r.withScope),
      ]).toEqual([r.key, false]);
    }
  });

  it('admin API: register, list (paginated), update scopes, rotate keys — each change logged with its actor', async () => {
    const jwks = JSON.stringify({
      keys: [
        {
          kty: 'EC',
          crv: 'P-384',
          x: 'AOy1m5bTmuz7mzEfJ9Jxqd2v6Gv0BTU6bQx5aVxXyQ8kC5aF9z3uQbWm1-t9jZ7e',
          y: 'ALdY2d9nHJ1Lh0b4u6zZfR3K5jNpQ2Y0m9rR2cX7bWq3sV1tU8wX6yZ0aB4cD5eF',
          kid: 'a1',
          alg: 'ES384',
        },
      ],
    });
    const created = await admin.systems.registerSystem(
      {
        name: 'Riverside Surgery EPR',
        supplier: 'Acme Health',
        odsCode: 'Y54321',
        region: 'north-east',
        keys: { jwksJson: jwks },
        allowedScopes: ['system/Patient.rs'],
        productVersionId: 'unclassified@legacy',
      },
      admin.as(adminToken),
    );
    expect(created.system!.createdBy).toBe(operator.id);
    const bad = await grpcCode(
      admin.systems.registerSystem(
        {
          name: '',
          supplier: 'x',
          odsCode: 'bad code',
          region: 'Nowhere!',
          keys: {},
          allowedScopes: ['system/Patient.sr'],
        },
        admin.as(adminToken),
      ),
    );
    expect(bad).toBe(status.INVALID_ARGUMENT);
    const updated = await admin.systems.updateSystemScopes(
      { id: created.system!.id, allowedScopes: ['system/Patient.r'], expectedVersion: 1 },
      admin.as(adminToken),
    );
    expect(updated.system).toMatchObject({ version: 2, allowedScopes: ['system/Patient.r'] });
    expect(
      await grpcCode(
        admin.systems.updateSystemScopes(
          { id: created.system!.id, allowedScopes: ['system/Patient.r'], expectedVersion: 1 },
          admin.as(adminToken),
        ),
      ),
    ).toBe(status.ABORTED);
    expect(
      await grpcCode(
        admin.systems.rotateSystemKeys(
          { id: created.system!.id, keys: { jwksUrl: 'https://keys.riverside.example/jwks.json' } },
          admin.as(adminToken),
        ),
      ),
    ).toBe('OK');
    const page1 = await admin.systems.listSystems({ page: { pageSize: 2 } }, admin.as(adminToken));
    expect(page1.systems).toHaveLength(2);
    expect(page1.page!.nextPageToken).not.toBe('');
    const page2 = await admin.systems.listSystems(
      { page: { pageSize: 2, pageToken: page1.page!.nextPageToken } },
      admin.as(adminToken),
    );
    expect(page2.systems.length).toBeGreaterThan(0);
    expect(
      await grpcCode(
        admin.systems.listSystems({ page: { pageToken: 'garbage' } }, admin.as(adminToken)),
      ),
    ).toBe(status.INVALID_ARGUMENT);
    const changes = await gw.handle.app.get(GatewayPrismaService).connectedSystemChange.findMany({
      where: { systemId: created.system!.id },
      orderBy: { version: 'asc' },
    });
    expect(changes.map((c) => [c.version, c.change, c.actor])).toEqual([
      [1, 'REGISTERED', operator.id],
      [2, 'SCOPES_UPDATED', operator.id],
      [3, 'KEYS_ROTATED', operator.id],
    ]);
  });

  it('suspension: new tokens refused at once, existing tokens refused within 10 s at the gateway and at another service', async () => {
    const victim = await registerClient(gw, { scopes: ['trellis/admin'], name: 'Soon suspended' });
    const token = await getToken(gw, victim, 'trellis/admin');
    expect(await grpcCode(admin.systems.getSystem({ id: victim.id }, admin.as(token)))).toBe('OK');

    // "another service": the auth library's own feed + registry, as identity or appointments run it
    const registry = new SystemStatusRegistry();
    const feed = createSystemStatusFeed({
      service: 'int-test-other',
      topic: gw.systemTopic,
      connection: {
        brokers: env('KAFKA_BROKERS').split(','),
        sasl: {
          mechanism: 'scram-sha-512',
          username: env('KAFKA_SASL_USERNAME'),
          password: env('KAFKA_SASL_PASSWORD'),
        },
      },
    });
    await feed.start(registry);
    await registry.whenReady(20_000);
    expect(registry.isSuspended(victim.id)).toBe(false);

    const pollGateway = async (tok: string, want: number | 'OK', from: number): Promise<number> => {
      for (;;) {
        if ((await grpcCode(admin.systems.getSystem({ id: victim.id }, admin.as(tok)))) === want)
          return Date.now() - from;
        if (Date.now() - from > 10_000) return Number.POSITIVE_INFINITY;
        await new Promise((r) => setTimeout(r, 10));
      }
    };
    const pollOther = async (want: boolean, from: number): Promise<number> => {
      await waitFor(() => registry.isSuspended(victim.id) === want, 10_000, 5);
      return Date.now() - from;
    };

    const gatewayMs: number[] = [];
    const otherMs: number[] = [];
    let current = token;
    for (let cycle = 0; cycle < 5; cycle++) {
      const suspendedAt = Date.now(); // measured from BEFORE the admin call: an upper bound
      await admin.systems.suspendSystem(
        { id: victim.id, reason: `failed conformance #${cycle}` },
        admin.as(adminToken),
      );
      const [g, o] = await Promise.all([
        pollGateway(current, status.UNAUTHENTICATED, suspendedAt),
        pollOther(true, suspendedAt),
      ]);
      gatewayMs.push(g);
      otherMs.push(o);
      // new tokens are refused at once (the token endpoint reads the registry row)
      await expect(getToken(gw, victim, 'trellis/admin')).rejects.toThrow(/401/);

      // reactivation restores access with a fresh token
      await admin.systems.reactivateSystem({ id: victim.id }, admin.as(adminToken));
      current = await getToken(gw, victim, 'trellis/admin');
      expect(await pollGateway(current, 'OK', Date.now())).toBeLessThan(10_000);
      await pollOther(false, Date.now());
    }
    await feed.stop();
    const fmt = (xs: number[]): string => {
      const sorted = [...xs].sort((a, b) => a - b);
      return `p50 ${sorted[Math.floor(sorted.length / 2)]} ms, max ${sorted[sorted.length - 1]} ms (${xs.join(', ')})`;
    };
    process.stdout.write(
      `SUSPENSION LATENCY over ${gatewayMs.length} cycles — gateway guard: ${fmt(gatewayMs)}; other service feed: ${fmt(otherMs)}\n`,
    );
    expect(Math.max(...gatewayMs)).toBeLessThan(10_000);
    expect(Math.max(...otherMs)).toBeLessThan(10_000);
  });

  it('rate limit per connected system: RESOURCE_EXHAUSTED after the budget, other systems unaffected', async () => {
    const noisy = await registerClient(gw, { scopes: ['trellis/admin'], name: 'Noisy' });
    const prisma = gw.handle.app.get(GatewayPrismaService);
    await prisma.connectedSystem.update({
      where: { id: noisy.id },
      data: { rateLimitPerWindow: 5 },
    });
    const token = await getToken(gw, noisy, 'trellis/admin'); // the token endpoint has its own counter
    const codes: Array<number | 'OK'> = [];
    for (let i = 0; i < 7; i++)
      codes.push(await grpcCode(admin.systems.getSystem({ id: noisy.id }, admin.as(token))));
    expect(codes.slice(0, 5)).toEqual(['OK', 'OK', 'OK', 'OK', 'OK']);
    expect(codes.slice(5)).toEqual([status.RESOURCE_EXHAUSTED, status.RESOURCE_EXHAUSTED]);
    expect(await grpcCode(admin.systems.getSystem({ id: noisy.id }, admin.as(adminToken)))).toBe(
      'OK',
    );
  });

  it('rate limit at the token endpoint: 429 with Retry-After', async () => {
    const greedy = await registerClient(gw, { scopes: ['system/Patient.r'], name: 'Greedy' });
    await gw.handle.app
      .get(GatewayPrismaService)
      .connectedSystem.update({ where: { id: greedy.id }, data: { rateLimitPerWindow: 3 } });
    const results: number[] = [];
    let retryAfter: string | null = null;
    for (let i = 0; i < 5; i++) {
      const r = await requestToken(gw.tokenUrl, {
        grant_type: 'client_credentials',
        client_assertion_type: 'urn:ietf:params:oauth:client-assertion-type:jwt-bearer',
        client_assertion: await assertion(greedy, gw.tokenUrl),
        scope: 'system/Patient.r',
      });
      results.push(r.status);
      if (r.status === 429) retryAfter = r.headers.get('retry-after');
    }
    expect(results).toEqual([200, 200, 200, 429, 429]);
    expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
    expect(Number(retryAfter)).toBeLessThanOrEqual(60);
  });
});
