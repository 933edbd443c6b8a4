// The Web provider: one HTTP request per measurement, with Argo Rollouts' behaviour. The JSON
// response is searched with the metric's jsonPath (default `{$}`) and the first match is the
// result; a body that is not JSON is the value itself and the measurement is Successful without
// evaluating any condition; a non-2xx status is an Error.
import type { Metric } from '../../api/analysis.js';
import { MAX_RESULT_DEPTH } from '../condition/evaluate.js';
import { nestedDeeperThan } from '../condition/value.js';
import { goJsonMarshal } from './go-values.js';
import { httpRequest } from './http-request.js';
import { compileJsonPath, evaluateJsonPath } from './jsonpath.js';
import type { MeasurementTarget, MetricProvider, ProviderContext } from './provider.js';
import { evaluateMetric, finishingProvider } from './provider.js';

const DEFAULT_TIMEOUT_SECONDS = 10;

interface WebSpec {
  method?: string;
  url: string;
  headers?: { key: string; value: string }[];
  body?: string;
  jsonBody?: Record<string, unknown>;
  timeoutSeconds?: number;
  jsonPath?: string;
  insecure?: boolean;
}

function specOf(metric: Metric): WebSpec {
  const web = metric.provider.web;
  if (!web) throw new Error(`metric ${metric.name} has no web provider`);
  return web as WebSpec;
}

/** The first value the jsonPath selects, and Go's JSON rendering of it. */
export function webResultValue(
  jsonPath: string | undefined,
  data: unknown,
): { value: unknown; text: string } {
  const values = evaluateJsonPath(compileJsonPath(jsonPath || '{$}'), data);
  if (values.length === 0) throw new Error('result of web metric produced no value');
  const value = values[0];
  return { value, text: goJsonMarshal(value) };
}

export function webProvider({ metric }: MeasurementTarget, context: ProviderContext): MetricProvider {
  const spec = specOf(metric);
  // Parse the path up front: a bad jsonPath fails the provider, as in Argo.
  compileJsonPath(spec.jsonPath || '{$}');
  return finishingProvider('Web', context, async (metric) => {
    const web = specOf(metric);
    const method = (web.method || 'GET').toUpperCase();
    if (web.body && web.jsonBody) {
      throw new Error('use either Body or JSONBody; both cannot exists for WebMetric payload');
    }
    if ((web.body || web.jsonBody) && method === 'GET') {
      throw new Error('Body/JSONBody can only be used with POST or PUT WebMetric Method types');
    }
    const headers: Record<string, string> = {};
    for (const header of web.headers ?? []) headers[header.key] = header.value;
    let body: string | undefined = web.body || undefined;
    if (web.jsonBody) {
      body = JSON.stringify(web.jsonBody);
      headers['Content-Type'] = 'application/json';
    }
    const timeoutSeconds =
      web.timeoutSeconds && web.timeoutSeconds > 0 ? web.timeoutSeconds : DEFAULT_TIMEOUT_SECONDS;
    const response = await httpRequest({
      method,
      url: web.url,
      headers,
      ...(body !== undefined ? { body } : {}),
      timeoutMs: timeoutSeconds * 1000,
      insecure: web.insecure ?? false,
    });
    if (response.status < 200 || response.status >= 300) {
      throw new Error(`received non 2xx response code: ${response.status}`);
    }
    let data: unknown;
    try {
      data = JSON.parse(response.body);
    } catch {
      return { value: response.body, phase: 'Successful' };
    }
    if (nestedDeeperThan(data, MAX_RESULT_DEPTH)) {
      throw new Error(`the response JSON is nested more than ${MAX_RESULT_DEPTH} levels deep`);
    }
    let found: { value: unknown; text: string };
    try {
      found = webResultValue(web.jsonPath, data);
    } catch (error) {
      const reason = (error as Error).message;
      throw new Error(
        reason === 'result of web metric produced no value'
          ? reason
          : `Could not find JSONPath in body: ${reason}`,
      );
    }
    return { value: found.text, phase: evaluateMetric(metric, found.value) };
  });
}
