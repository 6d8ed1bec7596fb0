import { loadProtoPackageDefinition } from '@trellis/service-kit';

import { type PlatformName } from '../fhir/fhir.config';

/** The platform services a local system may call over gRPC, and the resource each one serves. */
export const FRONT_DOOR_SERVICES: ReadonlyArray<{
  platform: PlatformName;
  proto: string;
  service: string;
  /** Resource type named in audit and conformance records of this service's calls. */
  resourceType: string;
}> = [
  {
    platform: 'identity',
    proto: 'trellis/identity/v1/identity.proto',
    service: 'trellis.identity.v1.PatientService',
    resourceType: 'Patient',
  },
  {
    // the record locator, served by identity
    platform: 'identity',
    proto: 'trellis/records/v1/records.proto',
    service: 'trellis.records.v1.RecordLocatorService',
    resourceType: 'DocumentReference',
  },
  {
    platform: 'appointments',
    proto: 'trellis/appointments/v1/appointments.proto',
    service: 'trellis.appointments.v1.ScheduleService',
    resourceType: 'Schedule',
  },
  {
    platform: 'appointments',
    proto: 'trellis/appointments/v1/appointments.proto',
    service: 'trellis.appointments.v1.AppointmentService',
    resourceType: 'Appointment',
  },
  {
    platform: 'referrals',
    proto: 'trellis/referrals/v1/referrals.proto',
    service: 'trellis.referrals.v1.ReferralService',
    resourceType: 'ServiceRequest',
  },
  {
    platform: 'results',
    proto: 'trellis/results/v1/results.proto',
    service: 'trellis.results.v1.ReportService',
    resourceType: 'DiagnosticReport',
  },
];

export type AuditActionCode = 'C' | 'R' | 'U' | 'D' | 'E';

/** One method of the front door, derived from the proto service definitions (never listed by hand). */
export interface FrontDoorRoute {
  /** `/pkg.Service/Method`. */
  path: string;
  service: string;
  method: string;
  platform: PlatformName;
  resourceType: string;
  /** Reads (Get/List/Search/Trace…) are not counted as refused writes. */
  write: boolean;
  action: AuditActionCode;
  unary: boolean;
  /** The request bytes as a message object (field names as ts-proto's), for the sandbox's rule. */
  decode: (bytes: Buffer) => unknown;
}

const READ = /^(Get|List|Search|Trace|Read|Find)/;
const CREATE = /^(Register|Create|Send|Submit|Publish|Book)/;
const DELETE = /^(Delete|Retire)/;

interface LoadedMethod {
  path?: unknown;
  originalName?: unknown;
  requestStream?: unknown;
  responseStream?: unknown;
  requestDeserialize?: (bytes: Buffer) => unknown;
}

/** Every method of FRONT_DOOR_SERVICES, from the .proto files. */
export function frontDoorRoutes(): FrontDoorRoute[] {
  const routes: FrontDoorRoute[] = [];
  for (const spec of FRONT_DOOR_SERVICES) {
    const def = loadProtoPackageDefinition([spec.proto]);
    const service = def[spec.service] as Record<string, LoadedMethod> | undefined;
    if (!service) throw new Error(`front door: ${spec.service} not found in ${spec.proto}`);
    for (const m of Object.values(service)) {
      if (typeof m.path !== 'string') continue;
      const method = m.path.slice(m.path.lastIndexOf('/') + 1);
      const write = !READ.test(method);
      routes.push({
        path: m.path,
        service: spec.service,
        method,
        platform: spec.platform,
        resourceType: spec.resourceType,
        write,
        action: !write ? 'R' : CREATE.test(method) ? 'C' : DELETE.test(method) ? 'D' : 'U',
        unary: m.requestStream !== true && m.responseStream !== true,
        decode: m.requestDeserialize ?? (() => undefined),
      });
    }
  }
  return routes.sort((a, b) => a.path.localeCompare(b.path));
}
