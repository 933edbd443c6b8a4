// Small shared pieces: status badges, the live indicator, the measurements chart.
import type { Measurement } from './api.js';

export const rolloutHref = (namespace: string, name: string) =>
  `#/rollout/${encodeURIComponent(namespace)}/${encodeURIComponent(name)}`;

export function statusClass(status: string | undefined): string {
  switch (status) {
    case 'Healthy':
    case 'Successful':
    case 'Completed':
      return 'ok';
    case 'Paused':
    case 'Inconclusive':
      return 'paused';
    case 'Degraded':
    case 'Failed':
    case 'Error':
    case 'ReplicaFailure':
    case 'CrashLoopBackOff':
      return 'bad';
    case 'ScaledDown':
      return 'neutral';
    default:
      return 'progress';
  }
}

// Argo's icons, except its pause sign (Devanagari double danda), which common fonts lack.
const DISPLAY_ICONS: Record<string, string> = { '॥': '‖' };

export function StatusBadge({ status, icon }: { status?: string | undefined; icon?: string | undefined }) {
  const shown = icon?.trim() || '•';
  return (
    <span class={`status ${statusClass(status)}`}>
      <span aria-hidden="true">{DISPLAY_ICONS[shown] ?? shown}</span> {status || 'Unknown'}
    </span>
  );
}

export function LiveDot({ live }: { live: boolean }) {
  return (
    <span class={`live ${live ? 'on' : 'off'}`} role="status">
      {live ? 'live' : 'reconnecting'}
    </span>
  );
}

/** The first number in a measurement value: providers store `0.97`, `[0.97]` or `[[1, 0.97]]`. */
export function numericValue(value: string | undefined): number | undefined {
  const match = value?.match(/-?\d+(\.\d+)?(e-?\d+)?/i);
  if (!match) return undefined;
  const n = Number(match[0]);
  return Number.isFinite(n) ? n : undefined;
}

const PHASE_COLORS: Record<string, string> = {
  Successful: '#1a7f37',
  Failed: '#cf222e',
  Error: '#bf8700',
  Inconclusive: '#8250df',
  Running: '#0969da',
  Pending: '#6e7781',
};

/** Measurements over time as a small line chart, one dot per measurement in its phase colour. */
export function MeasurementChart({ metric, measurements }: { metric: string; measurements: Measurement[] }) {
  const width = 240;
  const height = 60;
  const pad = 6;
  const values = measurements.map((m) => numericValue(m.value));
  const numbers = values.filter((v): v is number => v !== undefined);
  const min = numbers.length ? Math.min(...numbers) : 0;
  const max = numbers.length ? Math.max(...numbers) : 1;
  const span = max - min || 1;
  const x = (i: number) =>
    pad +
    (measurements.length <= 1 ? (width - 2 * pad) / 2 : (i * (width - 2 * pad)) / (measurements.length - 1));
  const y = (v: number | undefined) =>
    v === undefined ? height / 2 : height - pad - ((v - min) / span) * (height - 2 * pad);
  const last = measurements[measurements.length - 1];
  const label = `${metric}: ${measurements.length} measurement${measurements.length === 1 ? '' : 's'}${
    last ? `, last ${last.value ?? 'no value'} (${last.phase})` : ''
  }${numbers.length ? `, range ${min} to ${max}` : ''}`;
  const points = measurements.map((_, i) => `${x(i)},${y(values[i])}`).join(' ');
  return (
    <figure class="chart">
      <svg width={width} height={height} viewBox={`0 0 ${width} ${height}`} role="img" aria-label={label}>
        <title>{label}</title>
        {numbers.length > 1 && <polyline points={points} fill="none" stroke="#8c959f" stroke-width="1.5" />}
        {measurements.map((m, i) => (
          <circle key={i} cx={x(i)} cy={y(values[i])} r="3.5" fill={PHASE_COLORS[m.phase] ?? '#6e7781'}>
            <title>{`${m.startedAt ?? ''} ${m.value ?? ''} ${m.phase}${m.message ? `: ${m.message}` : ''}`}</title>
          </circle>
        ))}
      </svg>
      <figcaption>
        {metric}
        {numbers.length ? ` (${min} – ${max})` : ''}
      </figcaption>
    </figure>
  );
}
