// Product registry: suppliers' products and versions (admin gRPC), every connected system names a
// version, and the version travels in the access token and the events the scorecards count.
import { join } from 'node:path';

import { credentials, loadPackageDefinition, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { status } from '@grpc/grpc-js';
import { events, PROTO_ROOT } from '@trellis/contracts';
import { decodeJwt } from 'jose';

import {
  adminClient,
  getToken,
  grpcCode,
  registerClient,
  startGateway,
  type GatewayUnderTest,
} from './support/harness';
import { GatewayPrismaService } from '../src/app/database/gateway-prisma.service';

type Unary = (
  req: unknown,
  md: Metadata,
  cb: (e: ServiceError | null, r?: unknown) => void,
) => void;

function productClient(address: string): {
  call<T>(method: string, req: unknown, token: string): Promise<T>;
  close(): void;
} {
  const def = loadSync(join(PROTO_ROOT, 'trellis/gateway/v1/gateway.proto'), {
    includeDirs: [PROTO_ROOT],
    longs: Number,
    defaults: true,
    oneofs: true,
  });
  const pkg = loadPackageDefinition(def) as unknown as {
    trellis: {
      gateway: {
        v1: {
          ProductService: new (a: string, c: unknown) => Record<string, Unary> & { close(): void };
        };
      };
    };
  };
  const client = new pkg.trellis.gateway.v1.ProductService(address, credentials.createInsecure());
  return {
    call<T>(method: string, req: unknown, token: string): Promise<T> {
      const md = new Metadata();
      md.set('authorization', `Bearer ${token}`);
      const fn = client[method.charAt(0).toLowerCase() + method.slice(1)]!;
      return new Promise<T>((resolve, reject) =>
        fn.call(client, req, md, (e, r) => (e ? reject(e) : resolve(r as T))),
      );
    },
    close: () => client.close(),
  };
}

interface ProductMsg {
  id: string;
  supplier: string;
  role: string;
  versions: Array<{ id: string; version: string }>;
}

describe('gateway product registry', () => {
  let gw: GatewayUnderTest;
  let products: ReturnType<typeof productClient>;
  let systems: ReturnType<typeof adminClient>;
  let adminToken: string;

  beforeAll(async () => {
    gw = await startGateway();
    products = productClient(gw.grpcAddress);
    systems = adminClient(gw.grpcAddress);
    const operator = await registerClient(gw, { scopes: ['trellis/admin'], odsCode: 'X26' });
    adminToken = await getToken(gw, operator, 'trellis/admin');
  });
  afterAll(async () => {
    products?.close();
    systems?.close();
    await gw?.stop();
  });

  it('registers products and versions, refuses bad input and duplicates, lists them paged', async () => {
    const created = await products.call<{ product: ProductMsg }>(
      'RegisterProduct',
      { id: 'acme-gp', supplier: 'Acme Health', name: 'Acme GP', role: 'PRODUCT_ROLE_GP_SYSTEM' },
      adminToken,
    );
    expect(created.product).toMatchObject({ id: 'acme-gp', role: 1 });
    expect(
      await grpcCode(
        products.call(
          'RegisterProduct',
          { id: 'acme-gp', supplier: 'x', name: 'y', role: 1 },
          adminToken,
        ),
      ),
    ).toBe(status.ALREADY_EXISTS);
    expect(
      await grpcCode(
        products.call('RegisterProduct', { id: 'Bad Id', supplier: '', name: 'y' }, adminToken),
      ),
    ).toBe(status.INVALID_ARGUMENT);

    const v = await products.call<{ productVersion: { id: string } }>(
      'RegisterProductVersion',
      { productId: 'acme-gp', version: '1.2.0' },
      adminToken,
    );
    expect(v.productVersion.id).toBe('acme-gp@1.2.0');
    await products.call(
      'RegisterProductVersion',
      { productId: 'acme-gp', version: '1.3.0' },
      adminToken,
    );
    expect(
      await grpcCode(
        products.call(
          'RegisterProductVersion',
          { productId: 'acme-gp', version: '1.2.0' },
          adminToken,
        ),
      ),
    ).toBe(status.ALREADY_EXISTS);
    expect(
      await grpcCode(
        products.call('RegisterProductVersion', { productId: 'no-such', version: '1' }, adminToken),
      ),
    ).toBe(status.NOT_FOUND);
    expect(
      await grpcCode(
        products.call(
          'RegisterProductVersion',
          { productId: 'acme-gp', version: '1 beta' },
          adminToken,
        ),
      ),
    ).toBe(status.INVALID_ARGUMENT);
    await products.call(
      'RegisterProduct',
      { id: 'helix-lab', supplier: 'Helix', name: 'Helix LIMS', role: 'PRODUCT_ROLE_LAB_LIMS' },
      adminToken,
    );

    // the migration's legacy product + the two above, one per page
    const seen: ProductMsg[] = [];
    let token = '';
    let pages = 0;
    do {
      expect(++pages).toBeLessThanOrEqual(3);
      const page = await products.call<{
        products: ProductMsg[];
        page: { nextPageToken: string; total: number };
      }>('ListProducts', { page: { pageSize: 1, pageToken: token } }, adminToken);
      expect(page.page.total).toBe(3);
      seen.push(...page.products);
      token = page.page.nextPageToken;
    } while (token);
    expect(seen.map((p) => p.id)).toEqual(['unclassified', 'acme-gp', 'helix-lab']);
    expect(seen[1]!.versions.map((x) => x.id)).toEqual(['acme-gp@1.2.0', 'acme-gp@1.3.0']);
    const labs = await products.call<{ products: ProductMsg[] }>(
      'ListProducts',
      { role: 3 },
      adminToken,
    );
    expect(labs.products.map((p) => p.id)).toEqual(['helix-lab']);
    expect(
      await grpcCode(products.call('ListProducts', { page: { pageToken: 'nope' } }, adminToken)),
    ).toBe(status.INVALID_ARGUMENT);
  });

  it('admin scope only', async () => {
    const gp = await registerClient(gw, { scopes: ['system/Patient.rs'] });
    const token = await getToken(gw, gp, 'system/Patient.rs');
    expect(await grpcCode(products.call('ListProducts', {}, token))).toBe(status.PERMISSION_DENIED);
  });

  it('RegisterSystem requires an existing product version; the token and ConnectedSystemChanged carry it', async () => {
    const base = {
      name: 'Riverside Surgery',
      supplier: 'Acme Health',
      odsCode: 'Y54321',
      region: 'north-east',
      keys: { jwksUrl: 'https://keys.example.org/jwks.json' },
      allowedScopes: ['system/Patient.rs'],
    };
    expect(await grpcCode(systems.call('RegisterSystem', base, adminToken))).toBe(
      status.INVALID_ARGUMENT,
    );
    expect(
      await grpcCode(
        systems.call('RegisterSystem', { ...base, productVersionId: 'acme-gp@9.9' }, adminToken),
      ),
    ).toBe(status.INVALID_ARGUMENT);
    const ok = (await systems.call(
      'RegisterSystem',
      { ...base, productVersionId: 'acme-gp@1.2.0' },
      adminToken,
    )) as { system: { productVersionId: string; writesRestricted: boolean } };
    expect(ok.system).toMatchObject({ productVersionId: 'acme-gp@1.2.0', writesRestricted: false });

    const client = await registerClient(gw, {
      scopes: ['system/Patient.rs'],
      productVersionId: 'acme-gp@1.3.0',
    });
    const token = await getToken(gw, client, 'system/Patient.rs');
    expect(decodeJwt(token)['product_version']).toBe('acme-gp@1.3.0');

    const rows = await gw.handle.app.get(GatewayPrismaService).outboxEvent.findMany({
      where: { key: client.id, topic: gw.systemTopic },
    });
    const decoded = rows.map((r) => events.v1.ConnectedSystemChanged.decode(r.payload));
    expect(decoded.map((d) => d.productVersionId)).toEqual(['acme-gp@1.3.0']);
  });
});
