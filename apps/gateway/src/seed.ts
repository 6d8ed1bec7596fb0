/**
 * Demo seed (Nx target `gateway:seed`, run by `npm start`): migrates the gateway schema, makes sure
 * the platform signing key exists, and registers the demo connected systems — an operator console,
 * a GP practice (north-east), a hospital and a pathology lab (london) — through the registry
 * service itself (so each registration is in the change log and on trellis.gateway.system.v1).
 * Their private keys are written under .trellis/demo/ (git-ignored, mode 0600). Idempotent.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

import { Global, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  createAccessAuditor,
  REGION_ACTIONS,
  SERVICE_IDENTITY,
  type AccessAuditor,
  type Caller,
} from '@trellis/auth';
import { applyMigrations } from '@trellis/database';
import { createOutbox } from '@trellis/events';
import { CONFIG, loadConfig, regionalAuthorityOf } from '@trellis/service-kit';
import { exportJWK, exportPKCS8, generateKeyPair } from 'jose';

import { GATEWAY_AUDITOR } from './app/audit/gateway-events.module';
import { GATEWAY_OUTBOX, type GatewayOutbox } from './app/audit/gateway-outbox';
import { gatewayConfigFrom, gatewayEnvSchema, tokenEndpointUrl } from './app/config/gateway.config';
import { GatewayCoreModule } from './app/database/gateway-core.module';
import { type PrismaClient, type ProductRole } from './generated/prisma/client';
import { ProductsService } from './app/products/products.service';
import { SystemsError, SystemsErrorCode } from './app/systems/systems.errors';
import { SystemsModule } from './app/systems/systems.module';
import { SystemsService } from './app/systems/systems.service';
import { ensureSigningKeyFile, SigningKeyRing } from './app/tokens/signing-keys';
import { GatewayPrismaService } from './app/database/gateway-prisma.service';
import { LifecycleService } from './app/regions/lifecycle.service';
import { RegionsModule } from './app/regions/regions.module';
import { bringLive, type OnboardingDeps } from './demo-lifecycle';
import { writeDemoStaff } from './demo-staff';

export interface DemoSystem {
  alias: string;
  clientId: string;
  name: string;
  supplier: string;
  odsCode: string;
  region: string;
  scopes: string[];
  /** The supplier product version the demo system deploys. */
  product: DemoProduct;
  /**
   * Brought live by the seed (issue 18: only a live system calls the platforms outside a
   * conformance session): its product version gets a demo certificate for its role; a role
   * without a conformance scheme goes live by the national operator's act.
   */
  live?: true;
}

export interface DemoProduct {
  id: string;
  name: string;
  role: ProductRole;
  version: string;
}

const CONSOLE_PRODUCT: DemoProduct = {
  id: 'trellis-console',
  name: 'Trellis operations console',
  role: 'other',
  version: '1.0.0',
};

export const DEMO_SYSTEMS: readonly DemoSystem[] = [
  {
    alias: 'operator',
    clientId: 'demo-operator-console',
    name: 'Trellis operations console',
    supplier: 'Trellis',
    odsCode: 'X26',
    region: 'london',
    product: CONSOLE_PRODUCT,
    scopes: ['trellis/admin', 'system/MeasureReport.rs', 'system/AuditEvent.rs'],
  },
  {
    alias: 'gp',
    live: true,
    clientId: 'demo-gp-riverside',
    name: 'Riverside Medical Practice',
    supplier: 'Northgate Clinical Systems (demo)',
    odsCode: 'Y12345',
    region: 'north-east',
    product: { id: 'northgate-gp', name: 'Northgate GP', role: 'gp_system', version: '4.2.1' },
    scopes: [
      'system/Patient.cruds',
      'system/Appointment.cruds',
      'system/Schedule.rs',
      'system/Slot.rs',
      'system/ServiceRequest.cruds',
      // .u: the practice acknowledges the results it requested ($acknowledge)
      'system/DiagnosticReport.rus',
      'system/Observation.rs',
      'system/MeasureReport.rs',
      // the record locator: the practice registers its care plans and finds others' documents
      'system/DocumentReference.cruds',
    ],
  },
  {
    alias: 'hospital',
    live: true,
    clientId: 'demo-hospital-thameside',
    name: 'Thameside Hospital EPR',
    supplier: 'Riverbank EPR (demo)',
    odsCode: 'R1K01',
    region: 'london',
    product: {
      id: 'riverbank-epr',
      name: 'Riverbank EPR',
      role: 'hospital_epr',
      version: '2026.3',
    },
    scopes: [
      'system/Patient.rs',
      'system/Schedule.cruds',
      'system/Slot.cruds',
      'system/Appointment.cruds',
      'system/ServiceRequest.rus',
      // .u: the hospital acknowledges the results it requested ($acknowledge)
      'system/DiagnosticReport.rus',
      'system/Observation.rs',
      'trellis/restricted.read',
      'system/MeasureReport.rs',
      // the record locator: discharge summaries and crisis plans it holds
      'system/DocumentReference.cruds',
    ],
  },
  {
    alias: 'lab',
    live: true,
    clientId: 'demo-lab-thameside-path',
    name: 'Thameside Pathology LIMS',
    supplier: 'Helix LIMS (demo)',
    odsCode: 'R1K02',
    region: 'london',
    product: { id: 'helix-lims', name: 'Helix LIMS', role: 'lab_lims', version: '7.0.2' },
    scopes: [
      'system/Patient.rs',
      'system/ServiceRequest.rs',
      'system/DiagnosticReport.cruds',
      'system/Observation.cruds',
      'system/MeasureReport.rs',
    ],
  },
  // the console's professionals act as these (apps/gateway/src/demo-staff.ts, issue 20)
  {
    alias: 'region',
    // an ICB's console: a local system of a product without a conformance scheme, so the national
    // operator moves it live (issue 18); the authorities' and the operator's own are not local
    live: true,
    clientId: 'demo-region-north-east',
    name: 'North East regional authority console',
    supplier: 'Trellis',
    odsCode: 'QHM',
    region: 'north-east',
    product: CONSOLE_PRODUCT,
    scopes: ['trellis/region.admin', 'system/MeasureReport.rs'],
  },
  // regional digital authorities (issue 18): region-bound scopes, their own region only
  ...(['north-east', 'london'] as const).map((region) => ({
    alias: `authority-${region}`,
    clientId: `demo-authority-${region}`,
    name: regionalAuthorityOf(region)?.name ?? region,
    supplier: 'Trellis',
    odsCode: regionalAuthorityOf(region)?.odsCode ?? '',
    region,
    product: CONSOLE_PRODUCT,
    scopes: REGION_ACTIONS.map((a) => `region/${region}/${a}`),
  })),
  {
    alias: 'supplier',
    clientId: 'demo-supplier-northgate',
    name: 'Northgate Clinical Systems integration team',
    supplier: 'Northgate Clinical Systems (demo)',
    odsCode: 'YGM01',
    region: 'north-east',
    // the supplier's sandbox deployment of the practice's version: its console runs conformance
    // sessions (the gp-system role's scopes + TestReport) and reads the version's scorecard
    product: { id: 'northgate-gp', name: 'Northgate GP', role: 'gp_system', version: '4.2.1' },
    scopes: [
      'system/Patient.cruds',
      'system/DiagnosticReport.rus',
      'system/TestReport.crs',
      'system/MeasureReport.rs',
    ],
  },
];

const SEED_REASON =
  'demo seed: onboarded with a demo certificate for its role, or none for a role without a conformance scheme';

const SEED_CALLER: Caller = {
  systemId: 'seed',
  odsCode: 'X26',
  region: 'london',
  scopes: ['trellis/admin'],
  tokenId: 'seed',
  expiresAt: 0,
};

async function writeDemoKey(dir: string, clientId: string): Promise<string> {
  const { privateKey, publicKey } = await generateKeyPair('ES384', { extractable: true });
  const kid = `${clientId}-${new Date().toISOString().slice(0, 10)}`;
  const privateJwk = { ...(await exportJWK(privateKey)), kid, alg: 'ES384' };
  writeFileSync(
    join(dir, `${clientId}.private.jwk.json`),
    `${JSON.stringify(privateJwk, null, 2)}\n`,
    { mode: 0o600 },
  );
  writeFileSync(join(dir, `${clientId}.private.pem`), await exportPKCS8(privateKey), {
    mode: 0o600,
  });
  return JSON.stringify({
    keys: [{ ...(await exportJWK(publicKey)), kid, alg: 'ES384', use: 'sig' }],
  });
}

type Jwk = Record<string, unknown>;

/** The public half of a demo private JWK file (EC: crv, x, y; kid and alg kept). */
function publicJwkOf(keyFile: string): Jwk {
  const { d: _private, ...rest } = JSON.parse(readFileSync(keyFile, 'utf8')) as Jwk;
  return { ...rest, use: 'sig' };
}

function registersKey(jwks: unknown, key: Jwk): boolean {
  const keys = (jwks as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(keys)) return false;
  return keys.some(
    (k: Jwk) => k['kid'] === key['kid'] && k['x'] === key['x'] && k['y'] === key['y'],
  );
}

/** Registers the demo system's product and version when absent; returns the version id. */
async function ensureProductVersion(products: ProductsService, s: DemoSystem): Promise<string> {
  const { id, name, role, version } = s.product;
  const exists = (err: unknown): boolean =>
    err instanceof SystemsError && err.code === SystemsErrorCode.AlreadyExists;
  await products
    .registerProduct({ id, supplier: s.supplier, name, role }, SEED_CALLER)
    .catch((err: unknown) => {
      if (!exists(err)) throw err;
    });
  await products.registerVersion(id, version, SEED_CALLER).catch((err: unknown) => {
    if (!exists(err)) throw err;
  });
  return `${id}@${version}`;
}

async function main(): Promise<void> {
  const env = loadConfig(gatewayEnvSchema, process.env, { SERVICE_NAME: 'gateway' });
  const config = gatewayConfigFrom(env);
  const repoRoot = resolve(__dirname, '../../..');
  const demoDir = resolve(process.env['TRELLIS_DEMO_DIR'] ?? join(repoRoot, '.trellis/demo'));
  mkdirSync(demoDir, { recursive: true, mode: 0o700 });

  await applyMigrations({
    url: config.databaseUrl,
    schema: config.databaseSchema,
    migrationsDir: join(repoRoot, 'apps/gateway/prisma/migrations'),
  });
  await ensureSigningKeyFile(config.signingKeyFile);

  @Global()
  @Module({
    providers: [
      { provide: CONFIG, useValue: env },
      { provide: GATEWAY_OUTBOX, useValue: createOutbox({ source: '/trellis/gateway' }) },
      // the lifecycle's regions module reads scorecards (none here: no conformance service) and
      // audits its moves through the outbox, as the gateway does
      { provide: SERVICE_IDENTITY, useValue: null },
      {
        provide: GATEWAY_AUDITOR,
        useFactory: (prisma: PrismaClient, outbox: GatewayOutbox): AccessAuditor =>
          createAccessAuditor({
            service: 'gateway',
            db: prisma,
            outbox,
            topic: config.auditTopic,
          }) as AccessAuditor,
        inject: [GatewayPrismaService, GATEWAY_OUTBOX],
      },
    ],
    exports: [CONFIG, GATEWAY_OUTBOX, SERVICE_IDENTITY, GATEWAY_AUDITOR],
  })
  class SeedInfraModule {}
  @Module({ imports: [SeedInfraModule, GatewayCoreModule, SystemsModule, RegionsModule] })
  class SeedModule {}

  const ctx = await NestFactory.createApplicationContext(SeedModule, { logger: ['error', 'warn'] });
  const systems = ctx.get(SystemsService);
  const products = ctx.get(ProductsService);
  const onboarding: OnboardingDeps = {
    prisma: ctx.get<PrismaClient>(GatewayPrismaService),
    lifecycle: ctx.get(LifecycleService),
    key: (await SigningKeyRing.load(config.signingKeyFile)).current,
    publicUrl: config.publicUrl,
  };
  const summary: Array<Record<string, string>> = [];
  try {
    for (const s of DEMO_SYSTEMS) {
      const productVersionId = await ensureProductVersion(products, s);
      const keyFile = join(demoDir, `${s.clientId}.private.jwk.json`);
      const existing = await systems.get(s.clientId).catch(() => undefined);
      let action = 'kept';
      if (!existing) {
        const jwksJson = await writeDemoKey(demoDir, s.clientId);
        await systems.register(
          {
            clientId: s.clientId,
            name: s.name,
            supplier: s.supplier,
            odsCode: s.odsCode,
            region: s.region,
            keys: { jwksJson },
            allowedScopes: s.scopes,
            productVersionId,
          },
          SEED_CALLER,
        );
        action = 'registered';
      } else if (!existsSync(keyFile)) {
        await systems.rotateKeys(
          s.clientId,
          { jwksJson: await writeDemoKey(demoDir, s.clientId) },
          SEED_CALLER,
        );
        action = 'keys rotated';
      } else {
        // The database may have been seeded from another checkout (or .trellis/ recreated): make
        // the registered key match the private key this checkout holds, or tokens cannot be had.
        const localPublic = publicJwkOf(keyFile);
        if (!registersKey(existing.jwks, localPublic)) {
          await systems.rotateKeys(
            s.clientId,
            { jwksJson: JSON.stringify({ keys: [localPublic] }) },
            SEED_CALLER,
          );
          action = 'keys re-registered from the local key file';
        }
      }
      // a database seeded by an earlier version keeps the demo systems' scopes in step
      const scopes = [...new Set(s.scopes)].sort();
      if (existing && scopes.join(' ') !== [...existing.allowedScopes].sort().join(' ')) {
        await systems.updateScopes(s.clientId, scopes, 0, SEED_CALLER);
        action += ', scopes updated';
      }
      if (existing && existing.productVersionId !== productVersionId) {
        await systems.assignProductVersion(s.clientId, productVersionId, SEED_CALLER);
        action += `, product version ${productVersionId}`;
      }
      if (s.live && (await systems.get(s.clientId)).lifecycle !== 'live') {
        const certificate = await bringLive(onboarding, s.clientId, SEED_CALLER, SEED_REASON);
        action += certificate ? ', live (demo certificate)' : ', live (national act: no scheme)';
      }
      summary.push({
        alias: s.alias,
        clientId: s.clientId,
        odsCode: s.odsCode,
        region: s.region,
        action,
        keyFile,
      });
    }
  } finally {
    await ctx.close();
  }
  const index = {
    tokenUrl: tokenEndpointUrl(config),
    systems: summary.map(({ alias, clientId, odsCode, region }) => ({
      alias,
      clientId,
      odsCode,
      region,
    })),
  };
  writeFileSync(join(demoDir, 'systems.json'), `${JSON.stringify(index, null, 2)}\n`, {
    mode: 0o600,
  });
  const staff = writeDemoStaff(demoDir);
  for (const s of summary)
    process.stdout.write(
      `${s['action']?.padEnd(12)} ${s['alias']?.padEnd(9)} ${s['clientId']} (${s['odsCode']}, ${s['region']})\n`,
    );
  process.stdout.write(`demo keys in ${demoDir}; token URL ${index.tokenUrl}\n`);
  process.stdout.write(
    `console users (${staff.map((m) => m.role).join(', ')}) in ${demoDir}/staff.json\n`,
  );
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      process.stderr.write(`seed failed: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(1);
    },
  );
}

export function readDemoIndex(dir: string): unknown {
  return JSON.parse(readFileSync(join(dir, 'systems.json'), 'utf8'));
}
