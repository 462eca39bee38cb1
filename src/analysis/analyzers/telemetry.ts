/**
 * Telemetry resources (xds/gen/telemetry.ts).
 *
 * - Those without a selector set the defaults of their namespace (of the mesh, in a root namespace). Only the
 *   oldest of a namespace counts, as in istiod: the others change nothing, which their authors would not guess.
 *   Istio reports this as an Error (IST0160); mizzen's choice is defined (the oldest), so it warns.
 * - Those whose selectors pick one workload all apply to it, oldest first, each overriding what the ones before it
 *   set (as istiod composes them): which setting wins depends on their age. Istio reports this as an Error
 *   (IST0159); mizzen warns, naming the workloads of the input they share. Telemetries with targetRefs take no part.
 * - A provider name that no extensionProviders entry of the mesh config has (a typo, or a provider defined in
 *   another mesh config) makes that entry do nothing: MZ0007, checked only when the mesh config is known.
 * - A tracing provider (zipkin, opentelemetry) whose collector (service and port) no Service or ServiceEntry serves: the proxies get no
 *   tracer, since Envoy refuses one without its cluster (MZ0009, checked where the mesh config is known); so for a
 *   gRPC access log service (envoyHttpAls, envoyTcpAls) an accessLogging entry names: no such log (MZ0012).
 * - An entry that names no provider where the mesh config's defaultProviders name none either: an access log
 *   entry is ignored (IST0157, Istio's check), and a tracing entry turns tracing off, the mesh config's own
 *   collector included (MZ0008: a sampling percentage alone is a common way to lose every span).
 */
import { finding, type Finding } from '../finding.js';
import { arr, rec, str } from '../shape.js';
import { nameOf, nsOf, olderIn, type World } from '../world.js';
import type { KubeObject } from '../../core/kube.js';
import { resolveHost, resolveServiceRef } from '../../model/hosts.js';
import { hasTargetRef, policySelector } from '../../model/selectors.js';
import { nameList, namespaceWidePeers, selectorOverlaps, workloadList } from './overlaps.js';

/** As the generator decides it (xds/gen/telemetry.ts): no selector labels and no target reference. */
const namespaceWide = (t: KubeObject): boolean => Object.keys(policySelector(t.spec)).length === 0 && !hasTargetRef(t.spec);

export function namespaceWideTelemetries(w: World): Finding[] {
  const out: Finding[] = [];
  for (const t of w.subjects('Telemetry')) {
    const peers = namespaceWidePeers(t, w.istio('Telemetry'), namespaceWide);
    if (peers.length === 0) continue;
    const ns = nsOf(t);
    peers.push(t);
    const [first] = peers.sort(olderIn(w));
    if (first === t) continue;
    out.push(
      finding(
        'IST0160',
        t,
        `Telemetries ${peers.map(nameOf).join(', ')} in namespace "${ns}" have no workload selector: only the oldest, "${nameOf(first!)}", applies, and this one changes nothing (merge them, or give this one a selector)`,
      ),
    );
  }
  return out;
}

/** Selector labels of a Telemetry that attaches by them ({}: namespace-wide, or by targetRefs). */
const selectorOf = (t: KubeObject): Record<string, string> => (hasTargetRef(t.spec) ? {} : policySelector(t.spec));

/** IST0159: Telemetries whose selectors pick a workload of the input together. */
export function conflictingTelemetrySelectors(w: World): Finding[] {
  const out: Finding[] = [];
  for (const t of w.subjects('Telemetry')) {
    for (const { peers, workloads } of selectorOverlaps(w, t, w.istio('Telemetry'), selectorOf)) {
      out.push(
        finding(
          'IST0159',
          t,
          `The Telemetries ${nameList(peers)} in namespace "${nsOf(t)}" all select ${workloadList(workloads)}: all of them apply there, oldest first ("${nameOf(peers[0]!)}"), each overriding what the ones before it set, so which setting wins depends on their age (give the selectors no workload in common, or merge them)`,
          'spec.selector.matchLabels',
        ),
      );
    }
  }
  return out;
}

export function telemetryProviderNames(w: World): Finding[] {
  const known = w.telemetryProviders;
  if (!known) return [];
  const out: Finding[] = [];
  for (const t of w.subjects('Telemetry')) {
    for (const field of ['tracing', 'accessLogging'] as const) {
      for (const [i, entry] of arr(rec(t.spec)[field]).entries()) {
        for (const [j, p] of arr(rec(entry).providers).entries()) {
          const name = str(rec(p).name);
          if (name === undefined || known.has(name.toLowerCase())) continue;
          out.push(
            finding(
              'MZ0007',
              t,
              `The mesh config has no extensionProviders entry named "${name}" (it has ${[...known].sort().join(', ')}): this provider is ignored, and an entry naming only unknown providers ${field === 'tracing' ? 'turns tracing off' : 'logs nothing'}`,
              `spec.${field}[${i}].providers[${j}].name`,
            ),
          );
        }
      }
    }
  }
  return out;
}

const names = (t: KubeObject, field: 'tracing' | 'accessLogging'): boolean => arr(rec(t.spec)[field]).some((e) => arr(rec(e).providers).length > 0);

/** Whether a Telemetry that applies before `t` (the mesh's, then its namespace's) names a provider for `field`. */
function namedAbove(w: World, t: KubeObject, field: 'tracing' | 'accessLogging'): boolean {
  const ns = nsOf(t);
  const root = w.rootNamespaces.has(ns);
  if (root && namespaceWide(t)) return false;
  // Not `t` itself, nor its stored version when `t` is being applied (same namespace and name).
  const other = (o: KubeObject) => o !== t && !(nsOf(o) === ns && nameOf(o) === nameOf(t));
  return w.istio('Telemetry').some((o) => other(o) && namespaceWide(o) && (w.rootNamespaces.has(nsOf(o)) || (!namespaceWide(t) && nsOf(o) === ns)) && names(o, field));
}

/** Indices of the entries that no provider reaches: none of their own, none in an earlier entry; `off` entries aside. */
function unprovided(entries: unknown, off: (e: Record<string, unknown>) => boolean): number[] {
  const out: number[] = [];
  for (const [i, entry] of arr(entries).entries()) {
    const e = rec(entry);
    // Entries apply in order: once one names a provider, later ones without providers adjust its settings.
    if (arr(e.providers).length > 0) break;
    if (!off(e)) out.push(i);
  }
  return out;
}

/**
 * Entries without providers where nothing gives them one: not the mesh config's defaultProviders, not a Telemetry
 * above (IST0157 for access logs, MZ0008 for tracing).
 */
export function telemetryWithoutProviders(w: World): Finding[] {
  const defaults = w.defaultProviders;
  if (!defaults) return [];
  const out: Finding[] = [];
  for (const t of w.subjects('Telemetry')) {
    const spec = rec(t.spec);
    if (defaults.accessLogging.length === 0 && !namedAbove(w, t, 'accessLogging')) {
      for (const i of unprovided(spec.accessLogging, (e) => e.disabled === true)) {
        out.push(finding('IST0157', t, 'This access logging entry names no provider, and neither the mesh config (defaultProviders.accessLogging) nor a Telemetry above gives one: it is ignored (name one, e.g. envoy)', `spec.accessLogging[${i}]`));
      }
    }
    if (defaults.tracing.length === 0 && !namedAbove(w, t, 'tracing')) {
      for (const i of unprovided(spec.tracing, (e) => e.disableSpanReporting === true)) {
        out.push(
          finding(
            'MZ0008',
            t,
            "This tracing entry names no provider, and neither the mesh config (defaultProviders.tracing) nor a Telemetry above gives one: tracing is off for the workloads it applies to, the mesh config's own collector included (name a provider from extensionProviders, e.g. a zipkin one)",
            `spec.tracing[${i}]`,
          ),
        );
      }
    }
  }
  return out;
}

/** Zipkin providers that Telemetry tracing entries name whose collector nothing serves. */
export function telemetryCollectors(w: World): Finding[] {
  if (w.tracingCollectors.size === 0) return [];
  const out: Finding[] = [];
  for (const t of w.subjects('Telemetry')) {
    for (const [i, entry] of arr(rec(t.spec).tracing).entries()) {
      // The first provider is the one used (validation warns about the others).
      const provider = str(rec(arr(rec(entry).providers)[0]).name);
      const collector = provider === undefined ? undefined : w.tracingCollectors.get(provider.toLowerCase());
      if (!collector) continue;
      // As the generator resolves it (xds/gen/tracing.ts): `name.namespace` is a Service of that namespace.
      const host = resolveHost(collector.host, nsOf(t), w.domainSuffix);
      if (w.serves(host, collector.port)) continue;
      out.push(
        finding(
          'MZ0009',
          t,
          `No Service or ServiceEntry serves ${host}:${collector.port}, the collector of the tracing provider "${provider}": proxies get no tracer for it (Envoy refuses a tracer without its cluster), so no spans are reported`,
          `spec.tracing[${i}].providers[0].name`,
        ),
      );
    }
  }
  return out;
}

/** gRPC access log services (envoyHttpAls, envoyTcpAls) that Telemetry accessLogging entries name and nothing serves. */
export function telemetryLogServices(w: World): Finding[] {
  if (w.logServices.size === 0) return [];
  const out: Finding[] = [];
  for (const t of w.subjects('Telemetry')) {
    for (const [i, entry] of arr(rec(t.spec).accessLogging).entries()) {
      for (const [j, p] of arr(rec(entry).providers).entries()) {
        const name = str(rec(p).name);
        const als = name === undefined ? undefined : w.logServices.get(name.toLowerCase());
        if (!als) continue;
        // As the generator resolves it (telemetry.ts): `namespace/host`, or a host in the workload's namespace.
        const host = resolveServiceRef(als.service, nsOf(t), w.domainSuffix);
        if (w.serves(host, als.port)) continue;
        out.push(
          finding(
            'MZ0012',
            t,
            `No Service or ServiceEntry serves ${host}:${als.port}, the access log service of provider "${name}": proxies get no such log (Envoy refuses a logger without its cluster)`,
            `spec.accessLogging[${i}].providers[${j}].name`,
          ),
        );
      }
    }
  }
  return out;
}
