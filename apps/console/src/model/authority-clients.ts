import type { SystemSummary } from './systems';

/** GET /admin/v1/regions/:region/authority-clients (issue 18). */
export interface AuthorityClientList {
  clients: SystemSummary[];
  truncated: boolean;
  /** kafka | strimzi: the platform keeps the principals; operator: the chart's values do. */
  managedBy: string;
}

/** A client's Kafka principal as the re-key answers it: the password is shown once, here. */
export interface KafkaPrincipal {
  principal: string;
  topic: string;
  groupPrefix: string;
  password?: string;
  managedBy: string;
}

export const authorityClientsPath = (region: string): string =>
  `/admin/v1/regions/${encodeURIComponent(region)}/authority-clients`;

export const rekeyPath = (region: string, id: string): string =>
  `${authorityClientsPath(region)}/${encodeURIComponent(id)}/kafka-credentials`;

export const withdrawPath = (region: string, id: string): string =>
  `${authorityClientsPath(region)}/${encodeURIComponent(id)}/revoke`;

/**
 * Whether the console offers a re-key for this client: the platform keeps the region's principals
 * (not the chart's values), and the client is active (a withdrawn client has none).
 */
export function mayRekey(list: Pick<AuthorityClientList, 'managedBy'>, c: SystemSummary): boolean {
  return list.managedBy !== 'operator' && c.status === 'active';
}

/**
 * The Kafka client settings the new secret goes into (SCRAM-SHA-512 over TLS), to copy once:
 * the platform keeps no copy of the password.
 */
export function clientProperties(k: KafkaPrincipal): string {
  if (!k.password) return '';
  // JAAS quoting: a backslash or quote in the value must be escaped
  const quoted = (s: string): string => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
  return [
    'security.protocol=SASL_SSL',
    'sasl.mechanism=SCRAM-SHA-512',
    `sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username=${quoted(k.principal)} password=${quoted(k.password)};`,
    `# reads ${k.topic}; any consumer group starting ${k.groupPrefix} is allowed`,
    `group.id=${k.principal}`,
  ].join('\n');
}
