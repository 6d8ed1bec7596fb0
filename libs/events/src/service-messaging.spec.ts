import { baseConfigSchema, HealthRegistry, loadConfig, ShutdownHooks } from '@trellis/service-kit';

import { startServiceMessaging } from './service-messaging';

function configWithoutKafka() {
  return {
    ...loadConfig(baseConfigSchema, {
      SERVICE_NAME: 'appointments',
      DATABASE_URL: 'postgresql://trellis:pw@127.0.0.1:5432/trellis',
      DATABASE_SCHEMA: 'appointments',
    }),
    DATABASE_URL: 'postgresql://trellis:pw@127.0.0.1:5432/trellis',
    DATABASE_SCHEMA: 'appointments',
    OUTBOX_RELAY_ENABLED: true,
  };
}

describe('startServiceMessaging', () => {
  it('starts nothing and registers nothing when the service has no Kafka brokers', async () => {
    const hooks = new ShutdownHooks();
    const health = new HealthRegistry();
    const started = await startServiceMessaging({ config: configWithoutKafka(), hooks, health });
    expect(started).toEqual({});
    expect(hooks.list()).toEqual([]);
    expect(health.names()).toEqual([]);
  });

  it('refuses to start a consume-only service without Kafka', async () => {
    await expect(
      startServiceMessaging({
        config: configWithoutKafka(),
        hooks: new ShutdownHooks(),
        health: new HealthRegistry(),
        kafkaRequired: true,
      }),
    ).rejects.toThrow('KAFKA_BROKERS is required');
  });
});
