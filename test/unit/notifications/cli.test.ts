// `kubectl slipway notifications ...` against an in-memory cluster.
import { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import type { KubeObject } from '../../../src/kube/object.js';
import { type NotificationsCliDeps, notificationsCommand } from '../../../src/notifications/cli.js';

function run(args: string[], objects: Record<string, KubeObject>) {
  let out = '';
  let err = '';
  const deps: NotificationsCliDeps = {
    namespace: (flags) => flags.namespace ?? 'default',
    getObject: async (kind, namespace, name) => objects[`${kind}/${namespace}/${name}`],
    stdout: (t) => {
      out += t;
    },
    stderr: (t) => {
      err += t;
    },
  };
  const program = new Command('kubectl-slipway').option('-n, --namespace <name>').exitOverride();
  program.addCommand(notificationsCommand(deps));
  return program.parseAsync(['node', 'kubectl-slipway', ...args]).then(() => ({ out, err }));
}

const objects: Record<string, KubeObject> = {
  'ConfigMap/shop/argo-rollouts-notification-configmap': {
    apiVersion: 'v1',
    kind: 'ConfigMap',
    metadata: { name: 'argo-rollouts-notification-configmap', namespace: 'shop' },
    data: {
      'template.my-custom': 'message: Hello {{.rollout.metadata.name}} at {{.rollout.status.phase}}',
      'trigger.on-healthy': "- when: rollout.status.phase == 'Healthy'\n  send: [my-custom]\n",
    },
  } as KubeObject,
  'Rollout/shop/web': {
    apiVersion: 'argoproj.io/v1alpha1',
    kind: 'Rollout',
    metadata: { name: 'web', namespace: 'shop' },
    status: { phase: 'Healthy' },
  } as KubeObject,
};

describe('notifications CLI', () => {
  it('template get lists the configured and catalog templates with a preview', async () => {
    const { out } = await run(['-n', 'shop', 'notifications', 'template', 'get'], objects);
    const lines = out.trim().split('\n');
    expect(lines[0]).toMatch(/^NAME\s+PREVIEW$/);
    expect(lines).toContainEqual(
      expect.stringMatching(/^my-custom\s+Hello \{\{\.rollout\.metadata\.name\}\} at/),
    );
    expect(lines).toContainEqual(
      expect.stringMatching(
        /^rollout-completed\s+Rollout \{\{\.rollout\.metadata\.name\}\} has been completed\.$/,
      ),
    );
  });

  it('template notify renders for a real Rollout on the console', async () => {
    const { out } = await run(
      ['-n', 'shop', 'notifications', 'template', 'notify', 'my-custom', 'web'],
      objects,
    );
    expect(out).toBe('message: Hello web at Healthy\n');
  });

  it('trigger get and trigger run', async () => {
    const get = await run(['-n', 'shop', 'notifications', 'trigger', 'get', 'on-healthy'], objects);
    expect(get.out).toBe(
      "NAME        TEMPLATE   CONDITION\non-healthy  my-custom  rollout.status.phase == 'Healthy'\n",
    );
    const ran = await run(['-n', 'shop', 'notifications', 'trigger', 'run', 'on-healthy', 'web'], objects);
    expect(ran.out).toBe(
      "CONDITION                          RESULT\nrollout.status.phase == 'Healthy'  true\n",
    );
  });

  it('an unknown rollout is a clear error', async () => {
    await expect(
      run(['-n', 'shop', 'notifications', 'template', 'notify', 'my-custom', 'nope'], objects),
    ).rejects.toThrow('failed to load resource: rollouts.argoproj.io "nope" not found');
  });
});
