// Reads a Secret's data when a sync needs it (never cached, never logged).
import { NotFoundError } from '../kube/api-error.js';
import type { KubeObject } from '../kube/object.js';
import { coreResources } from '../kube/resource.js';
import type { RestClient } from '../kube/rest.js';

interface SecretObject extends KubeObject {
  type?: string;
  data?: Record<string, string>;
}

export class SecretError extends Error {}

export async function readSecretData(
  client: RestClient,
  namespace: string,
  name: string,
): Promise<{ data: Record<string, string>; type: string | undefined; resourceVersion: string }> {
  let secret: SecretObject;
  try {
    secret = await client.get<SecretObject>(coreResources.secrets, namespace, name);
  } catch (error) {
    if (error instanceof NotFoundError) throw new SecretError(`Secret ${namespace}/${name} not found`);
    throw new SecretError(`reading Secret ${namespace}/${name} failed: ${(error as Error).message}`);
  }
  const data: Record<string, string> = {};
  for (const [key, value] of Object.entries(secret.data ?? {}))
    data[key] = Buffer.from(value, 'base64').toString('utf8');
  return { data, type: secret.type, resourceVersion: secret.metadata?.resourceVersion ?? '' };
}
