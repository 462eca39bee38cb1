/**
 * Gateway API ListenerSets, checked the way mizzen serves them (model/gateway-api-listenerset.ts decides, over a
 * snapshot of the input):
 * - listeners of a ListenerSet whose parent is a Gateway of class istio that mizzen leaves out (MZ0019): all of
 *   them when the parent's allowedListeners refuse the ListenerSet's namespace; one that conflicts with a listener
 *   that comes first (the Gateway's own, an older ListenerSet's); one without a port or tls section, or that the
 *   Gateway's own listeners would leave out too (protocol, certificate).
 * - a route's parentRef naming a ListenerSet (listenerSetParent, used by gateway-api.ts): MZ0016 when it attaches
 *   the route nowhere (no such ListenerSet, or not served, or none of its listeners takes the route).
 * A ListenerSet whose parent is missing or of another class is not mizzen's: nothing is said of it.
 */
import type { KubeObject } from '../../core/kube.js';
import { buildSnapshot } from '../../model/snapshot.js';
import { attachment } from '../../model/gateway-api-gateways.js';
import { type ListenerSetOutcome, LISTENER_SET_KIND, listenerSetOutcomes } from '../../model/gateway-api-listenerset.js';
import { grantObjects, isGatewayApi, type ParentRef } from '../../model/gateway-refs.js';
import type { Config, Snapshot } from '../../model/types.js';
import { finding, type Finding } from '../finding.js';
import { nameOf, nsOf, type World } from '../world.js';
import type { ParentOutcome } from './gateway-api-gateways.js';

/** The ListenerSets' outcomes, once per world (over the snapshot the BackendTLSPolicy checks build too). */
function outcomesOf(w: World): ListenerSetOutcome[] {
  const snap = (w.memo.backendTlsSnapshot ??= buildSnapshot(w.objects, { domainSuffix: w.domainSuffix })) as Snapshot;
  return (w.memo.listenerSetOutcomes ??= listenerSetOutcomes(snap.kubernetesGateways, snap.listenerSets, { grants: grantObjects(snap.referenceGrants), namespaces: snap.namespaces })) as ListenerSetOutcome[];
}
const find = (w: World, namespace: string, name: string): ListenerSetOutcome | undefined => outcomesOf(w).find((o) => o.ls.namespace === namespace && o.ls.name === name);

const REASONS = {
  NoMatchingParent: 'none of its listeners that mizzen serves is picked by the sectionName or port',
  NotAllowedByListeners: "none of its listeners' allowedRoutes admits the route",
  NoMatchingListenerHostname: "none of the route's hostnames overlaps a listener's",
} as const;

/** A parentRef naming a ListenerSet, at `path`: whether it attaches the route to some listener, and what to say. */
export function listenerSetParent(w: World, route: KubeObject, ref: ParentRef, path: string): ParentOutcome {
  const id = `${ref.namespace}/${ref.name}`;
  const exists = w.core(LISTENER_SET_KIND).some((o) => isGatewayApi(o) && nsOf(o) === ref.namespace && nameOf(o) === ref.name);
  const o = find(w, ref.namespace, ref.name);
  let reason: string | undefined;
  if (!exists) reason = 'the input has no such ListenerSet';
  else if (!o) reason = 'its parent is not a Gateway of class istio in the input';
  else if (!o.allowed) reason = `its parent Gateway ${o.parent.namespace}/${o.parent.name} does not allow it (spec.allowedListeners)`;
  else {
    const r: Pick<Config, 'kind' | 'namespace' | 'spec'> = { kind: route.kind, namespace: nsOf(route), spec: (route.spec ?? {}) as Config['spec'] };
    const a = attachment({ ...o.ls, kind: LISTENER_SET_KIND }, o.served, r, ref, () => undefined);
    if ('reason' in a) reason = REASONS[a.reason];
  }
  if (reason === undefined) return { attached: true, findings: [] };
  return { attached: false, findings: [finding('MZ0016', route, `parentRef ListenerSet "${id}" is not served: ${reason}`, path)] };
}

/** MZ0019 for each listener of a ListenerSet on a Gateway of class istio that mizzen leaves out. */
export function listenerSetListeners(w: World): Finding[] {
  const subjects = w.coreSubjects(LISTENER_SET_KIND).filter(isGatewayApi);
  if (subjects.length === 0) return [];
  const out: Finding[] = [];
  for (const ls of subjects) {
    const o = find(w, nsOf(ls), nameOf(ls));
    if (!o) continue;
    const parent = `Gateway ${o.parent.namespace}/${o.parent.name}`;
    if (!o.allowed) {
      out.push(finding('MZ0019', ls, `${parent} does not allow ListenerSets of namespace "${nsOf(ls)}" (its spec.allowedListeners): none of these listeners is served`, 'spec.parentRef'));
      continue;
    }
    const raw = Array.isArray((ls.spec as { listeners?: unknown })?.listeners) ? ((ls.spec as { listeners: unknown[] }).listeners) : [];
    for (const e of o.entries) {
      if (e.served) continue;
      const i = raw.findIndex((l) => (l as { name?: unknown })?.name === e.name);
      const why = e.conflict
        ? `it conflicts with ${e.conflict.with} (${e.conflict.reason}), which comes first`
        : (e.unsupported ?? 'mizzen serves HTTP, HTTPS and TLS terminated with a Secret the ListenerSet may use (a ReferenceGrant from ListenerSets for another namespace), TLS passthrough and TCP');
      out.push(finding('MZ0019', ls, `ListenerSet listener "${e.name}" is not served on ${parent}: ${why}`, `spec.listeners[${i}]`));
    }
  }
  return out;
}
