// What one evaluation may spend. Conditions are written by namespace editors, so the controller
// treats them as untrusted: every evaluation runs on the event loop, and a condition that could
// loop over 0..99999 inside 0..99999, or build gigabytes of strings, would stall health checks
// and Lease renewal for every Rollout. Two budgets bound it, both counted, never timed, so the
// same condition always has the same outcome whatever the machine's load:
// - steps: syntax-tree nodes evaluated (predicate bodies once per element) plus work done inside
//   operators and built-ins proportional to their input (comparing, searching, sorting, matching);
// - elements: array items, map entries and string characters created, summed over the evaluation
//   (memory that stays alive until it ends, so no single condition can exhaust the heap).
// Sizing: the worst conditions we know of (test/unit/analysis/condition/budget.test.ts: nested
// quantifiers over ranges, repeated string building, regexp over a 1 MB string, recompiling the
// longest pattern) stop at these budgets after 5 to 35 ms, measured on 2 cores shared at a load
// average of 11; the slowest refusal is parsing a 64 KB chain (about 70 ms there), so no
// evaluation holds the event loop for much more than the ~100 ms the controller can afford.

import { EvaluationFailure } from './errors.js';

export interface Limits {
  /** Nodes evaluated plus per-element work inside operators and built-ins. */
  readonly maxSteps: number;
  /** Array items and map entries created, plus string characters in units of CHARS_PER_ELEMENT. */
  readonly maxElements: number;
  /** Longest array `a..b` may build (one range, independent of the element budget). */
  readonly maxRange: number;
}

export const DEFAULT_LIMITS: Limits = { maxSteps: 300_000, maxElements: 500_000, maxRange: 100_000 };

/** A string of this many characters weighs about what one array item does (pointer + boxed value). */
export const CHARS_PER_ELEMENT = 16;
/** Copying characters is cheap next to evaluating a node: one step per this many. */
const CHARS_PER_STEP = 64;

/** Raised when a budget runs out; never caught by built-ins that turn other failures into nil. */
export class BudgetExceeded extends EvaluationFailure {}

/** Where evaluation work is charged. */
export interface Meter {
  /** Charges `count` steps of work. */
  step(count?: number): void;
  /** Charges `count` array items or map entries about to be created (each also costs two steps). */
  items(count: number): void;
  /** Charges a string of `count` characters about to be created. */
  chars(count: number): void;
}

export class Budget implements Meter {
  private steps = 0;
  private elements = 0;

  constructor(private readonly limits: Limits) {}

  step(count = 1): void {
    this.steps += count;
    if (this.steps > this.limits.maxSteps) {
      throw new BudgetExceeded(
        `evaluation exceeded its budget of ${this.limits.maxSteps} steps (the condition does too much work)`,
      );
    }
  }

  items(count: number): void {
    this.allocate(count);
    // Creating an item (often a boxed int64) and collecting it later costs about two node visits.
    this.step(2 * count);
  }

  chars(count: number): void {
    this.allocate(count / CHARS_PER_ELEMENT);
    this.step(Math.ceil(count / CHARS_PER_STEP));
  }

  private allocate(elements: number): void {
    this.elements += elements;
    if (this.elements > this.limits.maxElements) {
      throw new BudgetExceeded(
        `evaluation exceeded its budget of ${this.limits.maxElements} allocated elements (array items, map entries, ${CHARS_PER_ELEMENT} string characters each)`,
      );
    }
  }
}

/** For callers outside an evaluation (the checker, formatting a value for a message). */
export const UNMETERED: Meter = { step() {}, items() {}, chars() {} };
