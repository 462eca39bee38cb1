/**
 * Istio's annotations on the resources Istio's annotation analyzer reads (Namespace, Service, Pod, Deployment; their
 * own metadata): IST0108 for a key of Istio's (`<prefix ending in istio.io>/...`, kubernetes.io/ingress.class) that
 * Istio does not define, IST0135 for a deprecated one, IST0107 for one on a kind it does not belong on, IST0125 for a
 * Pod annotation of those Istio checks the value of, with a value mizzen's webhook refuses (inject/annotations.ts,
 * the webhook's own check, so both agree). The definitions: istio-annotations.ts. Pure.
 */
import { DEFAULT_MESH_CONFIG } from '../../config/mesh.js';
import { Annotations } from '../../core/constants.js';
import type { KubeObject } from '../../core/kube.js';
import { readInjectParams } from '../../inject/annotations.js';
import { MERGE_METRICS_ANNOTATION } from '../../inject/probes.js';
import { field } from '../../inject/proxy-options.js';
import { finding, type Finding } from '../finding.js';
import { ISTIO_ANNOTATIONS, type IstioAnnotation } from '../istio-annotations.js';
import { labelMap, rec } from '../shape.js';
import type { World } from '../world.js';

/** Whether Istio counts a key among its own: the part before the first '/' ends with istio.io, or the ingress class it documents. */
export const isIstioKey = (key: string): boolean => key === 'kubernetes.io/ingress.class' || key.split('/')[0]!.endsWith('istio.io');

/**
 * Keys of Istio's that mizzen reads but Istio's list lacks: mizzen never calls them unknown. The first two are
 * read on pods to warn that they are not applied (inject/proxy-options.ts), the last on BackendTLSPolicies.
 */
export const ALSO_KNOWN: ReadonlyMap<string, IstioAnnotation> = new Map(
  (
    [
      ['sidecar.istio.io/enableCoreDump', ['Pod']],
      ['sidecar.istio.io/templates', ['Pod']],
      ['istio.io/ignore-policy-attachment', ['BackendTLSPolicy', 'XBackendTrafficPolicy']],
    ] as const
  ).map(([name, resources]) => [name, { name, resources, status: 'Alpha', deprecated: false }]),
);

export const knownAnnotation = (key: string): IstioAnnotation | undefined => ISTIO_ANNOTATIONS.get(key) ?? ALSO_KNOWN.get(key);

/** Set by Istio's own components, never by users: not analyzed at all, as in Istio. */
const IGNORED: ReadonlySet<string> = new Set([Annotations.status, 'gateway.istio.io/controller-version', 'istio.io/rev']);

/** The Pod annotations whose values Istio's analyzer checks (its injector's list); mizzen's webhook checks them as it reads them. */
export const VALUE_CHECKED: readonly string[] = [
  Annotations.interceptionMode,
  Annotations.statusPort,
  Annotations.readinessInitialDelaySeconds,
  Annotations.readinessPeriodSeconds,
  Annotations.readinessFailureThreshold,
  Annotations.includeOutboundIPRanges,
  Annotations.excludeOutboundIPRanges,
  Annotations.includeInboundPorts,
  Annotations.excludeInboundPorts,
  Annotations.excludeOutboundPorts,
  Annotations.excludeInterfaces,
  Annotations.kubevirtInterfaces,
  Annotations.rerouteVirtualInterfaces,
  Annotations.proxyConfig,
  Annotations.proxyCPU,
  Annotations.proxyMemory,
  Annotations.proxyCPULimit,
  Annotations.proxyMemoryLimit,
  MERGE_METRICS_ANNOTATION,
];

const ERROR_FIELD = /^metadata\.annotations\[("(?:[^"\\]|\\.)*")\]: ([\s\S]*)$/;

/** Problems with the values of the VALUE_CHECKED annotations present, by annotation, as the injection webhook finds them. */
export function annotationValueProblems(annotations: Readonly<Record<string, unknown>>): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const add = (key: string, problem: string): void => void (out.get(key) ?? out.set(key, []).get(key)!).push(problem);
  const picked: Record<string, unknown> = {};
  for (const key of VALUE_CHECKED) if (Object.hasOwn(annotations, key) && key !== MERGE_METRICS_ANNOTATION) picked[key] = annotations[key];
  if (Object.keys(picked).length > 0) {
    const r = readInjectParams({ apiVersion: 'v1', kind: 'Pod', metadata: { annotations: picked as Record<string, string> } }, DEFAULT_MESH_CONFIG);
    for (const e of r.ok ? [] : r.errors) {
      const m = ERROR_FIELD.exec(e);
      if (m) add(JSON.parse(m[1]!) as string, m[2]!);
    }
  }
  // mizzen reads "true" and "false" only (inject/probes.ts); any other value leaves the mesh config's enablePrometheusMerge to decide.
  const merge = annotations[MERGE_METRICS_ANNOTATION];
  if (merge !== undefined && merge !== 'true' && merge !== 'false') add(MERGE_METRICS_ANNOTATION, `${JSON.stringify(merge)} must be "true" or "false"; mizzen reads no other value, and the mesh config's enablePrometheusMerge decides instead`);
  return out;
}

const DEPRECATION_NOTE: Readonly<Record<string, string>> = { [Annotations.inject]: ', use the sidecar.istio.io/inject label instead' };

/** The kinds Istio's analyzer reads, as it names them. */
const KINDS: ReadonlyArray<{ kind: string; subjects: (w: World) => KubeObject[] }> = [
  { kind: 'Namespace', subjects: (w) => w.coreSubjects('Namespace').filter((o) => o.apiVersion === 'v1') },
  { kind: 'Service', subjects: (w) => w.coreSubjects('Service').filter((o) => o.apiVersion === 'v1') },
  { kind: 'Pod', subjects: (w) => w.coreSubjects('Pod').filter((o) => o.apiVersion === 'v1') },
  { kind: 'Deployment', subjects: (w) => w.coreSubjects('Deployment').filter((o) => o.apiVersion.startsWith('apps/')) },
];

function check(o: KubeObject, kind: string): Finding[] {
  const annotations = rec(o.metadata?.annotations);
  const out: Finding[] = [];
  let values: Map<string, string[]> | undefined;
  for (const key of Object.keys(annotations).sort()) {
    if (!isIstioKey(key) || IGNORED.has(key)) continue;
    const at = field(key);
    const def = knownAnnotation(key);
    if (!def) {
      out.push(finding('IST0108', o, `Unknown annotation ${JSON.stringify(key)}: Istio defines no annotation of that name, so nothing reads it`, at));
      continue;
    }
    // Istio does not say it where the replacement label is set too: kept on purpose, for older injectors.
    if (def.deprecated && !(key === Annotations.inject && Object.hasOwn(labelMap(o.metadata?.labels), Annotations.inject))) {
      out.push(finding('IST0135', o, `Annotation ${JSON.stringify(key)} is deprecated${DEPRECATION_NOTE[key] ?? ''}; later Istio versions may not read it`, at));
    }
    if (def.resources.includes('Any')) continue;
    if (!def.resources.includes(kind)) {
      const hint = kind === 'Deployment' && def.resources.includes('Pod') ? ' (set it in spec.template.metadata.annotations, where its pods get it)' : '';
      out.push(finding('IST0107', o, `Misplaced annotation ${JSON.stringify(key)}: it belongs on ${def.resources.join(', ')}, not on a ${kind}, where nothing reads it${hint}`, at));
      continue;
    }
    values ??= annotationValueProblems(annotations);
    for (const problem of values.get(key) ?? []) out.push(finding('IST0125', o, `Invalid annotation ${JSON.stringify(key)}: ${problem}`, at));
  }
  return out;
}

/** IST0107, IST0108, IST0125, IST0135 on each Namespace, Service, Pod and Deployment of the input. */
export function istioAnnotations(w: World): Finding[] {
  return KINDS.flatMap(({ kind, subjects }) => subjects(w).flatMap((o) => check(o, kind)));
}
