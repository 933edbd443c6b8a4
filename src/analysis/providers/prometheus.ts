// The Prometheus provider: an instant query (/api/v1/query) or, with rangeQuery, a range query
// (/api/v1/query_range). Results are shaped as Argo Rollouts shapes them: a vector or a matrix
// is an array of floats (a matrix flattened series by series), a scalar is a number, and
// measurement.value is Go's rendering, e.g. "[0.99]" or "0.5".
import type { Metric } from '../../api/analysis.js';
import { parseGoDuration } from '../../api/duration.js';
import { formatGoFloat, parsePromValue } from './go-values.js';
import { basicAuthorization, httpRequest } from './http-request.js';
import type { MeasurementTarget, MetricProvider, ProviderContext } from './provider.js';
import { evaluateMetric, finishingProvider } from './provider.js';

export const PROMETHEUS_ADDRESS_ENV = 'ARGO_ROLLOUTS_PROMETHEUS_ADDRESS';
const DEFAULT_TIMEOUT_SECONDS = 30;

interface PrometheusSpec {
  address?: string;
  query?: string;
  timeout?: number;
  insecure?: boolean;
  headers?: { key: string; value: string }[];
  authentication?: {
    basicAuth?: { username?: string; password?: string };
    oauth2?: { tokenUrl?: string; clientId?: string; clientSecret?: string; scopes?: string[] };
  };
  rangeQuery?: { start?: string; end?: string; step?: string };
}

function specOf(metric: Metric): PrometheusSpec {
  const spec = metric.provider.prometheus;
  if (!spec) throw new Error(`metric ${metric.name} has no prometheus provider`);
  return spec as PrometheusSpec;
}

function isUrl(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol !== '' && url.host !== '';
  } catch {
    return false;
  }
}

/**
 * A range query bound: `now()`, `now() - duration("5m")` (the two forms Argo's docs use; Argo
 * evaluates them with expr), an RFC 3339 time or Unix seconds. Returns Unix seconds.
 */
export function rangeBoundSeconds(expression: string, now: Date): number {
  const text = expression.trim();
  const relative = /^now\(\)\s*(?:([-+])\s*duration\(\s*(["'])(.+?)\2\s*\))?$/.exec(text);
  if (relative) {
    const offset = relative[3] ? parseGoDuration(relative[3]) : 0;
    const sign = relative[1] === '-' ? -1 : 1;
    return (now.getTime() + sign * offset) / 1000;
  }
  if (/^\d+(\.\d+)?$/.test(text)) return Number(text);
  const parsed = Date.parse(text);
  if (!Number.isNaN(parsed)) return parsed / 1000;
  throw new Error(
    `rangeQuery: cannot evaluate ${JSON.stringify(expression)}; use now(), now() - duration("5m"), RFC 3339 or Unix seconds`,
  );
}

interface PromResponse {
  status?: string;
  errorType?: string;
  error?: string;
  warnings?: string[];
  data?: { resultType?: string; result?: unknown };
}

/** A malformed answer, named by where in it the problem is (never by a JavaScript TypeError). */
function malformed(where: string, want: string): never {
  throw new Error(`malformed Prometheus response: ${where} is not ${want}`);
}

/** A `[<time>, "<value>"]` pair's value. */
function sampleValue(pair: unknown, where: string): number {
  if (!Array.isArray(pair) || pair.length !== 2 || typeof pair[1] !== 'string') {
    return malformed(where, 'a [time, "value"] pair');
  }
  return parsePromValue(pair[1]);
}

function list(value: unknown, where: string): readonly unknown[] {
  return Array.isArray(value) ? value : malformed(where, 'a list');
}

function field(value: unknown, key: string, where: string): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return malformed(where, 'an object');
  return (value as Record<string, unknown>)[key];
}

/** The condition input and Go rendering of a Prometheus result. */
export function shapePrometheusResult(
  resultType: string | undefined,
  result: unknown,
): { value: unknown; text: string } {
  switch (resultType) {
    case 'scalar': {
      const value = sampleValue(result, 'data.result');
      return { value, text: formatGoFloat(value) };
    }
    case 'vector': {
      const values = list(result, 'data.result').map((sample, i) =>
        sampleValue(field(sample, 'value', `data.result[${i}]`), `data.result[${i}].value`),
      );
      return { value: values, text: `[${values.map(formatGoFloat).join(',')}]` };
    }
    case 'matrix': {
      const values = list(result, 'data.result').flatMap((series, i) =>
        list(field(series, 'values', `data.result[${i}]`), `data.result[${i}].values`).map((pair, j) =>
          sampleValue(pair, `data.result[${i}].values[${j}]`),
        ),
      );
      return { value: values, text: `[${values.map(formatGoFloat).join(',')}]` };
    }
    default:
      throw new Error('Prometheus metric type not supported');
  }
}

async function oauth2Token(
  oauth2: NonNullable<NonNullable<PrometheusSpec['authentication']>['oauth2']>,
  timeoutMs: number,
  insecure: boolean,
): Promise<string> {
  const form = new URLSearchParams({ grant_type: 'client_credentials' });
  if (oauth2.scopes?.length) form.set('scope', oauth2.scopes.join(' '));
  const response = await httpRequest({
    method: 'POST',
    url: oauth2.tokenUrl ?? '',
    headers: {
      'Content-Type': 'application/x-www-form-urlencoded',
      Authorization: basicAuthorization(oauth2.clientId ?? '', oauth2.clientSecret ?? ''),
    },
    body: form.toString(),
    timeoutMs,
    insecure,
  });
  const token = (() => {
    try {
      return (JSON.parse(response.body) as { access_token?: string }).access_token;
    } catch {
      return undefined;
    }
  })();
  if (response.status !== 200 || !token)
    throw new Error(`oauth2: cannot fetch token: HTTP ${response.status}`);
  return token;
}

export function prometheusProvider({ metric }: MeasurementTarget, context: ProviderContext): MetricProvider {
  const spec = specOf(metric);
  const envAddress = context.env[PROMETHEUS_ADDRESS_ENV];
  let address = spec.address;
  if (address) {
    if (!isUrl(address)) throw new Error('prometheus address is not is url format');
  } else if (envAddress) {
    if (!isUrl(envAddress)) throw new Error('prometheus address is not is url format');
    address = envAddress;
  } else {
    throw new Error('prometheus address is not configured');
  }
  if (spec.timeout !== undefined && spec.timeout < 0)
    throw new Error('prometheus timeout should not be negative');
  const timeoutMs = (spec.timeout || DEFAULT_TIMEOUT_SECONDS) * 1000;
  const base = address.replace(/\/+$/, '');

  return finishingProvider(
    'Prometheus',
    context,
    async (metric, now) => {
      // One deadline for the whole measurement, token request included.
      const deadline = Date.now() + timeoutMs;
      const remainingMs = () => Math.max(1, deadline - Date.now());
      const prom = specOf(metric);
      const headers: Record<string, string> = { 'Content-Type': 'application/x-www-form-urlencoded' };
      for (const header of prom.headers ?? []) headers[header.key] = header.value;
      const auth = prom.authentication;
      if (auth?.basicAuth?.username !== undefined || auth?.basicAuth?.password !== undefined) {
        headers.Authorization = basicAuthorization(
          auth.basicAuth.username ?? '',
          auth.basicAuth.password ?? '',
        );
      } else if (auth?.oauth2?.tokenUrl) {
        headers.Authorization = `Bearer ${await oauth2Token(auth.oauth2, remainingMs(), prom.insecure ?? false)}`;
      }
      const form = new URLSearchParams({ query: prom.query ?? '' });
      let path = '/api/v1/query';
      if (prom.rangeQuery) {
        path = '/api/v1/query_range';
        form.set('start', String(rangeBoundSeconds(prom.rangeQuery.start ?? 'now()', now)));
        form.set('end', String(rangeBoundSeconds(prom.rangeQuery.end ?? 'now()', now)));
        form.set('step', prom.rangeQuery.step ?? '1m');
      } else {
        form.set('time', String(now.getTime() / 1000));
      }
      const response = await httpRequest({
        method: 'POST',
        url: base + path,
        headers,
        body: form.toString(),
        timeoutMs: remainingMs(),
        insecure: prom.insecure ?? false,
      });
      let body: PromResponse;
      try {
        body = JSON.parse(response.body) as PromResponse;
      } catch {
        throw new Error(`server_error: server error: ${response.status}`);
      }
      if (typeof body !== 'object' || body === null || Array.isArray(body)) {
        throw new Error(`malformed Prometheus response: not a JSON object (HTTP ${response.status})`);
      }
      if (body.status !== 'success') {
        throw new Error(
          body.errorType
            ? `${body.errorType}: ${body.error ?? ''}`
            : `server_error: server error: ${response.status}`,
        );
      }
      const shaped = shapePrometheusResult(body.data?.resultType, body.data?.result);
      const phase = evaluateMetric(metric, shaped.value);
      const warnings = (Array.isArray(body.warnings) ? body.warnings : [])
        .map((w) => `"${String(w)}"`)
        .join(', ');
      return {
        value: shaped.text,
        phase,
        ...(warnings ? { metadata: { warnings } } : {}),
      };
    },
    (m) => {
      const query = specOf(m).query;
      return query ? { ResolvedPrometheusQuery: query } : undefined;
    },
  );
}
