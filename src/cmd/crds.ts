// `slipway crds`: print the CRD manifests, for `slipway crds | kubectl apply --server-side -f -`.
import { Command } from 'commander';
import { renderCrdFiles } from '../api/crd-files.js';

export function crdsCommand(): Command {
  return new Command('crds').description('print the CustomResourceDefinitions as YAML').action(() => {
    const docs = [...renderCrdFiles().values()];
    process.stdout.write(docs.join('---\n'));
  });
}
