import { type ChannelCredentials } from '@grpc/grpc-js';
import { SERVICE_TOKEN_HEADER, VOUCH_HEADER } from '@trellis/auth';
import { fromTimestamp, identity } from '@trellis/contracts';
import {
  GrpcCallError,
  grpcChannel,
  grpcCodeName,
  typedClient,
  type TypedClient,
} from '@trellis/service-kit';
import { createChannel, Status, type Channel } from 'nice-grpc';

import type { PatientDirectory, PatientLookupContext, PatientStanding } from './patient-directory';

type GetPatientResponse = identity.v1.GetPatientResponse;

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
  private readonly channel: Channel;
  private readonly client: TypedClient<identity.v1.PatientServiceDefinition>;
  private readonly errors: PatientDirectoryErrors;

  constructor(options: IdentityClientOptions) {
    this.channel = options.channelCredentials
      ? createChannel(options.address, options.channelCredentials)
      : grpcChannel(options.address);
    const serviceIdentity = options.serviceIdentity;
    this.client = typedClient(identity.v1.PatientServiceDefinition, this.channel, {
      deadlineMs: options.deadlineMs ?? 2000,
      outgoing: (md) => {
        if (serviceIdentity) md.set(SERVICE_TOKEN_HEADER, serviceIdentity.token());
      },
    });
    this.errors = options.errors;
  }

  async standing(nhsNumber: string, ctx: PatientLookupContext): Promise<PatientStanding> {
    let res: GetPatientResponse;
    try {
      res = await this.client.getPatient(
        { nhsNumber },
        {
          forward: {
            authorization: ctx.authorization,
            correlationId: ctx.correlationId,
            ...(ctx.vouch ? { headers: { [VOUCH_HEADER]: ctx.vouch } } : {}),
          },
        },
      );
    } catch (err) {
      if (!(err instanceof GrpcCallError)) throw err;
      const { code, message } = err.decoded;
      if (code === Status.NOT_FOUND) return { kind: 'not-found', nhsNumber };
      if (code === Status.PERMISSION_DENIED || code === Status.UNAUTHENTICATED) {
        throw this.errors.lookupDenied(
          `The identity platform refused to confirm patient ${nhsNumber} for this caller: ${message}`,
          nhsNumber,
        );
      }
      throw this.errors.unavailable(
        `The identity platform could not confirm patient ${nhsNumber} (${grpcCodeName(code)}); try again`,
        nhsNumber,
      );
    }
    return interpret(nhsNumber, res);
  }

  close(): void {
    this.channel.close();
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
