// One rollout: actions, steps, revisions with ReplicaSets and pods, analysis, experiments,
// conditions and Events. The info follows the rollout's watch stream; conditions and Events
// (not part of Argo's RolloutInfo) are re-read after each update.
import { useEffect, useRef, useState } from 'preact/hooks';
import {
  type AnalysisRunInfo,
  api,
  type CanaryStep,
  type ExperimentInfo,
  follow,
  type ReplicaSetInfo,
  type RolloutExtras,
  type RolloutInfo,
} from './api.js';
import { LiveDot, MeasurementChart, StatusBadge, statusClass } from './parts.js';

interface Props {
  namespace: string;
  name: string;
  readOnly: boolean;
  backHref: string;
}

export function RolloutDetail({ namespace, name, readOnly, backHref }: Props) {
  const [info, setInfo] = useState<RolloutInfo | undefined>();
  const [extras, setExtras] = useState<RolloutExtras | undefined>();
  const [live, setLive] = useState(false);
  const [error, setError] = useState('');
  const extrasRequest = useRef<{ running: boolean; again: boolean }>({ running: false, again: false });

  useEffect(() => {
    const refreshExtras = () => {
      const state = extrasRequest.current;
      if (state.running) {
        state.again = true;
        return;
      }
      state.running = true;
      api
        .extras(namespace, name)
        .then(
          (x) => {
            setExtras(x);
            setError('');
          },
          (e: Error) => setError(e.message),
        )
        .finally(() => {
          state.running = false;
          if (state.again) {
            state.again = false;
            refreshExtras();
          }
        });
    };
    refreshExtras();
    return follow<RolloutInfo>(
      `rollouts/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}/info/watch`,
      (next) => {
        setInfo(next);
        refreshExtras();
      },
      setLive,
    );
  }, [namespace, name]);

  return (
    <article aria-labelledby="rollout-title">
      <p>
        <a href={backHref}>← Rollouts in {namespace}</a>
      </p>
      <h1 id="rollout-title">
        {name} {info && <StatusBadge status={info.status} icon={info.icon} />} <LiveDot live={live} />
      </h1>
      {error && (
        <p role="alert" class="error">
          {error}
        </p>
      )}
      {!info ? (
        <p class="muted">Loading…</p>
      ) : (
        <>
          <Summary info={info} extras={extras} />
          <Actions namespace={namespace} name={name} info={info} extras={extras} readOnly={readOnly} />
          {info.steps && info.steps.length > 0 && <Steps steps={info.steps} step={info.step} />}
          <Revisions info={info} />
          <AnalysisRuns runs={info.analysisRuns ?? []} />
          <Experiments experiments={info.experiments ?? []} />
          <Conditions extras={extras} />
          <Events extras={extras} />
        </>
      )}
    </article>
  );
}

function Summary({ info, extras }: { info: RolloutInfo; extras: RolloutExtras | undefined }) {
  return (
    <dl class="summary">
      <dt>Strategy</dt>
      <dd>{info.strategy ?? '–'}</dd>
      {info.strategy === 'Canary' && (
        <>
          <dt>Step</dt>
          <dd data-testid="step">{info.step ?? '–'}</dd>
          <dt>Set weight</dt>
          <dd data-testid="set-weight">{info.setWeight ?? '0'}%</dd>
          <dt>Actual weight</dt>
          <dd data-testid="actual-weight">{info.actualWeight ?? '0'}%</dd>
        </>
      )}
      <dt>Pods</dt>
      <dd>
        {info.ready ?? 0} ready, {info.available ?? 0} available, {info.updated ?? 0} updated of{' '}
        {info.desired ?? 0}
      </dd>
      <dt>Message</dt>
      <dd data-testid="message">{info.message || '–'}</dd>
      <dt>Images</dt>
      <dd>{(info.containers ?? []).map((c) => `${c.name}: ${c.image}`).join(', ')}</dd>
      <dt>Revision</dt>
      <dd>{extras?.revision || '–'}</dd>
      <dt>Restarted</dt>
      <dd>{info.restartedAt ?? 'Never'}</dd>
    </dl>
  );
}

// --- actions ---

interface Pending {
  title: string;
  detail: string;
  run: () => Promise<unknown>;
  done: string;
}

function Actions(props: {
  namespace: string;
  name: string;
  info: RolloutInfo;
  extras: RolloutExtras | undefined;
  readOnly: boolean;
}) {
  const { namespace, name, info, extras, readOnly } = props;
  const [pending, setPending] = useState<Pending | undefined>();
  const [busy, setBusy] = useState(false);
  const [result, setResult] = useState<{ ok: boolean; text: string } | undefined>();
  const containers = info.containers ?? [];
  const [container, setContainer] = useState(containers[0]?.name ?? '');
  const [image, setImage] = useState('');
  const revisions = [...new Set((info.replicaSets ?? []).map((rs) => rs.revision ?? 0))]
    .filter((r) => r > 0 && String(r) !== extras?.revision)
    .sort((a, b) => b - a);
  const [revision, setRevision] = useState('');
  const dialog = useRef<HTMLDialogElement>(null);

  useEffect(() => {
    if (pending && dialog.current && !dialog.current.open) dialog.current.showModal();
    if (!pending && dialog.current?.open) dialog.current.close();
  }, [pending]);

  if (readOnly) {
    return (
      <section aria-label="Actions" class="actions">
        <p class="muted">Actions are off: this dashboard runs read-only.</p>
      </section>
    );
  }

  const ask = (p: Pending) => {
    setResult(undefined);
    setPending(p);
  };
  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    try {
      await pending.run();
      setResult({ ok: true, text: pending.done });
    } catch (e) {
      setResult({ ok: false, text: `${pending.title} failed: ${(e as Error).message}` });
    } finally {
      setBusy(false);
      setPending(undefined);
    }
  };
  const paused = extras?.paused ?? false;
  const aborted = extras?.abort ?? false;
  const buttons: { label: string; help: string; pending: Pending; disabled?: boolean }[] = [
    {
      label: 'Promote',
      help: 'Resume a paused rollout or move past the current step',
      pending: {
        title: 'Promote',
        detail: `Promote ${name} to its next step?`,
        run: () => api.promote(namespace, name, false),
        done: `Promoted ${name}.`,
      },
    },
    {
      label: 'Promote full',
      help: 'Skip all remaining steps and analysis',
      pending: {
        title: 'Promote full',
        detail: `Skip every remaining step of ${name} and go to 100% now?`,
        run: () => api.promote(namespace, name, true),
        done: `Fully promoted ${name}.`,
      },
    },
    {
      label: 'Abort',
      help: 'Abort the update and go back to the stable version',
      disabled: aborted,
      pending: {
        title: 'Abort',
        detail: `Abort the update of ${name}? Traffic and pods go back to the stable version.`,
        run: () => api.abort(namespace, name),
        done: `Aborted ${name}.`,
      },
    },
    {
      label: 'Retry',
      help: 'Retry an aborted update',
      disabled: !aborted,
      pending: {
        title: 'Retry',
        detail: `Retry the aborted update of ${name}?`,
        run: () => api.retry(namespace, name),
        done: `Retrying ${name}.`,
      },
    },
    {
      label: 'Restart',
      help: 'Restart every pod of the rollout',
      pending: {
        title: 'Restart',
        detail: `Restart all pods of ${name}?`,
        run: () => api.restart(namespace, name),
        done: `Restarting the pods of ${name}.`,
      },
    },
    paused
      ? {
          label: 'Resume',
          help: 'Clear the pause set by a user (spec.paused)',
          pending: {
            title: 'Resume',
            detail: `Resume ${name}?`,
            run: () => api.pause(namespace, name, false),
            done: `Resumed ${name}.`,
          },
        }
      : {
          label: 'Pause',
          help: 'Pause the rollout (spec.paused)',
          pending: {
            title: 'Pause',
            detail: `Pause ${name}?`,
            run: () => api.pause(namespace, name, true),
            done: `Paused ${name}.`,
          },
        },
  ];
  return (
    <section aria-labelledby="actions-title" class="actions">
      <h2 id="actions-title">Actions</h2>
      <div class="buttons">
        {buttons.map((b) => (
          <button
            type="button"
            key={b.label}
            title={b.help}
            aria-label={`${b.label} ${name}`}
            disabled={b.disabled || busy}
            onClick={() => ask(b.pending)}
          >
            {b.label}
          </button>
        ))}
      </div>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          if (!image.trim()) {
            setResult({ ok: false, text: 'Set image: enter an image, e.g. nginx:1.27' });
            return;
          }
          ask({
            title: 'Set image',
            detail: `Set container ${container} of ${name} to ${image.trim()}? This starts a new update.`,
            run: () => api.setImage(namespace, name, container, image.trim()),
            done: `Set ${container} of ${name} to ${image.trim()}.`,
          });
        }}
      >
        <label>
          Container
          <select value={container} onChange={(e) => setContainer((e.target as HTMLSelectElement).value)}>
            {containers.map((c) => (
              <option key={c.name} value={c.name}>
                {c.name}
              </option>
            ))}
          </select>
        </label>
        <label>
          New image
          <input
            type="text"
            value={image}
            placeholder={containers.find((c) => c.name === container)?.image ?? 'image:tag'}
            onInput={(e) => setImage((e.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          Set image
        </button>
      </form>
      <form
        class="inline"
        onSubmit={(e) => {
          e.preventDefault();
          const chosen = revision || String(revisions[0] ?? '');
          if (!chosen) {
            setResult({ ok: false, text: 'Undo: there is no earlier revision' });
            return;
          }
          ask({
            title: 'Undo',
            detail: `Roll ${name} back to the pod template of revision ${chosen}?`,
            run: () => api.undo(namespace, name, Number(chosen)),
            done: `Rolled ${name} back to revision ${chosen}.`,
          });
        }}
      >
        <label>
          Revision
          <select
            value={revision || String(revisions[0] ?? '')}
            onChange={(e) => setRevision((e.target as HTMLSelectElement).value)}
          >
            {revisions.length === 0 && <option value="">none earlier</option>}
            {revisions.map((r) => (
              <option key={r} value={String(r)}>
                {r}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy || revisions.length === 0}>
          Undo to revision
        </button>
      </form>
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
      <dialog
        ref={dialog}
        aria-labelledby="confirm-title"
        aria-describedby="confirm-detail"
        onCancel={(e) => {
          e.preventDefault();
          if (!busy) setPending(undefined);
        }}
      >
        <h2 id="confirm-title">{pending?.title}</h2>
        <p id="confirm-detail">{pending?.detail}</p>
        <div class="buttons">
          <button type="button" class="primary" disabled={busy} onClick={() => void confirm()}>
            {busy ? 'Working…' : `Confirm ${pending?.title.toLowerCase() ?? ''}`}
          </button>
          <button type="button" disabled={busy} onClick={() => setPending(undefined)} autofocus>
            Cancel
          </button>
        </div>
      </dialog>
    </section>
  );
}

// --- steps ---

function describeStep(step: CanaryStep): string {
  const parts: string[] = [];
  const s = step as Record<string, Record<string, unknown> | number | undefined>;
  if (typeof s.setWeight === 'number') parts.push(`Set weight ${s.setWeight}%`);
  if (s.pause !== undefined) {
    const duration = (s.pause as { duration?: unknown }).duration;
    parts.push(
      duration !== undefined
        ? `Pause ${duration}${typeof duration === 'number' ? 's' : ''}`
        : 'Pause (until promoted)',
    );
  }
  if (s.analysis) {
    const templates = ((s.analysis as { templates?: { templateName?: string }[] }).templates ?? [])
      .map((t) => t.templateName)
      .join(', ');
    parts.push(`Analysis${templates ? `: ${templates}` : ''}`);
  }
  if (s.experiment) parts.push('Experiment');
  if (s.setCanaryScale) parts.push(`Canary scale ${JSON.stringify(s.setCanaryScale)}`);
  if (s.setHeaderRoute) parts.push('Header route');
  if (s.setMirrorRoute) parts.push('Mirror route');
  if (s.plugin) parts.push('Plugin');
  return parts.join(' · ') || Object.keys(step).join(', ');
}

function Steps({ steps, step }: { steps: CanaryStep[]; step: string | undefined }) {
  const current = step ? Number(step.split('/')[0]) : 0;
  return (
    <section aria-labelledby="steps-title">
      <h2 id="steps-title">Steps</h2>
      <ol class="steps" aria-label="Canary steps">
        {steps.map((s, i) => {
          const state = i < current ? 'done' : i === current ? 'current' : 'todo';
          return (
            <li
              key={i}
              class={`step ${state}`}
              aria-current={state === 'current' ? 'step' : undefined}
              data-step-state={state}
            >
              <span class="marker" aria-hidden="true">
                {state === 'done' ? '✔' : state === 'current' ? '▶' : i + 1}
              </span>
              <span>{describeStep(s)}</span>
              {state === 'current' && <span class="sr-only"> (current step)</span>}
            </li>
          );
        })}
        <li
          class={`step ${current >= steps.length ? 'current' : 'todo'}`}
          aria-current={current >= steps.length ? 'step' : undefined}
        >
          <span class="marker" aria-hidden="true">
            ◎
          </span>
          <span>Fully promoted</span>
        </li>
      </ol>
    </section>
  );
}

// --- revisions, ReplicaSets and pods ---

function roles(rs: ReplicaSetInfo): string[] {
  return (['stable', 'canary', 'active', 'preview'] as const).filter((r) => rs[r]);
}

function Revisions({ info }: { info: RolloutInfo }) {
  const byRevision = new Map<number, ReplicaSetInfo[]>();
  for (const rs of info.replicaSets ?? []) {
    const list = byRevision.get(rs.revision ?? 0) ?? [];
    list.push(rs);
    byRevision.set(rs.revision ?? 0, list);
  }
  return (
    <section aria-labelledby="revisions-title">
      <h2 id="revisions-title">Revisions</h2>
      <div class="revisions">
        {[...byRevision].map(([revision, sets]) => (
          <div class="card" key={revision} data-revision={revision}>
            <h3>Revision {revision}</h3>
            {sets.map((rs) => (
              <ReplicaSet rs={rs} key={rs.objectMeta.name} />
            ))}
          </div>
        ))}
      </div>
    </section>
  );
}

function ReplicaSet({ rs }: { rs: ReplicaSetInfo }) {
  return (
    <div class="rs">
      <p>
        <strong>{rs.objectMeta.name}</strong> <StatusBadge status={rs.status} icon={rs.icon} />{' '}
        {roles(rs).map((r) => (
          <span class={`badge role ${r}`} key={r}>
            {r}
          </span>
        ))}
      </p>
      <p class="muted">
        {(rs.images ?? []).join(', ')} · {rs.available ?? 0}/{rs.replicas ?? 0} available
      </p>
      {(rs.pods ?? []).length > 0 && (
        <ul class="pods" aria-label={`Pods of ${rs.objectMeta.name}`}>
          {(rs.pods ?? []).map((p) => (
            <li
              key={p.objectMeta.name}
              class={`pod ${p.status === 'Running' ? 'ok' : statusClass(p.status)}`}
              title={`${p.objectMeta.name}: ${p.status}`}
            >
              <span class="sr-only">
                {p.objectMeta.name}: {p.status}, ready {p.ready}, restarts {p.restarts ?? 0}
              </span>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

// --- analysis and experiments ---

function AnalysisRuns({ runs }: { runs: AnalysisRunInfo[] }) {
  if (runs.length === 0) return null;
  return (
    <section aria-labelledby="analysis-title">
      <h2 id="analysis-title">AnalysisRuns</h2>
      {runs.map((run) => (
        <div class="card" key={run.objectMeta.name} data-analysisrun={run.objectMeta.name}>
          <h3>
            {run.objectMeta.name} <StatusBadge status={run.status} icon={run.icon} />
          </h3>
          <p class="muted">
            revision {run.revision ?? 0} · {run.successful ?? 0} successful, {run.failed ?? 0} failed,{' '}
            {run.inconclusive ?? 0} inconclusive, {run.error ?? 0} errors
            {run.specAndStatus?.status?.message ? ` · ${run.specAndStatus.status.message}` : ''}
          </p>
          <div class="charts">
            {(run.specAndStatus?.status?.metricResults ?? []).map((m) => (
              <MeasurementChart key={m.name} metric={m.name} measurements={m.measurements ?? []} />
            ))}
          </div>
        </div>
      ))}
    </section>
  );
}

function Experiments({ experiments }: { experiments: ExperimentInfo[] }) {
  if (experiments.length === 0) return null;
  return (
    <section aria-labelledby="experiments-title">
      <h2 id="experiments-title">Experiments</h2>
      {experiments.map((e) => (
        <div class="card" key={e.objectMeta.name}>
          <h3>
            {e.objectMeta.name} <StatusBadge status={e.status} icon={e.icon} />
          </h3>
          {e.message && <p class="muted">{e.message}</p>}
          {(e.replicaSets ?? []).map((rs) => (
            <ReplicaSet rs={rs} key={rs.objectMeta.name} />
          ))}
        </div>
      ))}
    </section>
  );
}

// --- conditions and events ---

function Conditions({ extras }: { extras: RolloutExtras | undefined }) {
  const conditions = extras?.conditions ?? [];
  return (
    <section aria-labelledby="conditions-title">
      <h2 id="conditions-title">Conditions</h2>
      {conditions.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table>
          <thead>
            <tr>
              <th scope="col">Type</th>
              <th scope="col">Status</th>
              <th scope="col">Reason</th>
              <th scope="col">Message</th>
              <th scope="col">Updated</th>
            </tr>
          </thead>
          <tbody>
            {conditions.map((c) => (
              <tr key={c.type}>
                <td>{c.type}</td>
                <td>{c.status}</td>
                <td>{c.reason}</td>
                <td>{c.message}</td>
                <td>{c.lastUpdateTime ?? c.lastTransitionTime}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

function Events({ extras }: { extras: RolloutExtras | undefined }) {
  const events = extras?.events ?? [];
  return (
    <section aria-labelledby="events-title">
      <h2 id="events-title">Recent events</h2>
      {events.length === 0 ? (
        <p class="muted">None.</p>
      ) : (
        <table class="events">
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Type</th>
              <th scope="col">Reason</th>
              <th scope="col">Object</th>
              <th scope="col">Message</th>
            </tr>
          </thead>
          <tbody>
            {events.map((e, i) => (
              <tr key={i} class={e.type === 'Warning' ? 'warning' : ''}>
                <td>{e.lastTimestamp}</td>
                <td>{e.type}</td>
                <td>{e.reason}</td>
                <td>{e.object}</td>
                <td>
                  {e.message}
                  {(e.count ?? 1) > 1 ? ` (×${e.count})` : ''}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
