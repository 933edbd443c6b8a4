import { evaluateMeasurement } from './src/analysis/condition/evaluate.js';
const t = (label: string, cond: string, result: unknown = {}) => { let best = 1e9; let r; for (let i = 0; i < 3; i++) { const s = performance.now(); try { r = JSON.stringify(evaluateMeasurement({ successCondition: cond, result })); } catch (e) { r = 'THROW ' + (e as Error).message; } best = Math.min(best, performance.now() - s); } console.log(label.padEnd(14), best.toFixed(1).padStart(6) + 'ms', String(r).slice(0, 230)); };
const alt = (n: number)=>Array.from({length: n}, (_, i) => 'x' + i).join('|');
const cases: [string,string,unknown?][] = [
['all nested', 'all(0..99999, all(0..99999, true))'],
['map map', 'len(map(0..99999, 0..99999)) > 0'],
['filter', 'len(filter(0..99999, # > 0)) > 0'],
['filter nested', 'len(filter(0..99999, len(filter(0..99999, # > 0)) > 0)) > 0'],
['any', 'any(0..99999, # < 0)'],
['str', 'len(string(0..99999)) > 0'],
['strcat', 'len(map(0..99999, string(0..99999) + "x")) > 0'],
['strrep', 'len(string(map(0..99999, string(0..9999)))) > 0'],
['strdouble', 'len(map(0..999, string(0..9999) + string(0..9999) + string(0..9999) + string(0..9999)))>0'],
['concat', 'len(string(0..99999) + string(0..99999) + string(0..99999) + string(0..99999)) > 0'],
['evil regex', 'result.s matches "^(a+)+$"', { s: 'a'.repeat(31) + '!' }],
['regex big', 'string(0..99999) matches "^(a+)+$"'],
['regex alt', 'all(0..99999, string(0..9999) matches "' + alt(200) + '")'],
['regex alt1', 'all(0..99999, "x" matches "(' + alt(200) + ')+y")'],
['in', 'all(0..99999, # in 0..99999)'],
['eq', 'all(0..999, (0..99999) == (0..99999))'],
['median', 'median(map(0..99999, -#)) > 0 && median(0..99999) > 0'],
['sum', 'all(0..99999, sum(0..99999) > 0)'],
['upper', 'all(0..99999, len(upper(string(0..99999))) > 0)'],
['index str', 'all(0..99999, string(0..99999)[5] == "0")'],
['map lit', 'len(map(0..99999, {a: #, b: #, c: [#, #, #]})) > 0'],
['keys', 'all(0..99999, len(keys(result)) > 0)', Object.fromEntries(Array.from({length: 20000}, (_, i) => ['k' + i, i]))],
['bigres all', 'all(result, # >= 0) && all(result, # >= 0)', Array.from({length: 100000}, (_, i) => i)],
['bigres ok', 'all(result, # >= 0)', Array.from({length: 50000}, (_, i) => i)],
];
for (const [l,c,r] of cases) t(l,c,r);
