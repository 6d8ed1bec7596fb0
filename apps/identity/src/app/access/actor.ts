import type { Metadata } from '@grpc/grpc-js';
import { requireCaller } from '@trellis/auth';

import type { Actor } from '../patients/patient.model';

/** The authenticated caller of a gRPC call, as identity's rules take it (user and patient only when set). */
export function actorOf(metadata: Metadata | undefined): Actor {
  const { systemId, odsCode, region, scopes, userId, patient } = requireCaller(metadata);
  return {
    systemId,
    odsCode,
    region,
    scopes,
    ...(userId ? { userId } : {}),
    ...(patient ? { patient } : {}),
  };
}
