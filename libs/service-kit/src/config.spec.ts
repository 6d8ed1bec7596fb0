import { z } from 'zod';
import {
  baseConfigSchema,
  ConfigValidationError,
  kafkaConnection,
  loadConfig,
  requiredKafkaConfig,
  serviceDatabaseConfig,
} from './config';

const valid = {
  SERVICE_NAME: 'identity',
  GRPC_PORT: '50051',
  HTTP_PORT: '8081',
  DATABASE_URL: 'postgresql://trellis:pw@127.0.0.1:5432/trellis',
  DATABASE_SCHEMA: 'identity',
  KAFKA_BROKERS: '127.0.0.1:9092, 127.0.0.2:9092',
  KAFKA_SASL_MECHANISM: 'scram-sha-512',
  KAFKA_SASL_USERNAME: 'trellis',
  KAFKA_SASL_PASSWORD: 's3cret',
};

function issuesOf(fn: () => unknown): ConfigValidationError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigValidationError) return e;
    throw e;
  }
  throw new Error('expected ConfigValidationError');
}

describe('loadConfig', () => {
  it('parses and coerces a valid environment, with defaults', () => {
    const cfg = loadConfig(baseConfigSchema, valid);
    expect(cfg).toMatchObject({
      SERVICE_NAME: 'identity',
      GRPC_PORT: 50051,
      HTTP_PORT: 8081,
      KAFKA_BROKERS: ['127.0.0.1:9092', '127.0.0.2:9092'],
      KAFKA_SSL: false,
      LOG_LEVEL: 'info',
      SHUTDOWN_TIMEOUT_MS: 10_000,
    });
    expect(kafkaConnection(cfg)).toEqual({
      clientId: 'identity',
      brokers: ['127.0.0.1:9092', '127.0.0.2:9092'],
      ssl: false,
      sasl: { mechanism: 'scram-sha-512', username: 'trellis', password: 's3cret' },
    });
  });

  it('reports every problem at once, type and cross-field alike, without echoing secrets', () => {
    const err = issuesOf(() =>
      loadConfig(baseConfigSchema, {
        SERVICE_NAME: 'Identity!',
        GRPC_PORT: '70000',
        HTTP_PORT: 'abc',
        DATABASE_URL: 'mysql://u:topsecret@h/db',
        KAFKA_BROKERS: 'no-port',
        KAFKA_SASL_MECHANISM: 'scram-sha-512',
        LOG_LEVEL: 'loud',
        SHUTDOWN_TIMEOUT_MS: '-1',
      }),
    );
    expect(err.issues.map((i) => i.key).sort()).toEqual(
      [
        'DATABASE_URL',
        'GRPC_PORT',
        'HTTP_PORT',
        'KAFKA_BROKERS',
        'KAFKA_SASL_PASSWORD',
        'KAFKA_SASL_USERNAME',
        'LOG_LEVEL',
        'SERVICE_NAME',
        'SHUTDOWN_TIMEOUT_MS',
      ].sort(),
    );
    expect(err.message).toMatch(/^Invalid configuration for Identity! \(9 problems\):/);
    expect(err.message).toContain('KAFKA_SASL_USERNAME: required when KAFKA_SASL_MECHANISM is set');
    expect(err.message).toContain('got "loud"');
    expect(err.message).not.toContain('topsecret');
  });

  it('extends per app, treats empty strings as unset and names missing required keys', () => {
    const appSchema = baseConfigSchema.extend({
      DATABASE_URL: z.url(),
      IDENTITY_MATCH_THRESHOLD: z.coerce.number().min(0).max(1),
    });
    const err = issuesOf(() =>
      loadConfig(appSchema, { SERVICE_NAME: 'identity', DATABASE_URL: '' }),
    );
    expect(err.issues).toEqual([
      { key: 'DATABASE_URL', message: 'required' },
      { key: 'IDENTITY_MATCH_THRESHOLD', message: 'required' },
    ]);
    const cfg = loadConfig(appSchema, { ...valid, IDENTITY_MATCH_THRESHOLD: '0.8' });
    expect(cfg.IDENTITY_MATCH_THRESHOLD).toBe(0.8);
  });

  it('refuses equal gRPC and HTTP ports and takes SERVICE_NAME from the defaults', () => {
    const err = issuesOf(() =>
      loadConfig(baseConfigSchema, { GRPC_PORT: '9000', HTTP_PORT: '9000' }, { SERVICE_NAME: 'x' }),
    );
    expect(err.issues).toEqual([{ key: 'HTTP_PORT', message: 'must differ from GRPC_PORT' }]);
  });

  it("makes a service's database and Kafka keys required, the schema defaulting to its own", () => {
    const appSchema = baseConfigSchema.extend({
      ...serviceDatabaseConfig('referrals', 20),
      ...requiredKafkaConfig,
    });
    const err = issuesOf(() => loadConfig(appSchema, { SERVICE_NAME: 'referrals' }));
    expect(err.issues.map((i) => i.key)).toEqual(['DATABASE_URL', 'KAFKA_BROKERS']);
    const cfg = loadConfig(appSchema, { ...valid, DATABASE_SCHEMA: '' });
    expect(cfg).toMatchObject({ DATABASE_SCHEMA: 'referrals', DATABASE_POOL_SIZE: 20 });
    expect(cfg.KAFKA_BROKERS).toEqual(['127.0.0.1:9092', '127.0.0.2:9092']);
    const bad = issuesOf(() => loadConfig(appSchema, { ...valid, DATABASE_SCHEMA: 'Bad-Name' }));
    expect(bad.issues[0]?.key).toBe('DATABASE_SCHEMA');
  });
});
