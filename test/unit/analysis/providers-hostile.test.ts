// Hostile metric servers and URLs (issue 12, item 3), against local loopback servers: a server
// dribbling bytes must hit the total deadline, a huge answer the size cap, a malformed answer a
// readable message, and a denied network must be refused before any byte is sent. Every case
// ends as a measurement with phase Error.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { ObservedAnalysisRun } from '../../../src/analysis/plan.js';
import { parseDatadogV1, parseDatadogV2 } from '../../../src/analysis/providers/datadog.js';
import {
  DEFAULT_MAX_RESPONSE_BYTES,
  HttpResponseTooLargeError,
  HttpTimeoutError,
  httpRequest,
} from '../../../src/analysis/providers/http-request.js';
import {
  DEFAULT_DENIED_NETWORKS,
  NetworkPolicy,
  providerNetworkPolicy,
  setProviderDeniedNetworks,
} from '../../../src/analysis/providers/network-policy.js';
import { newRelicProvider } from '../../../src/analysis/providers/newrelic.js';
import { prometheusProvider } from '../../../src/analysis/providers/prometheus.js';
import {
  describeProviderError,
  type MeasurementTarget,
  type ProviderContext,
} from '../../../src/analysis/providers/provider.js';
import { webProvider } from '../../../src/analysis/providers/web.js';
import type { Metric } from '../../../src/api/analysis.js';
import { parseDeniedNetworks } from '../../../src/cmd/controller.js';
import type { RestClient } from '../../../src/kube/rest.js';
import { itMaps } from '../support/each.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/** A loopback server whose behaviour each test sets; counts the requests that reached it. */
interface Hostile {
  url: string;
  hits: number;
  handle(handler: Handler): void;
  close(): Promise<void>;
}

async function startHostile(): Promise<Hostile> {
  let current: Handler = (_req, res) => res.end('{}');
  let hits = 0;
  const server = http.createServer((req, res) => {
    hits++;
    req.resume();
    req.on('end', () => current(req, res));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    get hits() {
      return hits;
    },
    set hits(n: number) {
      hits = n;
    },
    handle(handler) {
      current = handler;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Sends the headers, then one byte every `everyMs`, never ending. */
function drip(everyMs: number): Handler {
  return (_req, res) => {
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.write('{');
    const timer = setInterval(() => {
      if (res.destroyed) clearInterval(timer);
      else res.write(' ');
    }, everyMs);
    res.on('close', () => clearInterval(timer));
  };
}

/** Answers `bytes` bytes of a valid JSON string, declared or chunked. */
function huge(bytes: number, declareLength: boolean): Handler {
  return (_req, res) => {
    const body = `{"status":"success","data":{"resultType":"scalar","result":[1,"${'9'.repeat(bytes)}"]}}`;
    res.writeHead(200, {
      'Content-Type': 'application/json',
      ...(declareLength ? { 'Content-Length': String(Buffer.byteLength(body)) } : {}),
    });
    // In pieces, so the undeclared case arrives chunked.
    const piece = 64 * 1024;
    let offset = 0;
    const pump = () => {
      while (offset < body.length) {
        const ok = res.write(body.slice(offset, offset + piece));
        offset += piece;
        if (!ok) {
          res.once('drain', pump);
          return;
        }
      }
      res.end();
    };
    pump();
  };
}

function json(status: number, body: unknown): Handler {
  return (_req, res) => {
    res.writeHead(status, { 'Content-Type': 'application/json' });
    res.end(typeof body === 'string' ? body : JSON.stringify(body));
  };
}

const NOW = new Date(Date.UTC(2025, 0, 1, 12, 0, 0));
const context = (secrets: Record<string, Record<string, string>> = {}): ProviderContext => ({
  client: {
    get: async (_r: unknown, namespace: string, name: string) => ({
      data: Object.fromEntries(
        Object.entries(secrets[`${namespace}/${name}`] ?? {}).map(([k, v]) => [
          k,
          Buffer.from(v).toString('base64'),
        ]),
      ),
    }),
  } as unknown as RestClient,
  now: () => NOW,
  controllerNamespace: 'argo-rollouts',
  env: {},
  jobs: { get: () => undefined, ownedBy: () => [] },
});
const runObject: ObservedAnalysisRun = {
  metadata: { name: 'run', namespace: 'shop', uid: 'uid-1' },
  spec: { metrics: [] },
};
const target = (metric: Metric): MeasurementTarget => ({ run: runObject, metric });

const webMetric = (url: string, fields: Record<string, unknown> = {}): Metric => ({
  name: 'w',
  successCondition: 'result == true',
  provider: { web: { url, ...fields } },
});
const promMetric = (address: string, fields: Record<string, unknown> = {}): Metric => ({
  name: 'p',
  successCondition: 'result[0] >= 0.9',
  provider: { prometheus: { address, query: 'up', ...fields } },
});
const measureWeb = (metric: Metric) => webProvider(target(metric), context()).run(target(metric));
const measureProm = (metric: Metric) => prometheusProvider(target(metric), context()).run(target(metric));

let server: Hostile;
beforeAll(async () => {
  server = await startHostile();
});
afterAll(async () => {
  await server.close();
});
afterEach(() => {
  setProviderDeniedNetworks(DEFAULT_DENIED_NETWORKS);
});

describe('total deadline, not an idle timeout', () => {
  it('a Web server sending a byte every 200 ms ends in Error at the spec timeout', async () => {
    server.handle(drip(200));
    const measurement = await measureWeb(webMetric(`${server.url}/slow`, { timeoutSeconds: 1 }));
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toBe(`GET ${server.url}/slow: no complete response within 1s`);
    expect(measurement.finishedAt).toBeDefined();
  });

  it('a Prometheus server sending a byte every 200 ms ends in Error at the spec timeout', async () => {
    server.handle(drip(200));
    const measurement = await measureProm(promMetric(server.url, { timeout: 1 }));
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toBe(`POST ${server.url}/api/v1/query: no complete response within 1s`);
  });

  it('the shared request (Datadog, New Relic) has the same total deadline', async () => {
    server.handle(drip(100));
    await expect(httpRequest({ method: 'GET', url: `${server.url}/x`, timeoutMs: 500 })).rejects.toThrow(
      HttpTimeoutError,
    );
  });

  it('the Prometheus deadline covers the OAuth2 token request and the query together', async () => {
    // The token endpoint dribbles: the whole measurement still ends at the one deadline.
    server.handle(drip(200));
    const metric = promMetric(server.url, {
      timeout: 1,
      authentication: { oauth2: { tokenUrl: `${server.url}/token`, clientId: 'c', clientSecret: 's' } },
    });
    const measurement = await measureProm(metric);
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toBe(`POST ${server.url}/token: no complete response within 1s`);
  });
});

describe('response size cap', () => {
  it.each([
    ['declared with Content-Length', true],
    ['chunked, without a length', false],
  ])('a 10 MB Prometheus answer %s is an Error naming the cap', async (_, declared) => {
    server.handle(huge(10 * 1024 * 1024, declared));
    const measurement = await measureProm(promMetric(server.url));
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toBe(
      `POST ${server.url}/api/v1/query: response is larger than 1 MiB; metric providers read at most that much`,
    );
    expect(measurement.value).toBeUndefined();
  });

  it('a 10 MB Web answer is an Error too', async () => {
    server.handle(huge(10 * 1024 * 1024, false));
    const measurement = await measureWeb(webMetric(`${server.url}/big`));
    expect(measurement).toMatchObject({ phase: 'Error' });
    expect(measurement.message).toContain('response is larger than 1 MiB');
  });

  it('an answer just under the cap is read', async () => {
    server.handle(huge(DEFAULT_MAX_RESPONSE_BYTES - 1000, true));
    const response = await httpRequest({ method: 'GET', url: server.url, timeoutMs: 30_000 });
    expect(response.body.length).toBeGreaterThan(DEFAULT_MAX_RESPONSE_BYTES - 1000);
  });

  it('the cap is per request', async () => {
    server.handle(huge(10_000, true));
    await expect(
      httpRequest({ method: 'GET', url: server.url, timeoutMs: 30_000, maxResponseBytes: 1000 }),
    ).rejects.toThrow(HttpResponseTooLargeError);
  });

  it('a Web answer nested too deeply is an Error, not a stack overflow', async () => {
    server.handle(json(200, `${'['.repeat(100_000)}${']'.repeat(100_000)}`));
    const measurement = await measureWeb(webMetric(`${server.url}/deep`));
    expect(measurement).toMatchObject({
      phase: 'Error',
      message: 'the response JSON is nested more than 64 levels deep',
    });
  });
});

describe('malformed answers give readable messages', () => {
  const success = (data: unknown) => ({ status: 'success', data });
  it.each<[string, unknown, string]>([
    [
      'a vector sample without value',
      success({ resultType: 'vector', result: [{ metric: {} }] }),
      'malformed Prometheus response: data.result[0].value is not a [time, "value"] pair',
    ],
    [
      'a vector sample value that is a number',
      success({ resultType: 'vector', result: [{ value: [1, 0.5] }] }),
      'malformed Prometheus response: data.result[0].value is not a [time, "value"] pair',
    ],
    [
      'a vector result that is not a list',
      success({ resultType: 'vector', result: 'x' }),
      'malformed Prometheus response: data.result is not a list',
    ],
    [
      'a vector sample that is not an object',
      success({ resultType: 'vector', result: [7] }),
      'malformed Prometheus response: data.result[0] is not an object',
    ],
    [
      'a matrix series without values',
      success({ resultType: 'matrix', result: [{ metric: {} }] }),
      'malformed Prometheus response: data.result[0].values is not a list',
    ],
    [
      'a matrix point that is not a pair',
      success({ resultType: 'matrix', result: [{ values: [[1, '1'], 5] }] }),
      'malformed Prometheus response: data.result[0].values[1] is not a [time, "value"] pair',
    ],
    [
      'a scalar that is null',
      success({ resultType: 'scalar', result: null }),
      'malformed Prometheus response: data.result is not a [time, "value"] pair',
    ],
    [
      'a sample that is not a number',
      success({ resultType: 'scalar', result: [1, 'abc'] }),
      'cannot parse sample value "abc"',
    ],
    [
      'a string result',
      success({ resultType: 'string', result: [1, 'x'] }),
      'Prometheus metric type not supported',
    ],
    ['JSON null', 'null', 'malformed Prometheus response: not a JSON object (HTTP 200)'],
    ['a JSON list', '[]', 'malformed Prometheus response: not a JSON object (HTTP 200)'],
    ['not JSON', '<html>', 'server_error: server error: 200'],
  ])('Prometheus: %s', async (_, body, message) => {
    server.handle(json(200, body));
    const measurement = await measureProm(promMetric(server.url));
    expect(measurement).toMatchObject({ phase: 'Error', message });
  });

  const ddMetric: Metric = {
    name: 'd',
    successCondition: 'result < 1',
    provider: { datadog: { query: 'q' } },
  };
  it.each<[string, string, string]>([
    ['v1 null', 'null', 'malformed Datadog response: not a JSON object'],
    ['v1 series not a list', '{"series":"x"}', 'malformed Datadog response: series is not a list'],
    [
      'v1 pointlist not a list',
      '{"series":[{"pointlist":5}]}',
      'malformed Datadog response: series[0].pointlist is not a list',
    ],
    ['v1 point not a pair', '{"series":[{"pointlist":[7]}]}', 'Datapoint does not have 2 values'],
    [
      'v1 value not a number',
      '{"series":[{"pointlist":[[1,"x"]]}]}',
      'malformed Datadog response: the datapoint value is not a number',
    ],
  ])('Datadog %s', (_, body, message) => {
    expect(() => parseDatadogV1(ddMetric, 200, body)).toThrow(message);
  });

  it.each<[string, string, string]>([
    [
      'columns not a list',
      '{"data":{"attributes":{"columns":{}}}}',
      'malformed Datadog response: data.attributes.columns is not a list',
    ],
    [
      'values not a list',
      '{"data":{"attributes":{"columns":[{"type":"number","values":3}]}}}',
      'malformed Datadog response: a number column has no list of values',
    ],
    [
      'a value that is a string',
      '{"data":{"attributes":{"columns":[{"type":"number","values":["x"]}]}}}',
      'malformed Datadog response: a number column holds a value that is not a number',
    ],
  ])('Datadog v2 %s', (_, body, message) => {
    expect(() => parseDatadogV2(ddMetric, 200, body)).toThrow(message);
  });

  it('Datadog quotes only the start of a huge error body', () => {
    expect(() => parseDatadogV1(ddMetric, 500, 'x'.repeat(1_000_000))).toThrow(
      `received non 2xx response code: 500 ${'x'.repeat(256)}...`,
    );
  });

  it.each<[string, unknown, string]>([
    [
      'results not a list',
      { data: { actor: { account: { nrql: { results: 'x' } } } } },
      'nrql.results is not a list',
    ],
    [
      'a row that is not an object',
      { data: { actor: { account: { nrql: { results: [1] } } } } },
      'not a list of rows',
    ],
    ['JSON null', null, 'malformed NerdGraph response: not a JSON object (HTTP 200)'],
  ])('New Relic: %s', async (_, body, message) => {
    server.handle(json(200, JSON.stringify(body)));
    const secrets = {
      'argo-rollouts/newrelic': {
        'personal-api-key': 'k',
        'account-id': '1',
        'base-url-nerdgraph': `${server.url}/graphql`,
      },
    };
    const metric: Metric = { name: 'n', provider: { newRelic: { query: 'SELECT 1' } } };
    const provider = await newRelicProvider(target(metric), context(secrets));
    const measurement = await provider.run(target(metric));
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toContain(message);
  });

  it('a JavaScript TypeError or RangeError is described, not quoted', () => {
    expect(describeProviderError(new TypeError("Cannot read properties of undefined (reading 'trim')"))).toBe(
      'the provider answered with a result of an unexpected shape',
    );
    expect(describeProviderError(new RangeError('Maximum call stack size exceeded'))).toBe(
      'the provider answered with a result too large or too deeply nested to process',
    );
    expect(describeProviderError(new Error('bad_data: parse error'))).toBe('bad_data: parse error');
  });
});

describe('provider URL deny list', () => {
  it('is on by default for link-local IPv4 and the EC2 IPv6 metadata address', () => {
    expect(providerNetworkPolicy().networks).toEqual(['169.254.0.0/16', 'fd00:ec2::254/128']);
  });

  it.each([
    ['http://169.254.169.254/latest/meta-data/', '169.254.169.254', '169.254.0.0/16'],
    ['http://169.254.1.2:8080/x', '169.254.1.2', '169.254.0.0/16'],
    ['http://[fd00:ec2::254]/latest/meta-data/', 'fd00:ec2::254', 'fd00:ec2::254/128'],
    ['http://[::ffff:169.254.169.254]/', '::ffff:a9fe:a9fe', '169.254.0.0/16'],
    ['http://2852039166/', '169.254.169.254', '169.254.0.0/16'],
    ['http://0xa9.0xfe.0xa9.0xfe/', '169.254.169.254', '169.254.0.0/16'],
  ])('refuses %s', async (url, address, network) => {
    const measurement = await measureWeb(webMetric(url));
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toContain(
      `address ${address} is in the denied network ${network}; metric providers may not connect there (controller flag --metric-provider-denied-networks)`,
    );
  });

  it('refuses a Prometheus address in a denied network', async () => {
    const measurement = await measureProm(promMetric('http://169.254.169.254:9090'));
    expect(measurement).toMatchObject({ phase: 'Error' });
    expect(measurement.message).toContain('address 169.254.169.254 is in the denied network 169.254.0.0/16');
  });

  it('checks the addresses a DNS name resolves to, and sends nothing there', async () => {
    setProviderDeniedNetworks(['127.0.0.0/8', '::1/128']);
    server.handle(json(200, true));
    server.hits = 0;
    const port = new URL(server.url).port;
    const measurement = await measureWeb(webMetric(`http://localhost:${port}/health`));
    expect(measurement.phase).toBe('Error');
    expect(measurement.message).toMatch(
      new RegExp(
        `^GET http://localhost:${port}/health: localhost resolves to (127\\.0\\.0\\.1|::1), which is in the denied network (127\\.0\\.0\\.0/8|::1/128); `,
      ),
    );
    expect(server.hits).toBe(0);
  });

  it('a DNS name resolving outside the denied networks is connected to', async () => {
    server.handle(json(200, true));
    const port = new URL(server.url).port;
    const measurement = await measureWeb(webMetric(`http://localhost:${port}/health`));
    expect(measurement).toMatchObject({ phase: 'Successful', value: 'true' });
  });

  it('is configurable: the same server is reachable once the list allows it', async () => {
    server.handle(json(200, true));
    setProviderDeniedNetworks(['127.0.0.1/32']);
    expect((await measureWeb(webMetric(`${server.url}/health`))).phase).toBe('Error');
    setProviderDeniedNetworks([]);
    expect((await measureWeb(webMetric(`${server.url}/health`))).phase).toBe('Successful');
  });

  it('an explicit policy on a request overrides the process-wide one', async () => {
    server.handle(json(200, true));
    await expect(
      httpRequest({
        method: 'GET',
        url: server.url,
        timeoutMs: 5000,
        networkPolicy: NetworkPolicy.of(['127.0.0.0/8']),
      }),
    ).rejects.toThrow('address 127.0.0.1 is in the denied network 127.0.0.0/8');
  });

  itMaps('the controller flag parses %j', parseDeniedNetworks, [
    ['169.254.0.0/16,fd00:ec2::254', ['169.254.0.0/16', 'fd00:ec2::254']],
    [' 10.0.0.0/8 , 192.168.0.0/16 ', ['10.0.0.0/8', '192.168.0.0/16']],
    ['', []],
  ]);

  it.each(['10.0.0.0/33', 'fd00::/129', 'example.com', '10.0.0.0/8/1', '10.0.0.0/x'])(
    'the controller flag refuses %j',
    (text) => {
      expect(() => parseDeniedNetworks(text)).toThrow(`invalid network "${text}"`);
    },
  );
});
