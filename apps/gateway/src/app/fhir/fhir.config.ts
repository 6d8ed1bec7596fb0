import { z } from 'zod';

/** The FHIR facade's environment (merged into the gateway's env schema). */
export const FHIR_ENV_SHAPE = {
  /** gRPC addresses (host:port) of the platforms; an unset platform's resources are not served. */
  IDENTITY_GRPC_ADDR: z.string().min(1).optional(),
  APPOINTMENTS_GRPC_ADDR: z.string().min(1).optional(),
  REFERRALS_GRPC_ADDR: z.string().min(1).optional(),
  RESULTS_GRPC_ADDR: z.string().min(1).optional(),
  /** The audit store (AuditEvent). */
  AUDIT_GRPC_ADDR: z.string().min(1).optional(),
  /** Deadline of one platform call made for a FHIR interaction. */
  FHIR_PLATFORM_DEADLINE_MS: z.coerce.number().int().min(50).max(60_000).default(5_000),
  /** Per-platform deadline inside Patient/$everything. */
  FHIR_EVERYTHING_DEADLINE_MS: z.coerce.number().int().min(50).max(60_000).default(2_000),
  /** Largest accepted request body (bytes); larger → 413. */
  FHIR_MAX_BODY_BYTES: z.coerce.number().int().min(1024).max(10_485_760).default(1_048_576),
  /**
   * Largest referral attachment (decoded bytes): must equal the referrals platform's own limit
   * (1 MiB; also R4 validation's base64Binary limit, hence the maximum). POST ServiceRequest
   * accepts a body of its base64 plus FHIR_MAX_BODY_BYTES; a larger attachment → 413 before
   * anything is validated or stored.
   */
  FHIR_MAX_ATTACHMENT_BYTES: z.coerce.number().int().min(1024).max(1_048_576).default(1_048_576),
  /** Search page size cap (_count). */
  FHIR_MAX_COUNT: z.coerce.number().int().min(1).max(500).default(50),
  /** Bulk export ($export): how long a job and its files are kept after kick-off. */
  FHIR_EXPORT_TTL_HOURS: z.coerce.number().min(0.01).max(720).default(24),
  /** Bulk export: resources per platform page, and so the most per NDJSON file. */
  FHIR_EXPORT_PAGE_SIZE: z.coerce.number().int().min(1).max(1000).default(500),
  /**
   * Bulk export: most NDJSON bytes one job may write; a job that would exceed it fails
   * (too-costly, its files deleted) and the client narrows it with _type or _since.
   */
  FHIR_EXPORT_MAX_JOB_BYTES: z.coerce.number().int().min(1024).default(1_073_741_824),
  /**
   * Bulk export: most NDJSON bytes retained over every job; a kick-off while they are at or over
   * it is refused 429 with Retry-After (when the first retained job expires).
   */
  FHIR_EXPORT_MAX_RETAINED_BYTES: z.coerce.number().int().min(1024).default(4_294_967_296),
  /** Bulk export: how often an idle worker looks for a job (ms). */
  FHIR_EXPORT_POLL_MS: z.coerce.number().int().min(50).max(60_000).default(1_000),
  FHIR_CONFORMANCE_TOPIC: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/)
    .default('trellis.gateway.conformance.v1'),
};

export type FhirEnv = z.output<z.ZodObject<typeof FHIR_ENV_SHAPE>>;

export interface FhirConfig {
  publicUrl: string;
  platforms: Partial<Record<PlatformName, string>>;
  deadlineMs: number;
  everythingDeadlineMs: number;
  maxBodyBytes: number;
  maxAttachmentBytes: number;
  maxCount: number;
  conformanceTopic: string;
  exportTtlMs: number;
  exportPageSize: number;
  exportPollMs: number;
  exportMaxJobBytes: number;
  exportMaxRetainedBytes: number;
  /** The conformance service (scorecards: MeasureReport, Measure); unset = not served. */
  conformance?: string;
  /** The notifications service (Subscription); unset = not served. */
  notifications?: string;
}

export type PlatformName = 'identity' | 'appointments' | 'referrals' | 'results' | 'audit';

/** What a FHIR route needs connected: a platform, the conformance or notifications service. */
export type RouteBackend = PlatformName | 'conformance' | 'notifications';

/** Whether a route's back end is configured (an unconfigured one's routes are not advertised). */
export function backendConnected(config: FhirConfig, backend: RouteBackend): boolean {
  if (backend === 'conformance') return config.conformance !== undefined;
  if (backend === 'notifications') return config.notifications !== undefined;
  return config.platforms[backend] !== undefined;
}

export const FHIR_CONFIG = Symbol('FHIR_CONFIG');

export function fhirConfigFrom(
  env: FhirEnv & {
    CONFORMANCE_GRPC_ADDR?: string | undefined;
    NOTIFICATIONS_GRPC_ADDR?: string | undefined;
  },
  publicUrl: string,
): FhirConfig {
  const platforms: Partial<Record<PlatformName, string>> = {};
  if (env.IDENTITY_GRPC_ADDR) platforms.identity = env.IDENTITY_GRPC_ADDR;
  if (env.APPOINTMENTS_GRPC_ADDR) platforms.appointments = env.APPOINTMENTS_GRPC_ADDR;
  if (env.REFERRALS_GRPC_ADDR) platforms.referrals = env.REFERRALS_GRPC_ADDR;
  if (env.RESULTS_GRPC_ADDR) platforms.results = env.RESULTS_GRPC_ADDR;
  if (env.AUDIT_GRPC_ADDR) platforms.audit = env.AUDIT_GRPC_ADDR;
  return {
    publicUrl,
    platforms,
    deadlineMs: env.FHIR_PLATFORM_DEADLINE_MS,
    everythingDeadlineMs: env.FHIR_EVERYTHING_DEADLINE_MS,
    maxBodyBytes: env.FHIR_MAX_BODY_BYTES,
    maxAttachmentBytes: env.FHIR_MAX_ATTACHMENT_BYTES,
    maxCount: env.FHIR_MAX_COUNT,
    conformanceTopic: env.FHIR_CONFORMANCE_TOPIC,
    exportTtlMs: Math.round(env.FHIR_EXPORT_TTL_HOURS * 3_600_000),
    exportPageSize: env.FHIR_EXPORT_PAGE_SIZE,
    exportPollMs: env.FHIR_EXPORT_POLL_MS,
    exportMaxJobBytes: env.FHIR_EXPORT_MAX_JOB_BYTES,
    exportMaxRetainedBytes: env.FHIR_EXPORT_MAX_RETAINED_BYTES,
    ...(env.CONFORMANCE_GRPC_ADDR ? { conformance: env.CONFORMANCE_GRPC_ADDR } : {}),
    ...(env.NOTIFICATIONS_GRPC_ADDR ? { notifications: env.NOTIFICATIONS_GRPC_ADDR } : {}),
  };
}
