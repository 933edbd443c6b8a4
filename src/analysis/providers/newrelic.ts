// The New Relic provider: the metric's NRQL query through NerdGraph (POST <graphql endpoint> with
// `actor { account(id) { nrql(query) { results } } }`), as Argo Rollouts runs it through
// newrelic-client-go. One result row is `result` (a map); several are an array; none is an
// error. Credentials come from the `newrelic` Secret (or the Secret named by `profile`) in the
// controller's namespace: personal-api-key, account-id, and optionally region (us, eu) and
// base-url-nerdgraph.
import type { Measurement, Metric } from '../../api/analysis.js';
import { readCredentialSecret, type SecretRef } from './credentials.js';
import { goJsonMarshal } from './go-values.js';
import { httpRequest } from './http-request.js';
import type { MeasurementTarget, MetricProvider, ProviderContext } from './provider.js';
import { evaluateMetric, finishingProvider } from './provider.js';

export const NEWRELIC_SECRET = 'newrelic';
const NERDGRAPH_URLS: Record<string, string> = {
  us: 'https://api.newrelic.com/graphql',
  eu: 'https://api.eu.newrelic.com/graphql',
};
const REQUEST_TIMEOUT_MS = 30_000;
const USER_AGENT = 'slipway (https://github.com/argoproj/argo-rollouts compatible)';

export const NRQL_GRAPHQL_QUERY =
  'query($query: Nrql!, $accountId: Int!) { actor { account(id: $accountId) { nrql(query: $query) { results } } } }';

interface NewRelicSpec {
  profile?: string;
  query: string;
  secretRef?: SecretRef;
}

function specOf(metric: Metric): NewRelicSpec {
  const spec = metric.provider.newRelic;
  if (!spec) throw new Error(`metric ${metric.name} has no newRelic provider`);
  return spec as NewRelicSpec;
}

interface NewRelicAccount {
  apiKey: string;
  accountId: number;
  endpoint: string;
}

async function account(target: MeasurementTarget, context: ProviderContext): Promise<NewRelicAccount> {
  const spec = specOf(target.metric);
  const data = await readCredentialSecret(target, context, spec.profile || NEWRELIC_SECRET, spec.secretRef);
  const apiKey = data['personal-api-key'] ?? '';
  const accountIdText = data['account-id'] ?? '';
  if (!apiKey || !accountIdText) throw new Error('account ID or personal API key not found');
  const accountId = Number(accountIdText);
  if (!Number.isInteger(accountId))
    throw new Error(`could not parse account ID: "${accountIdText}" is not an integer`);
  const region = (data.region ?? 'us').toLowerCase();
  const endpoint = data['base-url-nerdgraph'] || NERDGRAPH_URLS[region];
  if (!endpoint) throw new Error(`invalid region "${region}": use us or eu`);
  return { apiKey, accountId, endpoint };
}

/** Argo's processResponse: the value string and the phase from NRQL result rows. */
export function evaluateNrqlResults(
  metric: Metric,
  results: readonly Record<string, unknown>[],
): { value: string; phase: Measurement['phase'] } {
  let input: unknown;
  if (results.length === 1) {
    const row = results[0] as Record<string, unknown>;
    if (Object.keys(row).length === 0) throw new Error('no results returned from NRQL query');
    input = row;
  } else if (results.length > 1) {
    input = results;
  } else {
    throw new Error('no results returned from NRQL query');
  }
  return { value: goJsonMarshal(input), phase: evaluateMetric(metric, input) };
}

interface NerdGraphResponse {
  data?: {
    actor?: { account?: { nrql?: { results?: Record<string, unknown>[] | null } | null } | null } | null;
  };
  errors?: { message?: string }[];
}

export async function newRelicProvider(
  target: MeasurementTarget,
  context: ProviderContext,
): Promise<MetricProvider> {
  const nr = await account(target, context);
  return finishingProvider('NewRelic', context, async (metric) => {
    const response = await httpRequest({
      method: 'POST',
      url: nr.endpoint,
      headers: { 'Content-Type': 'application/json', 'Api-Key': nr.apiKey, 'User-Agent': USER_AGENT },
      body: JSON.stringify({
        query: NRQL_GRAPHQL_QUERY,
        variables: { accountId: nr.accountId, query: specOf(metric).query },
      }),
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    let body: NerdGraphResponse;
    try {
      body = JSON.parse(response.body) as NerdGraphResponse;
    } catch {
      throw new Error(`NerdGraph answered HTTP ${response.status} without JSON`);
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      throw new Error(`malformed NerdGraph response: not a JSON object (HTTP ${response.status})`);
    }
    if (Array.isArray(body.errors) && body.errors.length > 0) {
      throw new Error(body.errors.map((e) => String(e?.message ?? 'unknown error')).join(', '));
    }
    if (response.status < 200 || response.status >= 300) {
      throw new Error(`NerdGraph answered HTTP ${response.status}`);
    }
    const results = body.data?.actor?.account?.nrql?.results ?? [];
    if (!Array.isArray(results) || results.some((row) => typeof row !== 'object' || row === null)) {
      throw new Error('malformed NerdGraph response: nrql.results is not a list of rows');
    }
    return evaluateNrqlResults(metric, results);
  });
}
