import { describe, expect, it } from 'vitest';
import {
  formatValuePath,
  parseValuePath,
  type ValuePath,
} from '../../../../../src/gitsync/gittarget/editors/value-path.js';

describe('value paths', () => {
  it.each<[string, ValuePath]>([
    [
      'image.tag',
      [
        { kind: 'key', key: 'image' },
        { kind: 'key', key: 'tag' },
      ],
    ],
    [
      'spec.template.spec.containers[name=web].image',
      [
        { kind: 'key', key: 'spec' },
        { kind: 'key', key: 'template' },
        { kind: 'key', key: 'spec' },
        { kind: 'key', key: 'containers' },
        { kind: 'match', key: 'name', value: 'web' },
        { kind: 'key', key: 'image' },
      ],
    ],
    [
      'args[2]',
      [
        { kind: 'key', key: 'args' },
        { kind: 'index', index: 2 },
      ],
    ],
    [
      '[0].name',
      [
        { kind: 'index', index: 0 },
        { kind: 'key', key: 'name' },
      ],
    ],
    [
      'metadata.annotations["example.com/tag"]',
      [
        { kind: 'key', key: 'metadata' },
        { kind: 'key', key: 'annotations' },
        { kind: 'key', key: 'example.com/tag' },
      ],
    ],
    [
      'podAnnotations.prometheus\\.io/scrape',
      [
        { kind: 'key', key: 'podAnnotations' },
        { kind: 'key', key: 'prometheus.io/scrape' },
      ],
    ],
    [
      'helm.parameters[name=image.tag].value',
      [
        { kind: 'key', key: 'helm' },
        { kind: 'key', key: 'parameters' },
        { kind: 'match', key: 'name', value: 'image.tag' },
        { kind: 'key', key: 'value' },
      ],
    ],
    [
      "list[name='a]b']",
      [
        { kind: 'key', key: 'list' },
        { kind: 'match', key: 'name', value: 'a]b' },
      ],
    ],
  ])('parses %s', (text, path) => {
    expect(parseValuePath(text)).toEqual({ ok: true, path });
  });

  it.each(['', 'a..b', 'a.', '.a', 'a[', 'a[x]', 'a.[0]', 'a[0]b'])('rejects %j', (text) => {
    expect(parseValuePath(text).ok).toBe(false);
  });

  it('formats what it parses', () => {
    for (const text of [
      'image.tag',
      'spec.containers[name=web].image',
      'args[2]',
      'metadata.annotations["example.com/tag"]',
      'list[name="a]b"]',
    ]) {
      const parsed = parseValuePath(text);
      expect(parsed.ok && formatValuePath(parsed.path)).toBe(text);
    }
  });
});
