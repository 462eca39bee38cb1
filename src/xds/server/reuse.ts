/**
 * What a new snapshot lets the server keep from the previous one. Generating every type for every proxy scope
 * on each change is what makes pushes slow; like Istio (which skips CDS/LDS/RDS on endpoint-only updates and
 * skips types a config kind cannot affect), we compare the two snapshots part by part and keep the generated
 * output of types the changed parts cannot affect. EDS after an endpoint change is regenerated only for the
 * services whose endpoints changed. Equivalence with a full regeneration is checked by tests.
 */
import { createHash } from 'node:crypto';
import { TypeUrls } from '../../core/constants.js';
import type { Snapshot } from '../../model/types.js';

export interface ReusePlan {
  /** Types whose generated output carries over unchanged for every scope. */
  reuse: Set<string>;
  /** EDS: regenerate only these services (hostnames) and keep the rest. */
  edsHosts?: Set<string>;
  /** Parts of the snapshot that changed (for logs and tests). */
  changed: string[];
}

const PARTS = ['services', 'endpoints', 'workloads', 'namespaces', 'virtualServices', 'destinationRules', 'gateways', 'serviceEntries', 'sidecars', 'peerAuthentications', 'authorizationPolicies', 'requestAuthentications'] as const;
type Part = (typeof PARTS)[number];

interface Fingerprint {
  parts: Record<string, string>;
  endpoints: Map<string, string>;
}

const hash = (s: string): string => createHash('sha1').update(s).digest('base64url');
const fingerprints = new WeakMap<Snapshot, Fingerprint>();

function fingerprint(snap: Snapshot): Fingerprint {
  let f = fingerprints.get(snap);
  if (f) return f;
  const endpoints = new Map<string, string>();
  for (const [host, eps] of snap.endpoints) endpoints.set(host, JSON.stringify(eps));
  const parts: Record<string, string> = { domainSuffix: snap.domainSuffix };
  for (const p of PARTS) {
    const v = (snap as unknown as Record<Part, unknown>)[p];
    parts[p] = p === 'endpoints' ? hash([...endpoints].map(([h, e]) => `${h}\0${e}`).join('\n')) : hash(JSON.stringify(v instanceof Map ? [...v] : v));
  }
  f = { parts, endpoints };
  fingerprints.set(snap, f);
  return f;
}

/** Parts whose change may affect each type (anything not listed affects every type). */
const AFFECTS: Partial<Record<string, readonly string[]>> = {
  workloads: [], // only proxy labels, i.e. the proxy's scope, which is recomputed per snapshot
  virtualServices: [TypeUrls.listener, TypeUrls.route],
  gateways: [TypeUrls.listener, TypeUrls.route],
  endpoints: [TypeUrls.endpoint], // plus CDS/LDS for DNS services and named target ports, below
};

export function planReuse(prev: Snapshot, next: Snapshot): ReusePlan {
  const a = fingerprint(prev);
  const b = fingerprint(next);
  const changed = Object.keys(b.parts).filter((p) => a.parts[p] !== b.parts[p]);
  const reuse = new Set<string>([TypeUrls.cluster, TypeUrls.endpoint, TypeUrls.listener, TypeUrls.route]);
  for (const part of changed) {
    const affected = AFFECTS[part];
    if (!affected) return { reuse: new Set(), changed };
    for (const t of affected) reuse.delete(t);
  }
  let edsHosts: Set<string> | undefined;
  if (changed.includes('endpoints')) {
    edsHosts = new Set<string>();
    for (const host of new Set([...a.endpoints.keys(), ...b.endpoints.keys()])) if (a.endpoints.get(host) !== b.endpoints.get(host)) edsHosts.add(host);
    for (const host of edsHosts) {
      const svc = next.services.get(host) ?? prev.services.get(host);
      // DNS clusters carry their endpoints inline; named target ports resolve through endpoints (inbound side).
      if (svc && (svc.resolution === 'DNS' || svc.resolution === 'DNS_ROUND_ROBIN' || svc.ports.some((p) => p.targetPortName))) {
        reuse.delete(TypeUrls.cluster);
        reuse.delete(TypeUrls.listener);
      }
    }
  }
  return { reuse, edsHosts, changed };
}

/** The snapshot narrowed to some services (and their endpoints): generating EDS from it yields just theirs. */
export function narrow(snap: Snapshot, hosts: ReadonlySet<string>): Snapshot {
  const services = new Map([...hosts].filter((h) => snap.services.has(h)).map((h) => [h, snap.services.get(h)!]));
  const endpoints = new Map([...hosts].filter((h) => snap.endpoints.has(h)).map((h) => [h, snap.endpoints.get(h)!]));
  return { ...snap, services, endpoints };
}
