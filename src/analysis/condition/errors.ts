// Errors of the condition language. Every error names the spot in the expression it is about,
// so a user reading an AnalysisRun message can find the mistake without counting characters.

/** 1-based line and column of a character in the expression, plus its 0-based offset. */
export interface SourcePosition {
  readonly line: number;
  readonly column: number;
  readonly offset: number;
}

export function positionAt(source: string, offset: number): SourcePosition {
  const clamped = Math.max(0, Math.min(offset, source.length));
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < clamped; i++) {
    if (source[i] === '\n') {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: clamped - lineStart + 1, offset: clamped };
}

export class ConditionError extends Error {
  readonly expression: string;
  /** What went wrong, without the position: `unknown name 'reslt'`. */
  readonly reason: string;
  readonly position: SourcePosition;

  constructor(expression: string, reason: string, offset: number) {
    const position = positionAt(expression, offset);
    super(`${reason} at ${position.line}:${position.column}`);
    this.name = new.target.name;
    this.expression = expression;
    this.reason = reason;
    this.position = position;
  }
}

/** The expression was rejected before running: bad syntax, unknown function, mismatched literal types. */
export class ConditionSyntaxError extends ConditionError {}

/** The expression failed while running against a particular result. */
export class ConditionEvaluationError extends ConditionError {}

/**
 * Raised by value operations and built-ins, which do not know where in the expression they were
 * called from; the interpreter turns it into a ConditionEvaluationError at the node that failed.
 */
export class EvaluationFailure extends Error {
  constructor(readonly reason: string) {
    super(reason);
    this.name = 'EvaluationFailure';
  }
}

/** Marks the end of an exhaustive switch: adding a node kind or operator fails to compile here. */
export function unreachable(value: never): never {
  throw new Error(`unreachable: ${String(value)}`);
}
