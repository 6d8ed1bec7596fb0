import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import type { Logger } from 'pino';
import type { BaseConfig } from './config';
import { CONFIG } from './config';
import { AllExceptionsFilter } from './exception.filter';
import { GrpcHealthService } from './grpc/health.service';
import { HealthRegistry } from './health-registry';
import { HealthHttpController } from './http/health.controller';
import { LOGGER, PinoLoggerService } from './logger';
import { InFlightTracker, RequestContextInterceptor } from './request.interceptor';
import { ShutdownHooks } from './shutdown-hooks';

export interface ServiceKitModuleOptions {
  config: BaseConfig;
  logger: Logger;
  health?: HealthRegistry;
  shutdownHooks?: ShutdownHooks;
  grpcHealth?: GrpcHealthService;
  inFlight?: InFlightTracker;
}

/**
 * Global providers every service gets: CONFIG, LOGGER (pino), PinoLoggerService, HealthRegistry,
 * ShutdownHooks, GrpcHealthService, the catch-all filter, the request-context interceptor and
 * HTTP /health/live + /health/ready. bootstrapService() imports it; tests may use it directly.
 */
@Global()
@Module({})
export class ServiceKitModule {
  static forRoot(options: ServiceKitModuleOptions): DynamicModule {
    const health = options.health ?? new HealthRegistry();
    const hooks = options.shutdownHooks ?? new ShutdownHooks();
    const grpcHealth = options.grpcHealth ?? new GrpcHealthService(() => health.isReady());
    const inFlight = options.inFlight ?? new InFlightTracker();
    return {
      module: ServiceKitModule,
      global: true,
      controllers: [HealthHttpController],
      providers: [
        { provide: CONFIG, useValue: options.config },
        { provide: LOGGER, useValue: options.logger },
        { provide: PinoLoggerService, useValue: new PinoLoggerService(options.logger) },
        { provide: HealthRegistry, useValue: health },
        { provide: ShutdownHooks, useValue: hooks },
        { provide: GrpcHealthService, useValue: grpcHealth },
        { provide: InFlightTracker, useValue: inFlight },
        { provide: APP_FILTER, useClass: AllExceptionsFilter },
        { provide: APP_INTERCEPTOR, useClass: RequestContextInterceptor },
      ],
      exports: [
        CONFIG,
        LOGGER,
        PinoLoggerService,
        HealthRegistry,
        ShutdownHooks,
        GrpcHealthService,
        InFlightTracker,
      ],
    };
  }
}
