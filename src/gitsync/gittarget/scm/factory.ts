// Picks the SCM provider a pipeline names and hands it its credentials from the Secret.
import type { ScmSpec } from '../../../api/promotion.js';
import { GiteaProvider } from './gitea.js';
import { type GitHubAuth, GitHubProvider } from './github.js';
import type { ScmProvider } from './provider.js';

export function createScmProvider(spec: ScmSpec, secret: Record<string, string>): ScmProvider {
  const where = `spec.scm (Secret ${spec.secretRef.name})`;
  switch (spec.provider) {
    case 'github': {
      let auth: GitHubAuth;
      if (
        secret.appId !== undefined &&
        secret.installationId !== undefined &&
        secret.privateKey !== undefined
      ) {
        auth = {
          kind: 'app',
          appId: secret.appId,
          installationId: secret.installationId,
          privateKey: secret.privateKey,
        };
      } else if (secret.token !== undefined) {
        auth = { kind: 'token', token: secret.token };
      } else {
        throw new Error(`${where}: give \`token\`, or \`appId\`, \`installationId\` and \`privateKey\``);
      }
      return new GitHubProvider({
        owner: spec.owner,
        repository: spec.repository,
        auth,
        ...(spec.apiUrl !== undefined && { baseUrl: spec.apiUrl }),
      });
    }
    case 'gitea': {
      if (spec.apiUrl === undefined) throw new Error(`${where}: apiUrl is required for gitea`);
      if (secret.token === undefined) throw new Error(`${where}: give \`token\``);
      return new GiteaProvider({
        owner: spec.owner,
        repository: spec.repository,
        baseUrl: spec.apiUrl,
        token: secret.token,
      });
    }
  }
}
