// Product registry: suppliers' products and versions (admin gRPC), every connected system names a
// version, and the version travels in the access token and the events the scorecards count.
import { status } from '@grpc/grpc-js';
import { events, gateway } from '@trellis/contracts';
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

type ProductMsg = gateway.v1.Product;

describe('gateway product registry', () => {
  let gw: GatewayUnderTest;
  let systems: ReturnType<typeof adminClient>;
  let adminToken: string;

  beforeAll(async () => {
    gw = await startGateway();
    systems = adminClient(gw.grpcAddress);
    const operator = await registerClient(gw, { scopes: ['trellis/admin'], odsCode: 'X26' });
    adminToken = await getToken(gw, operator, 'trellis/admin');
  });
  afterAll(async () => {
    systems?.close();
    await gw?.stop();
  });

  it('registers products and versions, refuses bad input and duplicates, lists them paged', async () => {
    const created = await systems.products.registerProduct(
      {
        id: 'acme-gp',
        supplier: 'Acme Health',
        name: 'Acme GP',
        role: gateway.v1.ProductRole.PRODUCT_ROLE_GP_SYSTEM,
      },
      systems.as(adminToken),
    );
    expect(created.product).toMatchObject({ id: 'acme-gp', role: 1 });
    expect(
      await grpcCode(
        systems.products.registerProduct(
          { id: 'acme-gp', supplier: 'x', name: 'y', role: 1 },
          systems.as(adminToken),
        ),
      ),
    ).toBe(status.ALREADY_EXISTS);
    expect(
      await grpcCode(
        systems.products.registerProduct(
          { id: 'Bad Id', supplier: '', name: 'y' },
          systems.as(adminToken),
        ),
      ),
    ).toBe(status.INVALID_ARGUMENT);

    const v = await systems.products.registerProductVersion(
      { productId: 'acme-gp', version: '1.2.0' },
      systems.as(adminToken),
    );
    expect(v.productVersion!.id).toBe('acme-gp@1.2.0');
    await systems.products.registerProductVersion(
      { productId: 'acme-gp', version: '1.3.0' },
      systems.as(adminToken),
    );
    expect(
      await grpcCode(
        systems.products.registerProductVersion(
          { productId: 'acme-gp', version: '1.2.0' },
          systems.as(adminToken),
        ),
      ),
    ).toBe(status.ALREADY_EXISTS);
    expect(
      await grpcCode(
        systems.products.registerProductVersion(
          { productId: 'no-such', version: '1' },
          systems.as(adminToken),
        ),
      ),
    ).toBe(status.NOT_FOUND);
    expect(
      await grpcCode(
        systems.products.registerProductVersion(
          { productId: 'acme-gp', version: '1 beta' },
          systems.as(adminToken),
        ),
      ),
    ).toBe(status.INVALID_ARGUMENT);
    await systems.products.registerProduct(
      {
        id: 'helix-lab',
        supplier: 'Helix',
        name: 'Helix LIMS',
        role: gateway.v1.ProductRole.PRODUCT_ROLE_LAB_LIMS,
      },
      systems.as(adminToken),
    );

    // the migration's legacy product + the two above, one per page
    const seen: ProductMsg[] = [];
    let token = '';
    let pages = 0;
    do {
      expect(++pages).toBeLessThanOrEqual(3);
      const page = await systems.products.listProducts(
        { page: { pageSize: 1, pageToken: token } },
        systems.as(adminToken),
      );
      expect(page.page!.total).toBe(3);
      seen.push(...page.products);
      token = page.page!.nextPageToken;
    } while (token);
    expect(seen.map((p) => p.id)).toEqual(['unclassified', 'acme-gp', 'helix-lab']);
    expect(seen[1]!.versions.map((x) => x.id)).toEqual(['acme-gp@1.2.0', 'acme-gp@1.3.0']);
    const labs = await systems.products.listProducts({ role: 3 }, systems.as(adminToken));
    expect(labs.products.map((p) => p.id)).toEqual(['helix-lab']);
    expect(
      await grpcCode(
        systems.products.listProducts({ page: { pageToken: 'nope' } }, systems.as(adminToken)),
      ),
    ).toBe(status.INVALID_ARGUMENT);
  });

  it('admin scope only', async () => {
    const gp = await registerClient(gw, { scopes: ['system/Patient.rs'] });
    const token = await getToken(gw, gp, 'system/Patient.rs');
    expect(await grpcCode(systems.products.listProducts({}, systems.as(token)))).toBe(
      status.PERMISSION_DENIED,
    );
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
    expect(await grpcCode(systems.systems.registerSystem(base, systems.as(adminToken)))).toBe(
      status.INVALID_ARGUMENT,
    );
    expect(
      await grpcCode(
        systems.systems.registerSystem(
          { ...base, productVersionId: 'acme-gp@9.9' },
          systems.as(adminToken),
        ),
      ),
    ).toBe(status.INVALID_ARGUMENT);
    const ok = await systems.systems.registerSystem(
      { ...base, productVersionId: 'acme-gp@1.2.0' },
      systems.as(adminToken),
    );
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
