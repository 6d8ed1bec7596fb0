{{/* NetworkPolicy rule helpers (used by networkpolicy.yaml). */}}
{{/* Peer: every app pod of this release (gateway and platforms). */}}
{{- define "trellis.np.appsPeer" -}}
- podSelector:
    matchLabels:
      {{- include "trellis.selectorLabels" . | nindent 6 }}
    matchExpressions:
      - key: app.kubernetes.io/component
        operator: In
        values: [{{ include "trellis.appNames" . | replace " " ", " }}]
{{- end -}}
{{/* Peer: the callers a platform admits (the gateway and the platforms; service identity too). */}}
{{- define "trellis.np.platformCallers" -}}
- podSelector:
    matchLabels:
      {{- include "trellis.selectorLabels" . | nindent 6 }}
    matchExpressions:
      - key: app.kubernetes.io/component
        operator: In
        values: [gateway, {{ include "trellis.platformNames" . | replace " " ", " }}]
{{- end -}}
{{/* Peer: the gateway alone (callers of the conformance service and the audit store). */}}
{{- define "trellis.np.gatewayOnly" -}}
- podSelector:
    matchLabels:
      {{- include "trellis.selectorLabels" . | nindent 6 }}
    matchExpressions:
      - key: app.kubernetes.io/component
        operator: In
        values: [gateway]
{{- end -}}
{{- define "trellis.np.dnsRule" -}}
- to:
    - namespaceSelector:
        {{- toYaml .Values.networkPolicy.dns.namespaceSelector | nindent 8 }}
      podSelector:
        {{- toYaml .Values.networkPolicy.dns.podSelector | nindent 8 }}
  ports:
    - protocol: UDP
      port: 53
    - protocol: TCP
      port: 53
{{- end -}}
{{- define "trellis.np.postgresRule" -}}
{{- $e := .Values.networkPolicy.egress.postgres -}}
{{- $to := $e.to -}}
{{- if .Values.cloudnativepg.enabled -}}
{{- $to = append $to (dict "podSelector" (dict "matchLabels" (dict "cnpg.io/cluster" (include "trellis.cnpgClusterName" .)))) -}}
{{- end -}}
- ports:
    {{- range $e.ports }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
  {{- with $to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
{{- define "trellis.np.kafkaRule" -}}
{{- $e := .Values.networkPolicy.egress.kafka -}}
{{- $to := $e.to -}}
{{- $ports := $e.ports -}}
{{- if .Values.strimzi.enabled -}}
{{- $to = append $to (dict "podSelector" (dict "matchLabels" (dict "strimzi.io/cluster" (include "trellis.kafkaClusterName" .)))) -}}
{{- $ports = append $ports (int .Values.strimzi.kafka.listenerPort) | uniq -}}
{{- end -}}
- ports:
    {{- range $ports }}
    - protocol: TCP
      port: {{ . }}
    {{- end }}
  {{- with $to }}
  to:
    {{- toYaml . | nindent 4 }}
  {{- end }}
{{- end -}}
