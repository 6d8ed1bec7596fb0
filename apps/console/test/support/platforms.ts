// The platform the console's pages read beyond the audit stack: the conformance service
// (scorecards, counting the gateway's access and violation topics), a real process from its own
// entry point on a fresh schema.
import { forwardedTestKit } from '@trellis/auth/testing';
import { conformance } from '@trellis/contracts';
import {
  createTestSchema,
  serviceEnv,
  spawnService,
  uniqueGroupId,
  type ServiceProcess,
  type TestSchema,
  withTypedClient,
} from '@trellis/testing';

export interface Platform {
  process: ServiceProcess;
  schema: TestSchema;
  stop(): Promise<void>;
}

async function spawnPlatform(
  name: 'conformance',
  port: number,
  gatewayUrl: string,
  settings: Record<string, string>,
): Promise<Platform> {
  const schema = await createTestSchema(name);
  try {
    const child = await spawnService({
      name,
      env: serviceEnv({
        SERVICE_NAME: name,
        DATABASE_SCHEMA: schema.schema,
        GRPC_HOST: '127.0.0.1',
        GRPC_PORT: String(port),
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        LOG_LEVEL: 'warn',
        GATEWAY_URL: gatewayUrl,
        AUTH_ISSUER: gatewayUrl,
        AUTH_JWKS_URL: `${gatewayUrl}/.well-known/jwks.json`,
        SHUTDOWN_TIMEOUT_MS: '5000',
        ...settings,
      }),
      ready: { grpc: `127.0.0.1:${port}` },
      readyTimeoutMs: 90_000,
      stopTimeoutMs: 8_000,
    });
    return {
      process: child,
      schema,
      async stop() {
        await child.stop().catch(() => undefined);
        await schema.drop();
      },
    };
  } catch (e) {
    await schema.drop().catch(() => undefined);
    throw e;
  }
}

export function startConformance(
  port: number,
  gatewayUrl: string,
  topics: { access: string; violation: string; compliance: string; systems: string },
): Promise<Platform> {
  return spawnPlatform('conformance', port, gatewayUrl, {
    CONFORMANCE_ACCESS_TOPIC: topics.access,
    // the suspension feed: which region each system is in (a regional authority reads its own)
    CONFORMANCE_SYSTEM_TOPIC: topics.systems,
    CONFORMANCE_VIOLATION_TOPIC: topics.violation,
    CONFORMANCE_COMPLIANCE_TOPIC: topics.compliance,
    CONFORMANCE_GROUP: uniqueGroupId('console-sc'),
  });
}

/** The operator's OverrideCompliance on the conformance service (no console page does it yet). */
export async function overrideCompliance(
  address: string,
  token: string,
  productVersionId: string,
  reason: string,
): Promise<void> {
  const kit = forwardedTestKit({ serviceIdentity: false });
  await withTypedClient(address, conformance.v1.ScorecardServiceDefinition, kit, (client) =>
    client.overrideCompliance({ productVersionId, reason, hours: 1 }, kit.as(token)),
  );
}
