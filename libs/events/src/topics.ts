/**
 * The topic registry: every Kafka topic Trellis uses is declared here ONCE (name, partitions,
 * retention, cleanup policy). `tools/events/provision.ts` creates them (broker auto-create is off).
 * Domain services add their topics to TOPICS; consumers' dead-letter topics (`<topic>.dlq`) are
 * derived, not declared.
 */

export type CleanupPolicy = 'delete' | 'compact' | 'compact,delete';

export interface TopicSpec {
  /** `trellis.<domain>.<entity>.v<N>` */
  readonly name: string;
  readonly partitions: number;
  readonly retentionMs: number;
  readonly cleanupPolicy: CleanupPolicy;
  readonly description: string;
  /** Consumed through an inbox consumer, so it gets a `<name>.dlq` (default true). */
  readonly consumed?: boolean;
}

const DAY_MS = 24 * 60 * 60 * 1000;
export const RETENTION = {
  week: 7 * DAY_MS,
  month: 30 * DAY_MS,
  year: 365 * DAY_MS,
  /** Never deleted by time (compacted topics, audit). */
  forever: -1,
} as const;

export const TOPIC_NAME_PATTERN = /^trellis\.[a-z][a-z0-9-]*\.[a-z][a-z0-9-]*\.v[0-9]+$/;
export const DLQ_SUFFIX = '.dlq';

/** Dead-letter topic of a consumed topic. */
export function dlqTopicName(topic: string): string {
  return `${topic}${DLQ_SUFFIX}`;
}

/** Per-region stream `trellis.region.<region>.v1`. */
export function regionTopicName(region: string): string {
  if (!/^[a-z][a-z0-9-]*$/.test(region))
    throw new Error(`invalid region code ${JSON.stringify(region)}`);
  return `trellis.region.${region}.v1`;
}

/**
 * Region codes provisioned by default (NHS England regions, short codes as in the contracts:
 * "north-east", "london", ...). Override with `provision --regions` / TRELLIS_REGIONS when the
 * platform's region reference table says otherwise.
 */
export const DEFAULT_REGIONS: readonly string[] = [
  'north-east',
  'north-west',
  'yorkshire',
  'midlands',
  'east',
  'london',
  'south-east',
  'south-west',
];

/** Domain and platform topics. Keys are NHS numbers unless the description says otherwise. */
export const TOPICS = {
  identityPatient: {
    name: 'trellis.identity.patient.v1',
    partitions: 12,
    retentionMs: RETENTION.year,
    cleanupPolicy: 'delete',
    description: 'Patient registered, updated, merged, deceased (key: NHS number)',
  },
  appointmentsAppointment: {
    name: 'trellis.appointments.appointment.v1',
    partitions: 12,
    retentionMs: RETENTION.year,
    cleanupPolicy: 'delete',
    description: 'Appointment booked, cancelled, rescheduled, attended (key: NHS number)',
  },
  referralsReferral: {
    name: 'trellis.referrals.referral.v1',
    partitions: 12,
    retentionMs: RETENTION.year,
    cleanupPolicy: 'delete',
    description: 'Referral created, accepted, rejected, completed (key: NHS number)',
  },
  resultsReport: {
    name: 'trellis.results.report.v1',
    partitions: 12,
    retentionMs: RETENTION.year,
    cleanupPolicy: 'delete',
    description: 'Diagnostic report posted, amended, acknowledged (key: NHS number)',
  },
  auditAccess: {
    name: 'trellis.audit.access.v1',
    partitions: 12,
    retentionMs: RETENTION.forever,
    cleanupPolicy: 'delete',
    description: 'Access audit events, IHE BALP shape (key: NHS number of the patient accessed)',
  },
  auditFlag: {
    name: 'trellis.audit.flag.v1',
    partitions: 3,
    retentionMs: RETENTION.forever,
    cleanupPolicy: 'delete',
    description:
      "Citizens' flags on accesses they do not recognise, for the organisation's data protection officer (key: NHS number)",
  },
  gatewaySystem: {
    name: 'trellis.gateway.system.v1',
    partitions: 3,
    retentionMs: RETENTION.forever,
    cleanupPolicy: 'compact',
    description: 'Connected-system registry changes (key: system id; compacted: latest state)',
  },
  gatewayConformance: {
    name: 'trellis.gateway.conformance.v1',
    partitions: 3,
    retentionMs: RETENTION.year,
    cleanupPolicy: 'delete',
    description: 'Conformance outcomes per connected system (key: system id)',
  },
  conformanceCompliance: {
    name: 'trellis.conformance.compliance.v1',
    partitions: 3,
    retentionMs: RETENTION.forever,
    cleanupPolicy: 'delete',
    description:
      'Compliance policy decisions: warning, enforcement, restoration (key: product version id)',
  },
} as const satisfies Record<string, TopicSpec>;

/** Template of the per-region streams (one topic per region code). */
export const REGION_TOPIC_TEMPLATE = {
  partitions: 6,
  retentionMs: RETENTION.year,
  cleanupPolicy: 'delete',
  description: "A region's events, derived from the domain topics (key: NHS number)",
} as const satisfies Omit<TopicSpec, 'name'>;

/** Template of dead-letter topics. */
export const DLQ_TOPIC_TEMPLATE = {
  partitions: 1,
  retentionMs: RETENTION.month,
  cleanupPolicy: 'delete',
  consumed: false,
} as const satisfies Omit<TopicSpec, 'name' | 'description'>;

/**
 * Retention of the regional streams (how far back an authority can replay): `retention.ms` from
 * TRELLIS_REGION_RETENTION_MS when set (-1 = forever), else the template's year.
 */
export function regionRetentionMs(
  env: Readonly<Record<string, string | undefined>> = process.env,
): number {
  const raw = env.TRELLIS_REGION_RETENTION_MS;
  if (raw === undefined || raw.trim() === '') return REGION_TOPIC_TEMPLATE.retentionMs;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || (ms !== -1 && ms < 60_000))
    throw new Error(`TRELLIS_REGION_RETENTION_MS must be -1 or an integer ≥ 60000, got ${raw}`);
  return ms;
}

export function regionTopic(region: string): TopicSpec {
  return {
    ...REGION_TOPIC_TEMPLATE,
    retentionMs: regionRetentionMs(),
    name: regionTopicName(region),
    description: `${REGION_TOPIC_TEMPLATE.description} — ${region}`,
  };
}

export function dlqTopic(topic: Pick<TopicSpec, 'name'>): TopicSpec {
  return {
    ...DLQ_TOPIC_TEMPLATE,
    name: dlqTopicName(topic.name),
    description: `Dead letters of ${topic.name} consumers (headers: original position + error)`,
  };
}

/** Every topic to provision: declared, per region, and a DLQ per consumed topic. */
export function allTopics(regions: readonly string[] = DEFAULT_REGIONS): TopicSpec[] {
  const base: TopicSpec[] = [...Object.values(TOPICS), ...regions.map(regionTopic)];
  const dlqs = base.filter((t) => t.consumed !== false).map(dlqTopic);
  const all = [...base, ...dlqs];
  validateTopics(all);
  return all;
}

/** Throws with every problem at once: bad names, duplicates, nonsense settings. */
export function validateTopics(topics: readonly TopicSpec[]): void {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const t of topics) {
    const base = t.name.endsWith(DLQ_SUFFIX) ? t.name.slice(0, -DLQ_SUFFIX.length) : t.name;
    if (!TOPIC_NAME_PATTERN.test(base))
      problems.push(`${t.name}: name must be trellis.<domain>.<entity>.v<N>`);
    if (seen.has(t.name)) problems.push(`${t.name}: declared twice`);
    seen.add(t.name);
    if (!Number.isInteger(t.partitions) || t.partitions < 1)
      problems.push(`${t.name}: partitions must be ≥ 1`);
    if (t.retentionMs !== -1 && (!Number.isInteger(t.retentionMs) || t.retentionMs < 60_000)) {
      problems.push(`${t.name}: retentionMs must be -1 or ≥ 60000`);
    }
  }
  if (problems.length > 0) throw new Error(`invalid topic registry:\n  ${problems.join('\n  ')}`);
}

/** Kafka topic configs of a spec. */
export function topicConfigEntries(t: TopicSpec): { name: string; value: string }[] {
  return [
    { name: 'cleanup.policy', value: t.cleanupPolicy },
    { name: 'retention.ms', value: String(t.retentionMs) },
  ];
}
