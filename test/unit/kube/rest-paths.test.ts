// The object an API path names, for the request counter's `name` label.
import { describe, expect, it } from 'vitest';
import { objectNameOf } from '../../../src/kube/rest.js';

describe('objectNameOf', () => {
  it.each([
    ['/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/web', 'web'],
    ['/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts/web/status', 'web'],
    ['/api/v1/namespaces/shop/services/web-canary', 'web-canary'],
    ['/api/v1/namespaces/shop', 'shop'],
    ['/apis/argoproj.io/v1alpha1/clusteranalysistemplates/pass', 'pass'],
    [
      '/apis/coordination.k8s.io/v1/namespaces/argo-rollouts/leases/argo-rollouts-controller-lock',
      'argo-rollouts-controller-lock',
    ],
    // Counting a request must never throw (it runs in the request's finally), whatever the path holds.
    ['/api/v1/namespaces/shop/configmaps/bad%zz', 'bad%zz'],
  ])('%s names %s', (path, name) => {
    expect(objectNameOf(path)).toBe(name);
  });

  it.each([
    '/apis/argoproj.io/v1alpha1/namespaces/shop/rollouts',
    '/apis/argoproj.io/v1alpha1/rollouts',
    '/api/v1/namespaces',
    '/api/v1/namespaces/shop/events',
  ])('%s names no object', (path) => {
    expect(objectNameOf(path)).toBe('');
  });
});
