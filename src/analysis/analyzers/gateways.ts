/**
 * Istio Gateways against each other and against the Service of their workloads:
 *
 * - IST0145: two Gateways on the same workloads (equal selectors, one selector within the other, or a workload of
 *   the input both select) with servers that carry TLS (HTTPS, TLS) on one port and name one host. A listener
 *   sends a server name to one filter chain (xds/gen/gateway-sni.ts): the first Gateway's server (istiod's order:
 *   oldest, then name, then namespace) keeps its hosts, and a later server naming one of them is dropped whole, as
 *   istiod drops it. Plain-text servers are not reported, as Istio does:
 *   istiod and mizzen merge their routes (gateway-merge.ts reports what merging hides). A server's bind is not
 *   read: mizzen listens on 0.0.0.0 whatever it says.
 * - IST0138: two Gateways on the same workloads (as Istio decides it: one selector within the other) whose TLS
 *   servers present one certificate (credentialName, or the same certificate and key files): an HTTP/2 client may
 *   reuse a connection for a host of the other server, whose routes lack it (404).
 * - IST0162: a server port that no Service selecting the Gateway's workloads exposes, as a port or a targetPort
 *   (TCP ports; a named targetPort counts as its port): the gateway listens, but its Service sends nothing there.
 *   Said only where the input has such a Service (else it cannot tell), and not of a Gateway without selector.
 * Pure.
 */
import type { KubeObject } from '../../core/kube.js';
import { finding, type Finding } from '../finding.js';
import { arr, formatLabels, labelMap, num, rec, str, strs, selects, type Rec } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';
import { isProxyWorkload } from './workloads.js';

interface Server {
  index: number;
  port: number | undefined;
  protocol: string;
  /** The host part of each `ns/host`, lowercased (what a filter chain matches). */
  hosts: string[];
  tls: Rec | undefined;
}

function serversOf(gw: KubeObject): Server[] {
  return arr(rec(gw.spec).servers).map((raw, index) => {
    const s = rec(raw);
    const hosts = strs(s.hosts).map((h) => h.slice(h.indexOf('/') + 1).toLowerCase());
    const tls = s.tls === undefined ? undefined : rec(s.tls);
    return { index, port: num(rec(s.port).number), protocol: (str(rec(s.port).protocol) ?? '').toUpperCase(), hosts, tls };
  });
}

const key = (gw: KubeObject): string => `${nsOf(gw)}/${nameOf(gw)}`;
const selectorOf = (gw: KubeObject): Record<string, string> => labelMap(rec(gw.spec).selector);
const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** istiod's order of Gateways (and mizzen's, xds/gen/gateway.ts): oldest, then name, then namespace. */
function gatewayOrder(w: World): (a: KubeObject, b: KubeObject) => number {
  const created = (o: KubeObject): string => str(o.metadata.creationTimestamp) ?? (o === w.focus ? '~' : '');
  return (a, b) => cmp(created(a), created(b)) || cmp(nameOf(a), nameOf(b)) || cmp(nsOf(a), nsOf(b));
}

/** The other Gateways of the world; the focus takes its stored version's place. */
const othersOf = (w: World, gw: KubeObject): KubeObject[] => w.istio('Gateway').filter((o) => o !== gw && key(o) !== key(gw));

const within = (a: Record<string, string>, b: Record<string, string>): boolean => selects(a, b);

/** Whether some proxy serves both Gateways: equal selectors, one within the other, or a workload both select. */
function shareWorkloads(w: World, a: KubeObject, b: KubeObject): boolean {
  const sa = selectorOf(a);
  const sb = selectorOf(b);
  if (within(sa, sb) || within(sb, sa)) return true;
  return w.matchWorkloads({ ...sa, ...sb }).some((wl) => isProxyWorkload(wl) && selects(sa, wl.labels) && selects(sb, wl.labels));
}

const carriesTls = (s: Server): boolean => s.protocol === 'HTTPS' || s.protocol === 'TLS';

/** IST0145: TLS servers of Gateways on the same workloads that name one host on one port. */
export function conflictingGateways(w: World): Finding[] {
  const out: Finding[] = [];
  const order = gatewayOrder(w);
  for (const gw of w.subjects('Gateway')) {
    const rivals = othersOf(w, gw).filter((o) => shareWorkloads(w, gw, o));
    if (rivals.length === 0) continue;
    for (const s of serversOf(gw)) {
      if (s.port === undefined || !carriesTls(s)) continue;
      const clashes: Array<{ gw: KubeObject; hosts: string[] }> = [];
      for (const o of rivals) {
        const hosts = new Set<string>();
        for (const t of serversOf(o)) if (t.port === s.port && carriesTls(t)) for (const h of t.hosts) if (s.hosts.includes(h)) hosts.add(h);
        if (hosts.size > 0) clashes.push({ gw: o, hosts: [...hosts].sort() });
      }
      if (clashes.length === 0) continue;
      const first = [gw, ...clashes.map((c) => c.gw)].sort(order)[0]!;
      const hosts = [...new Set(clashes.flatMap((c) => c.hosts))].sort();
      const names = clashes.map((c) => key(c.gw)).sort();
      out.push(
        finding(
          'IST0145',
          gw,
          `Gateway${names.length > 1 ? 's' : ''} ${names.join(', ')} also serve${names.length > 1 ? '' : 's'} ${hosts.join(', ')} with TLS on port ${s.port} to the same workloads (selector ${formatLabels(selectorOf(gw)) || 'none'}): a listener sends a server name to one filter chain, so the first Gateway's server (the oldest: ${key(first)}) keeps its hosts, and a later server naming one of them is dropped whole, its other hosts with it, as istiod drops it`,
          `spec.servers[${s.index}].hosts`,
        ),
      );
    }
  }
  return out;
}

/** The certificates a TLS server presents: `credential:<name>` and `files:<cert>\0<key>` keys. */
function certificates(s: Server): string[] {
  const tls = s.tls ?? {};
  const names = str(tls.credentialName) ? [str(tls.credentialName)!] : strs(tls.credentialNames);
  if (names.length > 0) return names.filter((n) => n !== '').map((n) => `credential:${n}`);
  const pairs = str(tls.serverCertificate) ? [tls] : arr(tls.tlsCertificates).map(rec);
  return pairs.flatMap((p) => (str(p.serverCertificate) && str(p.privateKey) ? [`files:${str(p.serverCertificate)}\u0000${str(p.privateKey)}`] : []));
}

const describeCert = (c: string): string => (c.startsWith('credential:') ? `credentialName "${c.slice(11)}"` : `certificate file "${c.slice(6).split('\u0000')[0]}"`);

/** IST0138: Gateways on the same workloads whose TLS servers present one certificate. */
export function duplicateGatewayCertificates(w: World): Finding[] {
  const out: Finding[] = [];
  for (const gw of w.subjects('Gateway')) {
    const mine = selectorOf(gw);
    // As Istio decides it: the other Gateways whose selector holds all of this one's labels (every one without).
    const others = othersOf(w, gw).filter((o) => within(mine, selectorOf(o)));
    const said = new Set<string>();
    for (const s of serversOf(gw)) {
      if (!s.tls) continue;
      const certs = certificates(s);
      for (const o of others) {
        for (const t of serversOf(o)) {
          if (!t.tls) continue;
          const shared = certificates(t).find((c) => certs.includes(c));
          if (shared === undefined || said.has(`${key(o)}\u0000${shared}`)) continue;
          said.add(`${key(o)}\u0000${shared}`);
          out.push(
            finding(
              'IST0138',
              gw,
              `Gateway ${key(o)} presents the same certificate (${describeCert(shared)}) on workloads this one serves too: an HTTP/2 client may reuse a connection to one of them for a host of the other, whose routes lack it, and get 404s (give each server its own certificate, or put their hosts on one server)`,
              `spec.servers[${s.index}].tls`,
            ),
          );
        }
      }
    }
  }
  return out;
}

/** The ports a Service sends TCP traffic to a workload on, as the gateway may listen on them: port and targetPort. */
function servicePorts(svc: KubeObject): number[] {
  const out: number[] = [];
  for (const raw of arr(rec(svc.spec).ports)) {
    const p = rec(raw);
    const protocol = (str(p.protocol) ?? 'TCP').toUpperCase();
    const port = num(p.port);
    if (protocol !== 'TCP' || port === undefined) continue;
    out.push(port);
    const target = num(p.targetPort);
    if (target !== undefined) out.push(target);
  }
  return out;
}

/** IST0162: Gateway server ports that no Service of the Gateway's workloads exposes. */
export function gatewayPortsOnService(w: World): Finding[] {
  const out: Finding[] = [];
  const services = w.core('Service').filter((s) => s.apiVersion === 'v1');
  for (const gw of w.subjects('Gateway')) {
    const sel = selectorOf(gw);
    if (Object.keys(sel).length === 0) continue;
    const workloads = w.matchWorkloads(sel).filter(isProxyWorkload);
    const own = services.filter((svc) => {
      const ss = labelMap(rec(svc.spec).selector);
      return Object.keys(ss).length > 0 && workloads.some((wl) => wl.namespace === nsOf(svc) && selects(ss, wl.labels));
    });
    if (own.length === 0) continue;
    const ports = new Set(own.flatMap(servicePorts));
    for (const s of serversOf(gw)) {
      if (s.port === undefined || ports.has(s.port)) continue;
      out.push(
        finding(
          'IST0162',
          gw,
          `The gateway listens on port ${s.port} for this server, but no Service of its workloads (selector ${formatLabels(sel)}: ${own.map(key).sort().join(', ')}) exposes it as a port or targetPort: traffic sent through the gateway's Service does not reach it`,
          `spec.servers[${s.index}].port.number`,
        ),
      );
    }
  }
  return out;
}
