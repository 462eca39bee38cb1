/**
 * The status istiod writes to the Ingresses it serves: the ingress gateway Service's addresses in
 * status.loadBalancer.ingress (model/ingress.ts says which Ingresses). Pure.
 *
 * The Service is the mesh config's ingressService in istio-system: an ExternalName Service gives its external name;
 * any other what its load balancer was given (an IP or a hostname each), then its spec.externalIPs; a Service the
 * snapshot lacks gives none. Each address is an `ip` when it parses as one, else a `hostname`; IPs first, then
 * hostnames, each sorted. An Ingress whose status already says exactly that is not written.
 */
import { isIP } from 'node:net';
import type { KubeObject } from '../core/kube.js';
import type { Snapshot } from './types.js';
import { asArray, asObject, stringMap } from './selectors.js';
import { DEFAULT_INGRESS_SETTINGS, INGRESS_NAMESPACE, ingressClassControllers, isIstioIngress, type IngressSettings } from './ingress.js';

export type LoadBalancerIngress = { ip: string } | { hostname: string };

export interface IngressStatusWrite {
  namespace: string;
  name: string;
  /** The resourceVersion the status was computed from (a precondition of the write), when the object had one. */
  resourceVersion?: string;
  /** The new status.loadBalancer.ingress; empty: the key is removed. */
  ingress: LoadBalancerIngress[];
}

/** The addresses of the ingress gateway Service, as status entries (undefined: ingressService is unset). */
export function ingressAddresses(snap: Pick<Snapshot, 'services' | 'domainSuffix'>, s: IngressSettings): LoadBalancerIngress[] | undefined {
  if (!s.ingressService) return undefined;
  const svc = snap.services.get(`${s.ingressService}.${INGRESS_NAMESPACE}.svc.${snap.domainSuffix}`);
  if (!svc || svc.source !== 'kubernetes') return [];
  const addresses = svc.externalName ? [svc.externalName] : (svc.externalAddresses ?? []);
  const entries = addresses.map((a): LoadBalancerIngress => (isIP(a) ? { ip: a } : { hostname: a }));
  const key = (e: LoadBalancerIngress): [string, string] => ('ip' in e ? ['', e.ip] : [e.hostname, '']);
  return entries.sort((a, b) => {
    const [ha, ia] = key(a);
    const [hb, ib] = key(b);
    return ha < hb ? -1 : ha > hb ? 1 : ia < ib ? -1 : ia > ib ? 1 : 0;
  });
}

/**
 * The writes that bring the status of Istio's Ingresses among `objects` (Ingress objects as the API server has
 * them) to the gateway's addresses; none for the others, nor when ingressService is unset (Istio then reads the
 * nodes of the gateway pods, which mizzen does not watch).
 */
export function ingressStatuses(objects: readonly KubeObject[], snap: Pick<Snapshot, 'services' | 'domainSuffix' | 'ingressClasses' | 'mesh'>): IngressStatusWrite[] {
  const s = snap.mesh.ingress ?? DEFAULT_INGRESS_SETTINGS;
  const want = ingressAddresses(snap, s);
  if (!want || s.mode === 'OFF') return [];
  const controllers = ingressClassControllers(snap.ingressClasses);
  const wanted = JSON.stringify(want);
  const out: IngressStatusWrite[] = [];
  for (const o of objects) {
    if (o?.kind !== 'Ingress' || typeof o.metadata?.name !== 'string') continue;
    if (!isIstioIngress({ annotations: stringMap(o.metadata.annotations), spec: o.spec }, controllers, s)) continue;
    const current = asArray(asObject(asObject(o.status).loadBalancer).ingress);
    if (JSON.stringify(current) === wanted) continue;
    const rv = o.metadata.resourceVersion;
    out.push({ namespace: typeof o.metadata.namespace === 'string' && o.metadata.namespace ? o.metadata.namespace : 'default', name: o.metadata.name, ...(typeof rv === 'string' && rv ? { resourceVersion: rv } : {}), ingress: want });
  }
  return out;
}
