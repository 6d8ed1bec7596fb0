// Standard grpc.health.v1.Health for grpc-js, per-service status, NOT_SERVING while shutting down.
// Service "" = the whole server (readiness: registered checks must pass); "liveness" = the process
// is up (use it for liveness probes so a database outage does not restart pods).
import {
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status as GrpcStatus,
} from '@grpc/grpc-js';
import type { PackageDefinition, ServiceDefinition } from '@grpc/proto-loader';
import { grpc } from '@trellis/contracts';

type ServingStatus = grpc.health.v1.HealthCheckResponse_ServingStatus;
const { SERVING, NOT_SERVING, SERVICE_UNKNOWN } = grpc.health.v1.HealthCheckResponse_ServingStatus;

export const LIVENESS_SERVICE = 'liveness';

interface HealthRequest {
  service?: string;
}

export class GrpcHealthService {
  private readonly statuses = new Map<string, ServingStatus>();
  private readonly watchers = new Set<{
    service: string;
    call: ServerWritableStream<HealthRequest, unknown>;
  }>();
  private shuttingDown = false;

  /** `readiness` decides the "" (overall) status while serving, e.g. HealthRegistry.isReady. */
  constructor(private readonly readiness: () => Promise<boolean> = async () => true) {
    this.statuses.set('', SERVING);
    this.statuses.set(LIVENESS_SERVICE, SERVING);
  }

  setStatus(service: string, status: ServingStatus): void {
    this.statuses.set(service, status);
    for (const w of this.watchers) if (w.service === service) w.call.write({ status });
  }

  /** Marks every service NOT_SERVING (first step of shutdown) and tells watchers. */
  markShuttingDown(): void {
    this.shuttingDown = true;
    for (const service of this.statuses.keys()) this.setStatus(service, NOT_SERVING);
  }

  /** Ends open Watch streams (they would otherwise hold the graceful drain open). */
  endWatches(): void {
    for (const w of this.watchers) w.call.end();
    this.watchers.clear();
  }

  isShuttingDown(): boolean {
    return this.shuttingDown;
  }

  async check(service: string): Promise<ServingStatus | undefined> {
    const status = this.statuses.get(service);
    if (status === undefined) return undefined;
    if (this.shuttingDown) return NOT_SERVING;
    if (service === LIVENESS_SERVICE) return SERVING;
    if (status !== SERVING) return status;
    return (await this.readiness()) ? SERVING : NOT_SERVING;
  }

  addToServer(server: Pick<Server, 'addService'>, healthDefinition: PackageDefinition): void {
    const def = healthDefinition['grpc.health.v1.Health'] as ServiceDefinition | undefined;
    if (!def) throw new Error('grpc.health.v1.Health not found in the package definition');
    server.addService(def, {
      Check: (call: ServerUnaryCall<HealthRequest, unknown>, callback: sendUnaryData<unknown>) => {
        const service = call.request.service ?? '';
        this.check(service).then(
          (status) =>
            status === undefined
              ? callback({ code: GrpcStatus.NOT_FOUND, details: `unknown service "${service}"` })
              : callback(null, { status }),
          () => callback(null, { status: NOT_SERVING }),
        );
      },
      Watch: (call: ServerWritableStream<HealthRequest, unknown>) => {
        const service = call.request.service ?? '';
        const watcher = { service, call };
        this.watchers.add(watcher);
        call.on('cancelled', () => this.watchers.delete(watcher));
        this.check(service).then(
          (status) => call.write({ status: status ?? SERVICE_UNKNOWN }),
          () => call.write({ status: NOT_SERVING }),
        );
        if (this.shuttingDown) {
          this.watchers.delete(watcher);
          call.end();
        }
      },
    });
  }
}
