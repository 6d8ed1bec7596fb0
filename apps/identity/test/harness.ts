import * as grpcJs from '@grpc/grpc-js';
import { StaticSystemStatusFeed } from '@trellis/auth';
import { createTestAuthority, forwardedTestKit, type TestAuthority } from '@trellis/auth/testing';
import { identity } from '@trellis/contracts';
import {
  bootstrapService,
  type DecodedGrpcError,
  type ForwardCallOptions,
  type ServiceHandle,
} from '@trellis/service-kit';
import {
  createTestSchema,
  freePort,
  loadInfraEnv,
  TypedTestClients,
  type TestSchema,
} from '@trellis/testing';
import type { Client as TypedClient } from 'nice-grpc';
import { Client } from 'pg';
import { createIdentityModule } from '../src/app/app.module';
import { identityConfigSchema } from '../src/app/config';

export const ALL_SCOPES = [
  'system/Patient.cruds',
  'trellis/restricted.read',
  'trellis/identity.admin',
];

export interface IdentityHarness {
  schema: TestSchema;
  handle: ServiceHandle;
  authority: TestAuthority;
  /** A PatientService client calling with a token carrying `scopes` (default: everything). */
  client(
    scopes?: readonly string[],
    identityOverrides?: { systemId?: string; odsCode?: string; region?: string },
  ): PatientClient;
  /** Direct SQL against the test schema (assertions only). */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
  rangeFirst: number;
  rangeLast: number;
}

/** A typed PatientService client (generated from proto/: a renamed RPC or field fails the typecheck). */
export type PatientClient = TypedClient<
  typeof identity.v1.PatientServiceDefinition,
  ForwardCallOptions
>;

/** Calls as the gateway forwards a local system's call: its bearer token plus the gateway's service token. */
const kit = forwardedTestKit({ deadlineMs: 60_000 });

class IdentityGrpcClients extends TypedTestClients<ForwardCallOptions, DecodedGrpcError> {
  /** A PatientService client whose every call presents the token `token` resolves to. */
  patients(token: Promise<string>): PatientClient {
    return this.clientAs(identity.v1.PatientServiceDefinition, token);
  }
}

export interface StartOptions {
  env?: Record<string, string>;
  relay?: boolean;
  /** NHS number bases reserved for this run (default 1,000). */
  rangeSize?: number;
}

export async function startIdentity(options: StartOptions = {}): Promise<IdentityHarness> {
  const infra = loadInfraEnv();
  const schema = await createTestSchema('identity');
  const authority = await createTestAuthority();
  const port = await freePort();
  // a range of NHS numbers private to this run, so Kafka keys never collide with earlier runs
  const rangeSize = options.rangeSize ?? 1_000;
  const rangeFirst = 999_000_000 + Math.floor(Math.random() * (900_000 / rangeSize)) * rangeSize;
  const rangeLast = rangeFirst + rangeSize - 1;
  const handle = await bootstrapService({
    name: 'identity',
    module: createIdentityModule({
      authKeySet: authority.keySet,
      authIssuer: authority.issuer,
      statusFeed: new StaticSystemStatusFeed(),
    }),
    config: identityConfigSchema,
    env: {
      ...infra,
      SERVICE_NAME: 'identity',
      DATABASE_SCHEMA: schema.schema,
      GRPC_HOST: '127.0.0.1',
      GRPC_PORT: String(port),
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      LOG_LEVEL: 'warn',
      AUTH_ISSUER: authority.issuer,
      DATABASE_POOL_SIZE: '20',
      NHS_NUMBER_RANGE_NAME: 'test_run',
      NHS_NUMBER_RANGE_FIRST: String(rangeFirst),
      NHS_NUMBER_RANGE_LAST: String(rangeLast),
      OUTBOX_RELAY_ENABLED: String(options.relay ?? false),
      ...options.env,
    },
    grpc: {
      packages: ['trellis.identity.v1', 'trellis.records.v1'],
      protoFiles: ['trellis/identity/v1/identity.proto', 'trellis/records/v1/records.proto'],
    },
    handleSignals: false,
  });
  const grpc = new IdentityGrpcClients(`127.0.0.1:${port}`, kit);
  const pg = new Client({
    connectionString: infra.DATABASE_URL,
    options: `-c search_path=${schema.schema},public`,
  });
  await pg.connect();

  const client = (
    scopes: readonly string[] = ALL_SCOPES,
    who: { systemId?: string; odsCode?: string; region?: string } = {},
  ) => {
    const tokenPromise = authority.issue({
      scopes,
      systemId: who.systemId ?? 'test-gp-system',
      odsCode: who.odsCode ?? 'A81001',
      region: who.region ?? 'north-east',
      lifetimeSeconds: 300,
    });
    return grpc.patients(tokenPromise);
  };

  return {
    schema,
    handle,
    authority,
    rangeFirst,
    rangeLast,
    client,
    async sql<T>(text: string, params: unknown[] = []) {
      return (await pg.query(text, params)).rows as T[];
    },
    async close() {
      grpc.close();
      await pg.end();
      await handle.shutdown('test done');
      await schema.drop();
    },
  };
}

/** Awaits a call expected to fail and returns the decoded rich error. */
export async function rpcError(promise: Promise<unknown>): Promise<DecodedGrpcError> {
  try {
    await promise;
  } catch (err) {
    const decoded = kit.decode(err);
    if (decoded) return decoded;
    throw err;
  }
  throw new Error('expected the call to fail');
}

export const Status = grpcJs.status;

/** A registration request for a synthetic person. */
export function person(
  over: Partial<{
    family: string;
    given: string[];
    birthDate: string;
    gender: identity.v1.Gender;
    postcode: string;
    gp: string;
    confidentiality: identity.v1.Confidentiality;
  }> = {},
): identity.v1.PatientDetails {
  return {
    names: [
      {
        use: identity.v1.NameUse.NAME_USE_USUAL,
        family: over.family ?? 'Smith',
        given: over.given ?? ['John'],
        prefix: [],
        period: undefined,
      },
    ],
    gender: over.gender ?? identity.v1.Gender.GENDER_MALE,
    birthDate: over.birthDate ?? '1980-03-07',
    addresses: [
      {
        use: identity.v1.AddressUse.ADDRESS_USE_HOME,
        lines: ['1 High Street'],
        city: 'Leeds',
        district: '',
        postcode: over.postcode ?? 'LS1 4AP',
        period: undefined,
      },
    ],
    telecom: [
      {
        system: identity.v1.TelecomSystem.TELECOM_SYSTEM_PHONE,
        value: '0113 496 0000',
        use: identity.v1.TelecomUse.TELECOM_USE_HOME,
        period: undefined,
      },
    ],
    gpOdsCode: over.gp ?? 'B82001',
    gpStart: '',
    confidentiality: over.confidentiality ?? identity.v1.Confidentiality.CONFIDENTIALITY_NORMAL,
  };
}
