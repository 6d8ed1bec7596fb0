/** The part of a generated PrismaClient the lifecycle needs. */
export interface PrismaClientLike {
  $connect(): Promise<void>;
  $disconnect(): Promise<void>;
  $queryRaw<T = unknown>(query: TemplateStringsArray, ...values: unknown[]): Promise<T>;
}

export interface PrismaLifecycleOptions {
  /** Connect (and run `SELECT 1`) at module init, failing boot if the database is unreachable. Default true. */
  connectOnInit?: boolean;
  /** Called with a short message on connect/disconnect (plug the app's logger in). */
  log?: (message: string) => void;
}

/**
 * Nest-friendly lifecycle around a PrismaClient, without importing Nest (Nest calls these hooks
 * by name). Each app wraps it in its own provider:
 *
 *   @Injectable()
 *   export class PrismaService extends PrismaLifecycle<PrismaClient> implements OnModuleInit, OnApplicationShutdown {
 *     constructor(config: IdentityConfig) {
 *       super(createPrismaClient(PrismaClient, { url: config.databaseUrl, schema: config.databaseSchema }));
 *     }
 *   }
 *
 * Disconnect happens in `onApplicationShutdown` — after every `onModuleDestroy` — so outbox
 * relays and consumers can still flush through the client while they stop.
 */
export class PrismaLifecycle<TClient extends PrismaClientLike> {
  private connected = false;

  constructor(
    readonly client: TClient,
    private readonly lifecycleOptions: PrismaLifecycleOptions = {},
  ) {}

  async onModuleInit(): Promise<void> {
    if (this.lifecycleOptions.connectOnInit === false) return;
    await this.client.$connect();
    await this.client.$queryRaw`SELECT 1`;
    this.connected = true;
    this.lifecycleOptions.log?.('database connected');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.disconnect();
  }

  async disconnect(): Promise<void> {
    await this.client.$disconnect();
    if (this.connected) this.lifecycleOptions.log?.('database disconnected');
    this.connected = false;
  }

  /** Readiness probe: true when a trivial query succeeds within `timeoutMs`. */
  async isReady(timeoutMs = 2000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<false>((resolve) => {
      timer = setTimeout(() => resolve(false), timeoutMs);
    });
    try {
      return await Promise.race([this.client.$queryRaw`SELECT 1`.then(() => true), timeout]);
    } catch {
      return false;
    } finally {
      clearTimeout(timer);
    }
  }
}
