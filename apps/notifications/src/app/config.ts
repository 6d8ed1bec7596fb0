import { DEFAULT_SERVICE_KEY_FILE } from '@trellis/auth';
import { TOPICS } from '@trellis/events';
import {
  baseConfigSchema,
  gatewayUrlConfig,
  requiredKafkaConfig,
  serviceDatabaseConfig,
} from '@trellis/service-kit';
import { z } from 'zod';

const topicList = (fallback: string[]) =>
  z
    .string()
    .optional()
    .transform((s) => (s ? s.split(',') : fallback).map((t) => t.trim()).filter(Boolean))
    .pipe(z.array(z.string().regex(/^[a-zA-Z0-9._-]+$/)).min(1));

/** Notifications service configuration: validated at boot, every problem reported at once. */
export const notificationsConfigSchema = baseConfigSchema.extend({
  ...serviceDatabaseConfig('notifications'),
  ...requiredKafkaConfig,
  ...gatewayUrlConfig,
  /** The FHIR base the notifications' references are made absolute against (unset: relative). */
  NOTIFICATIONS_FHIR_BASE_URL: z.url({ protocol: /^https?$/ }).optional(),
  /** The domain topics consumed (identity first: it keeps the registered practices). */
  NOTIFICATIONS_TOPICS: topicList([
    TOPICS.identityPatient.name,
    TOPICS.resultsReport.name,
    TOPICS.referralsReferral.name,
    TOPICS.appointmentsAppointment.name,
  ]),
  NOTIFICATIONS_GROUP: z.string().min(1).default('trellis.notifications.streams'),
  /**
   * The system registry's feed (suspension, allowed scopes) followed by the auth guard and by the
   * delivery worker's per-notification re-check; default `trellis.gateway.system.v1`.
   */
  NOTIFICATIONS_SYSTEM_TOPIC: z
    .string()
    .regex(/^[a-zA-Z0-9._-]+$/)
    .optional(),
  /** A new consumer group starts at the end: subscriptions are about what happens from now on. */
  NOTIFICATIONS_FROM_BEGINNING: z.stringbool().default(false),
  /**
   * Plain-http endpoints: only in local/dev/test (DEPLOY_ENV), never in production, unless
   * forced on here (docs/subscriptions.md, "Endpoints").
   */
  NOTIFICATIONS_ALLOW_HTTP_ENDPOINTS: z.stringbool().optional(),
  /** How long a recorded event is kept (and retried): default 7 days. */
  NOTIFICATIONS_RETENTION_MS: z.coerce
    .number()
    .int()
    .min(60_000)
    .default(7 * 86_400_000),
  /** Delivery retry backoff: first wait and cap (exponential in between). */
  NOTIFICATIONS_RETRY_BASE_MS: z.coerce.number().int().min(10).max(600_000).default(1_000),
  NOTIFICATIONS_RETRY_MAX_MS: z.coerce.number().int().min(10).max(3_600_000).default(300_000),
  /** How often the delivery worker looks for due subscriptions. */
  NOTIFICATIONS_POLL_MS: z.coerce.number().int().min(10).max(60_000).default(200),
  /**
   * Wake the delivery worker on commit of recorded events (LISTEN/NOTIFY) instead of waiting for
   * the poll. A bench/diagnostic switch: `false` measures the poll alone.
   */
  NOTIFICATIONS_WAKE_ON_RECORD: z.stringbool().default(true),
  /** Subscriptions delivered in parallel by one worker. */
  NOTIFICATIONS_CONCURRENCY: z.coerce.number().int().min(1).max(500).default(32),
  /** Subscriptions one system may hold. */
  NOTIFICATIONS_MAX_PER_SYSTEM: z.coerce.number().int().min(1).max(10_000).default(100),
  /** Run the delivery worker in this process (every replica may: subscriptions are leased). */
  NOTIFICATIONS_DELIVERY_ENABLED: z.stringbool().default(true),
  /** Shared service-token key ring: the service accepts calls only through the gateway. */
  SERVICE_IDENTITY_KEY_FILE: z.string().min(1).default(DEFAULT_SERVICE_KEY_FILE),
  /** Publish the outbox (this service's access audit) from this process. */
  OUTBOX_RELAY_ENABLED: z.stringbool().default(true),
});

export type NotificationsConfig = z.output<typeof notificationsConfigSchema>;

/** Whether plain-http endpoints are accepted: explicit setting, else only outside production. */
export function httpEndpointsAllowed(config: NotificationsConfig): boolean {
  return (
    config.NOTIFICATIONS_ALLOW_HTTP_ENDPOINTS ??
    ['local', 'dev', 'development', 'test'].includes(config.DEPLOY_ENV)
  );
}
