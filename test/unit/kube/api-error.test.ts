// Recognising a JSON patch the API server could not apply (a failed `test` guard) among its
// other 422 answers.
import { describe, expect, it } from 'vitest';
import {
  ConflictError,
  isPatchNotApplied,
  kubeApiErrorFor,
  TestFailedError,
} from '../../../src/kube/api-error.js';
import { PATCH_NOT_APPLIED } from '../support/replicaset-store.js';

const request = { method: 'PATCH', path: '/apis/apps/v1/namespaces/shop/replicasets/web-abc' };

describe('isPatchNotApplied', () => {
  it("is kube-apiserver's 422 for a JSON patch it could not apply (the body it sends)", () => {
    expect(isPatchNotApplied(kubeApiErrorFor(request, 422, PATCH_NOT_APPLIED))).toBe(true);
  });

  it("is a 422 that keeps the JSON patch library's words", () => {
    const status = {
      kind: 'Status',
      reason: 'Invalid',
      message: 'the server rejected our request due to an error in our request',
      details: { causes: [{ message: 'testing value /metadata/generation failed: test failed' }] },
    };
    expect(isPatchNotApplied(kubeApiErrorFor(request, 422, status))).toBe(true);
  });

  it('is not a 422 for an object that fails validation', () => {
    const status = {
      kind: 'Status',
      reason: 'Invalid',
      message:
        'ReplicaSet.apps "web-abc" is invalid: spec.replicas: Invalid value: -1: must be greater than or equal to 0',
      details: {
        causes: [{ reason: 'FieldValueInvalid', field: 'spec.replicas', message: 'Invalid value: -1' }],
      },
    };
    expect(isPatchNotApplied(kubeApiErrorFor(request, 422, status))).toBe(false);
  });

  it('is not another status code with the same words, nor a plain error', () => {
    expect(isPatchNotApplied(kubeApiErrorFor(request, 400, { ...PATCH_NOT_APPLIED, code: 400 }))).toBe(false);
    expect(isPatchNotApplied(new Error(PATCH_NOT_APPLIED.message))).toBe(false);
  });

  it('a TestFailedError is handled wherever a 409 is', () => {
    expect(new TestFailedError(request, 422, PATCH_NOT_APPLIED)).toBeInstanceOf(ConflictError);
  });
});
