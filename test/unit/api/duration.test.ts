// Durations as Argo reads them: Go's time.ParseDuration (cases from Go's time/time_test.go
// parseDurationTests, restated as facts) and the canary pause's integer seconds.
import { describe, expect, it } from 'vitest';
import {
  goDurationOrUndefined,
  parseGoDuration,
  parseSecondsOrGoDuration,
  pauseDurationSeconds,
} from '../../../src/api/duration.js';
import { itMaps, itThrows } from '../support/each.js';

describe('parseGoDuration', () => {
  it.each<[string, number]>([
    ['0', 0],
    ['-0', 0],
    ['+0', 0],
    ['5s', 5000],
    ['30s', 30_000],
    ['1478s', 1_478_000],
    ['-5s', -5000],
    ['+5s', 5000],
    ['-0s', 0],
    ['5.0s', 5000],
    ['5.6s', 5600],
    ['5.s', 5000],
    ['.5s', 500],
    ['1.0s', 1000],
    ['1.00s', 1000],
    ['1.004s', 1004],
    ['1.0040s', 1004],
    ['100.00100s', 100_001],
    ['10ns', 0.00001],
    ['11us', 0.011],
    ['12µs', 0.012],
    ['12μs', 0.012],
    ['13ms', 13],
    ['14s', 14_000],
    ['15m', 900_000],
    ['16h', 57_600_000],
    ['3h30m', 12_600_000],
    ['10.5s4m', 250_500],
    ['-2m3.4s', -123_400],
    ['1h2m3s4ms5us6ns', 3_723_004.005006],
    ['39h9m14.425s', 140_954_425],
    ['1.5h', 5_400_000],
    ['500ms', 500],
    ['1h30m', 5_400_000],
    // Digits past nanosecond precision are read and ignored.
    ['0.3333333333333333333h', 1_200_000],
    ['9223372036854775807ns', 9_223_372_036_854.775],
  ])('%s is %d ms', (text, ms) => {
    expect(parseGoDuration(text)).toBeCloseTo(ms, 6);
  });

  itThrows<string>('%j fails: %s', parseGoDuration, Error, [
    ['', 'time: invalid duration ""'],
    ['3', 'time: missing unit in duration "3"'],
    ['-', 'time: invalid duration "-"'],
    ['s', 'time: invalid duration "s"'],
    ['.', 'time: invalid duration "."'],
    ['-.', 'time: invalid duration "-."'],
    ['.s', 'time: invalid duration ".s"'],
    ['+.s', 'time: invalid duration "+.s"'],
    ['1d', 'time: unknown unit "d" in duration "1d"'],
    ['5 minutes', 'time: unknown unit " minutes" in duration "5 minutes"'],
    ['1sec', 'time: unknown unit "sec" in duration "1sec"'],
    ['3000000h', 'time: invalid duration "3000000h"'],
    ['9223372036854775808ns', 'time: invalid duration "9223372036854775808ns"'],
    ['9223372036854775.808us', 'time: invalid duration "9223372036854775.808us"'],
  ]);

  it('allows the most negative duration, as Go does', () => {
    expect(parseGoDuration('-9223372036854775808ns')).toBeCloseTo(-9_223_372_036_854.775, 3);
  });

  it('goDurationOrUndefined is undefined where Go fails', () => {
    expect(goDurationOrUndefined('1m')).toBe(60_000);
    expect(goDurationOrUndefined('1 minute')).toBeUndefined();
  });
});

describe('parseSecondsOrGoDuration', () => {
  it('reads a bare integer as seconds and anything else as a Go duration', () => {
    expect(parseSecondsOrGoDuration('30')).toBe(30_000);
    expect(parseSecondsOrGoDuration('1.5m')).toBe(90_000);
    expect(() => parseSecondsOrGoDuration('1.5')).toThrow('time: missing unit in duration "1.5"');
  });
});

describe('pauseDurationSeconds (Argo RolloutPause.DurationSeconds)', () => {
  itMaps('%j is %s seconds', pauseDurationSeconds, [
    [30, 30],
    [0, 0],
    ['30', 30],
    ['+30', 30],
    ['007', 7],
    ['30s', 30],
    ['10m', 600],
    ['1h', 3600],
    ['1h30m', 5400],
    ['1.5h', 5400],
    ['1m30.9s', 90],
    // int32(d.Seconds()) truncates toward zero.
    ['500ms', 0],
    ['-0.5s', 0],
    // Argo gets a negative number (or -1 for an unparseable one) and its validation refuses it.
    [-1, undefined],
    ['-5', undefined],
    ['-1s', undefined],
    [1.5, undefined],
    ['', undefined],
    ['soon', undefined],
    ['1d', undefined],
    // Beyond int32 ParseInt fails, and ParseDuration wants a unit.
    ['2147483648', undefined],
    ['2147483647', 2_147_483_647],
  ]);
});
