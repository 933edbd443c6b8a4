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

/**
 * A pod template. Its metadata is modelled; its spec is kept verbatim (the API server
 * validates it when we create the ReplicaSet, and keeping it unpruned preserves the exact
 * bytes the pod-template hash is computed from).
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
    spec: Type.Optional(OpenObject('A core/v1 PodSpec.')),
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
export type { ObjectMeta, OwnerReference } from '../kube/object.js';

/** A top-level kind with a spec and a status (status written only through /status). */
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
