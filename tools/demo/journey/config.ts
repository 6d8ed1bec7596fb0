import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const ROOT = resolve(__dirname, '..', '..', '..');

export interface JourneyConfig {
  gatewayUrl: string;
  gatewayGrpc: string;
  identityGrpc: string;
  appointmentsGrpc: string;
  referralsGrpc: string;
  resultsGrpc: string;
  /** The gateway's gRPC front door: where local systems' gRPC goes (the platforms admit only the gateway). */
  frontDoorGrpc: string;
  demoDir: string;
  kafkaBrokers: string[];
  kafkaUser: string;
  kafkaPassword: string;
  /** Region of the GP practice (the patient's home region). */
  homeRegion: string;
  /** A region with no part in the journey (its authority must see nothing). */
  otherRegion: string;
}

function loadEnvFile(file: string): void {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return;
  }
  for (const line of text.split('\n')) {
    const m = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (m && process.env[m[1]!] === undefined) process.env[m[1]!] = m[2]!;
  }
}

export function journeyConfigFromEnv(): JourneyConfig {
  loadEnvFile(join(ROOT, '.trellis', 'infra.env'));
  loadEnvFile(join(ROOT, 'deploy', 'local', 'ports.env'));
  const env = process.env;
  const need = (name: string): string => {
    const v = env[name];
    if (!v) throw new Error(`${name} is not set (deploy/local/ports.env, .trellis/infra.env)`);
    return v;
  };
  return {
    gatewayUrl: need('GATEWAY_URL').replace(/\/+$/, ''),
    gatewayGrpc: need('GATEWAY_GRPC_ADDR'),
    identityGrpc: need('IDENTITY_GRPC_ADDR'),
    appointmentsGrpc: need('APPOINTMENTS_GRPC_ADDR'),
    referralsGrpc: need('REFERRALS_GRPC_ADDR'),
    resultsGrpc: need('RESULTS_GRPC_ADDR'),
    frontDoorGrpc: need('FRONTDOOR_GRPC_ADDR'),
    demoDir: env.TRELLIS_DEMO_DIR ?? join(ROOT, '.trellis', 'demo'),
    kafkaBrokers: need('KAFKA_BROKERS').split(','),
    kafkaUser: need('KAFKA_SASL_USERNAME'),
    kafkaPassword: need('KAFKA_SASL_PASSWORD'),
    homeRegion: env.JOURNEY_HOME_REGION ?? 'north-east',
    otherRegion: env.JOURNEY_OTHER_REGION ?? 'south-west',
  };
}
