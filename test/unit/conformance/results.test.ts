import { describe, expect, it } from 'vitest';
import { parseGoTestOutput, summarize } from '../../conformance/results.js';

const OUTPUT = `=== RUN   TestCanarySuite
=== RUN   TestCanarySuite/TestCanaryScaleDownDelay
    canary_test.go:12: some log line --- PASS: not a result
--- FAIL: TestCanarySuite (12.50s)
    --- PASS: TestCanarySuite/TestCanaryScaleDownDelay (3.20s)
    --- FAIL: TestCanarySuite/TestCanaryProgressDeadlineExceeded (9.30s)
    --- SKIP: TestCanarySuite/TestSMI (0.00s)
=== RUN   TestBlueGreenSuite
--- PASS: TestBlueGreenSuite (4.00s)
    --- PASS: TestBlueGreenSuite/TestPromote (4.00s)
`;

describe('parseGoTestOutput', () => {
  it('reads suites and their tests with outcome and duration', () => {
    const results = parseGoTestOutput(OUTPUT);
    expect(results.map((r) => `${r.outcome} ${r.name} ${r.seconds}`)).toEqual([
      'FAIL TestCanarySuite 12.5',
      'PASS TestCanarySuite/TestCanaryScaleDownDelay 3.2',
      'FAIL TestCanarySuite/TestCanaryProgressDeadlineExceeded 9.3',
      'SKIP TestCanarySuite/TestSMI 0',
      'PASS TestBlueGreenSuite 4',
      'PASS TestBlueGreenSuite/TestPromote 4',
    ]);
  });

  it('counts skipped tests apart from the ones run', () => {
    const leaves = parseGoTestOutput(OUTPUT).filter((r) => r.name.includes('/'));
    expect(summarize(leaves)).toEqual({ run: 3, passed: 2, failed: 1, skipped: 1 });
  });
});
