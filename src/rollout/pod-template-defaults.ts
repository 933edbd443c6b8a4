// Kubernetes' defaulting of a pod template (k8s.io/kubernetes pkg/apis/core/v1
// SetObjectDefaults_PodTemplate, as linked into Argo Rollouts v1.10.2: k8s 1.34), on plain JSON.
// Argo defaults the Rollout's template with it before comparing it with a ReplicaSet's (which
// the API server defaulted on create), so a ReplicaSet whose hash label differs is still
// recognized as the template's own. Golden values: `defaulted` in
// test/fixtures/pod-template-hash/expected.json, from the Go function itself.
//
// Not reproduced: resource quantities rounded up to milli units (only values finer than 1m
// change) and the ImageVolume feature gate's pull policy (off in Argo's build).
import { splitImageRef } from '../api/image-ref.js';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function objects(value: unknown): Json[] {
  return Array.isArray(value) ? value.filter(isObject) : [];
}

function setIfEmpty(object: Json, key: string, value: unknown): void {
  const current = object[key];
  if (current === undefined || current === null || current === '' || current === 0) object[key] = value;
}

function setIfAbsent(object: Json, key: string, value: unknown): void {
  if (object[key] === undefined || object[key] === null) object[key] = value;
}

/** The template as the API server stores it in a ReplicaSet; the input is not modified. */
export function defaultPodTemplate(template: unknown): Json {
  const copy: Json = isObject(template) ? structuredClone(template) : {};
  if (!isObject(copy.spec)) copy.spec = {};
  const spec = copy.spec as Json;
  setIfEmpty(spec, 'dnsPolicy', 'ClusterFirst');
  setIfEmpty(spec, 'restartPolicy', 'Always');
  setIfAbsent(spec, 'securityContext', {});
  setIfAbsent(spec, 'terminationGracePeriodSeconds', 30);
  setIfEmpty(spec, 'schedulerName', 'default-scheduler');
  for (const volume of objects(spec.volumes)) defaultVolume(volume);
  for (const key of ['initContainers', 'containers', 'ephemeralContainers']) {
    for (const container of objects(spec[key])) defaultContainer(container);
  }
  return copy;
}

const fieldRef = (holder: unknown) => {
  if (isObject(holder) && isObject(holder.fieldRef)) setIfEmpty(holder.fieldRef, 'apiVersion', 'v1');
};

function defaultVolume(volume: Json): void {
  // VolumeSource with every pointer nil becomes an emptyDir.
  const sources = Object.entries(volume).filter(
    ([key, v]) => key !== 'name' && v !== null && v !== undefined,
  );
  if (sources.length === 0) volume.emptyDir = {};
  const { hostPath, secret, configMap, downwardAPI, projected, iscsi, rbd, azureDisk, scaleIO, ephemeral } =
    volume;
  if (isObject(hostPath)) setIfAbsent(hostPath, 'type', '');
  if (isObject(secret)) setIfAbsent(secret, 'defaultMode', 0o644);
  if (isObject(configMap)) setIfAbsent(configMap, 'defaultMode', 0o644);
  if (isObject(downwardAPI)) {
    setIfAbsent(downwardAPI, 'defaultMode', 0o644);
    for (const item of objects(downwardAPI.items)) fieldRef(item);
  }
  if (isObject(projected)) {
    setIfAbsent(projected, 'defaultMode', 0o644);
    for (const source of objects(projected.sources)) {
      if (isObject(source.downwardAPI)) for (const item of objects(source.downwardAPI.items)) fieldRef(item);
      if (isObject(source.serviceAccountToken))
        setIfAbsent(source.serviceAccountToken, 'expirationSeconds', 3600);
    }
  }
  if (isObject(iscsi)) setIfEmpty(iscsi, 'iscsiInterface', 'default');
  if (isObject(rbd)) {
    setIfEmpty(rbd, 'pool', 'rbd');
    setIfEmpty(rbd, 'user', 'admin');
    setIfEmpty(rbd, 'keyring', '/etc/ceph/keyring');
  }
  if (isObject(azureDisk)) {
    setIfAbsent(azureDisk, 'cachingMode', 'ReadWrite');
    setIfAbsent(azureDisk, 'fsType', 'ext4');
    setIfAbsent(azureDisk, 'readOnly', false);
    setIfAbsent(azureDisk, 'kind', 'Shared');
  }
  if (isObject(scaleIO)) {
    setIfEmpty(scaleIO, 'storageMode', 'ThinProvisioned');
    setIfEmpty(scaleIO, 'fsType', 'xfs');
  }
  if (isObject(ephemeral) && isObject(ephemeral.volumeClaimTemplate)) {
    const claim = ephemeral.volumeClaimTemplate;
    if (!isObject(claim.spec)) claim.spec = {};
    setIfAbsent(claim.spec as Json, 'volumeMode', 'Filesystem');
  }
}

function defaultContainer(container: Json): void {
  if (
    container.imagePullPolicy === undefined ||
    container.imagePullPolicy === null ||
    container.imagePullPolicy === ''
  ) {
    container.imagePullPolicy =
      imageTag(typeof container.image === 'string' ? container.image : '') === 'latest'
        ? 'Always'
        : 'IfNotPresent';
  }
  setIfEmpty(container, 'terminationMessagePath', '/dev/termination-log');
  setIfEmpty(container, 'terminationMessagePolicy', 'File');
  for (const port of objects(container.ports)) setIfEmpty(port, 'protocol', 'TCP');
  for (const env of objects(container.env)) {
    if (!isObject(env.valueFrom)) continue;
    fieldRef(env.valueFrom);
    if (isObject(env.valueFrom.fileKeyRef)) setIfAbsent(env.valueFrom.fileKeyRef, 'optional', false);
  }
  for (const key of ['livenessProbe', 'readinessProbe', 'startupProbe']) {
    const probe = container[key];
    if (!isObject(probe)) continue;
    setIfEmpty(probe, 'timeoutSeconds', 1);
    setIfEmpty(probe, 'periodSeconds', 10);
    setIfEmpty(probe, 'successThreshold', 1);
    setIfEmpty(probe, 'failureThreshold', 3);
    defaultHttpGet(probe.httpGet);
    if (isObject(probe.grpc)) setIfAbsent(probe.grpc, 'service', '');
  }
  if (isObject(container.lifecycle)) {
    for (const hook of [container.lifecycle.postStart, container.lifecycle.preStop]) {
      if (isObject(hook)) defaultHttpGet(hook.httpGet);
    }
  }
}

function defaultHttpGet(action: unknown): void {
  if (!isObject(action)) return;
  setIfEmpty(action, 'path', '/');
  setIfEmpty(action, 'scheme', 'HTTP');
}

/**
 * The tag parsers.ParseImageName finds: after the last ':' of the last path segment, before
 * any digest; "latest" when there is neither a tag nor a digest; "" when the name does not
 * parse (then the policy is IfNotPresent, as in Go, which ignores the error).
 */
export function imageTag(image: string): string {
  if (image === '' || image !== image.trim() || /[A-Z]/.test(image.split('/').pop()!.split(/[:@]/)[0]!))
    return '';
  const { tag, digest } = splitImageRef(image);
  if (!tag && !digest) return 'latest';
  return tag ?? '';
}
