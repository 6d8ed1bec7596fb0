import {
  credentials,
  Metadata,
  status,
  type ChannelCredentials,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { loadPackageDefinition } from '@grpc/grpc-js';
import { protoPath, PROTO_ROOT, type identity } from '@trellis/contracts';

import { ReferralsError, ReferralsErrorCode } from '../domain/referrals.errors';
import { fromTimestamp } from '../../events/timestamps';
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

export interface IdentityClientOptions {
  /** host:port of the identity gRPC server. */
  address: string;
  deadlineMs?: number;
  channelCredentials?: ChannelCredentials;
}

/**
 * PatientDirectory over identity's gRPC API (trellis.identity.v1.PatientService/GetPatient). The
 * caller's bearer token is forwarded, so identity applies its own scope check and access audit.
 */
export class IdentityPatientDirectory implements PatientDirectory {
  private readonly client: UnaryClient;
  private readonly deadlineMs: number;

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
  }

  standing(nhsNumber: string, ctx: PatientLookupContext): Promise<PatientStanding> {
    const md = new Metadata();
    if (ctx.authorization) md.set('authorization', ctx.authorization);
    if (ctx.correlationId) md.set('x-correlation-id', ctx.correlationId);
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
                new ReferralsError(
                  ReferralsErrorCode.PatientLookupDenied,
                  `The identity platform refused to confirm patient ${nhsNumber} for this caller: ${err.details}`,
                  { nhsNumber },
                ),
              );
            }
            return reject(
              new ReferralsError(
                ReferralsErrorCode.IdentityUnavailable,
                `The identity platform could not confirm patient ${nhsNumber} (${status[err.code] ?? err.code}); try again`,
                { nhsNumber },
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

/** GetPatientResponse → standing: a superseded number is merged; a deceased date means deceased. */
export function interpret(nhsNumber: string, res: GetPatientResponse | undefined): PatientStanding {
  const p = res?.patient;
  if (!p) return { kind: 'not-found', nhsNumber };
  if (res.superseded || (p.nhsNumber && p.nhsNumber !== nhsNumber)) {
    return { kind: 'merged', nhsNumber, survivorNhsNumber: p.nhsNumber };
  }
  if (p.mergedIntoNhsNumber)
    return { kind: 'merged', nhsNumber, survivorNhsNumber: p.mergedIntoNhsNumber };
  const deceasedAt = fromTimestamp(p.deceasedAt);
  if (deceasedAt) return { kind: 'deceased', nhsNumber, deceasedAt };
  return { kind: 'active', nhsNumber };
}
