/**
 * PeerAuthentication: which mTLS mode a workload's inbound port runs in, composed as istiod composes it.
 *
 * Three levels can apply: the mesh (a policy without selector in a root namespace: the mesh config's rootNamespace,
 * else istio-system, then mizzen-system; model/root-namespaces.ts), the workload's namespace (a policy there without
 * selector) and the workload (a policy in its namespace whose selector matches its labels). At each level the
 * oldest policy wins (compareConfigs). A level whose mode is UNSET, or absent, inherits the one above; the mesh's
 * default is PERMISSIVE. Port-level modes (`portLevelMtls`, keyed by the port the workload listens on) count only
 * in a workload policy, and an UNSET one inherits the workload's mode. Pure.
 */
import type { Config, Snapshot } from '../../model/types.js';
import { asObject, matchesLabels, policySelector } from '../../model/selectors.js';
import { compareConfigs } from '../../model/snapshot.js';
import { rootNamespacesOf } from '../../model/root-namespaces.js';

export type MtlsMode = 'STRICT' | 'PERMISSIVE' | 'DISABLE';

const MODES: ReadonlySet<string> = new Set(['STRICT', 'PERMISSIVE', 'DISABLE']);

/** A policy's mode for its level, or undefined when it says UNSET (or nothing usable). */
const modeOf = (mtls: unknown): MtlsMode | undefined => {
  const m = asObject(mtls).mode;
  return typeof m === 'string' && MODES.has(m) ? (m as MtlsMode) : undefined;
};

const selectorOf = (p: Config): Record<string, string> => policySelector(p.spec);
const hasSelector = (p: Config): boolean => Object.keys(selectorOf(p)).length > 0;

/** The oldest of the policies that pass `keep`. */
function oldest(policies: readonly Config[], keep: (p: Config) => boolean): Config | undefined {
  let best: Config | undefined;
  for (const p of policies) if (keep(p) && (!best || compareConfigs(p, best) < 0)) best = p;
  return best;
}

/** The policy of each level that applies to a workload (namespace, labels), if any. */
interface Levels {
  mesh?: Config;
  namespace?: Config;
  workload?: Config;
}

function levels(snap: Snapshot, namespace: string, labels: Readonly<Record<string, string>>): Levels {
  const policies = snap.peerAuthentications;
  if (policies.length === 0) return {};
  const root = rootNamespacesOf(snap.mesh).find((ns) => policies.some((p) => p.namespace === ns && !hasSelector(p)));
  return {
    mesh: root === undefined ? undefined : oldest(policies, (p) => p.namespace === root && !hasSelector(p)),
    namespace: oldest(policies, (p) => p.namespace === namespace && !hasSelector(p)),
    workload: oldest(policies, (p) => p.namespace === namespace && hasSelector(p) && matchesLabels(labels, selectorOf(p))),
  };
}

/** The policies that apply to a workload, `namespace/name (level)`, the mesh's first: what `mizzen describe pod` shows. */
export function mtlsPolicies(snap: Snapshot, namespace: string, labels: Readonly<Record<string, string>>): string[] {
  return Object.entries(levels(snap, namespace, labels)).flatMap(([level, p]) => (p ? [`${p.namespace}/${p.name} (${level})`] : []));
}

/** The mTLS mode of a workload (namespace, labels) on the port it listens on. */
export function mtlsMode(snap: Snapshot, namespace: string, labels: Readonly<Record<string, string>>, port: number): MtlsMode {
  const { mesh, namespace: ns, workload } = levels(snap, namespace, labels);
  let mode: MtlsMode = modeOf(mesh?.spec?.mtls) ?? 'PERMISSIVE';
  mode = modeOf(ns?.spec?.mtls) ?? mode;
  if (!workload) return mode;
  mode = modeOf(workload.spec?.mtls) ?? mode;
  return modeOf(asObject(asObject(workload.spec).portLevelMtls)[String(port)]) ?? mode;
}
