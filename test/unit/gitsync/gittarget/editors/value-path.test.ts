import { describe, expect, it } from 'vitest';
import {
  formatValuePath,
  parseValuePath,
  type ValuePath,
} from '../../../../../src/gitsync/gittarget/editors/value-path.js';

// One builder per kind of path segment.
const key = (key: string): ValuePath[number] => ({ kind: 'key', key });
const index = (index: number): ValuePath[number] => ({ kind: 'index', index });
const match = (key: string, value: string): ValuePath[number] => ({ kind: 'match', key, value });

describe('value paths', () => {
  it.each<[string, ValuePath]>([
    ['image.tag', [key('image'), key('tag')]],
    [
      'spec.template.spec.containers[name=web].image',
      [key('spec'), key('template'), key('spec'), key('containers'), match('name', 'web'), key('image')],
    ],
    ['args[2]', [key('args'), index(2)]],
    ['[0].name', [index(0), key('name')]],
    [
      'metadata.annotations["example.com/tag"]',
      [key('metadata'), key('annotations'), key('example.com/tag')],
    ],
    ['podAnnotations.prometheus\\.io/scrape', [key('podAnnotations'), key('prometheus.io/scrape')]],
    [
      'helm.parameters[name=image.tag].value',
      [key('helm'), key('parameters'), match('name', 'image.tag'), key('value')],
    ],
    ["list[name='a]b']", [key('list'), match('name', 'a]b')]],
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
