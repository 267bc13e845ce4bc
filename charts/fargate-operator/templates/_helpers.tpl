{{/* The release's full name, at most 63 characters. */}}
{{- define "fargate-operator.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "fargate-operator.selectorLabels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "fargate-operator.labels" -}}
{{ include "fargate-operator.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{- define "fargate-operator.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "fargate-operator.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* Leader election: forced on, or implied by more than one replica. */}}
{{- define "fargate-operator.leaderElection" -}}
{{- if or .Values.leaderElection.enabled (gt (int .Values.replicaCount) 1) -}}true{{- end -}}
{{- end -}}

{{/* The rules on the three kinds (cluster-wide or per watched namespace). */}}
{{- define "fargate-operator.objectRules" -}}
# Watch the three kinds; add/remove the ecs.fargate.dev/cleanup finalizer (JSON patch).
- apiGroups: [ecs.fargate.dev]
  resources: [taskdefinitions, fargateservices, fargatetasks]
  verbs: [get, list, watch, patch]
# A FargateTask deletes itself ttlSecondsAfterFinished after its run finished.
- apiGroups: [ecs.fargate.dev]
  resources: [fargatetasks]
  verbs: [delete]
# Write status (server-side apply on the status subresource).
- apiGroups: [ecs.fargate.dev]
  resources: [taskdefinitions/status, fargateservices/status, fargatetasks/status]
  verbs: [patch]
# Events: created, and patched when one repeats.
- apiGroups: [events.k8s.io]
  resources: [events]
  verbs: [create, patch]
{{- end -}}

{{- define "fargate-operator.tenancyRules" -}}
# FargateTenants (cluster-scoped) say which account and rules each namespace's objects get:
# read them all, and write their status.
- apiGroups: [ecs.fargate.dev]
  resources: [fargatetenants]
  verbs: [get, list, watch]
- apiGroups: [ecs.fargate.dev]
  resources: [fargatetenants/status]
  verbs: [patch]
# Namespaces' labels, for tenants that select namespaces by label (metadata only).
- apiGroups: [""]
  resources: [namespaces]
  verbs: [get, list, watch]
{{- end -}}
