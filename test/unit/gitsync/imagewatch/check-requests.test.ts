import { describe, expect, it } from 'vitest';
import type { GitTarget, ImageWatch } from '../../../../src/api/gitsync.js';
import { CHECK_REQUESTED_ANNOTATION, SYNC_REQUESTED_ANNOTATION } from '../../../../src/api/labels.js';
import { pendingSyncRequest, syncRequested } from '../../../../src/gitsync/gittarget/reconciler.js';
import { pendingCheckRequest } from '../../../../src/gitsync/imagewatch/reconciler.js';

/** The metadata of `name` in shop, with the request `annotation` set to `requested` when given. */
const requestedBy = (name: string, annotation: string, requested: string | undefined) => ({
  name,
  namespace: 'shop',
  generation: 1,
  ...(requested !== undefined && { annotations: { [annotation]: requested } }),
});

function watch(requested: string | undefined, lastCheckedAt: string | undefined): ImageWatch {
  return {
    metadata: requestedBy('web', CHECK_REQUESTED_ANNOTATION, requested),
    spec: {
      image: 'ghcr.io/acme/web',
      interval: '10m',
      policy: { strategy: 'semver', semver: { constraint: '^1' } },
      targets: [],
    },
    status: { observedGeneration: 1, ...(lastCheckedAt !== undefined && { lastCheckedAt }) },
  };
}

function target(requested: string | undefined, lastSyncedAt: string | undefined): GitTarget {
  return {
    metadata: requestedBy('config', SYNC_REQUESTED_ANNOTATION, requested),
    spec: { url: 'https://git.example/acme/config.git', branch: 'main' },
    ...(lastSyncedAt !== undefined && { status: { lastSyncedAt } }),
  } as GitTarget;
}

describe('ImageWatch check-now requests', () => {
  it('asks for a check when the request is later than the last check', () => {
    expect(pendingCheckRequest(watch('2026-11-20T10:11:42Z', '2026-11-20T10:10:00Z'), undefined)).toBe(
      '2026-11-20T10:11:42Z',
    );
    expect(pendingCheckRequest(watch('2026-11-20T10:11:42Z', undefined), undefined)).toBe(
      '2026-11-20T10:11:42Z',
    );
  });

  it('ignores a request the last check already answered, or none at all', () => {
    expect(
      pendingCheckRequest(watch('2026-11-20T10:11:42Z', '2026-11-20T10:11:42Z'), undefined),
    ).toBeUndefined();
    expect(
      pendingCheckRequest(watch('2026-11-20T10:11:42Z', '2026-11-20T10:12:00Z'), undefined),
    ).toBeUndefined();
    expect(pendingCheckRequest(watch(undefined, '2026-11-20T10:10:00Z'), undefined)).toBeUndefined();
  });

  it('ignores a request that is not a time', () => {
    expect(pendingCheckRequest(watch('now please', '2026-11-20T10:10:00Z'), undefined)).toBeUndefined();
  });

  it('serves a request from a clock ahead of ours once, then a newer one again', () => {
    // The requester's clock is ahead: after our check, lastCheckedAt is still before the request.
    const ahead = watch('2026-11-20T10:15:00Z', '2026-11-20T10:11:00Z');
    const first = pendingCheckRequest(ahead, undefined);
    expect(first).toBe('2026-11-20T10:15:00Z');
    expect(pendingCheckRequest(ahead, first)).toBeUndefined();
    expect(pendingCheckRequest(watch('2026-11-20T10:16:00Z', '2026-11-20T10:11:00Z'), first)).toBe(
      '2026-11-20T10:16:00Z',
    );
  });
});

describe('GitTarget sync-now requests', () => {
  it('is open until lastSyncedAt is at or after it', () => {
    expect(pendingSyncRequest(target('2026-11-20T10:11:42Z', '2026-11-20T10:10:00Z'))).toBe(
      '2026-11-20T10:11:42Z',
    );
    expect(pendingSyncRequest(target('2026-11-20T10:11:42Z', undefined))).toBe('2026-11-20T10:11:42Z');
    expect(pendingSyncRequest(target('2026-11-20T10:11:42Z', '2026-11-20T10:11:42Z'))).toBeUndefined();
    expect(pendingSyncRequest(target('2026-11-20T10:11:42Z', '2026-11-20T10:20:00Z'))).toBeUndefined();
    expect(pendingSyncRequest(target(undefined, '2026-11-20T10:10:00Z'))).toBeUndefined();
    expect(pendingSyncRequest(target('soon', '2026-11-20T10:10:00Z'))).toBeUndefined();
  });

  it('queues an update only when the annotation changed to an open request', () => {
    const before = target(undefined, '2026-11-20T10:10:00Z');
    const asked = target('2026-11-20T10:11:42Z', '2026-11-20T10:10:00Z');
    expect(syncRequested(before, asked)).toBe('2026-11-20T10:11:42Z');
    // A status write after the sync, or any other update, with the same annotation: nothing new.
    expect(syncRequested(asked, target('2026-11-20T10:11:42Z', '2026-11-20T10:10:05Z'))).toBeUndefined();
    expect(syncRequested(asked, asked)).toBeUndefined();
    // A fresh request replaces an answered one.
    const answered = target('2026-11-20T10:11:42Z', '2026-11-20T10:12:00Z');
    expect(syncRequested(answered, target('2026-11-20T10:13:00Z', '2026-11-20T10:12:00Z'))).toBe(
      '2026-11-20T10:13:00Z',
    );
    // A request already answered when it arrives (our sync ran later) is not queued.
    expect(syncRequested(before, target('2026-11-20T10:09:00Z', '2026-11-20T10:10:00Z'))).toBeUndefined();
  });
});
