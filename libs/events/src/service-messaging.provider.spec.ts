import { Inject, Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import {
  baseConfigSchema,
  createLogger,
  loadConfig,
  ServiceKitModule,
  ShutdownHooks,
} from '@trellis/service-kit';

import { ServiceMessagingProvider, type ServiceMessagingPlan } from './service-messaging.provider';

const DEPENDENCY = Symbol('dependency');

function configWithoutKafka() {
  return {
    ...loadConfig(baseConfigSchema, { SERVICE_NAME: 'appointments', LOG_LEVEL: 'silent' }),
    DATABASE_URL: 'postgresql://trellis:pw@127.0.0.1:5432/trellis',
    DATABASE_SCHEMA: 'appointments',
    OUTBOX_RELAY_ENABLED: true,
  };
}
type Config = ReturnType<typeof configWithoutKafka>;

@Injectable()
class RecordingMessaging extends ServiceMessagingProvider<Config> {
  readonly steps: string[] = [];

  constructor(@Inject(DEPENDENCY) private readonly dependency: string) {
    super();
  }

  protected plan(): ServiceMessagingPlan {
    this.steps.push(`plan ${this.config.SERVICE_NAME} with ${this.dependency}`);
    return { config: this.config, kafkaRequired: this.config.SERVICE_NAME === 'router' };
  }

  protected override started(): void {
    this.steps.push(`started, hooks ${this.hooks.list().length}`);
  }
}

async function boot(serviceName: string) {
  const config = { ...configWithoutKafka(), SERVICE_NAME: serviceName };
  @Module({
    imports: [
      ServiceKitModule.forRoot({
        config,
        logger: createLogger({ service: serviceName, version: '0', level: 'silent' }),
      }),
    ],
    providers: [{ provide: DEPENDENCY, useValue: 'its own dependency' }, RecordingMessaging],
  })
  class TestModule {}
  return NestFactory.createApplicationContext(TestModule, { logger: false });
}

describe('ServiceMessagingProvider', () => {
  it('injects the platform pieces, runs the plan once Nest is up, then started()', async () => {
    const app = await boot('appointments');
    try {
      const messaging = app.get(RecordingMessaging);
      expect(messaging.steps).toEqual([
        'plan appointments with its own dependency',
        'started, hooks 0',
      ]);
      expect(messaging.relay).toBeUndefined();
      expect(messaging.consumer).toBeUndefined();
      expect(app.get(ShutdownHooks).list()).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('fails the boot of a consumer given no client where the service has no serviceInfraModule', async () => {
    @Injectable()
    class ClientlessConsumer extends ServiceMessagingProvider<Config> {
      protected plan(): ServiceMessagingPlan {
        return {
          consumer: {
            name: 'orphan-consumer',
            groupId: 'g',
            topics: ['t'],
            handle: async () => {},
          },
        };
      }
    }
    @Module({
      imports: [
        ServiceKitModule.forRoot({
          config: configWithoutKafka(),
          logger: createLogger({ service: 'appointments', version: '0', level: 'silent' }),
        }),
      ],
      providers: [ClientlessConsumer],
    })
    class ClientlessModule {}
    await expect(
      NestFactory.createApplicationContext(ClientlessModule, { logger: false }),
    ).rejects.toThrow('orphan-consumer: no Prisma client');
  });

  it('fails the boot of a consume-only service without Kafka', async () => {
    await expect(boot('router')).rejects.toThrow('KAFKA_BROKERS is required');
  });
});
