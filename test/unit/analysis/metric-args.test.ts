// `{{args.*}}` substitution and the metric spec readers the plan relies on.
import { describe, expect, it } from 'vitest';
import { resolveMetricArgs, substituteArgs } from '../../../src/analysis/metric-args.js';
import { dryRunMetricNames, effectiveCount, metricNameMatches } from '../../../src/analysis/metric-spec.js';
import { isWorse, worstPhase } from '../../../src/analysis/phases.js';
import type { Metric } from '../../../src/api/analysis.js';
import { itMaps } from '../support/each.js';

describe('resolveMetricArgs', () => {
  const metric: Metric = {
    name: 'm',
    count: '{{args.count}}',
    successCondition: 'result == "{{ args.expected }}"',
    provider: { web: { url: 'http://{{args.host}}/x', headers: [{ key: 'X', value: '{{args.multi}}' }] } },
  };

  it('[argo] substitutes in every string, JSON-safe, spaces in tags allowed', () => {
    const resolved = resolveMetricArgs(metric, [
      { name: 'count', value: '3' },
      { name: 'expected', value: 'ok' },
      { name: 'host', value: 'svc.shop' },
      { name: 'multi', value: 'line1\nline "2"' },
    ]);
    expect(resolved).toEqual({
      name: 'm',
      count: '3',
      successCondition: 'result == "ok"',
      provider: { web: { url: 'http://svc.shop/x', headers: [{ key: 'X', value: 'line1\nline "2"' }] } },
    });
    expect(effectiveCount(resolved)).toBe(3);
  });

  it.each<[string, { name: string; value?: string }[], string]>([
    ['[argo] an unknown tag', [{ name: 'count', value: '1' }], 'failed to resolve {{ args.expected }}'],
    ['[argo] an arg without value', [{ name: 'count' }], 'argument "count" was not supplied'],
  ])('%s is an error', (_name, args, message) => {
    expect(() => resolveMetricArgs(metric, args)).toThrow(message);
  });

  it('an unclosed tag is an error', () => {
    expect(() => substituteArgs('a {{args.x', new Map([['x', '1']]))).toThrow('cannot find end tag');
  });
});

describe('metric spec', () => {
  itMaps<Partial<Metric>, number | undefined>(
    'effectiveCount(%o) = %s',
    (fields) => effectiveCount({ name: 'm', provider: {}, ...fields }),
    [
      [{}, 1],
      [{ interval: '1m' }, undefined],
      [{ count: 5, interval: '1m' }, 5],
      [{ count: 0, interval: '1m' }, undefined],
      [{ count: 'abc' }, 1],
    ],
  );

  it.each<[string, string, boolean]>([
    ['total-5xx', 'total-5xx-errors', true],
    ['.*', 'anything', true],
    ['*', 'anything', true],
    ['^b', 'abc', false],
    ['[', 'x', false],
    // Go's syntax (RE2): flags and named groups work; lookahead is not Go syntax, so the rule is
    // invalid and, as in Argo (which ignores MatchString's error), matches nothing.
    ['(?i)^TOTAL', 'total-5xx', true],
    ['(?P<kind>5xx)$', 'total-5xx', true],
    ['total(?=-)', 'total-5xx', false],
    // Catastrophic for a backtracking matcher (JavaScript's RegExp takes minutes here, so under
    // the old code this row fails by never finishing); Go's answer: the empty match at the end.
    ['(a|a)*$', `${'a'.repeat(30)}b`, true],
    ['(a+)+$', `${'a'.repeat(30)}b`, false],
  ])('rule %s matches %s: %s', (rule, name, matches) => {
    expect(metricNameMatches(rule, name)).toBe(matches);
  });

  it("[argo] a dryRun rule that is not Go syntax matches nothing: the rule didn't match", () => {
    const metrics: Metric[] = [{ name: 'total-5xx', provider: { web: { url: 'http://x' } } }];
    const run = { spec: { metrics, dryRun: [{ metricName: 'total(?=-)' }] } };
    expect(() => dryRunMetricNames(run, metrics)).toThrow("dryRun[0]: Rule didn't match any metric name(s)");
    expect(dryRunMetricNames({ spec: { metrics, dryRun: [{ metricName: '(?i)5XX' }] } }, metrics)).toEqual(
      new Set(['total-5xx']),
    );
  });
});

describe('phase order', () => {
  it('[argo] Successful < Running < Pending < Inconclusive < Error < Failed', () => {
    expect(isWorse('Successful', 'Running')).toBe(true);
    expect(isWorse('Pending', 'Running')).toBe(false);
    expect(isWorse('Inconclusive', 'Error')).toBe(true);
    expect(worstPhase(['Inconclusive', 'Failed', 'Error'])).toBe('Failed');
  });
});
