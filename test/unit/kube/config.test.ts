import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadKubeConfig } from '../../../src/kube/config.js';

const dir = mkdtempSync(join(tmpdir(), 'slipway-kubeconfig-'));
const emptyHome = join(dir, 'home');
mkdirSync(emptyHome);

function kubeconfigFile(name: string, server: string, context = 'local'): string {
  const file = join(dir, name);
  writeFileSync(
    file,
    [
      'apiVersion: v1',
      'kind: Config',
      `current-context: ${context}`,
      'clusters:',
      `- name: c-${name}`,
      `  cluster: { server: "${server}" }`,
      'users:',
      `- name: u-${name}`,
      '  user: { token: abc }',
      'contexts:',
      `- name: ${context}`,
      `  context: { cluster: c-${name}, user: u-${name} }`,
    ].join('\n'),
  );
  return file;
}

describe('loadKubeConfig', () => {
  it('loads an explicit path before KUBECONFIG', () => {
    const explicit = kubeconfigFile('explicit', 'https://explicit:6443');
    const fromEnv = kubeconfigFile('env', 'https://env:6443');
    const { kubeConfig, source } = loadKubeConfig({
      path: explicit,
      env: { KUBECONFIG: fromEnv },
      homeDir: emptyHome,
    });
    expect(source).toBe('path');
    expect(kubeConfig.getCurrentCluster()?.server).toBe('https://explicit:6443');
  });

  it('merges the files of KUBECONFIG, first file winning', () => {
    const first = kubeconfigFile('first', 'https://first:6443', 'one');
    const second = kubeconfigFile('second', 'https://second:6443', 'two');
    const { kubeConfig, source } = loadKubeConfig({
      env: { KUBECONFIG: `${first}:${second}` },
      homeDir: emptyHome,
    });
    expect(source).toBe('KUBECONFIG');
    expect(kubeConfig.getCurrentContext()).toBe('one');
    expect(kubeConfig.getContexts().map((c) => c.name)).toEqual(['one', 'two']);
  });

  it('names the file that cannot be read', () => {
    expect(() => loadKubeConfig({ path: join(dir, 'missing.yaml'), env: {} })).toThrow(
      new RegExp(`^kubeconfig ${join(dir, 'missing.yaml')}: ENOENT`),
    );
  });

  it('names the known contexts when the requested one is missing', () => {
    const file = kubeconfigFile('ctx', 'https://ctx:6443');
    expect(() => loadKubeConfig({ path: file, context: 'prod', env: {} })).toThrow(
      'kubeconfig: context "prod" not found; known contexts: local',
    );
  });

  it('uses the service account in a pod, and says which file is missing', () => {
    const serviceAccountDir = join(dir, 'sa');
    mkdirSync(serviceAccountDir);
    const env = { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' };
    expect(() => loadKubeConfig({ env, serviceAccountDir, homeDir: emptyHome })).toThrow(
      `in-cluster config: KUBERNETES_SERVICE_HOST is set but ${join(serviceAccountDir, 'token')} is unreadable`,
    );
    writeFileSync(join(serviceAccountDir, 'token'), 'token');
    writeFileSync(join(serviceAccountDir, 'ca.crt'), 'ca');
    const { kubeConfig, source } = loadKubeConfig({ env, serviceAccountDir, homeDir: emptyHome });
    expect(source).toBe('in-cluster');
    expect(kubeConfig.getCurrentCluster()?.server).toBe('https://10.96.0.1:443');
  });

  it('fails with what to do when there is no config at all', () => {
    expect(() => loadKubeConfig({ env: {}, homeDir: emptyHome })).toThrow(
      /^no Kubernetes config found: pass --kubeconfig/,
    );
  });
});
