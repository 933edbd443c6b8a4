import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_COMMIT_TEMPLATE,
  parseSlipwayTrailers,
  readDecisions,
  renderCommitMessage,
} from '../../../../../src/gitsync/gittarget/workspace/commit-message.js';

const web = {
  image: 'ghcr.io/acme/web',
  from: ['1.4.1'],
  to: '1.4.2',
  policy: 'semver ^1.4',
  files: ['apps/web/kustomization.yaml'],
};
const api = {
  image: 'ghcr.io/acme/api',
  from: [],
  to: '2.0.0',
  policy: 'newest-build',
  files: ['apps/api/values.yaml'],
};

describe('commit messages', () => {
  it('names the one image in the subject and lists the change', () => {
    expect(renderCommitMessage(DEFAULT_COMMIT_TEMPLATE, [web], 'main')).toBe(
      [
        'chore(images): update web to 1.4.2',
        '',
        '- ghcr.io/acme/web: 1.4.1 -> 1.4.2 (apps/web/kustomization.yaml)',
        '',
        'Slipway-Image: ghcr.io/acme/web',
        'Slipway-From: 1.4.1',
        'Slipway-To: 1.4.2',
        'Slipway-Policy: semver ^1.4',
        'Slipway-Decision: bump',
        '',
      ].join('\n'),
    );
  });

  it('fills a custom template and appends one trailer group per image', () => {
    const message = renderCommitMessage(
      'deploy({{branch}}): {{count}} bumps\n\n{{images}}',
      [web, api],
      'prod',
    );
    expect(message.split('\n').slice(0, 3)).toEqual([
      'deploy(prod): 2 bumps',
      '',
      'ghcr.io/acme/web:1.4.2, ghcr.io/acme/api:2.0.0',
    ]);
    expect(parseSlipwayTrailers(message)).toEqual([
      {
        'Slipway-Image': 'ghcr.io/acme/web',
        'Slipway-From': '1.4.1',
        'Slipway-To': '1.4.2',
        'Slipway-Policy': 'semver ^1.4',
        'Slipway-Decision': 'bump',
      },
      {
        'Slipway-Image': 'ghcr.io/acme/api',
        'Slipway-From': '(none)',
        'Slipway-To': '2.0.0',
        'Slipway-Policy': 'newest-build',
        'Slipway-Decision': 'bump',
      },
    ]);
  });

  it('writes trailers git itself parses', () => {
    const message = renderCommitMessage(DEFAULT_COMMIT_TEMPLATE, [web, api], 'main');
    const parsed = execFileSync('git', ['interpret-trailers', '--parse'], {
      input: message,
      encoding: 'utf8',
    });
    expect(parsed.trim().split('\n')).toHaveLength(10);
    expect(parsed).toContain('Slipway-To: 2.0.0');
  });

  it('keeps every trailer on one line', () => {
    const message = renderCommitMessage('x', [{ ...web, policy: 'semver\n^1' }], 'main');
    expect(message).toContain('Slipway-Policy: semver ^1\n');
  });
});

describe('one reader for every decision in git log', () => {
  it('reads bumps and promotion decisions, old trailers included', () => {
    const bump = renderCommitMessage(DEFAULT_COMMIT_TEMPLATE, [web], 'main');
    const oldBump =
      'chore: x\n\nSlipway-Image: ghcr.io/acme/api\nSlipway-From: 1.0.0\nSlipway-To: 1.1.0\nSlipway-Policy: semver ^1\n';
    const promotion =
      'promote(prod): web\n\nwhy\n\nSlipway-Decision: promote\nSlipway-Pipeline: ops/web\nSlipway-Environment: prod\nSlipway-Image: reg.local:5000/acme/web:2.0.0\nSlipway-To: 2.0.0\nSlipway-From: reg.local:5000/acme/web:1.0.0\n';
    const oldRollback =
      'rollback(prod): web\n\nSlipway-Decision: rollback\nSlipway-Environment: prod\nSlipway-Image: reg.local:5000/acme/web:1.0.0\nSlipway-From: reg.local:5000/acme/web:2.0.0\n';
    const read = [bump, oldBump, promotion, oldRollback]
      .flatMap(readDecisions)
      .map((d) => [d.decision, d.image, d.to]);
    expect(read).toEqual([
      ['bump', 'ghcr.io/acme/web', '1.4.2'],
      ['bump', 'ghcr.io/acme/api', '1.1.0'],
      ['promote', 'reg.local:5000/acme/web', '2.0.0'],
      ['rollback', 'reg.local:5000/acme/web', '1.0.0'],
    ]);
  });

  it('keeps the groups of a commit with several bumps apart', () => {
    const message = renderCommitMessage(DEFAULT_COMMIT_TEMPLATE, [web, api], 'main');
    expect(readDecisions(message).map((d) => `${d.decision} ${d.image}:${d.to}`)).toEqual([
      'bump ghcr.io/acme/web:1.4.2',
      'bump ghcr.io/acme/api:2.0.0',
    ]);
  });
});
