{{/* Chart name, truncated to the 63 characters Kubernetes allows in names. */}}
{{- define "vlm3d.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vlm3d.fullname" -}}
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

{{- define "vlm3d.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "vlm3d.labels" -}}
helm.sh/chart: {{ include "vlm3d.chart" . }}
{{ include "vlm3d.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: vlm3d-server
{{- end }}

{{- define "vlm3d.selectorLabels" -}}
app.kubernetes.io/name: {{ include "vlm3d.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end }}

{{/* Labels of one component; call with (dict "root" $ "component" "web"). */}}
{{- define "vlm3d.componentLabels" -}}
{{ include "vlm3d.labels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "vlm3d.componentSelectorLabels" -}}
{{ include "vlm3d.selectorLabels" .root }}
app.kubernetes.io/component: {{ .component }}
{{- end }}

{{- define "vlm3d.serviceAccountName" -}}
{{- if .Values.serviceAccount.create }}
{{- default (include "vlm3d.fullname" .) .Values.serviceAccount.name }}
{{- else }}
{{- default "default" .Values.serviceAccount.name }}
{{- end }}
{{- end }}

{{- define "vlm3d.secretName" -}}
{{- default (include "vlm3d.fullname" .) .Values.existingSecret }}
{{- end }}

{{/*
Image reference; call with (dict "root" $ "variant" "<component override or empty>").
The tag defaults to the chart's appVersion so that an install never floats on "latest".
*/}}
{{- define "vlm3d.image" -}}
{{- $image := .root.Values.image }}
{{- $variant := default $image.variant .variant }}
{{- if $image.digest }}
{{- printf "%s@%s" $image.repository $image.digest }}
{{- else }}
{{- $tag := default .root.Chart.AppVersion $image.tag | toString }}
{{- if eq $variant "cuda" }}
{{- $tag = printf "%s-cuda" $tag }}
{{- end }}
{{- printf "%s:%s" $image.repository $tag }}
{{- end }}
{{- end }}

{{- define "vlm3d.jdbcUrl" -}}
{{- if .Values.database.url }}
{{- .Values.database.url }}
{{- else }}
{{- $url := printf "jdbc:postgresql://%s:%v/%s" .Values.database.host .Values.database.port .Values.database.name }}
{{- if .Values.database.params }}
{{- $url = printf "%s?%s" $url .Values.database.params }}
{{- end }}
{{- $url }}
{{- end }}
{{- end }}

{{/* Settings that come from Secrets (datasource, admin key, S3 keys); same for web and worker pods. */}}
{{- define "vlm3d.secretEnv" -}}
{{- $secret := include "vlm3d.secretName" . -}}
- name: SPRING_DATASOURCE_URL
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .Values.secretKeys.databaseUrl }}
- name: SPRING_DATASOURCE_USERNAME
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .Values.secretKeys.databaseUsername }}
- name: SPRING_DATASOURCE_PASSWORD
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .Values.secretKeys.databasePassword }}
- name: VLM3D_SECURITY_ADMINKEY
  valueFrom:
    secretKeyRef:
      name: {{ $secret }}
      key: {{ .Values.secretKeys.adminKey }}
{{- if and (eq .Values.artifacts.store "s3") .Values.artifacts.s3.credentialsSecret }}
{{- /* the AWS SDK's own variable names: its default credentials chain reads them */}}
- name: AWS_ACCESS_KEY_ID
  valueFrom:
    secretKeyRef:
      name: {{ .Values.artifacts.s3.credentialsSecret }}
      key: {{ .Values.artifacts.s3.accessKeyIdKey }}
- name: AWS_SECRET_ACCESS_KEY
  valueFrom:
    secretKeyRef:
      name: {{ .Values.artifacts.s3.credentialsSecret }}
      key: {{ .Values.artifacts.s3.secretAccessKeyKey }}
{{- end }}
{{- end }}

{{/* Restart pods when the ConfigMap or the chart-managed Secret changes. */}}
{{- define "vlm3d.checksums" -}}
checksum/config: {{ include (print .Template.BasePath "/configmap.yaml") . | sha256sum }}
{{- if not .Values.existingSecret }}
checksum/secret: {{ include (print .Template.BasePath "/secret.yaml") . | sha256sum }}
{{- end }}
{{- end }}

{{/*
A volume source with its read-only flag set where the source type has one, so that the model weights cannot be
modified from a pod even if the claim or export is writable.
*/}}
{{- define "vlm3d.readOnlyVolume" -}}
{{- $volume := deepCopy . }}
{{- range $type := list "persistentVolumeClaim" "nfs" "csi" "iscsi" "azureDisk" "azureFile" "cephfs" "rbd" "gcePersistentDisk" "awsElasticBlockStore" }}
{{- if hasKey $volume $type }}
{{- $_ := set (index $volume $type) "readOnly" true }}
{{- end }}
{{- end }}
{{- toYaml $volume }}
{{- end }}

{{/*
A probe from values, pointed at the management port when actuator is served there (managementPort.enabled): Spring
Boot then answers /actuator/health/* on that port only. A probe on another port than "http" is left as it is.
*/}}
{{- define "vlm3d.probe" -}}
{{- $probe := deepCopy .probe }}
{{- if and .root.Values.managementPort.enabled (hasKey $probe "httpGet") (eq (toString (index $probe "httpGet" "port")) "http") }}
{{- $_ := set (index $probe "httpGet") "port" "management" }}
{{- end }}
{{- toYaml $probe }}
{{- end }}

{{/* The management container port, when actuator has a port of its own. */}}
{{- define "vlm3d.managementContainerPort" -}}
{{- if .Values.managementPort.enabled }}
- name: management
  containerPort: {{ .Values.managementPort.port }}
  protocol: TCP
{{- end }}
{{- end }}
