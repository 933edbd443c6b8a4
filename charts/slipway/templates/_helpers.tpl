{{/*
Names, labels and the pieces every Slipway Deployment shares. Each component (controller,
git-sync, dashboard) passes a dict: root (the chart context), component (its label value)
and values (its section of values.yaml).
*/}}

{{- define "slipway.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" }}
{{- end }}

{{- define "slipway.fullname" -}}
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

{{/* Object name of one component: <fullname>-<suffix>, within the 63 characters of a label value. */}}
{{- define "slipway.componentName" -}}
{{- $full := include "slipway.fullname" .root | trunc (int (sub 62 (len .suffix))) | trimSuffix "-" }}
{{- printf "%s-%s" $full .suffix }}
{{- end }}

{{- define "slipway.chart" -}}
{{- printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" | trunc 63 | trimSuffix "-" }}
{{- end }}

{{/* Labels of every object; pass root and component ("" for objects of the whole release). */}}
{{- define "slipway.labels" -}}
helm.sh/chart: {{ include "slipway.chart" .root }}
{{ include "slipway.selectorLabels" . }}
app.kubernetes.io/version: {{ .root.Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .root.Release.Service }}
app.kubernetes.io/part-of: slipway
{{- with .root.Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Selector labels: stable across upgrades (a Deployment's selector cannot change). */}}
{{- define "slipway.selectorLabels" -}}
app.kubernetes.io/name: {{ include "slipway.name" .root }}
app.kubernetes.io/instance: {{ .root.Release.Name }}
{{- if .component }}
app.kubernetes.io/component: {{ .component }}
{{- end }}
{{- end }}

{{- define "slipway.image" -}}
{{- $tag := default .Chart.AppVersion .Values.image.tag }}
{{- if .Values.image.digest }}
{{- printf "%s:%s@%s" .Values.image.repository $tag .Values.image.digest }}
{{- else }}
{{- printf "%s:%s" .Values.image.repository $tag }}
{{- end }}
{{- end }}

{{/* ServiceAccount name of a component: pass root, values and suffix. */}}
{{- define "slipway.serviceAccountName" -}}
{{- if .values.serviceAccount.name }}
{{- .values.serviceAccount.name }}
{{- else if .values.serviceAccount.create }}
{{- include "slipway.componentName" . }}
{{- else }}
{{- fail (printf "%s.serviceAccount: set name when create is false" .key) }}
{{- end }}
{{- end }}

{{/* The namespace the controller's Lease lives in. */}}
{{- define "slipway.leaseNamespace" -}}
{{- if .Values.namespaced }}
{{- .Release.Namespace }}
{{- else }}
{{- default .Release.Namespace .Values.controller.leaderElection.namespace }}
{{- end }}
{{- end }}

{{/* The controller's Lease: LEASE_NAME in src/process/controller-process.ts, suffixed by --instance-id. */}}
{{- define "slipway.controllerLeaseName" -}}
{{- if .Values.controller.instanceId }}
{{- printf "slipway-controller-lock-%s" .Values.controller.instanceId }}
{{- else }}
{{- "slipway-controller-lock" }}
{{- end }}
{{- end }}

{{/* Flags every process gets for the namespaced mode. */}}
{{- define "slipway.namespacedArgs" -}}
{{- if .Values.namespaced }}
- --namespaced
- --namespace
- {{ .Release.Namespace }}
{{- end }}
{{- end }}

{{/* The env every process gets: its namespace and pod name, then the user's extra entries. */}}
{{- define "slipway.env" -}}
- name: POD_NAMESPACE
  valueFrom:
    fieldRef:
      fieldPath: metadata.namespace
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- with .values.extraEnv }}
{{ toYaml . }}
{{- end }}
{{- end }}

{{/* Liveness on /healthz and readiness on /readyz, on the healthz port. */}}
{{- define "slipway.probes" -}}
{{- $live := .values.livenessProbe | default (dict) }}
{{- $ready := .values.readinessProbe | default (dict) -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: healthz
  initialDelaySeconds: {{ $live.initialDelaySeconds | default 10 }}
  periodSeconds: {{ $live.periodSeconds | default 20 }}
  timeoutSeconds: {{ $live.timeoutSeconds | default 5 }}
  failureThreshold: {{ $live.failureThreshold | default 3 }}
readinessProbe:
  httpGet:
    path: /readyz
    port: healthz
  initialDelaySeconds: {{ $ready.initialDelaySeconds | default 5 }}
  periodSeconds: {{ $ready.periodSeconds | default 10 }}
  timeoutSeconds: {{ $ready.timeoutSeconds | default 5 }}
  failureThreshold: {{ $ready.failureThreshold | default 3 }}
{{- end }}

{{/* Pod-level scheduling fields a component may set. */}}
{{- define "slipway.scheduling" -}}
{{- with .values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.topologySpreadConstraints }}
topologySpreadConstraints:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end }}

{{/* A PodDisruptionBudget for one component: pass root, component, suffix and values. */}}
{{- define "slipway.podDisruptionBudget" -}}
{{- $pdb := .values.podDisruptionBudget }}
{{- if $pdb.enabled }}
apiVersion: policy/v1
kind: PodDisruptionBudget
metadata:
  name: {{ include "slipway.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "slipway.labels" . | nindent 4 }}
spec:
  {{- if not (kindIs "invalid" $pdb.minAvailable) }}
  minAvailable: {{ $pdb.minAvailable }}
  {{- else }}
  maxUnavailable: {{ $pdb.maxUnavailable }}
  {{- end }}
  selector:
    matchLabels:
      {{- include "slipway.selectorLabels" . | nindent 6 }}
{{- end }}
{{- end }}

{{/*
A NetworkPolicy for one component: pass root, component, suffix, ports (list of
{port, from}) and egress (the component's extra egress rules).
*/}}
{{- define "slipway.networkPolicy" -}}
{{- $np := .root.Values.networkPolicy }}
apiVersion: networking.k8s.io/v1
kind: NetworkPolicy
metadata:
  name: {{ include "slipway.componentName" . }}
  namespace: {{ .root.Release.Namespace }}
  labels:
    {{- include "slipway.labels" . | nindent 4 }}
spec:
  podSelector:
    matchLabels:
      {{- include "slipway.selectorLabels" . | nindent 6 }}
  policyTypes:
    - Ingress
    {{- if $np.egress.restrict }}
    - Egress
    {{- end }}
  ingress:
    {{- range .ports }}
    - ports:
        - port: {{ .port }}
          protocol: TCP
      {{- with .from }}
      from:
        {{- toYaml . | nindent 8 }}
      {{- end }}
    {{- end }}
  {{- if $np.egress.restrict }}
  {{- if not $np.egress.apiServer }}
  {{- fail "networkPolicy.egress.restrict needs networkPolicy.egress.apiServer: the egress rules that reach your Kubernetes API server" }}
  {{- end }}
  egress:
    # DNS, to resolve the API server and everything else by name.
    - ports:
        - port: 53
          protocol: UDP
        - port: 53
          protocol: TCP
    {{- toYaml $np.egress.apiServer | nindent 4 }}
    {{- with .egress }}
    {{- toYaml . | nindent 4 }}
    {{- end }}
  {{- end }}
{{- end }}

{{/*
Secret `get` in each namespace of .values.secretNamespaces, one Role + RoleBinding each: by
name only (no list, no watch), so the component cannot enumerate Secrets. Pass root,
component, suffix, values, key and serviceAccount.
*/}}
{{- define "slipway.secretRoles" -}}
{{- $ctx := . }}
{{- range $namespace := .values.secretNamespaces | uniq }}
{{- if and $ctx.root.Values.namespaced (ne $namespace $ctx.root.Release.Namespace) }}
{{- fail (printf "%s.secretNamespaces: %q is not the release namespace %q, and a namespaced install watches only that one" $ctx.key $namespace $ctx.root.Release.Namespace) }}
{{- end }}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata:
  name: {{ include "slipway.componentName" $ctx }}
  namespace: {{ $namespace }}
  labels:
    {{- include "slipway.labels" $ctx | nindent 4 }}
rules:
  - apiGroups: [""]
    resources: [secrets]
    verbs: [get]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata:
  name: {{ include "slipway.componentName" $ctx }}
  namespace: {{ $namespace }}
  labels:
    {{- include "slipway.labels" $ctx | nindent 4 }}
roleRef:
  apiGroup: rbac.authorization.k8s.io
  kind: Role
  name: {{ include "slipway.componentName" $ctx }}
subjects:
  - kind: ServiceAccount
    name: {{ $ctx.serviceAccount }}
    namespace: {{ $ctx.root.Release.Namespace }}
{{- end }}
{{- end }}
