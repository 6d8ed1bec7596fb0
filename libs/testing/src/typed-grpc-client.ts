// Typed gRPC test clients: what every platform's test support shares (one channel, the caller's
// token as call options, "this call must fail" decoding, a method looked up by its path). The
// clients are nice-grpc clients of the ts-proto generated definitions, so a renamed RPC or field
// fails the typecheck. The middleware (deadline, metadata, rich error decoding) is the services' own,
// passed in as a kit: this library stays below the domain libraries that provide it.
import {
  ChannelCredentials,
  createChannel,
  createClientFactory,
  type CallOptions,
  type Channel,
  type Client,
  type ClientMiddleware,
  type ClientMiddlewareCall,
  type CompatServiceDefinition,
} from 'nice-grpc';

/** How a suite's typed clients call: the shared client middleware and how its failures read. */
export interface TypedTestKit<Options, Failure> {
  /** The client middleware every call goes through (the services' forwarding middleware). */
  middleware: ClientMiddleware<Options>;
  /** The call options of a caller presenting `token` (none: unauthenticated) and further metadata. */
  as(token?: string, headers?: Readonly<Record<string, string>>): Options;
  /** The decoded status of a failed call; `undefined` when `error` is not a failed call. */
  decode(error: unknown): Failure | undefined;
}

/** A service definition as ts-proto's generic definitions declare it. */
type DefinitionWithName = CompatServiceDefinition & {
  fullName: string;
  methods: Record<string, { name: string }>;
};

/**
 * The base of a platform's typed test client: subclasses declare their typed service clients with
 * `this.client(Definition)` and keep only what is their own.
 */
export class TypedTestClients<Options extends object, Failure> {
  protected readonly channel: Channel;

  /**
   * @param services the proto package's generated namespace (e.g. `appointments.v1`), for
   * `method(path)`; omit when the suite never walks methods by path.
   */
  constructor(
    address: string,
    protected readonly kit: TypedTestKit<Options, Failure>,
    private readonly services: Readonly<Record<string, unknown>> = {},
  ) {
    this.channel = createChannel(address, ChannelCredentials.createInsecure());
  }

  /** A typed client of `definition` on this channel, through `kit`'s middleware. */
  protected client<D extends CompatServiceDefinition>(
    definition: D,
    kit: TypedTestKit<Options, Failure> = this.kit,
  ): Client<D, Options> {
    return createClientFactory().use(kit.middleware).create(definition, this.channel);
  }

  /**
   * A typed client of `definition` whose every call presents the token `token` resolves to (a
   * suite that issues its token while it builds the client, and calls without options).
   */
  protected clientAs<D extends CompatServiceDefinition>(
    definition: D,
    token: Promise<string>,
  ): Client<D, Options> {
    const as = this.kit.as.bind(this.kit);
    async function* presenting<Req, Res>(
      call: ClientMiddlewareCall<Req, Res>,
      options: CallOptions,
    ): AsyncGenerator<Res, Res | void, undefined> {
      return yield* call.next(call.request, { ...options, ...as(await token) });
    }
    return createClientFactory()
      .use(this.kit.middleware)
      .use(presenting)
      .create(definition, this.channel);
  }

  /** The call options of a caller presenting `token` (none: an unauthenticated call). */
  as(token?: string, headers?: Readonly<Record<string, string>>): Options {
    return this.kit.as(token, headers);
  }

  /** The call must fail: returns the decoded status (code, ErrorInfo reason, field violations). */
  async fail(call: Promise<unknown>): Promise<Failure> {
    try {
      await call;
    } catch (e) {
      const decoded = this.kit.decode(e);
      if (decoded !== undefined) return decoded;
      throw e;
    }
    throw new Error('the call succeeded but should have failed');
  }

  /**
   * A method by its full path (`/trellis.appointments.v1.AppointmentService/BookAppointment`, as
   * the scope matrix names it) called with an empty request, for tests that walk every method of
   * every service of the package (services added to the proto are found too); `undefined` if no
   * such method.
   */
  method(path: string): ((options: Options) => Promise<unknown>) | undefined {
    for (const definition of Object.values(this.services)) {
      if (!isServiceDefinition(definition)) continue;
      for (const [key, m] of Object.entries(definition.methods)) {
        if (`/${definition.fullName}/${m.name}` !== path) continue;
        const client: Record<string, unknown> = this.client(definition);
        const call = client[key];
        if (typeof call !== 'function') return undefined;
        return (options) => Promise.resolve(call.call(client, {}, options));
      }
    }
    return undefined;
  }

  close(): void {
    this.channel.close();
  }
}

function isServiceDefinition(value: unknown): value is DefinitionWithName {
  return typeof value === 'object' && value !== null && 'fullName' in value && 'methods' in value;
}

/** One call (or a few) on a typed client of `definition` at `address`; the channel closes after. */
export async function withTypedClient<
  D extends CompatServiceDefinition,
  Options extends object,
  Failure,
  T,
>(
  address: string,
  definition: D,
  kit: TypedTestKit<Options, Failure>,
  use: (client: Client<D, Options>) => Promise<T>,
): Promise<T> {
  const channel = createChannel(address, ChannelCredentials.createInsecure());
  try {
    return await use(createClientFactory().use(kit.middleware).create(definition, channel));
  } finally {
    channel.close();
  }
}
