// The Slipway dashboard: rollouts per namespace, one rollout in detail with its actions, all
// following the API's watch streams. Routing is on the URL hash so any --root-path works.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, follow, type RolloutInfo, type Settings } from './api.js';
import { RolloutDetail } from './detail.js';
import { GitSyncPage } from './gitsync.js';
import { LiveDot, rolloutHref, StatusBadge } from './parts.js';
import './app.css';

type Route =
  | { page: 'list'; namespace?: string }
  | { page: 'gitsync'; namespace: string }
  | { page: 'rollout'; namespace: string; name: string };

function parseRoute(hash: string): Route {
  const parts = hash.replace(/^#\/?/, '').split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] === 'rollout' && parts[1] && parts[2])
    return { page: 'rollout', namespace: parts[1], name: parts[2] };
  if (parts[0] === 'rollouts' && parts[1]) return { page: 'list', namespace: parts[1] };
  if (parts[0] === 'gitsync' && parts[1]) return { page: 'gitsync', namespace: parts[1] };
  return { page: 'list' };
}

const listHref = (namespace: string) => `#/rollouts/${encodeURIComponent(namespace)}`;
const gitSyncHref = (namespace: string) => `#/gitsync/${encodeURIComponent(namespace)}`;

function App() {
  const [route, setRoute] = useState(() => parseRoute(window.location.hash));
  const [settings, setSettings] = useState<Settings | undefined>();
  const [namespaces, setNamespaces] = useState<{ namespace?: string; availableNamespaces?: string[] }>({});
  const [loadError, setLoadError] = useState('');
  useEffect(() => {
    const onHash = () => setRoute(parseRoute(window.location.hash));
    window.addEventListener('hashchange', onHash);
    api.settings().then(setSettings, (e: Error) => setLoadError(e.message));
    api.namespace().then(setNamespaces, (e: Error) => setLoadError(e.message));
    return () => window.removeEventListener('hashchange', onHash);
  }, []);
  const namespace = route.namespace ?? namespaces.namespace ?? '';
  const choices = [...new Set([namespace, ...(namespaces.availableNamespaces ?? [])])].filter(Boolean).sort();
  return (
    <>
      <header class="top">
        <a class="brand" href={namespace ? listHref(namespace) : '#/'}>
          Slipway
        </a>
        <label class="ns">
          Namespace
          <select
            value={namespace}
            onChange={(e) => {
              window.location.hash = listHref((e.target as HTMLSelectElement).value);
            }}
          >
            {choices.map((ns) => (
              <option key={ns} value={ns}>
                {ns}
              </option>
            ))}
          </select>
        </label>
        {namespace && (
          <nav aria-label="Views">
            <a href={listHref(namespace)} aria-current={route.page !== 'gitsync' ? 'page' : undefined}>
              Rollouts
            </a>
            <a href={gitSyncHref(namespace)} aria-current={route.page === 'gitsync' ? 'page' : undefined}>
              Git-sync
            </a>
          </nav>
        )}
        {settings?.readOnly && <span class="badge readonly">read-only</span>}
        <span class="version">{settings ? `v${settings.version}` : ''}</span>
      </header>
      <main>
        {loadError && (
          <p role="alert" class="error">
            {loadError}
          </p>
        )}
        {route.page === 'rollout' ? (
          <RolloutDetail
            key={`${route.namespace}/${route.name}`}
            namespace={route.namespace}
            name={route.name}
            readOnly={settings?.readOnly ?? true}
            backHref={listHref(route.namespace)}
          />
        ) : route.page === 'gitsync' ? (
          <GitSyncPage
            key={route.namespace}
            namespace={route.namespace}
            readOnly={settings?.readOnly ?? true}
          />
        ) : namespace ? (
          <RolloutList key={namespace} namespace={namespace} />
        ) : null}
      </main>
    </>
  );
}

function RolloutList({ namespace }: { namespace: string }) {
  const [rollouts, setRollouts] = useState<Map<string, RolloutInfo>>(new Map());
  const [live, setLive] = useState(false);
  useEffect(
    () =>
      followList(
        namespace,
        (type, info) =>
          setRollouts((old) => {
            const next = new Map(old);
            const name = info.objectMeta.name ?? '';
            if (type === 'Deleted') next.delete(name);
            else next.set(name, info);
            return next;
          }),
        setLive,
      ),
    [namespace],
  );
  const rows = [...rollouts.values()].sort((a, b) =>
    (a.objectMeta.name ?? '').localeCompare(b.objectMeta.name ?? ''),
  );
  return (
    <section aria-labelledby="rollouts-title">
      <h1 id="rollouts-title">
        Rollouts in {namespace} <LiveDot live={live} />
      </h1>
      {rows.length === 0 ? (
        <p class="muted">{live ? 'No rollouts in this namespace.' : 'Connecting…'}</p>
      ) : (
        <table class="list">
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Status</th>
              <th scope="col">Strategy</th>
              <th scope="col">Step</th>
              <th scope="col">Weight (set / actual)</th>
              <th scope="col">Pods (ready / desired)</th>
              <th scope="col">Images</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((ro) => (
              <tr key={ro.objectMeta.name} data-rollout={ro.objectMeta.name}>
                <th scope="row">
                  <a href={rolloutHref(namespace, ro.objectMeta.name ?? '')}>{ro.objectMeta.name}</a>
                </th>
                <td>
                  <StatusBadge status={ro.status} icon={ro.icon} />
                </td>
                <td>{ro.strategy}</td>
                <td>{ro.step ?? '–'}</td>
                <td>{ro.strategy === 'Canary' ? `${ro.setWeight ?? 0}% / ${ro.actualWeight ?? 0}%` : '–'}</td>
                <td>
                  {ro.ready ?? 0} / {ro.desired ?? 0}
                </td>
                <td class="images">{runningImages(ro).join(', ')}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Images of ReplicaSets with pods, tagged as Argo's CLI tags them. */
function runningImages(ro: RolloutInfo): string[] {
  const tags = new Map<string, Set<string>>();
  for (const rs of ro.replicaSets ?? []) {
    if (!rs.replicas) continue;
    for (const image of rs.images ?? []) {
      const set = tags.get(image) ?? new Set<string>();
      for (const tag of ['stable', 'canary', 'active', 'preview'] as const) if (rs[tag]) set.add(tag);
      tags.set(image, set);
    }
  }
  if (tags.size === 0) return (ro.containers ?? []).map((c) => c.image ?? '');
  return [...tags].map(([image, t]) => (t.size ? `${image} (${[...t].sort().join(', ')})` : image));
}

function followList(
  namespace: string,
  onEvent: (type: string, info: RolloutInfo) => void,
  onState: (live: boolean) => void,
): () => void {
  return follow<{ type: string; rolloutInfo: RolloutInfo }>(
    `rollouts/${encodeURIComponent(namespace)}/info/watch`,
    (event) => onEvent(event.type, event.rolloutInfo),
    onState,
  );
}

render(<App />, document.getElementById('app') as HTMLElement);
