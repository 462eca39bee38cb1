/**
 * The status of a ListenerSet whose parent is a Gateway of class istio (gateway-api-listenerset.ts), as istiod
 * writes it. Pure.
 *
 * - Not allowed by the parent's allowedListeners: Accepted and Programmed False, NotAllowed, and no listeners.
 * - Else Accepted True while one of its listeners is served (else Accepted and Programmed False,
 *   ListenersNotValid), Programmed once a workload of the parent Gateway runs (else Pending); per listener its
 *   supported kinds, attached routes and Accepted / Conflicted / Programmed / ResolvedRefs: a listener that lost
 *   to another is Accepted and Programmed False and Conflicted True (HostnameConflict, ProtocolConflict); one
 *   without a port or tls section UnsupportedProtocol; one whose certificate cannot be used as a Gateway's.
 */
import type { KubeObject } from '../core/kube.js';
import type { Config } from './types.js';
import { asArray, asObject, asString } from './selectors.js';
import { type Condition, conditions, generationOf, no, ok } from './gateway-status-conditions.js';
import type { Listener } from './gateway-api-gateways.js';
import type { ListenerSetEntry, ListenerSetOutcome } from './gateway-api-listenerset.js';

type Json = Record<string, any>;

/** What the ListenerSet status reads that the Gateway status works out. */
export interface ListenerSetStatusContext {
  /** A workload that serves the parent Gateway runs. */
  parentRuns: boolean;
  /** Routes attached per listener name. */
  attached: ReadonlyMap<string, number>;
  /** The listener's route kinds (supportedKinds) and why a listener mizzen leaves out is not served, as for a Gateway's. */
  supportedKinds: (l: Listener) => Json[];
  unserved: (raw: Json, owner: Config) => Condition[];
  now: string;
}

const CONFLICT_TEXT = { HostnameConflict: 'the same port and hostname', ProtocolConflict: 'the same port, with a protocol that cannot share it' } as const;

/** One listener's conditions. */
function entryConditions(e: ListenerSetEntry, ls: Config, c: ListenerSetStatusContext): Condition[] {
  const noConflict = no('Conflicted', 'NoConflicts', '');
  if (e.conflict) {
    const m = `${CONFLICT_TEXT[e.conflict.reason]} as ${e.conflict.with}, which comes first (the Gateway's own listeners, then ListenerSets oldest first): it is not served`;
    return [no('Accepted', e.conflict.reason, m), ok('Conflicted', e.conflict.reason, m), no('Programmed', e.conflict.reason, m)];
  }
  if (e.unsupported) return [no('Accepted', 'UnsupportedProtocol', e.unsupported), noConflict, no('Programmed', 'Invalid', e.unsupported), ok('ResolvedRefs')];
  if (e.served) return [ok('Accepted'), noConflict, c.parentRuns ? ok('Programmed') : no('Programmed', 'Pending', 'no workload of the parent Gateway runs yet'), ok('ResolvedRefs')];
  const [accepted, ...rest] = c.unserved(e.raw, ls);
  return [accepted!, noConflict, ...rest];
}

/** The status of the ListenerSet `obj` (as the API server has it), from its outcome. */
export function listenerSetStatus(o: ListenerSetOutcome, obj: KubeObject, c: ListenerSetStatusContext): Json {
  const before = asObject(obj.status);
  const generation = generationOf(obj);
  const parent = `Gateway ${o.parent.namespace}/${o.parent.name}`;
  if (!o.allowed) {
    const from = asString(asObject(asObject(asObject(o.parent.spec).allowedListeners).namespaces).from) ?? 'None';
    const m = `${parent} does not allow ListenerSets of namespace ${o.ls.namespace} (its spec.allowedListeners.namespaces.from is ${from})`;
    return { conditions: conditions([no('Accepted', 'NotAllowed', m), no('Programmed', 'NotAllowed', m)], generation, before.conditions, c.now) };
  }
  const owner = { ...o.ls, kind: 'ListenerSet' };
  const listeners = o.entries.map((e) => {
    const prev = asArray(before.listeners).map(asObject).find((x) => x.name === e.name);
    return {
      name: e.name,
      supportedKinds: e.served ? c.supportedKinds(e.served) : [],
      attachedRoutes: e.served ? (c.attached.get(e.name) ?? 0) : 0,
      conditions: conditions(entryConditions(e, owner, c), generation, prev?.conditions, c.now),
    };
  });
  const invalid = 'none of its listeners is served (see their conditions)';
  const top =
    o.served.length === 0
      ? [no('Accepted', 'ListenersNotValid', invalid), no('Programmed', 'ListenersNotValid', invalid)]
      : [ok('Accepted'), c.parentRuns ? ok('Programmed') : no('Programmed', 'Pending', `no workload of the parent ${parent} runs yet`)];
  return { conditions: conditions(top, generation, before.conditions, c.now), listeners };
}
