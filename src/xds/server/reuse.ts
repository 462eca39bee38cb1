/**
 * What a new snapshot lets the server keep from the previous one. Generating every type for every proxy scope
 * on each change is what makes pushes slow; like Istio (which skips CDS/LDS/RDS on endpoint-only updates and
 * skips types a config kind cannot affect), we compare the two snapshots part by part and keep the generated
 * output of types the changed parts cannot affect. EDS after an endpoint change is regenerated only for the
 * services whose endpoints changed. Equivalence with a full regeneration is checked by tests.
 */
import { digest } from '../../core/hash.js';
import { TypeUrls } from '../../core/constants.js';
import type { Snapshot } from '../../model/types.js';
import { withServices } from '../../model/snapshot.js';

export interface ReusePlan {
  /** Types whose generated output carries over unchanged for every scope. */
  reuse: Set<string>;
  /** EDS: regenerate only these services (hostnames) and keep the rest. */
  edsHosts?: Set<string>;
  /** Parts of the snapshot that changed (for logs and tests). */
  changed: string[];
}

const PARTS = ['services', 'endpoints', 'alternatives', 'workloads', 'namespaces', 'virtualServices', 'destinationRules', 'gateways', 'serviceEntries', 'sidecars', 'peerAuthentications', 'authorizationPolicies', 'requestAuthentications', 'telemetries', 'envoyFilters', 'wasmPlugins', 'credentials', 'configMapCas'] as const;
type Part = (typeof PARTS)[number];

/** Serialized content of a part or an endpoint list, memoized by identity (snapshots share unchanged parts). */
const texts = new WeakMap<object, string>();
function textOf(v: object): string {
  let t = texts.get(v);
  if (t === undefined) texts.set(v, (t = v instanceof Map ? digest(JSON.stringify([...v])) : JSON.stringify(v)));
  return t;
}

/** Whether a part differs between two snapshots: the same object (shared by an incremental build) never does. */
function partChanged(prev: Snapshot, next: Snapshot, part: Part): boolean {
  const a = (prev as unknown as Record<Part, object>)[part];
  const b = (next as unknown as Record<Part, object>)[part];
  if (a === b) return false;
  if (part !== 'endpoints') return textOf(a) !== textOf(b);
  return changedHosts(prev, next).size > 0;
}

/** Hosts whose endpoint lists differ (lists shared by both snapshots are equal without a look). */
function changedHosts(prev: Snapshot, next: Snapshot): Set<string> {
  const out = new Set<string>();
  for (const [host, eps] of next.endpoints) {
    const old = prev.endpoints.get(host);
    if (old !== eps && (!old || textOf(old) !== textOf(eps))) out.add(host);
  }
  for (const host of prev.endpoints.keys()) if (!next.endpoints.has(host)) out.add(host);
  return out;
}

/** Parts whose change may affect each type (anything not listed affects every type). */
const AFFECTS: Partial<Record<string, readonly string[]>> = {
  workloads: [], // only proxy labels, i.e. the proxy's scope, which is recomputed per snapshot
  virtualServices: [TypeUrls.listener, TypeUrls.route],
  gateways: [TypeUrls.listener, TypeUrls.route, TypeUrls.secret], // SDS: the kubernetes-gateway:// certificates of converted Gateways
  telemetries: [TypeUrls.listener], // access logs and tracing on connection managers and tcp proxies
  envoyFilters: [TypeUrls.listener, TypeUrls.route, TypeUrls.cluster], // never endpoints
  wasmPlugins: [TypeUrls.listener, TypeUrls.cluster], // HTTP filters, and the clusters remote code is fetched through
  endpoints: [TypeUrls.endpoint], // plus CDS/LDS for DNS services and named target ports, below
  // alternatives (a host's other definitions, their endpoints too): not listed, so a change regenerates every type.
  credentials: [TypeUrls.secret], // gateways' credentials (gen/credentials.ts); the rest of SDS is the proxy's files
  configMapCas: [TypeUrls.secret], // BackendTLSPolicies' CAs (gen/configmap-cas.ts); which ones is the DestinationRules' part
};

export function planReuse(prev: Snapshot, next: Snapshot): ReusePlan {
  const changed: string[] = prev.domainSuffix !== next.domainSuffix || JSON.stringify(prev.mesh) !== JSON.stringify(next.mesh) ? ['mesh'] : [];
  for (const p of PARTS) {
    // A part that affects no type is told apart by identity only (for the log): comparing it would be wasted.
    const free = AFFECTS[p]?.length === 0;
    if (free ? (prev as unknown as Record<Part, object>)[p] !== (next as unknown as Record<Part, object>)[p] : partChanged(prev, next, p)) changed.push(p);
  }
  const reuse = new Set<string>([TypeUrls.cluster, TypeUrls.endpoint, TypeUrls.listener, TypeUrls.route, TypeUrls.secret]);
  for (const part of changed) {
    const affected = AFFECTS[part];
    if (!affected) return { reuse: new Set(), changed };
    for (const t of affected) reuse.delete(t);
  }
  let edsHosts: Set<string> | undefined;
  if (changed.includes('endpoints')) {
    edsHosts = changedHosts(prev, next);
    for (const host of edsHosts) {
      const svc = next.services.get(host) ?? prev.services.get(host);
      // DNS clusters carry their endpoints inline; named target ports resolve through endpoints (inbound side).
      if (svc && (svc.resolution === 'DNS' || svc.resolution === 'DNS_ROUND_ROBIN' || svc.ports.some((p) => p.targetPortName))) {
        reuse.delete(TypeUrls.cluster);
        reuse.delete(TypeUrls.listener);
      }
      // mTLS clusters check servers against the service accounts of the endpoints, and a headless service's cluster
      // takes mTLS when all of its endpoints do (gen/mtls.ts).
      if (accountsChanged(prev, next, host) || svc?.resolution === 'NONE') reuse.delete(TypeUrls.cluster);
    }
  }
  return { reuse, edsHosts, changed };
}

/** Whether a host's endpoints run under other service accounts than before (none counts: no identity to check). */
function accountsChanged(prev: Snapshot, next: Snapshot, host: string): boolean {
  const accounts = (s: Snapshot) => [...new Set((s.endpoints.get(host) ?? []).map((e) => e.serviceAccount ?? ''))].sort().join(',');
  return accounts(next) !== accounts(prev);
}

/** The snapshot narrowed to some services (and their endpoints): generating EDS from it yields just theirs. */
export function narrow(snap: Snapshot, hosts: ReadonlySet<string>): Snapshot {
  const services = new Map([...hosts].filter((h) => snap.services.has(h)).map((h) => [h, snap.services.get(h)!]));
  const endpoints = new Map([...hosts].filter((h) => snap.endpoints.has(h)).map((h) => [h, snap.endpoints.get(h)!]));
  return withServices(snap, services, endpoints);
}
