{{/* Names and labels, after the layout `helm create` generates. */}}

{{- define "llm-gateway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* The release's full name, used for every object of the chart. */}}
{{- define "llm-gateway.fullname" -}}
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

{{- define "llm-gateway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "llm-gateway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "llm-gateway.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{- define "llm-gateway.labels" -}}
helm.sh/chart: {{ include "llm-gateway.chart" . }}
{{ include "llm-gateway.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- end }}

{{- define "llm-gateway.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "llm-gateway.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{/* The Secret the gateway's keys come from: yours (existingSecret) or the chart's. */}}
{{- define "llm-gateway.secretName" -}}
{{- default (include "llm-gateway.fullname" .) .Values.existingSecret }}
{{- end }}

{{/* The bitnami/redis subchart's full name, as that chart computes it. */}}
{{- define "llm-gateway.redisFullname" -}}
{{- if .Values.redis.fullnameOverride }}
{{- .Values.redis.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default "redis" .Values.redis.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* REDIS_URL the chart writes into its own Secret: the subchart's, or externalRedis.url. */}}
{{- define "llm-gateway.redisUrl" -}}
{{- if .Values.redis.enabled }}
{{- $host := printf "%s-master" (include "llm-gateway.redisFullname" .) }}
{{- if .Values.redis.auth.enabled }}
{{- $password := required "redis.auth.enabled needs redis.auth.password: the gateway's REDIS_URL is built from it" .Values.redis.auth.password }}
{{- printf "redis://:%s@%s:6379" (urlquery $password) $host }}
{{- else }}
{{- printf "redis://%s:6379" $host }}
{{- end }}
{{- else }}
{{- .Values.externalRedis.url }}
{{- end }}
{{- end }}

{{/* Where REDIS_URL comes from, or nothing when no Redis is configured. */}}
{{- define "llm-gateway.redisSecretName" -}}
{{- if .Values.externalRedis.existingSecret }}
{{- .Values.externalRedis.existingSecret }}
{{- else if include "llm-gateway.redisUrl" . }}
{{- printf "%s-redis-url" (include "llm-gateway.fullname" .) }}
{{- end }}
{{- end }}

{{/* The bitnami/postgresql subchart's full name, as that chart computes it. */}}
{{- define "llm-gateway.postgresqlFullname" -}}
{{- if .Values.postgresql.fullnameOverride }}
{{- .Values.postgresql.fullnameOverride | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- $name := default "postgresql" .Values.postgresql.nameOverride }}
{{- if contains $name .Release.Name }}
{{- .Release.Name | trunc 63 | trimSuffix "-" }}
{{- else }}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" }}
{{- end }}
{{- end }}
{{- end }}

{{/* DATABASE_URL of the subchart's PostgreSQL, or nothing when it is off. */}}
{{- define "llm-gateway.postgresqlUrl" -}}
{{- if .Values.postgresql.enabled }}
{{- $password := required "postgresql.enabled needs postgresql.auth.password: the gateway's DATABASE_URL is built from it" .Values.postgresql.auth.password }}
{{- printf "postgresql://%s:%s@%s:5432/%s" (urlquery .Values.postgresql.auth.username) (urlquery $password) (include "llm-gateway.postgresqlFullname" .) .Values.postgresql.auth.database }}
{{- end }}
{{- end }}
