// bootstrapService: config -> logger -> Nest app (HTTP) + gRPC microservice with grpc.health.v1
// and reflection -> signal handling with graceful drain. Call startTelemetry() before importing this.
import type { Server } from '@grpc/grpc-js';
import type { PackageDefinition } from '@grpc/proto-loader';
import { Module, type INestApplication, type Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Transport, type GrpcOptions } from '@nestjs/microservices';
import { PROTO_ROOT, grpc } from '@trellis/contracts';
import { currentTelemetry } from '@trellis/telemetry';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { z } from 'zod';
import { baseConfigSchema, loadConfig, type BaseConfig } from './config';
import { GrpcHealthService } from './grpc/health.service';
import { HEALTH_PROTO, loadProtoPackageDefinition, serviceNames } from './grpc/loader';
import { createReflectionService, reflectionPackageDefinition } from './grpc/reflection';
import { HealthRegistry } from './health-registry';
import { createLogger, PinoLoggerService } from './logger';
import { ServiceKitModule } from './service-kit.module';
import { InFlightTracker } from './request.interceptor';
import { ShutdownHooks, type ShutdownHookResult } from './shutdown-hooks';

export interface BootstrapOptions<S extends z.ZodType<BaseConfig>> {
  /** Service name (default for SERVICE_NAME), e.g. "identity". */
  name: string;
  /** The app's root Nest module. */
  module: Type<unknown>;
  /** gRPC: proto packages to serve and proto files (relative to the proto root). */
  grpc: { packages: string[]; protoFiles: string[]; protoRoot?: string };
  /** zod schema extending baseConfigSchema (default: baseConfigSchema). */
  config?: S;
  /** Environment to validate (default process.env). */
  env?: Record<string, string | undefined>;
  /** Install SIGTERM/SIGINT handlers that shut down gracefully and exit (default true). */
  handleSignals?: boolean;
  /** process.exit after a signal-triggered shutdown (default true). */
  exitOnShutdown?: boolean;
  /**
   * Nest's global JSON/urlencoded body parsers (default true). false: the app parses only the
   * bodies its routes take, bounded, answering their limits in its own error format (413, not a
   * 500 from a parser that runs before any route).
   */
  bodyParser?: boolean;
}

export interface ShutdownReport {
  reason: string;
  durationMs: number;
  /** gRPC drained gracefully (false: deadline hit, connections were force-closed). */
  grpcDrained: boolean;
  hooks: ShutdownHookResult[];
  /** All steps finished within SHUTDOWN_TIMEOUT_MS. */
  clean: boolean;
}

export interface ServiceHandle<C extends BaseConfig = BaseConfig> {
  app: INestApplication;
  config: C;
  logger: Logger;
  health: HealthRegistry;
  grpcHealth: GrpcHealthService;
  shutdownHooks: ShutdownHooks;
  inFlight: InFlightTracker;
  grpcUrl: string;
  httpPort: number;
  /** Idempotent graceful shutdown (NOT_SERVING, stop accepting, drain, hooks, close). Never exits the process. */
  shutdown(reason?: string): Promise<ShutdownReport>;
}

export async function bootstrapService<S extends z.ZodType<BaseConfig> = typeof baseConfigSchema>(
  options: BootstrapOptions<S>,
): Promise<ServiceHandle<z.output<S>>> {
  const schema = (options.config ?? baseConfigSchema) as S;
  const config = loadConfig(schema, options.env ?? process.env, { SERVICE_NAME: options.name });
  const logger = createLogger({
    service: config.SERVICE_NAME,
    version: config.SERVICE_VERSION,
    level: config.LOG_LEVEL,
  });
  const nestLogger = new PinoLoggerService(logger);

  const health = new HealthRegistry();
  const shutdownHooks = new ShutdownHooks();
  const inFlight = new InFlightTracker();
  const grpcHealth = new GrpcHealthService(() => health.isReady());

  @Module({
    imports: [
      ServiceKitModule.forRoot({ config, logger, health, shutdownHooks, grpcHealth, inFlight }),
      options.module,
    ],
  })
  class TrellisServiceRootModule {}

  const app = await NestFactory.create(TrellisServiceRootModule, {
    logger: nestLogger,
    abortOnError: false,
    bodyParser: options.bodyParser ?? true,
  });

  const protoRoot = options.grpc.protoRoot ?? PROTO_ROOT;
  const packageDefinition: PackageDefinition = loadProtoPackageDefinition(
    [...options.grpc.protoFiles, HEALTH_PROTO],
    protoRoot,
  );
  const grpcUrl = `${config.GRPC_HOST}:${config.GRPC_PORT}`;
  let grpcServer: Server | undefined;
  app.connectMicroservice<GrpcOptions>(
    {
      transport: Transport.GRPC,
      options: {
        url: grpcUrl,
        package: options.grpc.packages,
        packageDefinition,
        gracefulShutdown: true,
        onLoadPackageDefinition: (def: PackageDefinition, server: Server) => {
          grpcServer = server;
          grpcHealth.addToServer(server, def);
          createReflectionService(
            reflectionPackageDefinition([...options.grpc.protoFiles, HEALTH_PROTO], protoRoot),
          ).addToServer(server);
          for (const svc of serviceNames(def, options.grpc.packages)) {
            grpcHealth.setStatus(svc, grpc.health.v1.HealthCheckResponse_ServingStatus.SERVING);
          }
        },
      },
    },
    { inheritAppConfig: true },
  );

  await app.startAllMicroservices();
  await app.listen(config.HTTP_PORT, config.HTTP_HOST);
  const httpPort = (app.getHttpServer().address() as AddressInfo).port;
  logger.info(
    {
      grpc: grpcUrl,
      http: httpPort,
      packages: options.grpc.packages,
      readiness_checks: health.names(),
    },
    `${config.SERVICE_NAME} started`,
  );

  let shuttingDown: Promise<ShutdownReport> | undefined;
  const shutdown = (reason = 'shutdown'): Promise<ShutdownReport> => {
    shuttingDown ??= runShutdown(reason);
    return shuttingDown;
  };

  async function runShutdown(reason: string): Promise<ShutdownReport> {
    const start = Date.now();
    const deadline = start + config.SHUTDOWN_TIMEOUT_MS;
    logger.info(
      { reason, in_flight: inFlight.current, timeout_ms: config.SHUTDOWN_TIMEOUT_MS },
      'shutting down',
    );
    // 1. NOT_SERVING everywhere (gRPC health, HTTP readiness)
    health.markShuttingDown();
    grpcHealth.markShuttingDown();
    if (config.SHUTDOWN_DRAIN_DELAY_MS > 0)
      await sleep(Math.min(config.SHUTDOWN_DRAIN_DELAY_MS, deadline - Date.now()));
    grpcHealth.endWatches();
    // 2. stop accepting, 3. drain in-flight calls (grpc-js tryShutdown: GOAWAY, waits for open streams)
    const grpcDrained = grpcServer ? await drainGrpc(grpcServer, deadline) : true;
    if (!grpcDrained)
      logger.warn(
        { in_flight: inFlight.current },
        'gRPC drain hit the deadline: connections force-closed',
      );
    // 4. shutdown hooks in order (outbox flush, consumers/producers, Prisma)
    const hooks = await shutdownHooks.runAll(deadline);
    for (const h of hooks) {
      if (h.ok) logger.info({ hook: h.name, duration_ms: h.durationMs }, 'shutdown hook done');
      else
        logger.error(
          { hook: h.name, duration_ms: h.durationMs, error: h.error },
          'shutdown hook failed',
        );
    }
    // 5. Nest lifecycle (onModuleDestroy/onApplicationShutdown) and the HTTP server
    const closed = await withDeadline(app.close(), deadline).catch((e: unknown) => {
      logger.error({ err: e }, 'app.close failed');
      return false;
    });
    await currentTelemetry()?.shutdown();
    const report: ShutdownReport = {
      reason,
      durationMs: Date.now() - start,
      grpcDrained,
      hooks,
      clean: grpcDrained && closed && hooks.every((h) => h.ok) && Date.now() <= deadline,
    };
    logger.info(
      { ...report, hooks: undefined, accepted_calls: inFlight.accepted },
      'shutdown complete',
    );
    return report;
  }

  if (options.handleSignals ?? true) {
    const onSignal = (signal: NodeJS.Signals) => {
      void shutdown(signal).then(
        (r) => {
          if (options.exitOnShutdown ?? true) process.exit(r.clean ? 0 : 1);
        },
        () => process.exit(1),
      );
    };
    process.once('SIGTERM', onSignal);
    process.once('SIGINT', onSignal);
  }

  return {
    app,
    config,
    logger,
    health,
    grpcHealth,
    shutdownHooks,
    inFlight,
    grpcUrl,
    httpPort,
    shutdown,
  };
}

/**
 * main.ts helper: bootstraps, and on failure (e.g. invalid config) prints one JSON log line with
 * every problem and exits 1.
 */
export async function runService<S extends z.ZodType<BaseConfig> = typeof baseConfigSchema>(
  options: BootstrapOptions<S>,
): Promise<ServiceHandle<z.output<S>>> {
  try {
    return await bootstrapService(options);
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    process.stderr.write(
      JSON.stringify({
        level: 'fatal',
        time: new Date().toISOString(),
        service: options.name,
        msg: err.message,
        ...(err.name === 'ConfigValidationError' ? {} : { stack: err.stack }),
      }) + '\n',
    );
    process.exit(1);
  }
}

function drainGrpc(server: Server, deadline: number): Promise<boolean> {
  return new Promise((resolve) => {
    const timer = setTimeout(
      () => {
        server.forceShutdown();
        resolve(false);
      },
      Math.max(0, deadline - Date.now()),
    );
    server.tryShutdown(() => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

async function withDeadline(p: Promise<unknown>, deadline: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const result = await Promise.race([
    p.then(() => true),
    new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(false), Math.max(0, deadline - Date.now()));
    }),
  ]);
  if (timer) clearTimeout(timer);
  return result;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));
}
