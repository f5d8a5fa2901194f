{{/* Names, labels and the pod pieces every workload shares. */}}

{{- define "billing-service.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "billing-service.fullname" -}}
{{- if .Values.fullnameOverride }}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default .Chart.Name .Values.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* <fullname>-<suffix>, kept within 63 characters. */}}
{{- define "billing-service.componentName" -}}
{{- $suffix := .suffix }}
{{- printf "%s-%s" (include "billing-service.fullname" .root | trunc (int (sub 62 (len $suffix))) | trimSuffix "-") $suffix }}
{{- end }}

{{/* The CronJob's name: at most 52 characters, so that its Jobs' names (name + 11) stay valid. The invoice-run alerts
     select its Jobs by this prefix. */}}
{{- define "billing-service.invoiceCronJobName" -}}
{{- printf "%s-invoice-worker" (include "billing-service.fullname" . | trunc 37 | trimSuffix "-") }}
{{- end }}

{{- define "billing-service.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "billing-service.labels" -}}
helm.sh/chart: {{ include "billing-service.chart" . }}
app.kubernetes.io/name: {{ include "billing-service.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: billing-service
{{- end }}

{{/* Selector labels of one component: (dict "root" $ "component" "ingest-worker"). */}}
{{- define "billing-service.selectorLabels" -}}
app.kubernetes.io/name: {{ include "billing-service.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "billing-service.componentLabels" -}}
{{ include "billing-service.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "billing-service.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "billing-service.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- required "serviceAccount.name is required when serviceAccount.create is false" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The account of the pre-install/pre-upgrade hooks, which run before the release's own account exists. */}}
{{- define "billing-service.hookServiceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- include "billing-service.componentName" (dict "root" . "suffix" "hooks") }}
{{- else }}
{{- include "billing-service.serviceAccountName" . }}
{{- end }}
{{- end }}

{{/* <registry>/<repository>:<tag>: (dict "root" $ "repository" .Values.ingest.image.repository). */}}
{{- define "billing-service.image" -}}
{{- $tag := default .root.Chart.AppVersion .root.Values.image.tag }}
{{- if .root.Values.image.registry }}
{{- printf "%s/%s:%s" (trimSuffix "/" .root.Values.image.registry) .repository $tag }}
{{- else }}
{{- printf "%s:%s" .repository $tag }}
{{- end }}
{{- end }}

{{/* Fails the render on values that would deploy something broken. Included by the ConfigMap. */}}
{{- define "billing-service.validate" -}}
{{- if not (has .Values.vault.mode (list "agent" "client" "none")) }}
{{- fail (printf "vault.mode must be agent, client or none, not '%v'" .Values.vault.mode) }}
{{- end }}
{{- if and (eq .Values.vault.mode "client") (not .Values.vault.address) }}
{{- fail "vault.address is required when vault.mode is client" }}
{{- end }}
{{- if not (kindIs "bool" .Values.ingest.consumerEnabled) }}
{{- fail (printf "ingest.consumerEnabled (BILLING_CONSUMER_ENABLED) must be true or false, not '%v'" .Values.ingest.consumerEnabled) }}
{{- end }}
{{- if not (kindIs "bool" .Values.invoices.suspend) }}
{{- fail (printf "invoices.suspend must be true or false, not '%v'" .Values.invoices.suspend) }}
{{- end }}
{{- end }}

{{/*
Environment of a billing container: (dict "root" $ "secrets" "ingestWorker"), where secrets names the workload's
entry under vault.client.secrets. The non-secret settings come from the ConfigMap (envFrom, see the workloads).
*/}}
{{- define "billing-service.env" -}}
{{- if eq .root.Values.vault.mode "client" }}
- name: Vault__Address
  value: {{ .root.Values.vault.address | quote }}
- name: Vault__AuthMethod
  value: {{ .root.Values.vault.client.authMethod | quote }}
- name: Vault__Role
  value: {{ .root.Values.vault.role | quote }}
- name: Vault__Secrets
  value: {{ index .root.Values.vault.client.secrets .secrets | quote }}
{{- else if eq .root.Values.vault.mode "agent" }}
- name: Secrets__Directory
  value: /vault/secrets
{{- end }}
{{- with .root.Values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* envFrom of a billing container: (dict "root" $ "config" true|false); config = the chart's ConfigMap. */}}
{{- define "billing-service.envFrom" -}}
{{- if .config }}
- configMapRef:
    name: {{ include "billing-service.componentName" (dict "root" .root "suffix" "config") }}
{{- end }}
{{- with .root.Values.secrets.existingSecret }}
- secretRef:
    name: {{ . }}
{{- end }}
{{- end }}

{{/*
Vault Agent injector annotations: (dict "root" $ "keys" "ingestWorker" "job" false). One rendered file per configuration
key. The annotation's own name is a short id (the injector lower-cases it and annotation names are limited to 63
characters); agent-inject-file gives the file its exact name, the configuration key.
*/}}
{{- define "billing-service.vaultAgentAnnotations" -}}
vault.hashicorp.com/agent-inject: "true"
vault.hashicorp.com/role: {{ .root.Values.vault.role | quote }}
vault.hashicorp.com/agent-init-first: "true"
{{- with .root.Values.vault.address }}
vault.hashicorp.com/service: {{ . | quote }}
{{- end }}
{{- if or .job .root.Values.vault.agent.prePopulateOnly }}
vault.hashicorp.com/agent-pre-populate-only: "true"
{{- end }}
{{- $dataPath := .root.Values.vault.agent.kvDataPath }}
{{- range (index .root.Values.vault.agent.keys .keys) }}
{{- if not (regexMatch "^[A-Za-z0-9_]+$" .key) }}
{{- fail (printf "vault.agent.keys: '%s' is not a configuration key of letters, digits and '__'" .key) }}
{{- end }}
{{- $id := printf "%s-%s" (lower .key | trunc 32) (sha256sum .key | trunc 8) }}
{{- $path := printf "%s/%s" $dataPath .secret }}
vault.hashicorp.com/agent-inject-secret-{{ $id }}: {{ $path | quote }}
vault.hashicorp.com/agent-inject-file-{{ $id }}: {{ .key | quote }}
vault.hashicorp.com/agent-inject-template-{{ $id }}: {{ printf "{{- with secret %q -}}{{ index .Data.data %q }}{{- end -}}" $path .key | quote }}
{{- end }}
{{- with .root.Values.vault.agent.annotations }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/*
Pod annotations: (dict "root" $ "keys" "ingestWorker" "job" false "scrapePort" 8081 "extra" .Values.ingest.podAnnotations).
The ConfigMap's checksum rolls the pods when a setting (the consumer flag among them) changes.
*/}}
{{- define "billing-service.podAnnotations" -}}
checksum/config: {{ include (print .root.Template.BasePath "/configmap.yaml") .root | sha256sum }}
{{- if and .scrapePort .root.Values.metrics.scrapeAnnotations }}
prometheus.io/scrape: "true"
prometheus.io/port: {{ .scrapePort | quote }}
prometheus.io/path: /metrics
{{- end }}
{{- if eq .root.Values.vault.mode "agent" }}
{{ include "billing-service.vaultAgentAnnotations" . }}
{{- end }}
{{- with .extra }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Pod-level settings shared by every workload: (dict "root" $ "serviceAccountName" "..."). */}}
{{- define "billing-service.podSpec" -}}
serviceAccountName: {{ .serviceAccountName }}
automountServiceAccountToken: {{ ne .root.Values.vault.mode "none" }}
securityContext:
  {{- toYaml .root.Values.podSecurityContext | nindent 2 }}
{{- with .root.Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- with .root.Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .root.Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end }}

{{/* The writable /tmp of every pod (the root filesystem is read-only). */}}
{{- define "billing-service.tmpVolume" -}}
- name: tmp
  emptyDir:
    sizeLimit: {{ .Values.tmpVolume.sizeLimit }}
{{- end }}

{{- define "billing-service.tmpVolumeMount" -}}
- name: tmp
  mountPath: /tmp
{{- end }}

{{/* NetworkPolicy egress rules from networkPolicy.egress. */}}
{{- define "billing-service.egressRules" -}}
{{- range $name, $rule := .Values.networkPolicy.egress }}
# {{ $name }}
- ports:
    {{- range $rule.ports }}
    - port: {{ .port }}
      protocol: {{ .protocol | default "TCP" }}
    {{- end }}
  {{- if or $rule.cidrs $rule.peers }}
  to:
    {{- range $rule.cidrs }}
    - ipBlock:
        cidr: {{ . }}
    {{- end }}
    {{- with $rule.peers }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
{{- end }}
{{- end }}

{{/* A billing-ops container of the provision hook: (dict "root" $ "step" (list "provision" "nats")). */}}
{{- define "billing-service.opsContainer" -}}
{{- /* A DNS-1123 label from the step's arguments: "import pricing /data/x.csv" -> import-pricing-data-x-csv */}}
- name: {{ regexReplaceAll "[^a-z0-9]+" (join "-" .step | lower) "-" | trimPrefix "-" | trunc 63 | trimSuffix "-" }}
  image: {{ include "billing-service.image" (dict "root" .root "repository" .root.Values.migrations.image.repository) }}
  imagePullPolicy: {{ .root.Values.image.pullPolicy }}
  args:
    {{- toYaml .step | nindent 4 }}
  {{- with include "billing-service.env" (dict "root" .root "secrets" "ops") | trim }}
  env:
    {{- . | nindent 4 }}
  {{- end }}
  {{- with include "billing-service.envFrom" (dict "root" .root "config" true) | trim }}
  envFrom:
    {{- . | nindent 4 }}
  {{- end }}
  resources:
    {{- toYaml .root.Values.migrations.resources | nindent 4 }}
  securityContext:
    {{- toYaml .root.Values.containerSecurityContext | nindent 4 }}
  volumeMounts:
    {{- include "billing-service.tmpVolumeMount" .root | nindent 4 }}
{{- end }}
