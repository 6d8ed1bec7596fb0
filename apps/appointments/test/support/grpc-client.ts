import { withTestServiceIdentity } from '@trellis/auth';
import {
  credentials,
  loadPackageDefinition,
  Metadata,
  type Client,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath, PROTO_ROOT } from '@trellis/contracts';
import { decodeGrpcError, type DecodedGrpcError } from '@trellis/platform';

type Unary = (
  req: unknown,
  md: Metadata,
  cb: (err: ServiceError | null, res: unknown) => void,
) => void;

/** A plain grpc-js client (what a local system would use) for both appointments services. */
export class AppointmentsGrpcClient {
  private readonly schedule: Client & Record<string, Unary>;
  private readonly appointment: Client & Record<string, Unary>;

  constructor(address: string) {
    const def = loadSync(protoPath('trellis/appointments/v1/appointments.proto'), {
      includeDirs: [PROTO_ROOT],
      keepCase: false,
      longs: Number,
      enums: Number,
      defaults: true,
      oneofs: true,
    });
    type Ctor = new (
      a: string,
      c: ReturnType<typeof credentials.createInsecure>,
    ) => Client & Record<string, Unary>;
    const pkg = loadPackageDefinition(def) as unknown as {
      trellis: { appointments: { v1: { ScheduleService: Ctor; AppointmentService: Ctor } } };
    };
    this.schedule = new pkg.trellis.appointments.v1.ScheduleService(
      address,
      credentials.createInsecure(),
    );
    this.appointment = new pkg.trellis.appointments.v1.AppointmentService(
      address,
      credentials.createInsecure(),
    );
  }

  /** Calls `Service/Method` (e.g. 'AppointmentService/BookAppointment') with an optional bearer token. */
  call<T = Record<string, unknown>>(path: string, req: unknown, token?: string): Promise<T> {
    const [svc, method] = path.split('/') as [string, string];
    const client = svc === 'ScheduleService' ? this.schedule : this.appointment;
    const fn = client[method.charAt(0).toLowerCase() + method.slice(1)];
    if (!fn) throw new Error(`no method ${path}`);
    const md = new Metadata();
    if (token) md.set('authorization', `Bearer ${token}`);
    withTestServiceIdentity(md); // as the gateway forwards it
    return new Promise((resolve, reject) =>
      fn.call(client, req, md, (err, res) => (err ? reject(err) : resolve(res as T))),
    );
  }

  /** The call must fail: returns the decoded status (code, ErrorInfo reason, field violations). */
  async fail(path: string, req: unknown, token?: string): Promise<DecodedGrpcError> {
    try {
      await this.call(path, req, token);
    } catch (e) {
      return decodeGrpcError(e as ServiceError);
    }
    throw new Error(`${path} succeeded but should have failed`);
  }

  close(): void {
    this.schedule.close();
    this.appointment.close();
  }
}

export function ts(d: Date): { seconds: number; nanos: number } {
  return { seconds: Math.floor(d.getTime() / 1000), nanos: (d.getTime() % 1000) * 1_000_000 };
}
