import {
  loadPackageDefinition,
  Server,
  ServerCredentials,
  status,
  type ServiceError,
  type ServerUnaryCall,
  type sendUnaryData,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { protoPath, PROTO_ROOT, type identity } from '@trellis/contracts';

export interface TestPatient {
  nhsNumber: string;
  deceasedAt?: Date;
  /** When set, this number was merged into that one. */
  mergedInto?: string;
  /** ODS code of the current GP registration (answered as patient.gp). */
  gpOdsCode?: string;
  /** Answer as identity does for a restricted record and a caller without restricted scope. */
  gpWithheld?: boolean;
}

/**
 * A real gRPC server implementing trellis.identity.v1.PatientService/GetPatient from the identity
 * contract (the identity platform's own behaviour for merged numbers: answer with the survivor and
 * superseded = true). Every other method answers UNIMPLEMENTED. It records the metadata it got.
 */
export class IdentityTestServer {
  readonly patients = new Map<string, TestPatient>();
  readonly calls: {
    nhsNumber: string;
    authorization: string | undefined;
    /** The gateway vouch the caller passed on (absent: none). */
    vouch?: string;
  }[] = [];
  failWith: status | undefined;
  private server = new Server();
  address = '';

  add(...patients: TestPatient[]): void {
    for (const p of patients) this.patients.set(p.nhsNumber, p);
  }

  async start(): Promise<string> {
    const def = loadSync(protoPath('trellis/identity/v1/identity.proto'), {
      includeDirs: [PROTO_ROOT],
      keepCase: false,
      longs: Number,
      enums: Number,
      defaults: true,
      oneofs: true,
    });
    const pkg = loadPackageDefinition(def) as unknown as {
      trellis: {
        identity: {
          v1: { PatientService: { service: import('@grpc/grpc-js').ServiceDefinition } };
        };
      };
    };
    const impl: UntypedServiceImplementation = {
      getPatient: (
        call: ServerUnaryCall<identity.v1.GetPatientRequest, identity.v1.GetPatientResponse>,
        cb: sendUnaryData<unknown>,
      ) => {
        const auth = call.metadata.get('authorization')[0];
        const vouch = call.metadata.get('x-trellis-gateway-vouch')[0];
        this.calls.push({
          nhsNumber: call.request.nhsNumber,
          authorization: typeof auth === 'string' ? auth : undefined,
          ...(typeof vouch === 'string' ? { vouch } : {}),
        });
        if (this.failWith !== undefined)
          return cb({ code: this.failWith, details: 'test failure' } as ServiceError);
        const requested = this.patients.get(call.request.nhsNumber);
        if (!requested)
          return cb({
            code: status.NOT_FOUND,
            details: `patient ${call.request.nhsNumber} not found`,
          } as ServiceError);
        const current = requested.mergedInto
          ? (this.patients.get(requested.mergedInto) ?? { nhsNumber: requested.mergedInto })
          : requested;
        const deceased = current.deceasedAt;
        const gp =
          current.gpOdsCode && !current.gpWithheld
            ? { odsCode: current.gpOdsCode, region: '', period: undefined }
            : undefined;
        cb(null, {
          patient: {
            nhsNumber: current.nhsNumber,
            gp,
            withheld: current.gpWithheld === true,
            withheldFields: current.gpWithheld ? ['gp', 'gp_history'] : [],
            deceasedAt: deceased
              ? { seconds: Math.floor(deceased.getTime() / 1000), nanos: 0 }
              : undefined,
            version: 1,
          },
          superseded: requested.mergedInto !== undefined,
          requestedNhsNumber: call.request.nhsNumber,
        });
      },
    };
    this.server.addService(pkg.trellis.identity.v1.PatientService.service, impl);
    const port = await new Promise<number>((resolve, reject) =>
      this.server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (err, p) =>
        err ? reject(err) : resolve(p),
      ),
    );
    this.address = `127.0.0.1:${port}`;
    return this.address;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.tryShutdown(() => resolve()));
  }
}
