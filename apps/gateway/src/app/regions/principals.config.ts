import { z } from 'zod';

import { SERVICE_ACCOUNT_DIR } from './kubernetes-api';

/** Authority clients' Kafka principals (issue 18), merged into the gateway's env schema. */
export const PRINCIPALS_ENV_SHAPE = {
  /**
   * Who creates a regional authority client's Kafka principal (SCRAM user + ACLs on its region's
   * stream) when the client is created, re-keyed or withdrawn through the regional API:
   * `kafka` = the gateway, through the broker's admin API; `strimzi` = the gateway writes a
   * Strimzi KafkaUser through the Kubernetes API (the chart's operator mode); `none` = nobody
   * (KafkaUsers listed in the chart's values only; no password is answered).
   */
  GATEWAY_REGION_PRINCIPALS: z.enum(['kafka', 'strimzi', 'none']).default('kafka'),
  /** strimzi: the Kafka cluster (label strimzi.io/cluster) whose User Operator applies them. */
  GATEWAY_STRIMZI_CLUSTER: z
    .string()
    .regex(/^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/)
    .optional(),
  /** strimzi: the API server, as the kubelet sets it in every pod. */
  KUBERNETES_SERVICE_HOST: z.string().min(1).optional(),
  KUBERNETES_SERVICE_PORT: z.coerce.number().int().min(1).max(65_535).default(443),
  /** strimzi: the service account's token, ca.crt and namespace (tests point elsewhere). */
  GATEWAY_KUBERNETES_SERVICE_ACCOUNT_DIR: z.string().min(1).default(SERVICE_ACCOUNT_DIR),
};
