// Local HTTP servers for metric-provider tests, on 127.0.0.1 and an ephemeral port: a recording
// server whose answers the test decides, and the documented responses of services that cannot
// run here (Datadog, New Relic), replayed with the shapes of their public API references.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RecordedRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  headers: http.IncomingHttpHeaders;
  body: string;
}

export interface FixtureResponse {
  status?: number;
  headers?: Record<string, string>;
  /** A string is sent as is; anything else as JSON. */
  body?: unknown;
  /** Answer after this long (to test timeouts). */
  delayMs?: number;
}

export type FixtureHandler = (request: RecordedRequest) => FixtureResponse | Promise<FixtureResponse>;

export interface FixtureServer {
  /** e.g. http://127.0.0.1:40123 */
  url: string;
  requests: RecordedRequest[];
  /** Replaces how the server answers from now on. */
  handle(handler: FixtureHandler): void;
  close(): Promise<void>;
}

export async function startHttpFixture(handler: FixtureHandler): Promise<FixtureServer> {
  let current = handler;
  const requests: RecordedRequest[] = [];
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', async () => {
      const url = new URL(req.url ?? '/', 'http://fixture');
      const recorded: RecordedRequest = {
        method: req.method ?? 'GET',
        path: url.pathname,
        query: url.searchParams,
        headers: req.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      };
      requests.push(recorded);
      try {
        const answer = await current(recorded);
        if (answer.delayMs) await new Promise((resolve) => setTimeout(resolve, answer.delayMs));
        const body = typeof answer.body === 'string' ? answer.body : JSON.stringify(answer.body ?? {});
        res.writeHead(answer.status ?? 200, {
          'Content-Type': typeof answer.body === 'string' ? 'text/plain' : 'application/json',
          ...answer.headers,
        });
        res.end(body);
      } catch (error) {
        res.writeHead(500, { 'Content-Type': 'text/plain' });
        res.end(String(error));
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    handle(next) {
      current = next;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** Datadog `GET /api/v1/query` answer (Query timeseries points), one series ending in `lastValue`. */
export function datadogV1QueryResponse(
  query: string,
  fromSeconds: number,
  toSeconds: number,
  lastValue: number,
) {
  return {
    status: 'ok',
    res_type: 'time_series',
    resp_version: 1,
    query,
    message: '',
    error: '',
    from_date: fromSeconds * 1000,
    to_date: toSeconds * 1000,
    group_by: [],
    series: [
      {
        aggr: 'avg',
        display_name: query,
        end: toSeconds * 1000,
        expression: query,
        interval: 60,
        length: 2,
        metric: query.replace(/^\w+:/, '').replace(/\{.*$/, ''),
        pointlist: [
          [(toSeconds - 120) * 1000, 0.25],
          [(toSeconds - 60) * 1000, lastValue],
        ],
        query_index: 0,
        scope: '*',
        start: fromSeconds * 1000,
        tag_set: [],
        unit: null,
      },
    ],
  };
}

/** Datadog `POST /api/v2/query/scalar` answer (Query scalar data across multiple products). */
export function datadogV2ScalarResponse(columnName: string, value: number | null) {
  return {
    data: {
      type: 'scalar_response',
      attributes: {
        columns: [
          {
            name: columnName,
            type: 'number',
            values: value === null ? [] : [value],
            meta: {
              unit: [
                {
                  family: 'percentage',
                  name: 'percent',
                  plural: 'percent',
                  scale_factor: 1,
                  short_name: '%',
                },
                null,
              ],
            },
          },
        ],
      },
    },
  };
}

/** New Relic NerdGraph answer to `actor { account(id) { nrql(query) { results } } }`. */
export function newRelicNrqlResponse(results: Record<string, unknown>[]) {
  return { data: { actor: { account: { nrql: { results } } } } };
}
