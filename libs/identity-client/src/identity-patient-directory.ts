import {
  credentials,
  loadPackageDefinition,
  Metadata,
  status,
  type ChannelCredentials,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { fromTimestamp, protoPath, PROTO_ROOT, type identity } from '@trellis/contracts';

import { SERVICE_TOKEN_HEADER } from '@trellis/auth';

import type { PatientDirectory, PatientLookupContext, PatientStanding } from './patient-directory';

type GetPatientResponse = identity.v1.GetPatientResponse;

interface UnaryClient {
  getPatient(
    req: identity.v1.GetPatientRequest,
    md: Metadata,
    opts: { deadline: Date },
    cb: (err: ServiceError | null, res?: GetPatientResponse) => void,
  ): void;
  close(): void;
}

/**
 * How the calling service turns an identity failure into its own domain error (each service keeps
 * its error vocabulary: code, gRPC status, ErrorInfo domain). `nhsNumber` is passed so the error
 * can carry it as metadata.
 */
export interface PatientDirectoryErrors {
  /** identity answered PERMISSION_DENIED / UNAUTHENTICATED for this caller. */
  lookupDenied(message: string, nhsNumber: string): Error;
  /** identity could not answer (any other failure: deadline, UNAVAILABLE, INTERNAL, ...). */
  unavailable(message: string, nhsNumber: string): Error;
}

export interface IdentityClientOptions {
  /** host:port of the identity gRPC server. */
  address: string;
  /** Builds the calling service's domain errors. */
  errors: PatientDirectoryErrors;
  deadlineMs?: number;
  channelCredentials?: ChannelCredentials;
  /** The calling platform's service identity: identity accepts only the gateway and peers. */
  serviceIdentity?: { token(): string };
}

/**
 * PatientDirectory over identity's gRPC API (trellis.identity.v1.PatientService/GetPatient). The
 * caller's bearer token is forwarded, so identity applies its own scope check and access audit.
 */
export class IdentityPatientDirectory implements PatientDirectory {
  private readonly client: UnaryClient;
  private readonly deadlineMs: number;
  private readonly errors: PatientDirectoryErrors;
  private readonly serviceIdentity: { token(): string } | undefined;

  constructor(options: IdentityClientOptions) {
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
          v1: { PatientService: new (address: string, creds: ChannelCredentials) => UnaryClient };
        };
      };
    };
    this.client = new pkg.trellis.identity.v1.PatientService(
      options.address,
      options.channelCredentials ?? credentials.createInsecure(),
    );
    this.deadlineMs = options.deadlineMs ?? 2000;
    this.errors = options.errors;
    this.serviceIdentity = options.serviceIdentity;
  }

  standing(nhsNumber: string, ctx: PatientLookupContext): Promise<PatientStanding> {
    const md = new Metadata();
    if (ctx.authorization) md.set('authorization', ctx.authorization);
    if (ctx.correlationId) md.set('x-correlation-id', ctx.correlationId);
    if (this.serviceIdentity) md.set(SERVICE_TOKEN_HEADER, this.serviceIdentity.token());
    return new Promise((resolve, reject) => {
      this.client.getPatient(
        { nhsNumber },
        md,
        { deadline: new Date(Date.now() + this.deadlineMs) },
        (err, res) => {
          if (err) {
            if (err.code === status.NOT_FOUND) return resolve({ kind: 'not-found', nhsNumber });
            if (err.code === status.PERMISSION_DENIED || err.code === status.UNAUTHENTICATED) {
              return reject(
                this.errors.lookupDenied(
                  `The identity platform refused to confirm patient ${nhsNumber} for this caller: ${err.details}`,
                  nhsNumber,
                ),
              );
            }
            return reject(
              this.errors.unavailable(
                `The identity platform could not confirm patient ${nhsNumber} (${status[err.code] ?? err.code}); try again`,
                nhsNumber,
              ),
            );
          }
          resolve(interpret(nhsNumber, res));
        },
      );
    });
  }

  close(): void {
    this.client.close();
  }
}

/**
 * GetPatientResponse → standing: a superseded number is merged; a deceased date means deceased.
 * The current GP registration's ODS code is passed on when identity included it (not withheld).
 */
export function interpret(nhsNumber: string, res: GetPatientResponse | undefined): PatientStanding {
  const p = res?.patient;
  if (!p) return { kind: 'not-found', nhsNumber };
  if (res.superseded || (p.nhsNumber && p.nhsNumber !== nhsNumber)) {
    return { kind: 'merged', nhsNumber, survivorNhsNumber: p.nhsNumber };
  }
  if (p.mergedIntoNhsNumber)
    return { kind: 'merged', nhsNumber, survivorNhsNumber: p.mergedIntoNhsNumber };
  const gpOdsCode = p.gp?.odsCode || undefined;
  const gp = gpOdsCode ? { gpOdsCode } : {};
  const deceasedAt = p.deceasedAt ? fromTimestamp(p.deceasedAt) : undefined;
  if (deceasedAt) return { kind: 'deceased', nhsNumber, deceasedAt, ...gp };
  return { kind: 'active', nhsNumber, ...gp };
}
