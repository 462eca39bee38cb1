/**
 * `mizzen describe pod NAME[.NAMESPACE] -f PATH ...`: what the mesh does with one workload, read from the same
 * resources `mizzen serve --config-dir` or `mizzen analyze` would read (src/describe/).
 */
import { loadMeshConfig, snapshotOptions, DEFAULT_MESH_CONFIG, type MeshConfig } from '../config/mesh.js';
import type { KubeObject } from '../core/kube.js';
import { buildSnapshot } from '../model/snapshot.js';
import { stringMap } from '../model/selectors.js';
import { describePod, findTarget } from '../describe/pod.js';
import { describeText } from '../describe/text.js';
import { parseFlags, withUsage, UsageError } from './args.js';
import { guarded, inputPaths, loadInputs, parseOutput } from './validate.js';

const HELP = `usage: mizzen describe pod NAME[.NAMESPACE] -f PATH ... [--mesh-config FILE] [-o text|json]

Tells what the mesh does with one workload, from the resources given (like istioctl x describe pod): the
Services that select it, the mTLS mode its sidecar accepts on each port, the DestinationRule and the
VirtualService clients of its namespace use (which subsets and rules reach this pod), the gateways that
expose it, its Sidecar resource, the AuthorizationPolicies in force on it, and whether it has a sidecar or
would get one. NAME is a Pod, or a Deployment, StatefulSet, DaemonSet, ReplicaSet, Job or CronJob (its pod
template). Give the Services, Namespaces and Istio resources along with it.

  -f, --filename PATH    a file, a directory or '-' (repeatable; bare paths after NAME work too)
  -o, --output FORMAT    text (default) or json
      --mesh-config FILE the mesh config mizzen serve runs with (domain suffix, revision, defaults)

exit status: 0 described, 1 no such workload, 2 usage error or unreadable path
`;

export async function run(argv: string[]): Promise<number> {
  return withUsage(HELP, argv, async () => {
    const { values, positionals } = parseFlags(argv, { filename: { type: 'string', short: 'f', multiple: true }, output: { type: 'string', short: 'o' }, 'mesh-config': { type: 'string' } }, true);
    const [what, ref, ...paths] = positionals;
    if (what !== 'pod') throw new UsageError(what === undefined ? 'expected: describe pod NAME' : `"${what}" cannot be described: only pod`);
    if (!ref) throw new UsageError('expected the pod (or workload) name after "pod"');
    const output = parseOutput(values.output);
    let mesh: MeshConfig = DEFAULT_MESH_CONFIG;
    if (values['mesh-config'] !== undefined) {
      const loaded = loadMeshConfig(values['mesh-config']);
      if (!loaded.ok) {
        process.stderr.write(loaded.errors.map((e) => `mizzen describe: ${e}\n`).join(''));
        return 2;
      }
      mesh = loaded.value;
    }
    const inputs = guarded(() => loadInputs('describe', inputPaths(values, paths)));
    if (!inputs) return 2;
    const objects = inputs.reports.map((r) => r.object).filter((o): o is KubeObject => o !== undefined);
    const target = findTarget(objects, ref);
    if (!target.ok) {
      process.stderr.write(`mizzen describe: ${target.errors.join('; ')}\n`);
      return 1;
    }
    const namespaces = new Map(objects.filter((o) => o.kind === 'Namespace').map((o) => [o.metadata.name ?? '', stringMap(o.metadata.labels)]));
    const d = describePod(buildSnapshot(objects, snapshotOptions(mesh)), target.value, mesh, (ns) => namespaces.get(ns));
    process.stdout.write(output === 'json' ? JSON.stringify(d, null, 2) + '\n' : describeText(d));
    return 0;
  });
}
