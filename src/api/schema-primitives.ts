// Schema building blocks shared by every kind we serve. Each one is a TypeBox schema, so the
// same definition gives the TypeScript type (Static<...>) and the structural OpenAPI schema
// the CRD carries. Kubernetes structural schemas forbid patternProperties, const and
// untyped anyOf, so maps, enums and int-or-string are spelled out here in the form the API
// server accepts.
import { type TSchema, Type } from '@sinclair/typebox';
import type { ObjectMeta } from '../kube/object.js';

/** `map[string]string`, such as labels and annotations. */
export const StringMap = () =>
  Type.Unsafe<Record<string, string>>({ type: 'object', additionalProperties: { type: 'string' } });

/** An IntOrString field such as maxSurge ("25%" or 1). */
export const IntOrString = (description?: string) =>
  Type.Unsafe<number | string>({
    'x-kubernetes-int-or-string': true,
    anyOf: [{ type: 'integer' }, { type: 'string' }],
    ...(description ? { description } : {}),
  });

/** A string restricted to a closed set, spelled as `enum` (structural schemas allow no `const`). */
export const StringEnum = <const T extends readonly string[]>(values: T, description?: string) =>
  Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...(description ? { description } : {}) });

/**
 * A string our code reads as one of `values`, with no enum in the CRD, as in Argo's: for the
 * status of kinds without the status subresource (AnalysisRun, Experiment), which every write
 * of the object validates, and to which Argo Rollouts writes an empty phase ("") while it
 * starts a run; an enum there makes the API server refuse Argo's whole write.
 */
export const UncheckedStringEnum = <const T extends readonly string[]>(_values: T) =>
  Type.Unsafe<T[number]>({ type: 'string' });

/**
 * An object whose fields we do not model one by one but must keep intact: the API server
 * prunes unknown fields, and pruning a field of a valid Argo Rollouts manifest would
 * silently change what the user declared.
 */
export const OpenObject = (description?: string) =>
  Type.Unsafe<Record<string, unknown>>({
    type: 'object',
    'x-kubernetes-preserve-unknown-fields': true,
    ...(description ? { description } : {}),
  });

/** A modelled object that also keeps fields we have not modelled (newer Argo fields, plugins). */
export const OpenObjectOf = <T extends Parameters<typeof Type.Object>[0]>(
  properties: T,
  description?: string,
) =>
  Type.Object(properties, {
    'x-kubernetes-preserve-unknown-fields': true,
    ...(description ? { description } : {}),
  });

export const Int32 = (description?: string) =>
  Type.Integer({ format: 'int32', ...(description ? { description } : {}) });

export const Int64 = (description?: string) =>
  Type.Integer({ format: 'int64', ...(description ? { description } : {}) });

/** RFC 3339 timestamp, as metav1.Time serializes. */
export const Timestamp = (description?: string) =>
  Type.String({ format: 'date-time', ...(description ? { description } : {}) });

export const LabelSelector = () =>
  Type.Object(
    {
      matchLabels: Type.Optional(StringMap()),
      matchExpressions: Type.Optional(
        Type.Array(
          Type.Object({
            key: Type.String(),
            operator: Type.String(),
            values: Type.Optional(Type.Array(Type.String())),
          }),
        ),
      ),
    },
    { 'x-kubernetes-map-type': 'atomic' },
  );

/** Labels and annotations only: the metadata a user may attach to generated objects. */
export const LabelsAndAnnotations = () =>
  Type.Object({
    labels: Type.Optional(StringMap()),
    annotations: Type.Optional(StringMap()),
  });

// The `default:` values Argo Rollouts' CRDs (controller-gen over k8s.io/api v0.34) carry in
// every pod spec. The API server applies a CRD's defaults when it stores an object, so a
// manifest is stored the same under their CRDs and ours only if ours carry the same ones.
// test/unit/api/crd-defaults.test.ts compares them with Argo's manifests/crds.
const containerDefaults: Readonly<Record<string, string | boolean>> = {
  'env[].valueFrom.configMapKeyRef.name': '',
  'env[].valueFrom.fileKeyRef.optional': false,
  'env[].valueFrom.secretKeyRef.name': '',
  'envFrom[].configMapRef.name': '',
  'envFrom[].secretRef.name': '',
  'livenessProbe.grpc.service': '',
  'ports[].protocol': 'TCP',
  'readinessProbe.grpc.service': '',
  'startupProbe.grpc.service': '',
};
const podSpecDefaults: Readonly<Record<string, string | boolean>> = Object.fromEntries([
  ['imagePullSecrets[].name', ''],
  ...['containers', 'initContainers', 'ephemeralContainers'].flatMap((list) =>
    Object.entries(containerDefaults).map(([path, value]) => [`${list}[].${path}`, value]),
  ),
]);

type SchemaNode = Record<string, unknown> & { properties?: Record<string, SchemaNode>; items?: SchemaNode };

/**
 * An open object (unknown fields kept) that declares only the paths that carry a default:
 * `a[].b` is member b of the items of list a.
 */
export function openObjectWithDefaults(
  defaults: Readonly<Record<string, string | boolean>>,
  description?: string,
): SchemaNode {
  const open = (): SchemaNode => ({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  const root: SchemaNode = { ...open(), ...(description ? { description } : {}) };
  for (const [path, value] of Object.entries(defaults)) {
    const segments = path.split('.');
    let node = root;
    segments.forEach((segment, i) => {
      const isList = segment.endsWith('[]');
      const name = isList ? segment.slice(0, -2) : segment;
      node.properties ??= {};
      if (i === segments.length - 1) {
        node.properties[name] = { type: typeof value === 'boolean' ? 'boolean' : 'string', default: value };
        return;
      }
      node.properties[name] ??= isList ? { type: 'array', items: open() } : open();
      const child = node.properties[name]!;
      node = isList ? child.items! : child;
    });
  }
  return root;
}

/** A core/v1 PodSpec: kept verbatim but for the defaults Argo's CRDs give it. */
export const PodSpec = (description = 'A core/v1 PodSpec.') =>
  Type.Unsafe<Record<string, unknown>>(openObjectWithDefaults(podSpecDefaults, description));

/** A batch/v1 JobSpec: kept verbatim but for the defaults of its pod template's spec. */
export const JobSpec = (description = 'A batch/v1 JobSpec.') =>
  Type.Unsafe<Record<string, unknown>>(
    openObjectWithDefaults(
      Object.fromEntries(
        Object.entries(podSpecDefaults).map(([path, value]) => [`template.spec.${path}`, value]),
      ),
      description,
    ),
  );

/**
 * A pod template. Its metadata is modelled; its spec is kept verbatim (the API server
 * validates it when we create the ReplicaSet, and keeping it unpruned preserves the exact
 * bytes the pod-template hash is computed from), with Argo's CRD defaults.
 */
export const PodTemplateSpec = () =>
  Type.Object({
    metadata: Type.Optional(
      Type.Object(
        {
          labels: Type.Optional(StringMap()),
          annotations: Type.Optional(StringMap()),
        },
        { 'x-kubernetes-preserve-unknown-fields': true },
      ),
    ),
    spec: Type.Optional(PodSpec()),
  });

/** A status condition in the shape Argo Rollouts writes (lastUpdateTime included). */
export const Condition = () =>
  Type.Object({
    type: Type.String(),
    status: Type.String(),
    reason: Type.Optional(Type.String()),
    message: Type.Optional(Type.String()),
    lastUpdateTime: Type.Optional(Timestamp()),
    lastTransitionTime: Type.Optional(Timestamp()),
  });

export const ObjectMetaSchema = () => Type.Unsafe<ObjectMeta>({ type: 'object' });

// The ObjectMeta fields our code reads are src/kube's; the API server owns metadata's schema.
export type { ObjectMeta } from '../kube/object.js';

/** The conditions of a status (Ready, Progressing, ...). */
export const Conditions = () => Type.Optional(Type.Array(Condition()));

/** A namespaced object of a kind with a status, as the controllers read it from their caches. */
export interface NamespacedObject<Spec, Status> {
  apiVersion?: string;
  kind?: string;
  metadata: ObjectMeta & { name: string; namespace: string };
  spec: Spec;
  status?: Status;
}

/** A top-level kind with a spec and a status. */
export const KindWithStatus = <S extends TSchema, St extends TSchema>(
  description: string,
  spec: S,
  status: St,
) =>
  Type.Object(
    {
      apiVersion: Type.Optional(Type.String()),
      kind: Type.Optional(Type.String()),
      metadata: Type.Optional(ObjectMetaSchema()),
      spec,
      status: Type.Optional(status),
    },
    { description },
  );

/** A top-level kind with a spec only (templates). */
export const KindWithoutStatus = <S extends TSchema>(description: string, spec: S) =>
  Type.Object(
    {
      apiVersion: Type.Optional(Type.String()),
      kind: Type.Optional(Type.String()),
      metadata: Type.Optional(ObjectMetaSchema()),
      spec,
    },
    { description },
  );
