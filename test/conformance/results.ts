// Reads `go test -v` output of Argo Rollouts' e2e suite into one result per test.
export type Outcome = 'PASS' | 'FAIL' | 'SKIP';

export interface TestResult {
  /** `Suite/Test` for a suite's test, `Suite` for the suite itself. */
  name: string;
  outcome: Outcome;
  seconds: number;
}

const RESULT_LINE = /^\s*--- (PASS|FAIL|SKIP): (\S+) \(([\d.]+)s\)/;

export function parseGoTestOutput(output: string): TestResult[] {
  const results = new Map<string, TestResult>();
  for (const line of output.split('\n')) {
    const match = RESULT_LINE.exec(line);
    if (!match) continue;
    const [, outcome, name, seconds] = match as unknown as [string, Outcome, string, string];
    results.set(name, { name, outcome, seconds: Number(seconds) });
  }
  return [...results.values()];
}

export function summarize(results: TestResult[]): {
  run: number;
  passed: number;
  failed: number;
  skipped: number;
} {
  const count = (outcome: Outcome) => results.filter((r) => r.outcome === outcome).length;
  const skipped = count('SKIP');
  return { run: results.length - skipped, passed: count('PASS'), failed: count('FAIL'), skipped };
}
