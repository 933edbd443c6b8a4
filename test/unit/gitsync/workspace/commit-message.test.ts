import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_COMMIT_TEMPLATE,
  parseSlipwayTrailers,
  renderCommitMessage,
} from '../../../../src/gitsync/workspace/commit-message.js';

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
      },
      {
        'Slipway-Image': 'ghcr.io/acme/api',
        'Slipway-From': '(none)',
        'Slipway-To': '2.0.0',
        'Slipway-Policy': 'newest-build',
      },
    ]);
  });

  it('writes trailers git itself parses', () => {
    const message = renderCommitMessage(DEFAULT_COMMIT_TEMPLATE, [web, api], 'main');
    const parsed = execFileSync('git', ['interpret-trailers', '--parse'], {
      input: message,
      encoding: 'utf8',
    });
    expect(parsed.trim().split('\n')).toHaveLength(8);
    expect(parsed).toContain('Slipway-To: 2.0.0');
  });

  it('keeps every trailer on one line', () => {
    const message = renderCommitMessage('x', [{ ...web, policy: 'semver\n^1' }], 'main');
    expect(message).toContain('Slipway-Policy: semver ^1\n');
  });
});
