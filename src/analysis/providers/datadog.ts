// The Datadog provider, with Argo Rollouts' requests: API v1 `GET /api/v1/query` (the last point
// of the first series is the result) and API v2 `POST /api/v2/query/scalar` with named queries,
// an optional formula and an aggregator (default `last`; the first value of the first number
// column is the result). An empty result evaluates the conditions with `result` nil. Keys come
// from the `datadog` Secret (address, api-key, app-key) in the controller's namespace, or from
// DD_API_KEY, DD_APP_KEY and DD_ADDRESS when all three are set.
import type { Measurement, Metric } from '../../api/analysis.js';
import { parseGoDuration } from '../../api/duration.js';
import { readCredentialSecret, type SecretRef } from './credentials.js';
import { formatGoFloat, goJsonMarshal } from './go-values.js';
import { httpRequest } from './http-request.js';
import type { MeasurementTarget, MetricProvider, ProviderContext } from './provider.js';
import { evaluateMetric, finishingProvider } from './provider.js';

export const DATADOG_SECRET = 'datadog';
const DEFAULT_ADDRESS = 'https://api.datadoghq.com';
const DEFAULT_INTERVAL = '5m';
const REQUEST_TIMEOUT_MS = 10_000;

interface DatadogSpec {
  apiVersion?: 'v1' | 'v2';
  interval?: string;
  query?: string;
  queries?: Record<string, string>;
  formula?: string;
  aggregator?: string;
  secretRef?: SecretRef;
}

interface DatadogCredentials {
  address: string;
  apiKey: string;
  appKey: string;
}

function specOf(metric: Metric): DatadogSpec {
  const spec = metric.provider.datadog;
  if (!spec) throw new Error(`metric ${metric.name} has no datadog provider`);
  return spec as DatadogSpec;
}

/** Argo's validateIncomingProps. */
export function validateDatadogSpec(spec: DatadogSpec): void {
  const queries = Object.keys(spec.queries ?? {}).length;
  const apiVersion = spec.apiVersion ?? 'v1';
  if (!spec.query && queries === 0) {
    throw new Error('Must have either a query or queries. Please review the Analysis Template.');
  }
  if (spec.query && queries > 0) {
    throw new Error('Cannot have both a query and queries. Please review the Analysis Template.');
  }
  if (apiVersion === 'v1' && !spec.query) {
    throw new Error(
      'Query is empty. API Version v1 only supports using the query parameter in your Analysis Template.',
    );
  }
  if (spec.formula && queries === 0) {
    throw new Error('Formula are only valid when queries are set. Please review the Analysis Template.');
  }
  if (!spec.formula && queries > 1)
    throw new Error('When multiple queries are provided you must include a formula.');
  if (apiVersion === 'v1' && spec.aggregator) {
    throw new Error('Aggregator is not supported in v1. Please review the Analysis Template.');
  }
}

async function credentials(target: MeasurementTarget, context: ProviderContext): Promise<DatadogCredentials> {
  const { env } = context;
  if (env.DD_API_KEY !== undefined && env.DD_APP_KEY !== undefined && env.DD_ADDRESS !== undefined) {
    return { apiKey: env.DD_API_KEY, appKey: env.DD_APP_KEY, address: env.DD_ADDRESS };
  }
  const data = await readCredentialSecret(target, context, DATADOG_SECRET, specOf(target.metric).secretRef);
  const apiKey = data['api-key'] ?? '';
  const appKey = data['app-key'] ?? '';
  if (!apiKey || !appKey) throw new Error('API or App token not found');
  return { apiKey, appKey, address: data.address ?? '' };
}

/** The v2 scalar request body Argo sends (queries named, keys in Go's sorted order). */
export function datadogScalarRequest(
  spec: DatadogSpec,
  nowSeconds: number,
  intervalSeconds: number,
): unknown {
  const queries = spec.query ? { query: spec.query } : (spec.queries ?? {});
  const aggregator = spec.aggregator || 'last';
  return {
    data: {
      attributes: {
        formulas: spec.formula ? [{ formula: spec.formula }] : [],
        from: (nowSeconds - intervalSeconds) * 1000,
        queries: Object.entries(queries).map(([name, query]) => ({
          aggregator,
          data_source: 'metrics',
          name,
          query,
        })),
        to: nowSeconds * 1000,
      },
      type: 'scalar_request',
    },
  };
}

interface Evaluated {
  value: string;
  phase: Measurement['phase'];
}

function checkStatus(status: number, text: string): void {
  // The body is quoted as Argo does, but only its start: an error page can be megabytes.
  const body = text.length > 256 ? `${text.slice(0, 256)}...` : text;
  if (status === 401 || status === 403) {
    throw new Error(`received authentication error response code: ${status} ${body}`);
  }
  if (status !== 200) throw new Error(`received non 2xx response code: ${status} ${body}`);
}

function parseJson<T>(body: string): T {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw new Error(`Could not parse JSON body: ${(error as Error).message}`);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new Error('malformed Datadog response: not a JSON object');
  }
  return parsed as T;
}

export function parseDatadogV1(metric: Metric, status: number, body: string): Evaluated {
  checkStatus(status, body);
  const response = parseJson<{ series?: { pointlist?: (number | null)[][] }[] | null }>(body);
  const series = response.series ?? null;
  if (series !== null && !Array.isArray(series))
    throw new Error('malformed Datadog response: series is not a list');
  const points = series?.[0]?.pointlist ?? [];
  if (!Array.isArray(points))
    throw new Error('malformed Datadog response: series[0].pointlist is not a list');
  if (!series || series.length === 0 || points.length === 0) {
    return { value: goJsonMarshal(series), phase: evaluateMetric(metric, null) };
  }
  const point = points[points.length - 1] as (number | null)[];
  if (!Array.isArray(point) || point.length !== 2) throw new Error('Datapoint does not have 2 values');
  const value = point[1] ?? 0;
  if (typeof value !== 'number')
    throw new Error('malformed Datadog response: the datapoint value is not a number');
  return { value: formatGoFloat(value), phase: evaluateMetric(metric, value) };
}

interface ScalarColumn {
  name?: string;
  type?: string;
  values?: (number | null)[];
}

export function parseDatadogV2(metric: Metric, status: number, body: string): Evaluated {
  checkStatus(status, body);
  const response = parseJson<{
    data?: { attributes?: { columns?: ScalarColumn[] }; errors?: string };
    errors?: string;
  }>(body);
  const errors = response.data?.errors || response.errors;
  if (errors) throw new Error(`There were errors in your query: ${errors}`);
  const columns = response.data?.attributes?.columns ?? [];
  if (!Array.isArray(columns))
    throw new Error('malformed Datadog response: data.attributes.columns is not a list');
  const numbers = columns.find(
    (c) => typeof c === 'object' && c !== null && (c.type === undefined || c.type === 'number'),
  );
  const raw = numbers?.values ?? [];
  if (!Array.isArray(raw))
    throw new Error('malformed Datadog response: a number column has no list of values');
  const values = raw.filter((v): v is number => v !== null);
  if (values.some((v) => typeof v !== 'number')) {
    throw new Error('malformed Datadog response: a number column holds a value that is not a number');
  }
  if (values.length === 0) {
    const shown = columns.length === 1 ? (columns[0]?.values ?? null) : (response.data?.attributes ?? {});
    return { value: goJsonMarshal(shown), phase: evaluateMetric(metric, null) };
  }
  const value = values[0] as number;
  return { value: formatGoFloat(value), phase: evaluateMetric(metric, value) };
}

export async function datadogProvider(
  target: MeasurementTarget,
  context: ProviderContext,
): Promise<MetricProvider> {
  const keys = await credentials(target, context);
  validateDatadogSpec(specOf(target.metric));
  return finishingProvider('Datadog', context, async (metric) => {
    const spec = specOf(metric);
    const apiVersion = spec.apiVersion ?? 'v1';
    const endpoint = (keys.address || DEFAULT_ADDRESS).replace(/\/+$/, '');
    const intervalSeconds = Math.trunc(parseGoDuration(spec.interval || DEFAULT_INTERVAL) / 1000);
    const nowSeconds = Math.trunc(context.now().getTime() / 1000);
    const headers = {
      'Content-Type': 'application/json',
      'DD-API-KEY': keys.apiKey,
      'DD-APPLICATION-KEY': keys.appKey,
    };
    let evaluated: Evaluated;
    if (apiVersion === 'v1') {
      const query = new URLSearchParams({
        from: String(nowSeconds - intervalSeconds),
        query: spec.query ?? '',
        to: String(nowSeconds),
      });
      const response = await httpRequest({
        method: 'GET',
        url: `${endpoint}/api/v1/query?${query.toString()}`,
        headers,
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      evaluated = parseDatadogV1(metric, response.status, response.body);
    } else if (apiVersion === 'v2') {
      const response = await httpRequest({
        method: 'POST',
        url: `${endpoint}/api/v2/query/scalar`,
        headers,
        body: JSON.stringify(datadogScalarRequest(spec, nowSeconds, intervalSeconds)),
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      evaluated = parseDatadogV2(metric, response.status, response.body);
    } else {
      throw new Error(`Invalid API version: ${String(apiVersion)}`);
    }
    return evaluated;
  });
}
