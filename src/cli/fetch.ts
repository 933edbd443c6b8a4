// Reads for the viewing commands: the Rollout or Experiment and everything in its namespace
// its tree draws from (as Argo's view controller watches: ReplicaSets, pods, AnalysisRuns,
// Experiments, and a workloadRef Deployment).
import { ANALYSIS_RUN_KIND, apiResourceOf, EXPERIMENT_KIND, ROLLOUT_KIND } from '../api/kinds.js';
import { NotFoundError } from '../kube/api-error.js';
import { coreResources } from '../kube/resource.js';
import type { RestClient } from '../kube/rest.js';
import {
  type AnalysisRunObject,
  type DeploymentObject,
  type ExperimentInfo,
  type ExperimentObject,
  experimentInfo,
  type PodObject,
  type Related,
  type ReplicaSetObject,
  type RolloutInfo,
  type RolloutObject,
  rolloutInfo,
} from './info.js';

export const ROLLOUTS = apiResourceOf(ROLLOUT_KIND);
export const EXPERIMENTS = apiResourceOf(EXPERIMENT_KIND);
export const ANALYSIS_RUNS = apiResourceOf(ANALYSIS_RUN_KIND);

export async function fetchRelated(client: RestClient, namespace: string): Promise<Related> {
  const [replicaSets, pods, analysisRuns, experiments] = await Promise.all([
    client.list<ReplicaSetObject>(coreResources.replicaSets, { namespace }),
    client.list<PodObject>(coreResources.pods, { namespace }),
    client.list<AnalysisRunObject>(ANALYSIS_RUNS, { namespace }),
    client.list<ExperimentObject>(EXPERIMENTS, { namespace }),
  ]);
  return {
    replicaSets: replicaSets.items,
    pods: pods.items,
    analysisRuns: analysisRuns.items,
    experiments: experiments.items,
  };
}

export async function fetchRolloutInfo(
  client: RestClient,
  namespace: string,
  name: string,
): Promise<{ rollout: RolloutObject; info: RolloutInfo }> {
  const rollout = await client.get<RolloutObject>(ROLLOUTS, namespace, name);
  const related = await fetchRelated(client, namespace);
  let workload: DeploymentObject | undefined;
  const ref = rollout.spec?.workloadRef;
  if (ref?.kind === 'Deployment' && ref.name) {
    try {
      workload = await client.get<DeploymentObject>(coreResources.deployments, namespace, ref.name);
    } catch (error) {
      if (!(error instanceof NotFoundError)) throw error;
    }
  }
  return { rollout, info: rolloutInfo(rollout, related, workload) };
}

export async function fetchExperimentInfo(
  client: RestClient,
  namespace: string,
  name: string,
): Promise<ExperimentInfo> {
  const experiment = await client.get<ExperimentObject>(EXPERIMENTS, namespace, name);
  return experimentInfo(experiment, await fetchRelated(client, namespace));
}
