{{/* vim: set filetype=mustache: */}}
{{/*
Standard name helpers (prometheus-community style).
*/}}

{{/* Chart name, overridable with nameOverride. */}}
{{- define "trellis.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/*
Fully qualified app name. Truncated at 63 chars (DNS label limit); if the release name already
contains the chart name it is used alone.
*/}}
{{- define "trellis.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* Chart label value: name-version. */}}
{{- define "trellis.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Namespace of the release (overridable for umbrella use). */}}
{{- define "trellis.namespace" -}}
{{- .Release.Namespace -}}
{{- end -}}

{{/* Labels shared by every object. */}}
{{- define "trellis.labels" -}}
helm.sh/chart: {{ include "trellis.chart" . }}
{{ include "trellis.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: trellis
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{/* Selector labels for the whole release (every pod of the chart carries them). */}}
{{- define "trellis.selectorLabels" -}}
app.kubernetes.io/name: {{ include "trellis.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{/*
Per-service helpers take a dict: (dict "root" $ "app" "identity").
*/}}
{{- define "trellis.componentName" -}}
{{- printf "%s-%s" (include "trellis.fullname" .root) .app | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* The gateway's public HTTP paths (FHIR, token endpoint, admin JSON, JWKS / SMART configuration). */}}
{{- define "trellis.gatewayPublicPaths" -}}
/fhir /oauth2 /admin /.well-known
{{- end -}}

{{- define "trellis.componentLabels" -}}
{{ include "trellis.labels" .root }}
app.kubernetes.io/component: {{ .app }}
{{- end -}}

{{- define "trellis.componentSelectorLabels" -}}
{{ include "trellis.selectorLabels" .root }}
app.kubernetes.io/component: {{ .app }}
{{- end -}}

{{/* The applications, in a fixed order. The gateway is the only one reachable from outside. */}}
{{- define "trellis.appNames" -}}
gateway identity appointments referrals results router conformance audit notifications
{{- end -}}

{{/* Domain platforms: they admit calls only from the gateway and each other (service identity). */}}
{{- define "trellis.platformNames" -}}
identity appointments referrals results
{{- end -}}

{{/* Back ends only the gateway calls (scorecards, AuditEvent): they admit the gateway alone. */}}
{{- define "trellis.gatewayBackendNames" -}}
conformance audit notifications
{{- end -}}

{{/* Apps holding the service-token key ring: the gateway, the platforms and the gateway's back ends. */}}
{{- define "trellis.hasServiceIdentity" -}}
{{- if has .app (concat (list "gateway") (splitList " " (include "trellis.platformNames" .root)) (splitList " " (include "trellis.gatewayBackendNames" .root))) -}}true{{- end -}}
{{- end -}}

{{/* ConfigMap holding the conformance service's declared policy (services.conformance.policy). */}}
{{- define "trellis.conformancePolicyName" -}}
{{- printf "%s-conformance-policy" (include "trellis.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Enabled applications as a space-separated list. */}}
{{- define "trellis.enabledApps" -}}
{{- $root := . -}}
{{- $out := list -}}
{{- range $app := splitList " " (include "trellis.appNames" .) -}}
{{- if (index $root.Values.services $app).enabled -}}
{{- $out = append $out $app -}}
{{- end -}}
{{- end -}}
{{- join " " $out -}}
{{- end -}}

{{/*
Effective settings of one service: serviceDefaults deep-merged under services.<app>
(the service wins). Returns YAML; use with fromYaml.
*/}}
{{- define "trellis.serviceConfig" -}}
{{- include "trellis.deepMerge" (dict "base" .root.Values.serviceDefaults "over" (index .root.Values.services .app)) -}}
{{- end -}}

{{/*
Recursive merge of two maps (dict "base" b "over" o), returning YAML. Unlike sprig's merge and
mergeOverwrite it lets `false`, 0 and "" in `over` win (mergo treats them as unset).
*/}}
{{- define "trellis.deepMerge" -}}
{{- $out := dict -}}
{{- range $k, $v := .base -}}{{- $_ := set $out $k $v -}}{{- end -}}
{{- range $k, $v := .over -}}
{{- if and (kindIs "map" $v) (kindIs "map" (index $out $k)) -}}
{{- $_ := set $out $k (fromYaml (include "trellis.deepMerge" (dict "base" (index $out $k) "over" $v))) -}}
{{- else -}}
{{- $_ := set $out $k $v -}}
{{- end -}}
{{- end -}}
{{- toYaml $out -}}
{{- end -}}

{{/* Container image of one app: <registry>/<repository>/<app>:<tag>[@digest]. */}}
{{- define "trellis.image" -}}
{{- $img := .root.Values.image -}}
{{- $tag := default .root.Chart.AppVersion $img.tag -}}
{{- $repo := printf "%s/%s" $img.repository .app -}}
{{- if $img.registry -}}{{- $repo = printf "%s/%s" $img.registry $repo -}}{{- end -}}
{{- $ref := printf "%s:%s" $repo $tag -}}
{{- $digest := index (default (dict) $img.digests) .app -}}
{{- if $digest -}}{{- $ref = printf "%s@%s" $ref $digest -}}{{- end -}}
{{- $ref -}}
{{- end -}}

{{/* ServiceAccount used by the long-running pods. */}}
{{- define "trellis.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "trellis.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* "true" when the gateway writes authority clients' KafkaUsers through the Kubernetes API (issue 18). */}}
{{- define "trellis.gatewayWritesKafkaUsers" -}}
{{- $r := .Values.strimzi.regionalAuthorities -}}
{{- if and .Values.strimzi.enabled $r.enabled $r.managedByGateway .Values.services.gateway.enabled -}}true{{- end -}}
{{- end -}}

{{/* The gateway's own ServiceAccount: the only pod with an API token (gatewayWritesKafkaUsers). */}}
{{- define "trellis.gatewayServiceAccountName" -}}
{{- printf "%s-gateway" (include "trellis.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* ServiceAccount of hook Jobs (created as a hook so it exists before pre-install Jobs). */}}
{{- define "trellis.hookServiceAccountName" -}}
{{- printf "%s-hooks" (include "trellis.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Name of the Secret the chart itself writes (dev only: database.url / kafka.sasl.password). */}}
{{- define "trellis.secretName" -}}
{{- printf "%s-credentials" (include "trellis.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "trellis.configMapName" -}}
{{- printf "%s-config" (include "trellis.fullname" .) | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* CloudNativePG cluster name. */}}
{{- define "trellis.cnpgClusterName" -}}
{{- default (printf "%s-pg" (include "trellis.fullname" .)) .Values.cloudnativepg.clusterName | trunc 50 | trimSuffix "-" -}}
{{- end -}}

{{/* Strimzi Kafka cluster name. */}}
{{- define "trellis.kafkaClusterName" -}}
{{- default (printf "%s-kafka" (include "trellis.fullname" .)) .Values.strimzi.clusterName | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{/* KafkaUser (and its Secret) of one app when Strimzi users are managed. */}}
{{- define "trellis.kafkaUserName" -}}
{{- printf "%s-%s" (include "trellis.kafkaClusterName" .root) .app | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{/* Kafka bootstrap servers. */}}
{{- define "trellis.kafkaBrokers" -}}
{{- if .Values.strimzi.enabled -}}
{{- printf "%s-kafka-bootstrap.%s.svc:%d" (include "trellis.kafkaClusterName" .) (include "trellis.namespace" .) (int .Values.strimzi.kafka.listenerPort) -}}
{{- else -}}
{{- .Values.kafka.brokers -}}
{{- end -}}
{{- end -}}

{{/* Whether Kafka traffic uses TLS. */}}
{{- define "trellis.kafkaTls" -}}
{{- if .Values.strimzi.enabled -}}true{{- else -}}{{- .Values.kafka.tls.enabled -}}{{- end -}}
{{- end -}}

{{/*
Fail early with a precise message when required wiring is missing (the schema cannot express
"one of these three" across sections).
*/}}
{{- define "trellis.validate" -}}
{{- $v := .Values -}}
{{- if and (not $v.cloudnativepg.enabled) (not $v.database.existingSecret) (not $v.database.url) -}}
{{- fail "database: set database.existingSecret (production), database.url (development only) or cloudnativepg.enabled" -}}
{{- end -}}
{{- if and (not $v.strimzi.enabled) (not $v.kafka.brokers) -}}
{{- fail "kafka: set kafka.brokers or strimzi.enabled" -}}
{{- end -}}
{{- if and (not $v.strimzi.enabled) $v.kafka.sasl.enabled (not $v.kafka.sasl.existingSecret) (not $v.kafka.sasl.password) -}}
{{- fail "kafka.sasl: set kafka.sasl.existingSecret (production) or kafka.sasl.password (development only)" -}}
{{- end -}}
{{- if and (eq $v.kafka.topics.provisioner "strimzi") (not $v.strimzi.enabled) (not $v.strimzi.clusterName) -}}
{{- fail "kafka.topics.provisioner=strimzi needs strimzi.enabled or strimzi.clusterName (the existing Strimzi Kafka cluster that owns the topics)" -}}
{{- end -}}
{{- if and $v.strimzi.enabled (eq $v.kafka.topics.provisioner "job") -}}
{{- fail "strimzi.enabled: use kafka.topics.provisioner=strimzi (KafkaTopic resources) or none" -}}
{{- end -}}
{{- if and $v.services.gateway.enabled (not $v.auth.signingKeysSecret) -}}
{{- fail "auth.signingKeysSecret: the gateway needs its token-signing key ring in an existing Secret (docs/operations.md, Key rotation)" -}}
{{- end -}}
{{- if not $v.auth.serviceTokenKeysSecret -}}
{{- fail "auth.serviceTokenKeysSecret: the gateway and the platforms need the shared service-token key ring in an existing Secret (docs/security.md, Service identity)" -}}
{{- end -}}
{{- if and $v.ingress.enabled (not $v.services.gateway.enabled) -}}
{{- fail "ingress.enabled needs services.gateway.enabled" -}}
{{- end -}}
{{- if and (or $v.ingress.enabled $v.gatewayApi.enabled) (not $v.config.publicBaseUrl) -}}
{{- fail "config.publicBaseUrl is required when the gateway is exposed (ingress.enabled or gatewayApi.enabled): it is the token issuer, the token endpoint and the FHIR base clients see" -}}
{{- end -}}
{{- if and $v.gatewayApi.enabled (not $v.services.gateway.enabled) -}}
{{- fail "gatewayApi.enabled needs services.gateway.enabled" -}}
{{- end -}}
{{- range $app := splitList " " (include "trellis.enabledApps" .) -}}
{{- if $app -}}
{{- $cfg := fromYaml (include "trellis.serviceConfig" (dict "root" $ "app" $app)) -}}
{{- $shutdownMs := add (int $v.config.shutdownDrainDelayMs) (int $v.config.shutdownTimeoutMs) -}}
{{- if ge (int $shutdownMs) (mul (int $cfg.terminationGracePeriodSeconds) 1000) -}}
{{- fail (printf "%s: config.shutdownDrainDelayMs + config.shutdownTimeoutMs (%d ms) must be below terminationGracePeriodSeconds (%d s), or Kubernetes kills the pod mid-drain" $app (int $shutdownMs) (int $cfg.terminationGracePeriodSeconds)) -}}
{{- end -}}
{{- if and $cfg.autoscaling.enabled (gt (int $cfg.autoscaling.minReplicas) (int $cfg.autoscaling.maxReplicas)) -}}
{{- fail (printf "%s: autoscaling.minReplicas (%d) is above autoscaling.maxReplicas (%d)" $app (int $cfg.autoscaling.minReplicas) (int $cfg.autoscaling.maxReplicas)) -}}
{{- end -}}
{{- end -}}
{{- end -}}
{{- if and $v.database.tls.caSecret (not $v.database.tls.sslmode) -}}
{{- fail "database.tls.caSecret needs database.tls.sslmode (verify-full, verify-ca or require)" -}}
{{- end -}}
{{- if $v.cloudnativepg.enabled -}}
{{- $pg := $v.cloudnativepg -}}
{{- if and $pg.recovery.enabled (eq $pg.recovery.sourceClusterName (include "trellis.cnpgClusterName" .)) -}}
{{- fail "cloudnativepg.recovery restores into a NEW cluster: set cloudnativepg.clusterName to a name other than recovery.sourceClusterName (the old cluster is kept as it is)" -}}
{{- end -}}
{{- if and $pg.recovery.enabled (not (or $pg.recovery.destinationPath $pg.backup.destinationPath)) -}}
{{- fail "cloudnativepg.recovery: set recovery.destinationPath (or backup.destinationPath), the object store holding the source cluster's backups" -}}
{{- end -}}
{{- if ge (int $pg.synchronousReplicas) (int $pg.instances) -}}
{{- fail "cloudnativepg.synchronousReplicas must be below cloudnativepg.instances (a primary needs that many standbys to acknowledge a commit)" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/*
Hook annotations for Jobs and the objects they need before install. With an in-chart
CloudNativePG cluster the database does not exist before install, so the first migration runs
post-install (and pre-upgrade afterwards).
*/}}
{{- define "trellis.migrationHook" -}}
{{- if .Values.cloudnativepg.enabled -}}post-install,pre-upgrade{{- else -}}pre-install,pre-upgrade{{- end -}}
{{- end -}}

{{- define "trellis.topicsHook" -}}
{{- if .Values.strimzi.enabled -}}post-install,pre-upgrade{{- else -}}pre-install,pre-upgrade{{- end -}}
{{- end -}}

{{/* Pod-level security context, shared by every pod of the chart. */}}
{{- define "trellis.podSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurityContext.runAsUser }}
runAsGroup: {{ .Values.podSecurityContext.runAsGroup }}
fsGroup: {{ .Values.podSecurityContext.fsGroup }}
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/* Container-level security context, shared by every container of the chart. */}}
{{- define "trellis.containerSecurityContext" -}}
runAsNonRoot: true
runAsUser: {{ .Values.podSecurityContext.runAsUser }}
runAsGroup: {{ .Values.podSecurityContext.runAsGroup }}
allowPrivilegeEscalation: false
readOnlyRootFilesystem: true
privileged: false
capabilities:
  drop:
    - ALL
seccompProfile:
  type: RuntimeDefault
{{- end -}}

{{/*
Environment of one app (dict root app cfg): ConfigMap for shared settings, the database URL and
Kafka password from Secrets, per-service names inline.
*/}}
{{- define "trellis.env" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
- name: SERVICE_NAME
  value: {{ .app | quote }}
- name: SERVICE_VERSION
  value: {{ default $root.Chart.AppVersion $v.image.tag | quote }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "trellis-%s" .app | quote }}
{{- /* Addresses of the other apps: <APP>_GRPC_ADDR (host:port), GATEWAY_URL for the gateway's HTTP side. */}}
{{- range $peer := splitList " " (include "trellis.enabledApps" $root) }}
{{- if and $peer (ne $peer $.app) }}
- name: {{ printf "%s_GRPC_ADDR" (upper $peer) }}
  value: {{ printf "%s.%s.svc:%d" (include "trellis.componentName" (dict "root" $root "app" $peer)) (include "trellis.namespace" $root) (int $v.ports.grpc) | quote }}
{{- end }}
{{- end }}
{{- if and (ne .app "gateway") $v.services.gateway.enabled }}
- name: GATEWAY_URL
  value: {{ printf "http://%s.%s.svc:%d" (include "trellis.componentName" (dict "root" $root "app" "gateway")) (include "trellis.namespace" $root) (int $v.ports.http) | quote }}
{{- end }}
{{- if eq .app "gateway" }}
{{- with $v.config.publicBaseUrl }}
- name: GATEWAY_PUBLIC_URL
  value: {{ . | quote }}
{{- end }}
- name: GATEWAY_SIGNING_KEY_FILE
  value: {{ printf "/etc/trellis/signing-keys/%s" $v.auth.signingKeysKey | quote }}
- name: FRONTDOOR_GRPC_PORT
  value: {{ $v.ports.frontDoor | quote }}
{{- /* Regional authority clients' Kafka principals: in operator mode KafkaUsers (written by the
gateway, or only those of strimzi.regionalAuthorities.clients), else the broker's admin API. */}}
- name: GATEWAY_REGION_PRINCIPALS
{{- if include "trellis.gatewayWritesKafkaUsers" $root }}
  value: "strimzi"
- name: GATEWAY_STRIMZI_CLUSTER
  value: {{ include "trellis.kafkaClusterName" $root | quote }}
{{- else }}
  value: {{ ternary "none" "kafka" (and $v.strimzi.enabled $v.strimzi.regionalAuthorities.enabled) | quote }}
{{- end }}
{{- end }}
{{- if eq .app "notifications" }}
{{- with $v.config.publicBaseUrl }}
{{- /* Notifications name their focus by absolute URL on the public FHIR base. */}}
- name: NOTIFICATIONS_FHIR_BASE_URL
  value: {{ printf "%s/fhir" (trimSuffix "/" .) | quote }}
{{- end }}
{{- end }}
{{- if include "trellis.hasServiceIdentity" . }}
- name: SERVICE_IDENTITY_KEY_FILE
  value: {{ printf "/etc/trellis/service-identity/%s" $v.auth.serviceTokenKeysKey | quote }}
{{- end }}
{{- if and (ne .app "gateway") $v.services.gateway.enabled }}
- name: AUTH_JWKS_URL
  value: {{ printf "http://%s.%s.svc:%d/.well-known/jwks.json" (include "trellis.componentName" (dict "root" $root "app" "gateway")) (include "trellis.namespace" $root) (int $v.ports.http) | quote }}
{{- end }}
- name: GRPC_PORT
  value: {{ $v.ports.grpc | quote }}
- name: HTTP_PORT
  value: {{ $v.ports.http | quote }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
{{- if .cfg.database.enabled }}
- name: DATABASE_SCHEMA
  value: {{ default .app .cfg.database.schema | quote }}
- name: DATABASE_URL
  valueFrom:
    secretKeyRef:
{{- if $v.database.existingSecret }}
      name: {{ $v.database.existingSecret | quote }}
      key: {{ default $v.database.existingSecretKey .cfg.database.existingSecretKey | quote }}
{{- else if $v.database.url }}
      name: {{ include "trellis.secretName" $root }}
      key: DATABASE_URL
{{- else }}
      name: {{ printf "%s-app" (include "trellis.cnpgClusterName" $root) }}
      key: uri
{{- end }}
{{- with $v.database.tls.sslmode }}
# TLS for URLs that do not set sslmode (libs/database/src/tls.ts).
- name: PGSSLMODE
  value: {{ . | quote }}
{{- if include "trellis.pgCaSecret" $root }}
- name: PGSSLROOTCERT
  value: {{ printf "/etc/trellis/postgres-ca/%s" $v.database.tls.caKey | quote }}
{{- end }}
{{- end }}
{{- end }}
{{- if .cfg.kafka.enabled }}
- name: KAFKA_BROKERS
  value: {{ include "trellis.kafkaBrokers" $root | quote }}
- name: KAFKA_CLIENT_ID
  value: {{ printf "trellis-%s" .app | quote }}
- name: KAFKA_SSL
  value: {{ include "trellis.kafkaTls" $root | quote }}
{{- if include "trellis.kafkaCaSecret" $root }}
# The Kafka client (@platformatic/kafka) uses Node's TLS defaults: add the brokers' CA to them.
- name: NODE_EXTRA_CA_CERTS
  value: /etc/trellis/kafka-ca/ca.crt
{{- end }}
{{- if $v.strimzi.enabled }}
- name: KAFKA_SASL_MECHANISM
  value: scram-sha-512
- name: KAFKA_SASL_USERNAME
  value: {{ include "trellis.kafkaUserName" . | quote }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ include "trellis.kafkaUserName" . | quote }}
      key: password
{{- else if $v.kafka.sasl.enabled }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $v.kafka.sasl.mechanism | quote }}
- name: KAFKA_SASL_USERNAME
  value: {{ $v.kafka.sasl.username | quote }}
- name: KAFKA_SASL_PASSWORD
  valueFrom:
    secretKeyRef:
{{- if $v.kafka.sasl.existingSecret }}
      name: {{ $v.kafka.sasl.existingSecret | quote }}
      key: {{ $v.kafka.sasl.existingSecretPasswordKey | quote }}
{{- else }}
      name: {{ include "trellis.secretName" $root }}
      key: KAFKA_SASL_PASSWORD
{{- end }}
{{- end }}
{{- end }}
{{- if and (eq .app "conformance") .cfg.policy }}
- name: CONFORMANCE_POLICY_FILE
  value: /etc/trellis/conformance-policy/policy.json
{{- end }}
{{- range $name, $value := .cfg.env }}
- name: {{ $name }}
  value: {{ $value | quote }}
{{- end }}
{{- end -}}

{{/* Secret with the PostgreSQL CA mounted at /etc/trellis/postgres-ca (empty: none). */}}
{{- define "trellis.pgCaSecret" -}}
{{- $tls := .Values.database.tls -}}
{{- if and $tls.sslmode (ne $tls.sslmode "disable") -}}
{{- if $tls.caSecret -}}
{{- $tls.caSecret -}}
{{- else if .Values.cloudnativepg.enabled -}}
{{- printf "%s-ca" (include "trellis.cnpgClusterName" .) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The PostgreSQL CA volume (mount in trellis.pgCaMount), when one is configured. */}}
{{- define "trellis.pgCaVolume" -}}
{{- with include "trellis.pgCaSecret" . }}
- name: postgres-ca
  secret:
    secretName: {{ . }}
    items:
      - key: {{ $.Values.database.tls.caKey }}
        path: {{ $.Values.database.tls.caKey }}
{{- end }}
{{- end -}}

{{- define "trellis.pgCaMount" -}}
{{- if include "trellis.pgCaSecret" . }}
- name: postgres-ca
  mountPath: /etc/trellis/postgres-ca
  readOnly: true
{{- end }}
{{- end -}}

{{/* Whether a Kafka CA bundle is mounted into the app pods. */}}
{{- define "trellis.kafkaCaSecret" -}}
{{- if .Values.strimzi.enabled -}}
{{- printf "%s-cluster-ca-cert" (include "trellis.kafkaClusterName" .) -}}
{{- else if and .Values.kafka.tls.enabled .Values.kafka.tls.caSecret -}}
{{- .Values.kafka.tls.caSecret -}}
{{- end -}}
{{- end -}}
