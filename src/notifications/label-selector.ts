// The string label selectors of global subscriptions (`selector: app=web,env in (prod)`),
// with the operators of k8s.io/apimachinery/pkg/labels.Parse.

export type Requirement =
  | { key: string; op: 'exists' | 'notexists' }
  | { key: string; op: 'in' | 'notin'; values: string[] };

export type LabelSelector = Requirement[];

const KEY = /^[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?$/;

/** Splits on commas that are not inside parentheses. */
function splitTerms(text: string): string[] {
  const terms: string[] = [];
  let depth = 0;
  let current = '';
  for (const ch of text) {
    if (ch === '(') depth++;
    if (ch === ')') depth--;
    if (ch === ',' && depth === 0) {
      terms.push(current);
      current = '';
    } else current += ch;
  }
  terms.push(current);
  return terms.map((t) => t.trim()).filter((t) => t !== '');
}

export function parseLabelSelector(text: string): LabelSelector {
  const out: LabelSelector = [];
  for (const term of splitTerms(text)) {
    let m = /^(\S+?)\s+(in|notin)\s*\(([^)]*)\)$/.exec(term);
    if (m) {
      out.push({
        key: checkKey(m[1] ?? ''),
        op: m[2] as 'in' | 'notin',
        values: (m[3] ?? '').split(',').map((v) => v.trim()),
      });
      continue;
    }
    m = /^([^=!\s]+)\s*(==|=|!=)\s*(\S*)$/.exec(term);
    if (m) {
      out.push({ key: checkKey(m[1] ?? ''), op: m[2] === '!=' ? 'notin' : 'in', values: [m[3] ?? ''] });
      continue;
    }
    m = /^(!?)\s*([^=!\s(]+)$/.exec(term);
    if (m) {
      out.push({ key: checkKey(m[2] ?? ''), op: m[1] ? 'notexists' : 'exists' });
      continue;
    }
    throw new Error(`cannot parse label selector term ${JSON.stringify(term)}`);
  }
  return out;
}

function checkKey(key: string): string {
  if (!KEY.test(key)) throw new Error(`invalid label key ${JSON.stringify(key)}`);
  return key;
}

export function selectorMatches(
  selector: LabelSelector,
  labels: Record<string, string> | undefined,
): boolean {
  const l = labels ?? {};
  return selector.every((r) => {
    const has = Object.hasOwn(l, r.key);
    if (!('values' in r)) return has === (r.op === 'exists');
    const listed = has && r.values.includes(l[r.key] ?? '');
    return r.op === 'in' ? listed : !listed;
  });
}
