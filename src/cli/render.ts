// Text output of `get`, `list` and `status` in the layout of Argo's plugin (cmd/get, cmd/list
// in Argo Rollouts v1.10.2), so eyes and scripts used to `kubectl argo rollouts` carry over.
// Pure: objects and the clock in, text out.

import { isCompleted } from '../analysis/phases.js';
import { parseSecondsOrGoDuration } from '../api/duration.js';
import { age, humanDuration } from './human-duration.js';
import {
  type AnalysisRunInfo,
  currentSetWeight,
  type ExperimentInfo,
  type ExperimentObject,
  experimentImages,
  Icon,
  type ImageInfo,
  type ReplicaSetInfo,
  type RolloutInfo,
  type RolloutObject,
  revisions,
  rolloutImages,
  rolloutPhase,
  Tag,
} from './info.js';
import { alignColumns } from './tabwriter.js';

export interface RenderOptions {
  /** No ANSI colours (--no-color, or TERM=dumb). */
  noColor: boolean;
  /** Clock for ages, ms since the epoch. */
  now: number;
}

const FG = { red: 31, green: 32, yellow: 33, hiBlue: 94 } as const;
const COLORS: Record<string, number> = {
  [Icon.Waiting]: FG.yellow,
  [Icon.Progressing]: FG.hiBlue,
  [Icon.Warning]: FG.red,
  [Icon.Unknown]: FG.yellow,
  [Icon.OK]: FG.green,
  [Icon.Bad]: FG.red,
  [Tag.Canary]: FG.yellow,
  [Tag.Stable]: FG.green,
  [Tag.Active]: FG.green,
  [Tag.Preview]: FG.hiBlue,
  [Tag.Ping]: FG.hiBlue,
  [Tag.Pong]: FG.hiBlue,
  Pending: FG.hiBlue,
  Running: FG.hiBlue,
};

const ICON = {
  rollout: '⟳',
  revision: '#',
  replicaSet: '⧉',
  pod: '□',
  job: '⊞',
  experiment: 'Σ',
  analysis: 'α',
} as const;

class Printer {
  constructor(private readonly options: RenderOptions) {}

  /** Like Argo: colour-less words still get a reset code, so column widths stay consistent. */
  private format(text: string, code: number): string {
    if (this.options.noColor) return text;
    return `\x1b[${code}m${text}\x1b[0m`;
  }
  colorize(text: string): string {
    return this.format(text, COLORS[text] ?? 0);
  }
  colorizeStatus(text: string, status: string): string {
    return this.format(text, COLORS[status] ?? 0);
  }
  age(timestamp: string | undefined): string {
    return age(timestamp, this.options.now);
  }
  image(image: ImageInfo): string {
    if (image.tags.length === 0) return image.image;
    return `${image.image} (${image.tags.map((t) => this.colorize(t)).join(', ')})`;
  }
}

const row = (label: string, value: string | number) => `${label.padEnd(17)}${value}\n`;

function prefixes(isLast: boolean, sub: string): [string, string] {
  return isLast ? [`${sub}└──`, `${sub}   `] : [`${sub}├──`, `${sub}│  `];
}

/** The Name, Namespace, Status and (when there is one) Message rows of a Rollout or an Experiment. */
function headerRows(p: Printer, info: RolloutInfo | ExperimentInfo): string {
  let out = '';
  out += row('Name:', info.meta.name ?? '');
  out += row('Namespace:', info.meta.namespace ?? '');
  out += row('Status:', `${p.colorize(info.icon)} ${info.status}`);
  if (info.message) out += row('Message:', info.message);
  return out;
}

const HEADER = 'NAME\tKIND\tSTATUS\tAGE\tINFO\n';

export function renderRollout(info: RolloutInfo, options: RenderOptions): string {
  const p = new Printer(options);
  let out = headerRows(p, info);
  out += row('Strategy:', info.strategy);
  if (info.strategy === 'Canary') {
    out += row('  Step:', info.step);
    out += row('  SetWeight:', info.setWeight);
    out += row('  ActualWeight:', info.actualWeight);
  }
  const images = rolloutImages(info);
  images.forEach((image, i) => {
    out += row(i === 0 ? 'Images:' : '', p.image(image));
  });
  out += 'Replicas:\n';
  out += row('  Desired:', info.desired);
  out += row('  Current:', info.current);
  out += row('  Updated:', info.updated);
  out += row('  Ready:', info.ready);
  out += row('  Available:', info.available);
  out += '\n';
  let tree = HEADER;
  tree += `${ICON.rollout} ${info.meta.name}\tRollout\t${p.colorize(info.icon)} ${info.status}\t${p.age(info.meta.creationTimestamp)}\t\n`;
  const revs = revisions(info);
  revs.forEach((revision, i) => {
    const [prefix, sub] = prefixes(i === revs.length - 1, '');
    tree += `${prefix}${ICON.revision} revision:${revision}\t\t \t\t\n`;
    const replicaSets = info.replicaSets.filter((r) => r.revision === revision);
    const experiments = info.experiments.filter((e) => e.revision === revision);
    const runs = info.analysisRuns.filter((a) => a.revision === revision);
    const total = replicaSets.length + experiments.length + runs.length;
    let current = 0;
    for (const rs of replicaSets) {
      const [cp, cs] = prefixes(current++ === total - 1, sub);
      tree += replicaSetLines(p, rs, cp, cs, options);
    }
    for (const experiment of experiments) {
      const [cp, cs] = prefixes(current++ === total - 1, sub);
      tree += experimentLines(p, experiment, cp, cs, options);
    }
    for (const run of runs) {
      const [cp, cs] = prefixes(current++ === total - 1, sub);
      tree += analysisRunLines(p, run, cp, cs);
    }
  });
  return out + alignColumns(tree);
}

function scaleDownDelay(rs: ReplicaSetInfo, now: number): string {
  const deadline = Date.parse(rs.scaleDownDeadline);
  if (Number.isNaN(deadline)) return '';
  if (deadline < now) return 'passed';
  return humanDuration(deadline - now);
}

function replicaSetLines(
  p: Printer,
  rs: ReplicaSetInfo,
  prefix: string,
  sub: string,
  options: RenderOptions,
): string {
  const cols: string[] = [];
  let name = rs.meta.name ?? '';
  const roleTag = rs.canary ? Tag.Canary : rs.active ? Tag.Active : rs.preview ? Tag.Preview : undefined;
  const tags = [rs.stable && Tag.Stable, roleTag, rs.ping && Tag.Ping, rs.pong && Tag.Pong];
  for (const tag of tags) {
    if (!tag) continue;
    cols.push(p.colorize(tag));
    name = p.colorizeStatus(name, tag);
  }
  if (rs.scaleDownDeadline) cols.push(`delay:${scaleDownDelay(rs, options.now)}`);
  let out = `${prefix}${ICON.replicaSet} ${name}\tReplicaSet\t${p.colorize(rs.icon)} ${rs.status}\t${p.age(rs.meta.creationTimestamp)}\t${cols.join(',')}\n`;
  rs.pods.forEach((pod, i) => {
    const [podPrefix] = prefixes(i === rs.pods.length - 1, sub);
    const podCols = [`ready:${pod.ready}`];
    if (pod.restarts > 0) podCols.push(`restarts:${pod.restarts}`);
    out += `${podPrefix}${ICON.pod} ${pod.meta.name}\tPod\t${p.colorize(pod.icon)} ${pod.status}\t${p.age(pod.meta.creationTimestamp)}\t${podCols.join(',')}\n`;
  });
  return out;
}

function analysisRunLines(p: Printer, run: AnalysisRunInfo, prefix: string, sub: string): string {
  const name = p.colorizeStatus(run.meta.name ?? '', run.status);
  const cols: string[] = [];
  if (run.successful > 0) cols.push(`${p.colorize(Icon.OK)} ${run.successful}`);
  if (run.failed > 0) cols.push(`${p.colorize(Icon.Bad)} ${run.failed}`);
  if (run.inconclusive > 0) cols.push(`${p.colorize(Icon.Unknown)} ${run.inconclusive}`);
  if (run.error > 0) cols.push(`${p.colorize(Icon.Warning)} ${run.error}`);
  let out = `${prefix}${ICON.analysis} ${name}\tAnalysisRun\t${p.colorize(run.icon)} ${run.status}\t${p.age(run.meta.creationTimestamp)}\t${cols.join(',')}\n`;
  run.jobs.forEach((job, i) => {
    const [jobPrefix] = prefixes(i === run.jobs.length - 1, sub);
    const jobName = p.colorizeStatus(job.meta.name ?? '', job.status);
    out += `${jobPrefix}${ICON.job} ${jobName}\tJob\t${p.colorize(job.icon)} ${job.status}\t${p.age(job.meta.creationTimestamp)}\t\n`;
  });
  return out;
}

function experimentLines(
  p: Printer,
  experiment: ExperimentInfo,
  prefix: string,
  sub: string,
  options: RenderOptions,
): string {
  const name = p.colorizeStatus(experiment.meta.name ?? '', experiment.status);
  const total = experiment.replicaSets.length + experiment.analysisRuns.length;
  let current = 0;
  let out = `${prefix}${ICON.experiment} ${name}\tExperiment\t${p.colorize(experiment.icon)} ${experiment.status}\t${p.age(experiment.meta.creationTimestamp)}\t\n`;
  for (const rs of experiment.replicaSets) {
    const [cp, cs] = prefixes(current++ === total - 1, sub);
    out += replicaSetLines(p, rs, cp, cs, options);
  }
  for (const run of experiment.analysisRuns) {
    const [cp, cs] = prefixes(current++ === total - 1, sub);
    out += analysisRunLines(p, run, cp, cs);
  }
  return out;
}

export function renderExperiment(info: ExperimentInfo, options: RenderOptions): string {
  const p = new Printer(options);
  let out = headerRows(p, info);
  experimentImages(info).forEach((image, i) => {
    out += row(i === 0 ? 'Images:' : '', p.image(image));
  });
  out += '\n';
  return out + alignColumns(HEADER + experimentLines(p, info, '', '', options));
}

/** Go's fmt "%-Ns" / "%-Nd". */
const pad = (value: string | number, width: number) => String(value).padEnd(width);

export interface RolloutLine {
  namespace: string;
  name: string;
  strategy: string;
  status: string;
  step: string;
  setWeight: string;
  ready: string;
  desired: number;
  upToDate: number;
  available: number;
}

export function rolloutLine(ro: RolloutObject): RolloutLine {
  const line: RolloutLine = {
    namespace: ro.metadata?.namespace ?? '',
    name: ro.metadata?.name ?? '',
    strategy: 'unknown',
    status: rolloutPhase(ro).phase,
    step: '-',
    setWeight: '-',
    ready: `${ro.status?.readyReplicas ?? 0}/${ro.status?.replicas ?? 0}`,
    desired: ro.spec?.replicas ?? 1,
    upToDate: ro.status?.updatedReplicas ?? 0,
    available: ro.status?.availableReplicas ?? 0,
  };
  const canary = ro.spec?.strategy?.canary;
  if (canary) {
    line.strategy = 'Canary';
    if (ro.status?.currentStepIndex !== undefined && (canary.steps?.length ?? 0) > 0) {
      line.step = `${ro.status.currentStepIndex}/${canary.steps?.length}`;
    }
    line.setWeight = String(currentSetWeight(ro));
  } else if (ro.spec?.strategy?.blueGreen) {
    line.strategy = 'BlueGreen';
  }
  return line;
}

export interface ListFlags {
  allNamespaces: boolean;
  timestamps: boolean;
}

export const ROLLOUT_LIST_HEADER =
  'NAME\tSTRATEGY\tSTATUS\tSTEP\tSET-WEIGHT\tREADY\tDESIRED\tUP-TO-DATE\tAVAILABLE\n';

export function rolloutListHeader(flags: ListFlags): string {
  let header = ROLLOUT_LIST_HEADER;
  if (flags.allNamespaces) header = `NAMESPACE\t${header}`;
  if (flags.timestamps) header = `TIMESTAMP\t${header}`;
  return header;
}

/** One row, cells padded as Argo's columnFmtString (before the tab writer aligns them). */
export function rolloutRow(line: RolloutLine, flags: ListFlags, now: number): string {
  let text = [
    pad(line.name, 10),
    pad(line.strategy, 9),
    pad(line.status, 12),
    pad(line.step, 4),
    pad(line.setWeight, 10),
    pad(line.ready, 5),
    pad(line.desired, 7),
    pad(line.upToDate, 10),
    pad(line.available, 9),
  ].join('\t');
  if (flags.allNamespaces) text = `${pad(line.namespace, 9)}\t${text}`;
  if (flags.timestamps)
    text = `${pad(new Date(Math.floor(now / 1000) * 1000).toISOString().replace('.000Z', 'Z'), 20)}\t${text}`;
  return `${text}\n`;
}

export function renderRolloutList(rollouts: readonly RolloutObject[], flags: ListFlags, now: number): string {
  return alignColumns(
    rolloutListHeader(flags) + rollouts.map((ro) => rolloutRow(rolloutLine(ro), flags, now)).join(''),
  );
}

export function renderExperimentList(
  experiments: readonly ExperimentObject[],
  allNamespaces: boolean,
  now: number,
): string {
  let text = 'NAME\tSTATUS\tDURATION\tREMAINING\tAGE\n';
  if (allNamespaces) text = `NAMESPACE\t${text}`;
  for (const exp of experiments) {
    let duration = '-';
    let remaining = '-';
    const spec = exp.spec?.duration;
    if (spec) {
      let ms: number | undefined;
      try {
        ms = parseSecondsOrGoDuration(spec);
      } catch {
        ms = undefined;
      }
      if (ms !== undefined) {
        duration = humanDuration(ms);
        const availableAt = exp.status?.availableAt;
        if (!isCompleted(exp.status?.phase) && availableAt) {
          const left = Date.parse(availableAt) + ms - now;
          if (left > 0) remaining = humanDuration(left);
        }
      }
    }
    const cells = [
      pad(exp.metadata?.name ?? '', 10),
      pad(exp.status?.phase ?? '', 6),
      pad(duration, 8),
      pad(remaining, 9),
      pad(age(exp.metadata?.creationTimestamp, now), 3),
    ];
    if (allNamespaces) cells.unshift(pad(exp.metadata?.namespace ?? '', 9));
    text += `${cells.join('\t')}\n`;
  }
  return alignColumns(text);
}

/** `status` without --watch: the phase, with the message unless Healthy or Degraded. */
export function statusLine(info: Pick<RolloutInfo, 'status' | 'message'>): string {
  if (info.status === 'Healthy' || info.status === 'Degraded') return info.status;
  return `${info.status} - ${info.message}`;
}

/** `status --watch` lines: the phase and the message when there is one. */
export function watchStatusLine(info: Pick<RolloutInfo, 'status' | 'message'>): string {
  return info.message ? `${info.status} - ${info.message}` : info.status;
}
