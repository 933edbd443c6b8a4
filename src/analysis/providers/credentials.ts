// Provider credentials kept in a Secret, as Argo Rollouts keeps them: by default a Secret with a
// fixed name (`datadog`, `newrelic`) in the controller's namespace; with
// `secretRef: {name, namespaced: true}` a Secret of that name in the AnalysisRun's namespace.
// Values are returned decoded and must never be logged.
import { NotFoundError } from '../../kube/api-error.js';
import type { KubeObject } from '../../kube/object.js';
import { coreResources } from '../../kube/resource.js';
import type { MeasurementTarget, ProviderContext } from './provider.js';

export interface SecretRef {
  name?: string;
  namespaced?: boolean;
}

/** The decoded data of a Secret, or undefined when it does not exist. */
export async function readSecretData(
  context: ProviderContext,
  namespace: string,
  name: string,
): Promise<Record<string, string> | undefined> {
  let secret: KubeObject & { data?: Record<string, string> };
  try {
    secret = await context.client.get<KubeObject & { data?: Record<string, string> }>(
      coreResources.secrets,
      namespace,
      name,
    );
  } catch (error) {
    if (error instanceof NotFoundError) return undefined;
    throw new Error(`reading Secret ${namespace}/${name}: ${(error as Error).message}`);
  }
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {})) {
    data[key] = Buffer.from(value, 'base64').toString('utf8');
  }
  return data;
}

/**
 * The decoded data of a provider's credential Secret (found as credentialSecretLocation says), or
 * an error naming the Secret when it does not exist.
 */
export async function readCredentialSecret(
  target: MeasurementTarget,
  context: ProviderContext,
  defaultName: string,
  ref: SecretRef | undefined,
): Promise<Record<string, string>> {
  const where = credentialSecretLocation(context, target.run.metadata.namespace, defaultName, ref);
  const data = await readSecretData(context, where.namespace, where.name);
  if (!data) throw new Error(`secrets "${where.name}" not found in namespace ${where.namespace}`);
  return data;
}

/** Where a provider's Secret is: `secretRef` when set, else `defaultName` in the controller's namespace. */
export function credentialSecretLocation(
  context: ProviderContext,
  runNamespace: string,
  defaultName: string,
  ref: SecretRef | undefined,
): { namespace: string; name: string } {
  return {
    namespace: ref?.namespaced ? runNamespace : context.controllerNamespace,
    name: ref?.name || defaultName,
  };
}
