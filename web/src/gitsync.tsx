// Git-sync at a glance: ImageWatches (the candidate next to what runs), GitTargets (the last
// commit) and PromotionPipelines (environment × image, holds, approvals and where each
// decision came from), following the API's Git-sync watch stream.
import { useEffect, useState } from 'preact/hooks';
import { api, type Condition, follow } from './api.js';
import { LiveDot, rolloutHref, StatusBadge } from './parts.js';

interface Write {
  gitTarget: string;
  path: string;
  state: string;
  image?: string;
  commit?: string;
  commitUrl: string | null;
  message?: string;
}
interface ImageWatchView {
  name: string;
  image: string;
  candidate: { tag?: string; image: string; createdAt?: string } | null;
  lastCheckedAt: string | null;
  running: { rollout: string; container: string; image: string }[];
  writes: Write[];
  conditions: Condition[];
}
interface GitTargetView {
  name: string;
  url: string;
  branch: string;
  mode: string;
  head: string | null;
  lastPushedCommit: string | null;
  lastPushedAt: string | null;
  commitUrl: string | null;
  conditions: Condition[];
}
interface EnvironmentView {
  name: string;
  state: string;
  image: string | null;
  desiredImage: string | null;
  stableImage: string | null;
  waiting: string | null;
  pullRequest: { kind: string; image: string; number: number; url: string } | null;
  approval: boolean;
  approvedImage: string | null;
}
interface Decision {
  type: string;
  environment: string;
  image: string;
  from?: string;
  rollout?: string;
  revision?: string;
  analysis?: string;
  reason: string;
  at: string;
  commit?: string;
  pullRequest?: string;
}
interface PipelineView {
  name: string;
  image: string;
  environments: EnvironmentView[];
  held: { image: string; environment: string; reason: string; since: string }[];
  releaseRequested: string | null;
  history: Decision[];
  conditions: Condition[];
}
interface Snapshot {
  imageWatches: ImageWatchView[];
  gitTargets: GitTargetView[];
  promotionPipelines: PipelineView[];
}

const short = (commit: string | null | undefined) => (commit ? commit.slice(0, 8) : '–');
const tagOf = (image: string | null | undefined) => (image ? (image.split('/').pop() ?? image) : '–');
const ready = (conditions: Condition[]) => conditions.find((c) => c.type === 'Ready');

function Commit({ commit, url }: { commit: string | null | undefined; url: string | null }) {
  if (!commit) return <span>–</span>;
  return url ? (
    <a href={url} target="_blank" rel="noopener noreferrer">
      <code>{short(commit)}</code>
    </a>
  ) : (
    <code title={commit}>{short(commit)}</code>
  );
}

export function GitSyncPage({ namespace, readOnly }: { namespace: string; readOnly: boolean }) {
  const [snapshot, setSnapshot] = useState<Snapshot | undefined>();
  const [live, setLive] = useState(false);
  useEffect(
    () => follow<Snapshot>(`slipway/gitsync/${encodeURIComponent(namespace)}/watch`, setSnapshot, setLive),
    [namespace],
  );
  return (
    <section aria-labelledby="gitsync-title">
      <h1 id="gitsync-title">
        Git-sync in {namespace} <LiveDot live={live} />
      </h1>
      {!snapshot ? (
        <p class="muted">{live ? 'Loading…' : 'Connecting…'}</p>
      ) : (
        <>
          <ImageWatches watches={snapshot.imageWatches} namespace={namespace} />
          <GitTargets targets={snapshot.gitTargets} />
          {snapshot.promotionPipelines.map((p) => (
            <Pipeline key={p.name} pipeline={p} namespace={namespace} readOnly={readOnly} />
          ))}
        </>
      )}
    </section>
  );
}

function ImageWatches({ watches, namespace }: { watches: ImageWatchView[]; namespace: string }) {
  return (
    <section aria-labelledby="imagewatches-title">
      <h2 id="imagewatches-title">ImageWatches</h2>
      {watches.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Repository</th>
              <th scope="col">Candidate</th>
              <th scope="col">Running</th>
              <th scope="col">In Git</th>
              <th scope="col">Ready</th>
            </tr>
          </thead>
          <tbody>
            {watches.map((w) => {
              const behind = w.candidate && w.running.some((r) => r.image !== w.candidate?.image);
              return (
                <tr key={w.name} data-imagewatch={w.name}>
                  <th scope="row">{w.name}</th>
                  <td>
                    <code>{w.image}</code>
                  </td>
                  <td>
                    <code>{tagOf(w.candidate?.image)}</code>
                    {behind && <span class="badge role canary">newer than running</span>}
                  </td>
                  <td>
                    {w.running.length === 0
                      ? '–'
                      : w.running.map((r) => (
                          <div key={`${r.rollout}/${r.container}`}>
                            <a href={rolloutHref(namespace, r.rollout)}>{r.rollout}</a>:{' '}
                            <code>{tagOf(r.image)}</code>
                          </div>
                        ))}
                  </td>
                  <td>
                    {w.writes.map((write) => (
                      <div key={`${write.gitTarget}/${write.path}`}>
                        {write.gitTarget}:{write.path} <StatusBadge status={write.state} />{' '}
                        <Commit commit={write.commit} url={write.commitUrl} />
                      </div>
                    ))}
                  </td>
                  <td>{ready(w.conditions)?.status ?? '–'}</td>
                </tr>
              );
            })}
          </tbody>
        </table>
      )}
    </section>
  );
}

function GitTargets({ targets }: { targets: GitTargetView[] }) {
  return (
    <section aria-labelledby="gittargets-title">
      <h2 id="gittargets-title">GitTargets</h2>
      {targets.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Remote</th>
              <th scope="col">Branch</th>
              <th scope="col">Mode</th>
              <th scope="col">Last commit</th>
              <th scope="col">Pushed</th>
              <th scope="col">Ready</th>
            </tr>
          </thead>
          <tbody>
            {targets.map((t) => (
              <tr key={t.name} data-gittarget={t.name}>
                <th scope="row">{t.name}</th>
                <td>
                  <code>{t.url}</code>
                </td>
                <td>{t.branch}</td>
                <td>{t.mode}</td>
                <td>
                  <Commit commit={t.lastPushedCommit ?? t.head} url={t.commitUrl} />
                </td>
                <td>{t.lastPushedAt ?? '–'}</td>
                <td title={ready(t.conditions)?.message}>{ready(t.conditions)?.status ?? '–'}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Pipeline({
  pipeline,
  namespace,
  readOnly,
}: {
  pipeline: PipelineView;
  namespace: string;
  readOnly: boolean;
}) {
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>();
  const [busy, setBusy] = useState(false);
  const images = [
    ...new Set(
      pipeline.environments
        .flatMap((e) => [e.image, e.desiredImage, e.stableImage])
        .concat(pipeline.held.map((h) => h.image))
        .filter((i): i is string => Boolean(i)),
    ),
  ].sort();
  const act = async (what: string, run: () => Promise<unknown>, done: string) => {
    // A real confirm: these write to the cluster and move images between environments.
    if (!window.confirm(`${what}?`)) return;
    setBusy(true);
    try {
      await run();
      setResult({ ok: true, text: done });
    } catch (e) {
      setResult({ ok: false, text: `${what} failed: ${(e as Error).message}` });
    } finally {
      setBusy(false);
    }
  };
  return (
    <section aria-labelledby={`pipeline-${pipeline.name}`} class="card" data-pipeline={pipeline.name}>
      <h2 id={`pipeline-${pipeline.name}`}>
        PromotionPipeline {pipeline.name} <code class="muted">{pipeline.image}</code>
      </h2>
      <table class="grid">
        <caption class="sr-only">Environments by image</caption>
        <thead>
          <tr>
            <th scope="col">Environment</th>
            <th scope="col">State</th>
            {images.map((i) => (
              <th scope="col" key={i}>
                <code>{tagOf(i)}</code>
              </th>
            ))}
            <th scope="col">Waiting for</th>
            <th scope="col">Actions</th>
          </tr>
        </thead>
        <tbody>
          {pipeline.environments.map((env) => {
            const awaitsApproval =
              env.approval &&
              env.image &&
              env.waiting?.startsWith('waiting for approval') &&
              env.approvedImage !== env.image;
            return (
              <tr key={env.name} data-environment={env.name}>
                <th scope="row">{env.name}</th>
                <td>
                  <StatusBadge status={env.state} />
                </td>
                {images.map((i) => {
                  const marks = [
                    env.image === i && 'runs',
                    env.desiredImage === i && env.desiredImage !== env.image && 'desired',
                    env.stableImage === i && 'stable',
                    pipeline.held.some((h) => h.image === i && h.environment === env.name) && 'held',
                  ].filter(Boolean) as string[];
                  return (
                    <td key={i} class={marks.includes('runs') ? 'runs' : ''}>
                      {marks.map((m) => (
                        <span class={`badge mark ${m}`} key={m}>
                          {m}
                        </span>
                      ))}
                    </td>
                  );
                })}
                <td>
                  {env.waiting ?? '–'}
                  {env.pullRequest && (
                    <>
                      {' '}
                      <a href={env.pullRequest.url} target="_blank" rel="noopener noreferrer">
                        PR #{env.pullRequest.number}
                      </a>
                    </>
                  )}
                </td>
                <td>
                  {awaitsApproval && !readOnly && (
                    <button
                      type="button"
                      disabled={busy}
                      aria-label={`Approve ${tagOf(env.image)} in ${env.name}`}
                      onClick={() =>
                        void act(
                          `Approve ${env.image} leaving ${env.name}`,
                          () => api.approve(namespace, pipeline.name, env.name, env.image ?? ''),
                          `Approved ${env.image} in ${env.name}.`,
                        )
                      }
                    >
                      Approve
                    </button>
                  )}
                  {env.approvedImage && <span class="muted"> approved {tagOf(env.approvedImage)}</span>}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {pipeline.held.length > 0 && (
        <>
          <h3>Held images</h3>
          <ul>
            {pipeline.held.map((h) => (
              <li key={h.image}>
                <code>{h.image}</code> held in {h.environment} since {h.since}: {h.reason}{' '}
                {!readOnly && (
                  <button
                    type="button"
                    disabled={busy || pipeline.releaseRequested === h.image}
                    aria-label={`Release ${tagOf(h.image)}`}
                    onClick={() =>
                      void act(
                        `Release the hold on ${h.image}`,
                        () => api.release(namespace, pipeline.name, h.image),
                        `Released ${h.image}.`,
                      )
                    }
                  >
                    {pipeline.releaseRequested === h.image ? 'Release requested' : 'Release'}
                  </button>
                )}
              </li>
            ))}
          </ul>
        </>
      )}
      <div aria-live="polite">
        {result &&
          (result.ok ? (
            <p role="status" class="result ok">
              {result.text}
            </p>
          ) : (
            <p role="alert" class="result error">
              {result.text}
            </p>
          ))}
      </div>
      <h3>Decisions</h3>
      {pipeline.history.length === 0 ? (
        <p class="muted">None yet.</p>
      ) : (
        <table class="events">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Decision</th>
              <th scope="col">Environment</th>
              <th scope="col">Image</th>
              <th scope="col">Why</th>
              <th scope="col">From</th>
            </tr>
          </thead>
          <tbody>
            {pipeline.history.map((d, i) => (
              <tr key={i}>
                <td>{d.at}</td>
                <td>{d.type}</td>
                <td>{d.environment}</td>
                <td>
                  <code>{tagOf(d.image)}</code>
                  {d.from ? ` (was ${tagOf(d.from)})` : ''}
                </td>
                <td>{d.reason}</td>
                <td>
                  {d.rollout && (
                    <div>
                      Rollout {d.rollout}
                      {d.revision ? ` rev ${d.revision}` : ''}
                    </div>
                  )}
                  {d.analysis && <div>AnalysisRun {d.analysis}</div>}
                  {d.commit && (
                    <div>
                      commit <code>{short(d.commit)}</code>
                    </div>
                  )}
                  {d.pullRequest && (
                    <a href={d.pullRequest} target="_blank" rel="noopener noreferrer">
                      pull request
                    </a>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
