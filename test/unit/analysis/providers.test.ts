// The HTTP providers against local servers replaying the services' documented answers, plus
// the value shaping and parsing they share. Job is exercised on the local cluster (e2e).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redact, resolveSecretArgs } from '../../../src/analysis/act.js';
import type { ObservedAnalysisRun } from '../../../src/analysis/plan.js';
import {
  datadogProvider,
  datadogScalarRequest,
  validateDatadogSpec,
} from '../../../src/analysis/providers/datadog.js';
import { formatGoFloat, goJsonMarshal, parsePromValue } from '../../../src/analysis/providers/go-values.js';
import { compileJsonPath, evaluateJsonPath } from '../../../src/analysis/providers/jsonpath.js';
import { evaluateNrqlResults, newRelicProvider } from '../../../src/analysis/providers/newrelic.js';
import {
  prometheusProvider,
  rangeBoundSeconds,
  shapePrometheusResult,
} from '../../../src/analysis/providers/prometheus.js';
import type { MeasurementTarget, ProviderContext } from '../../../src/analysis/providers/provider.js';
import { providerFactoryFor, providerTypeName } from '../../../src/analysis/providers/registry.js';
import { webProvider } from '../../../src/analysis/providers/web.js';
import type { Metric } from '../../../src/api/analysis.js';
import { NotFoundError } from '../../../src/kube/api-error.js';
import type { RestClient } from '../../../src/kube/rest.js';
import {
  datadogV1QueryResponse,
  datadogV2ScalarResponse,
  type FixtureServer,
  newRelicNrqlResponse,
  startHttpFixture,
} from '../../e2e/support/http-fixtures.js';
import { itMaps, itThrows } from '../support/each.js';

const NOW = new Date(Date.UTC(2025, 0, 1, 12, 0, 0));

/** A RestClient that only answers GETs of the Secrets given. */
function fakeClient(secrets: Record<string, Record<string, string>>): RestClient {
  return {
    get: async (_resource: unknown, namespace: string, name: string) => {
      const data = secrets[`${namespace}/${name}`];
      if (!data) {
        throw new NotFoundError(
          { method: 'GET', path: `/api/v1/namespaces/${namespace}/secrets/${name}` },
          404,
          {
            kind: 'Status',
            message: `secrets "${name}" not found`,
          },
        );
      }
      return {
        kind: 'Secret',
        data: Object.fromEntries(
          Object.entries(data).map(([k, v]) => [k, Buffer.from(v).toString('base64')]),
        ),
      };
    },
  } as unknown as RestClient;
}

function context(
  secrets: Record<string, Record<string, string>> = {},
  env: Record<string, string> = {},
): ProviderContext {
  return {
    client: fakeClient(secrets),
    now: () => NOW,
    controllerNamespace: 'argo-rollouts',
    env,
    jobs: { get: () => undefined, ownedBy: () => [] },
  };
}

const runObject: ObservedAnalysisRun = {
  metadata: { name: 'run', namespace: 'shop', uid: 'uid-1' },
  spec: { metrics: [] },
};
const target = (metric: Metric): MeasurementTarget => ({ run: runObject, metric });

let server: FixtureServer;
beforeAll(async () => {
  server = await startHttpFixture(() => ({ body: {} }));
});
afterAll(async () => {
  await server.close();
});

describe('Go value rendering', () => {
  itMaps('formatGoFloat(%s) = %s', formatGoFloat, [
    [0.99, '0.99'],
    [1, '1'],
    [1e21, '1000000000000000000000'],
    [1.5e-7, '0.00000015'],
    [-2.5e22, '-25000000000000000000000'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, '+Inf'],
    [Number.NEGATIVE_INFINITY, '-Inf'],
  ]);

  it('parses Prometheus sample strings', () => {
    expect(parsePromValue('+Inf')).toBe(Number.POSITIVE_INFINITY);
    expect(Number.isNaN(parsePromValue('NaN'))).toBe(true);
    expect(parsePromValue('0.5')).toBe(0.5);
    expect(() => parsePromValue('abc')).toThrow('cannot parse sample value "abc"');
  });

  it('marshals like encoding/json: sorted keys, HTML escaped', () => {
    expect(goJsonMarshal({ b: 1, a: [true, '<x>'] })).toBe('{"a":[true,"\\u003cx\\u003e"],"b":1}');
  });
});

describe('Prometheus result shaping', () => {
  it.each<[string, string, unknown, unknown, string]>([
    ['vector → array of floats', 'vector', [{ metric: {}, value: [1, '0.99'] }], [0.99], '[0.99]'],
    [
      'vector of two',
      'vector',
      [
        { metric: { a: '1' }, value: [1, '1'] },
        { metric: { a: '2' }, value: [1, 'NaN'] },
      ],
      [1, Number.NaN],
      '[1,NaN]',
    ],
    ['empty vector', 'vector', [], [], '[]'],
    ['scalar → number', 'scalar', [1, '0.5'], 0.5, '0.5'],
    [
      'matrix → values flattened',
      'matrix',
      [
        {
          metric: {},
          values: [
            [1, '1'],
            [2, '2'],
          ],
        },
        { metric: {}, values: [[1, '3']] },
      ],
      [1, 2, 3],
      '[1,2,3]',
    ],
  ])('%s', (_name, type, result, value, text) => {
    expect(shapePrometheusResult(type, result)).toEqual({ value, text });
  });

  it('a string result is not supported', () => {
    expect(() => shapePrometheusResult('string', [1, 'x'])).toThrow('Prometheus metric type not supported');
  });

  itMaps<string, number>('range bound %s', (expression) => rangeBoundSeconds(expression, NOW), [
    ['now()', NOW.getTime() / 1000],
    ['now() - duration("5m")', NOW.getTime() / 1000 - 300],
    ["now() - duration('1h')", NOW.getTime() / 1000 - 3600],
    ['1700000000', 1700000000],
    ['2025-01-01T11:00:00Z', NOW.getTime() / 1000 - 3600],
  ]);
});

describe('Prometheus provider', () => {
  const promMetric = (fields: Record<string, unknown>, conditions: Partial<Metric> = {}): Metric => ({
    name: 'p',
    successCondition: 'result[0] >= 0.9',
    ...conditions,
    provider: { prometheus: { address: server.url, query: 'up', ...fields } },
  });

  it('runs an instant query with headers and basic auth, and shapes the vector', async () => {
    server.handle(() => ({
      body: {
        status: 'success',
        data: { resultType: 'vector', result: [{ metric: {}, value: [1, '0.99'] }] },
      },
    }));
    server.requests.length = 0;
    const metric = promMetric({
      headers: [{ key: 'X-Scope-OrgID', value: 'tenant-a' }],
      authentication: { basicAuth: { username: 'u', password: 'p' } },
    });
    const measurement = await prometheusProvider(target(metric), context()).run(target(metric));
    expect(measurement).toMatchObject({ phase: 'Successful', value: '[0.99]' });
    const [request] = server.requests;
    expect(request?.path).toBe('/api/v1/query');
    expect(new URLSearchParams(request?.body).get('query')).toBe('up');
    expect(request?.headers['x-scope-orgid']).toBe('tenant-a');
    expect(request?.headers.authorization).toBe(`Basic ${Buffer.from('u:p').toString('base64')}`);
  });

  it('runs a range query', async () => {
    server.handle(() => ({
      body: {
        status: 'success',
        data: {
          resultType: 'matrix',
          result: [
            {
              metric: {},
              values: [
                [1, '0.5'],
                [2, '0.95'],
              ],
            },
          ],
        },
      },
    }));
    server.requests.length = 0;
    const metric = promMetric(
      { rangeQuery: { start: 'now() - duration("2m")', end: 'now()', step: '1m' } },
      { successCondition: 'all(result, # > 0.4)' },
    );
    const measurement = await prometheusProvider(target(metric), context()).run(target(metric));
    expect(measurement).toMatchObject({ phase: 'Successful', value: '[0.5,0.95]' });
    const form = new URLSearchParams(server.requests[0]?.body);
    expect(server.requests[0]?.path).toBe('/api/v1/query_range');
    expect([form.get('start'), form.get('end'), form.get('step')]).toEqual([
      String(NOW.getTime() / 1000 - 120),
      String(NOW.getTime() / 1000),
      '1m',
    ]);
  });

  it('a Prometheus error answer is an Error measurement with its message', async () => {
    server.handle(() => ({
      status: 400,
      body: { status: 'error', errorType: 'bad_data', error: 'parse error at char 3' },
    }));
    const metric = promMetric({});
    const measurement = await prometheusProvider(target(metric), context()).run(target(metric));
    expect(measurement).toMatchObject({ phase: 'Error', message: 'bad_data: parse error at char 3' });
    expect(measurement.finishedAt).toBeDefined();
  });

  it('times out', async () => {
    server.handle(() => ({
      delayMs: 1500,
      body: { status: 'success', data: { resultType: 'scalar', result: [1, '1'] } },
    }));
    const metric = promMetric({ timeout: 1 });
    const measurement = await prometheusProvider(target(metric), context()).run(target(metric));
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toContain('no complete response within 1s');
  });

  it.each<[Record<string, unknown>, Record<string, string>, string]>([
    [{ address: undefined }, {}, 'prometheus address is not configured'],
    [{ address: 'not a url' }, {}, 'prometheus address is not is url format'],
    [{ timeout: -1 }, {}, 'prometheus timeout should not be negative'],
  ])('bad settings fail the provider: %o', (fields, env, message) => {
    const metric = promMetric(fields);
    expect(() => prometheusProvider(target(metric), context({}, env))).toThrow(message);
  });

  it('ARGO_ROLLOUTS_PROMETHEUS_ADDRESS stands in for a missing address', () => {
    const metric = promMetric({ address: undefined });
    expect(() =>
      prometheusProvider(target(metric), context({}, { ARGO_ROLLOUTS_PROMETHEUS_ADDRESS: server.url })),
    ).not.toThrow();
  });
});

describe('JSONPath (k8s subset)', () => {
  const data = { data: { ok: true, rate: 0.98, items: [{ v: 1 }, { v: 2 }], 'a.b': 'dotted' } };
  itMaps<string, unknown[]>('%s', (path) => evaluateJsonPath(compileJsonPath(path), data), [
    ['{$.data.ok}', [true]],
    ['{.data.rate}', [0.98]],
    ['{$}', [data]],
    ['{.data.items[1].v}', [2]],
    ['{.data.items[-1].v}', [2]],
    ['{.data.items[*].v}', [1, 2]],
    ["{.data['a.b']}", ['dotted']],
    ['{..v}', [1, 2]],
    ['plain text', ['plain text']],
  ]);

  itThrows<string>('%s fails: %s', (path) => evaluateJsonPath(compileJsonPath(path), data), Error, [
    ['{.data.missing}', 'missing is not found'],
    ['{.data.items[5]}', 'array index out of bounds: index 5, length 2'],
  ]);
});

describe('Web provider', () => {
  const webMetric = (fields: Record<string, unknown>, conditions: Partial<Metric> = {}): Metric => ({
    name: 'w',
    ...conditions,
    provider: { web: { url: `${server.url}/health`, ...fields } },
  });
  const measure = (metric: Metric) => webProvider(target(metric), context()).run(target(metric));

  it('GETs with headers and evaluates the jsonPath result', async () => {
    server.handle(() => ({ body: { data: { ok: true, rate: 0.99 } } }));
    server.requests.length = 0;
    const m = await measure(
      webMetric(
        { jsonPath: '{$.data.rate}', headers: [{ key: 'Authorization', value: 'Bearer t' }] },
        { successCondition: 'result > 0.95' },
      ),
    );
    expect(m).toMatchObject({ phase: 'Successful', value: '0.99' });
    expect(server.requests[0]?.headers.authorization).toBe('Bearer t');
  });

  it('POSTs a jsonBody as JSON', async () => {
    server.handle((req) => ({ body: { echoed: JSON.parse(req.body) } }));
    server.requests.length = 0;
    const m = await measure(webMetric({ method: 'POST', jsonBody: { a: 1 }, jsonPath: '{$.echoed}' }));
    expect(m).toMatchObject({ phase: 'Successful', value: '{"a":1}' });
    expect(server.requests[0]?.headers['content-type']).toBe('application/json');
  });

  it.each<
    [string, Record<string, unknown>, () => ReturnType<Parameters<FixtureServer['handle']>[0]>, string]
  >([
    ['non-2xx is an Error', {}, () => ({ status: 503, body: 'down' }), 'received non 2xx response code: 503'],
    [
      'a missing path is an Error',
      { jsonPath: '{$.nope}' },
      () => ({ body: { a: 1 } }),
      'Could not find JSONPath in body: nope is not found',
    ],
    [
      'a body on GET is refused',
      { body: 'x' },
      () => ({ body: {} }),
      'Body/JSONBody can only be used with POST or PUT WebMetric Method types',
    ],
    [
      'times out',
      { timeoutSeconds: 1 },
      () => ({ delayMs: 1500, body: {} }),
      'no complete response within 1s',
    ],
  ])('%s', async (_name, fields, answer, message) => {
    server.handle(answer);
    const m = await measure(webMetric(fields));
    expect(m.phase).toBe('Error');
    expect(m.message).toContain(message);
  });

  it('[argo] a body that is not JSON is the value, Successful without evaluation', async () => {
    server.handle(() => ({ body: 'OK' }));
    const m = await measure(webMetric({}, { successCondition: 'result == "never"' }));
    expect(m).toMatchObject({ phase: 'Successful', value: 'OK' });
  });

  it('a failing condition is Failed', async () => {
    server.handle(() => ({ body: { ok: false } }));
    const m = await measure(webMetric({ jsonPath: '{$.ok}' }, { successCondition: 'result == true' }));
    expect(m).toMatchObject({ phase: 'Failed', value: 'false' });
  });
});

describe('Datadog provider', () => {
  const ddMetric = (fields: Record<string, unknown>, conditions: Partial<Metric> = {}): Metric => ({
    name: 'dd',
    successCondition: 'result < 0.05',
    ...conditions,
    provider: { datadog: { interval: '5m', ...fields } },
  });
  const keys = () => ({
    'argo-rollouts/datadog': { address: server.url, 'api-key': 'dd-api-secret', 'app-key': 'dd-app-secret' },
  });

  it('v1: GET /api/v1/query with the keys; the last point is the result', async () => {
    const nowSeconds = NOW.getTime() / 1000;
    server.handle((req) => ({
      body: datadogV1QueryResponse(
        req.query.get('query') ?? '',
        Number(req.query.get('from')),
        Number(req.query.get('to')),
        0.01,
      ),
    }));
    server.requests.length = 0;
    const metric = ddMetric({ query: 'avg:errors{service:web}' });
    const provider = await datadogProvider(target(metric), context(keys()));
    const m = await provider.run(target(metric));
    expect(m).toMatchObject({ phase: 'Successful', value: '0.01' });
    const request = server.requests[0];
    expect(request?.path).toBe('/api/v1/query');
    expect([request?.query.get('from'), request?.query.get('to')]).toEqual([
      String(nowSeconds - 300),
      String(nowSeconds),
    ]);
    expect(request?.headers['dd-api-key']).toBe('dd-api-secret');
    expect(request?.headers['dd-application-key']).toBe('dd-app-secret');
  });

  it('v2: POST /api/v2/query/scalar with queries and formula', async () => {
    server.handle(() => ({ body: datadogV2ScalarResponse('a/b', 0.02) }));
    server.requests.length = 0;
    const metric = ddMetric({
      apiVersion: 'v2',
      queries: { a: 'sum:errors{*}.as_count()', b: 'sum:hits{*}.as_count()' },
      formula: 'a/b',
    });
    const provider = await datadogProvider(target(metric), context(keys()));
    const m = await provider.run(target(metric));
    expect(m).toMatchObject({ phase: 'Successful', value: '0.02' });
    expect(server.requests[0]?.path).toBe('/api/v2/query/scalar');
    expect(JSON.parse(server.requests[0]?.body ?? '{}')).toEqual(
      datadogScalarRequest(
        { queries: { a: 'sum:errors{*}.as_count()', b: 'sum:hits{*}.as_count()' }, formula: 'a/b' },
        NOW.getTime() / 1000,
        300,
      ),
    );
  });

  it('v2: an empty result is evaluated as nil', async () => {
    server.handle(() => ({ body: datadogV2ScalarResponse('query', null) }));
    const metric = ddMetric(
      { apiVersion: 'v2', query: 'avg:x{*}' },
      { successCondition: 'default(result, 0) < 0.05' },
    );
    const m = await (await datadogProvider(target(metric), context(keys()))).run(target(metric));
    expect(m).toMatchObject({ phase: 'Successful', value: '[]' });
  });

  it('an authentication error is an Error', async () => {
    server.handle(() => ({ status: 403, body: { errors: ['Forbidden'] } }));
    const metric = ddMetric({ query: 'avg:x{*}' });
    const m = await (await datadogProvider(target(metric), context(keys()))).run(target(metric));
    expect(m).toMatchObject({
      phase: 'Error',
      message: 'received authentication error response code: 403 {"errors":["Forbidden"]}',
    });
  });

  it('missing Secret or keys fail the provider', async () => {
    const metric = ddMetric({ query: 'avg:x{*}' });
    await expect(datadogProvider(target(metric), context())).rejects.toThrow(
      'secrets "datadog" not found in namespace argo-rollouts',
    );
    await expect(
      datadogProvider(target(metric), context({ 'argo-rollouts/datadog': { 'api-key': 'x' } })),
    ).rejects.toThrow('API or App token not found');
  });

  it('DD_API_KEY, DD_APP_KEY and DD_ADDRESS together replace the Secret', async () => {
    const metric = ddMetric({ query: 'avg:x{*}' });
    await expect(
      datadogProvider(
        target(metric),
        context({}, { DD_API_KEY: 'a', DD_APP_KEY: 'b', DD_ADDRESS: server.url }),
      ),
    ).resolves.toBeDefined();
  });

  itThrows<Record<string, unknown>>('[argo] validation %o', validateDatadogSpec, Error, [
    [{}, 'Must have either a query or queries. Please review the Analysis Template.'],
    [
      { query: 'a', queries: { a: 'b' } },
      'Cannot have both a query and queries. Please review the Analysis Template.',
    ],
    [
      { queries: { a: 'x' } },
      'Query is empty. API Version v1 only supports using the query parameter in your Analysis Template.',
    ],
    [
      { apiVersion: 'v2', queries: { a: 'x', b: 'y' } },
      'When multiple queries are provided you must include a formula.',
    ],
    [
      { query: 'x', aggregator: 'avg' },
      'Aggregator is not supported in v1. Please review the Analysis Template.',
    ],
  ]);
});

describe('New Relic provider', () => {
  const nrMetric = (conditions: Partial<Metric> = {}): Metric => ({
    name: 'nr',
    successCondition: 'result.errorRate < 0.01',
    ...conditions,
    provider: {
      newRelic: { query: "FROM Transaction SELECT percentage(count(*), WHERE error is true) AS 'errorRate'" },
    },
  });
  const secret = () => ({
    'argo-rollouts/newrelic': {
      'personal-api-key': 'NRAK-secret',
      'account-id': '1234',
      'base-url-nerdgraph': `${server.url}/graphql`,
    },
  });

  it('queries NerdGraph with the account and key; one row is the result', async () => {
    server.handle(() => ({ body: newRelicNrqlResponse([{ errorRate: 0.001 }]) }));
    server.requests.length = 0;
    const metric = nrMetric();
    const m = await (await newRelicProvider(target(metric), context(secret()))).run(target(metric));
    expect(m).toMatchObject({ phase: 'Successful', value: '{"errorRate":0.001}' });
    const request = server.requests[0];
    expect(request?.headers['api-key']).toBe('NRAK-secret');
    const body = JSON.parse(request?.body ?? '{}');
    expect(body.variables).toEqual({ accountId: 1234, query: metric.provider.newRelic?.query });
    expect(body.query).toContain('nrql(query: $query)');
  });

  it('GraphQL errors are an Error', async () => {
    server.handle(() => ({ body: { errors: [{ message: 'NRQL Syntax Error' }] } }));
    const metric = nrMetric();
    const m = await (await newRelicProvider(target(metric), context(secret()))).run(target(metric));
    expect(m).toMatchObject({ phase: 'Error', message: 'NRQL Syntax Error' });
  });

  it.each<[Record<string, unknown>[], string, string | undefined]>([
    [[{ count: 3 }], 'Successful', '{"count":3}'],
    [[{ count: 1 }, { count: 2 }], 'Successful', '[{"count":1},{"count":2}]'],
  ])('[argo] result shaping %o', (rows, phase, value) => {
    expect(evaluateNrqlResults(nrMetric({ successCondition: 'true' }), rows)).toEqual({ phase, value });
  });

  it('[argo] no rows is an error', () => {
    expect(() => evaluateNrqlResults(nrMetric(), [])).toThrow('no results returned from NRQL query');
    expect(() => evaluateNrqlResults(nrMetric(), [{}])).toThrow('no results returned from NRQL query');
  });

  it('the profile names the Secret', async () => {
    const metric: Metric = { name: 'nr', provider: { newRelic: { profile: 'team-a', query: 'x' } } };
    await expect(newRelicProvider(target(metric), context())).rejects.toThrow(
      'secrets "team-a" not found in namespace argo-rollouts',
    );
  });
});

describe('registry', () => {
  it.each<[Metric['provider'], string]>([
    [{ prometheus: {} }, 'Prometheus'],
    [{ web: { url: 'x' } }, 'Web'],
    [{ job: { spec: {} } }, 'Job'],
    [{ datadog: {} }, 'Datadog'],
    [{ newRelic: { query: 'x' } }, 'NewRelic'],
    [{ kayenta: {} }, 'Kayenta'],
  ])('type of %o is %s', (provider, type) => {
    expect(providerTypeName({ name: 'm', provider })).toBe(type);
  });

  it('an unsupported provider is named in the error', () => {
    expect(() => providerFactoryFor({ name: 'm', provider: { kayenta: {} } })).toThrow(
      "metric 'm': provider kayenta is not supported by Slipway",
    );
  });
});

describe('secret arguments', () => {
  it('are read from the run namespace, decoded, and collected for redaction', async () => {
    const { args, secretValues } = await resolveSecretArgs(
      fakeClient({ 'shop/api': { token: 's3cr3t' } }),
      'shop',
      [
        { name: 'token', valueFrom: { secretKeyRef: { name: 'api', key: 'token' } } },
        { name: 'plain', value: 'v' },
      ],
    );
    expect(args).toEqual([
      { name: 'token', value: 's3cr3t' },
      { name: 'plain', value: 'v' },
    ]);
    expect(redact('GET http://x/?t=s3cr3t failed (s3cr3t)', secretValues)).toBe(
      'GET http://x/?t=***** failed (*****)',
    );
  });

  it.each<[string, string]>([
    ['missing', 'secrets "missing" not found'],
    ['api', "key 'nope' does not exist in secret 'api'"],
  ])('a missing secret or key is an error: %s', async (name, message) => {
    await expect(
      resolveSecretArgs(fakeClient({ 'shop/api': { token: 'x' } }), 'shop', [
        { name: 'a', valueFrom: { secretKeyRef: { name, key: 'nope' } } },
      ]),
    ).rejects.toThrow(message);
  });
});
