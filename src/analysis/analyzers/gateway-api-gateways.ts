/**
 * Gateway API Gateways (gateway.networking.k8s.io, class istio), checked the way mizzen serves them
 * (model/gateway-api-gateways.ts, whose listener, admission and hostname functions this reuses):
 * - where a route's Gateway parentRef attaches it (gatewayParent, used by gateway-api.ts): a Gateway the input
 *   lacks is IST0101 (MZ0003 when the input has no Gateway API Gateways in that namespace); a Gateway of another
 *   class, or one none of whose served listeners is picked by the ref (sectionName, port), admits the route
 *   (a kind its protocol carries, defaultRouteKinds, and allowedRoutes kinds and namespaces) or shares a hostname
 *   with it, is MZ0016 with the reason. A listener that admits namespaces by selector is taken to admit a route
 *   whose namespace the input has no Namespace object of.
 * - listeners mizzen leaves out (MZ0019): UDP and other protocols, HTTPS not terminated, HTTPS or terminated TLS
 *   whose certificate is missing, not a Secret or in another namespace without a ReferenceGrant, TLS of another
 *   mode, a repeated name, no name, a port that is not one. (HTTP, HTTPS and TLS terminated with a Secret the
 *   Gateway may use, TLS passthrough and TCP are served.)
 * - Gateways no workload of the input would serve (MZ0020), judged only where the input has workloads in the
 *   Gateway's namespace: mizzen deploys a gateway proxy only with `serve --deploy-gateways`, else it configures
 *   those the Gateway selects.
 * Malformed shapes give fewer findings, never a throw.
 */
import type { KubeObject } from '../../core/kube.js';
import { GATEWAY_CLASS, GATEWAY_NAME_LABEL, addressHosts, defaultRouteKinds, type GatewayLike, type Listener, intersectHostnames, listenerAdmits, refPicks, servedListeners } from '../../model/gateway-api-gateways.js';
import { isGatewayApi, referenceAllowed, routeHostnames, type ParentRef } from '../../model/gateway-refs.js';
import { asPort } from '../../model/selectors.js';
import { finding, type Finding } from '../finding.js';
import { arr, formatLabels, labelMap, rec, str } from '../shape.js';
import { nameOf, nsOf, olderIn, type HostEntry, type World } from '../world.js';

/** Gateway API Gateways by namespace, then name (the last document of a name wins, as when applied in order). */
function gatewayIndex(w: World): ReadonlyMap<string, ReadonlyMap<string, KubeObject>> {
  const cached = w.memo.gatewayApiGateways as Map<string, Map<string, KubeObject>> | undefined;
  if (cached) return cached;
  const index = new Map<string, Map<string, KubeObject>>();
  for (const gw of w.core('Gateway')) {
    if (!isGatewayApi(gw)) continue;
    let names = index.get(nsOf(gw));
    if (!names) index.set(nsOf(gw), (names = new Map()));
    names.set(nameOf(gw), gw);
  }
  w.memo.gatewayApiGateways = index;
  return index;
}

/** Labels of the namespaces the input has Namespace objects of. */
function namespaceLabels(w: World): ReadonlyMap<string, Record<string, string>> {
  const cached = w.memo.namespaceLabels as Map<string, Record<string, string>> | undefined;
  if (cached) return cached;
  const labels = new Map(w.core('Namespace').filter((n) => n.apiVersion === 'v1').map((n) => [nameOf(n), labelMap(n.metadata?.labels)] as const));
  w.memo.namespaceLabels = labels;
  return labels;
}

const like = (gw: KubeObject): GatewayLike => ({ name: nameOf(gw), namespace: nsOf(gw), spec: gw.spec });
const isServedClass = (gw: KubeObject): boolean => rec(gw.spec).gatewayClassName === GATEWAY_CLASS;
const quoted = (names: readonly string[]): string => names.map((n) => `"${n}"`).join(', ');
/** `listener "a" does` / `listeners "a", "b" do`, for a sentence about what they (do not) do. */
const listenersDo = (ls: readonly Listener[]): string => (ls.length === 1 ? `listener "${ls[0]!.name}" does` : `listeners ${quoted(ls.map((l) => l.name))} do`);

/** The listeners mizzen serves, in words. */
const SERVED = 'HTTP; HTTPS or TLS terminated with a Secret of its own namespace; TLS passthrough; TCP';
const SERVED_PROTOCOLS = 'HTTP, HTTPS, TLS and TCP listeners';

/** `a TCP listener`, `an HTTPS listener`, `a TLS passthrough listener`, `a terminated TLS listener`. */
function aListener(l: Pick<Listener, 'protocol' | 'passthrough'>): string {
  if (l.protocol === 'TLS') return l.passthrough ? 'a TLS passthrough listener' : 'a terminated TLS listener';
  return `${l.protocol.startsWith('HTTP') ? 'an' : 'a'} ${l.protocol} listener`;
}

/** `HTTPRoutes and GRPCRoutes`. */
const kindsOf = (kinds: readonly string[]): string => kinds.map((k) => `${k}s`).join(' and ');

/**
 * Why the `picked` listeners (none of which admits `kind`, whatever the namespace) do not: a protocol that does not
 * carry the kind (defaultRouteKinds), else allowedRoutes.kinds; the listeners named before each reason when they
 * do not all share one.
 */
function kindReason(picked: readonly Listener[], kind: string): string {
  const why = (l: Listener): string => (defaultRouteKinds(l).includes(kind) ? 'spec.listeners[].allowedRoutes.kinds' : `${aListener(l)} carries ${kindsOf(defaultRouteKinds(l))} only`);
  const byWhy = new Map<string, string[]>();
  for (const l of picked) byWhy.set(why(l), [...(byWhy.get(why(l)) ?? []), l.name]);
  const detail = byWhy.size === 1 ? [...byWhy.keys()][0]! : [...byWhy].map(([reason, names]) => `${quoted(names)}: ${reason}`).join('; ');
  return `its ${listenersDo(picked)} not admit ${kind}s (${detail})`;
}

/** What a Gateway parentRef of a route comes to: whether it attaches the route to some listener, and what to say. */
export interface ParentOutcome {
  attached: boolean;
  findings: Finding[];
}

/** Why a served Gateway's listeners do not take the route named by `ref`; undefined when some listener does. */
function unattachedReason(w: World, route: KubeObject, gw: KubeObject, ref: ParentRef): string | undefined {
  const g = like(gw);
  const served = servedListeners(g, w.core('ReferenceGrant'));
  if (served.length === 0) return `it has no listener mizzen serves (${SERVED})`;
  const picked = served.filter((l) => refPicks(ref, l));
  if (picked.length === 0) {
    const wanted = [ref.sectionName ? `named "${ref.sectionName}"` : '', ref.port !== undefined ? `on port ${ref.port}` : ''].filter(Boolean).join(' ');
    const unserved = arr(rec(gw.spec).listeners).some((raw) => {
      const port = asPort(rec(raw).port);
      const name = str(rec(raw).name);
      return name !== undefined && port !== undefined && refPicks(ref, { name, port });
    });
    return `no listener mizzen serves is ${wanted}${unserved ? ' (the Gateway has one, which mizzen leaves out: see MZ0019 on the Gateway)' : ''}`;
  }
  const ns = nsOf(route);
  const labels = namespaceLabels(w);
  const anyNamespace = (l: Listener): Listener => ({ ...l, allowed: { ...l.allowed, namespaces: { from: 'All' } } });
  const kindOk = picked.filter((l) => listenerAdmits(anyNamespace(l), g, route.kind, ns, (n) => labels.get(n)));
  if (kindOk.length === 0) return kindReason(picked, route.kind);
  // Without the route namespace's labels, a namespace selector cannot be judged: taken to admit it.
  const unknown = (l: Listener): boolean => !labels.has(ns) && rec(rec(l.allowed).namespaces).from === 'Selector';
  const admitted = kindOk.filter((l) => unknown(l) || listenerAdmits(l, g, route.kind, ns, (n) => labels.get(n)));
  if (admitted.length === 0) return `its ${listenersDo(kindOk)} not admit routes of namespace "${ns}" (spec.listeners[].allowedRoutes.namespaces)`;
  const hostnames = routeHostnames(route.spec);
  if (admitted.some((l) => intersectHostnames(hostnames, l.hostname).length > 0)) return undefined;
  const where = admitted.map((l) => `"${l.name}" (${l.hostname})`).join(', ');
  return `none of the route's hostnames (${hostnames.join(', ')}) overlaps the hostname of its ${admitted.length === 1 ? 'listener' : 'listeners'} ${where}`;
}

/**
 * A parentRef naming a Gateway API Gateway (group gateway.networking.k8s.io, kind Gateway), at `path`: IST0101 /
 * MZ0003 when the input lacks that Gateway, MZ0016 when it attaches the route to no listener.
 */
export function gatewayParent(w: World, route: KubeObject, ref: ParentRef, path: string): ParentOutcome {
  const id = `${ref.namespace}/${ref.name}`;
  const inNs = gatewayIndex(w).get(ref.namespace);
  const gw = inNs?.get(ref.name);
  if (!gw) {
    const f = inNs
      ? finding('IST0101', route, `Referenced parent Gateway not found: "${id}"`, `${path}.name`)
      : finding('MZ0003', route, `Referenced parent Gateway not found: "${id}"; the input has no Gateway API Gateways in namespace "${ref.namespace}" to check it against`, `${path}.name`);
    return { attached: false, findings: [f] };
  }
  const className = str(rec(gw.spec).gatewayClassName);
  const reason = !isServedClass(gw)
    ? `${className ? `its gatewayClassName is "${className}"` : 'it has no gatewayClassName'}; mizzen serves Gateways of class ${GATEWAY_CLASS} only`
    : unattachedReason(w, route, gw, ref);
  if (reason === undefined) return { attached: true, findings: [] };
  return { attached: false, findings: [finding('MZ0016', route, `parentRef Gateway.${ref.group} "${id}" is not served: ${reason}`, path)] };
}

/** The Gateway API Gateways of class istio that analyzers report on. */
const servedGateways = (w: World): KubeObject[] => w.coreSubjects('Gateway').filter((gw) => isGatewayApi(gw) && isServedClass(gw));

/**
 * Whether servedListeners serves listeners of `protocol` at all: whether it serves one of that protocol that is
 * named, on a port and terminated with a Secret of the Gateway's namespace (which only HTTPS and TLS read).
 */
const protocolServed = (protocol: unknown): boolean =>
  servedListeners({ name: 'probe', namespace: 'probe', spec: { listeners: [{ name: 'probe', port: 1, protocol, tls: { certificateRefs: [{ name: 'probe' }] } }] } }).length > 0;

/**
 * Why mizzen leaves out listener `i` of `listeners` (which servedListeners did not serve); `served[j]`: whether it
 * serves listener j.
 */
function listenerReason(listeners: readonly unknown[], served: readonly boolean[], i: number, gwNamespace: string, grants: readonly KubeObject[]): string {
  const l = rec(listeners[i]);
  const name = str(l.name);
  const protocol = str(l.protocol);
  if (!name) return 'it has no name';
  if (asPort(l.port) === undefined) return 'its port is not a port number';
  if (!protocolServed(protocol)) {
    if (protocol === 'UDP') return 'a UDP listener takes UDPRoutes, which mizzen does not serve';
    return `${protocol ? `protocol "${protocol}"` : 'a listener without a protocol'} is not served (mizzen serves ${SERVED_PROTOCOLS})`;
  }
  const first = listeners.findIndex((o, j) => j < i && served[j] && str(rec(o).name) === name);
  if (first >= 0) return `its name "${name}" is repeated: spec.listeners[${first}] of that name is the one mizzen reads`;
  // Of a protocol mizzen serves and not repeated: what is left is HTTPS or TLS that mizzen does not terminate.
  const tls = rec(l.tls);
  const mode: unknown = tls.mode ?? 'Terminate';
  if (mode !== 'Terminate') {
    if (protocol === 'HTTPS') return `tls.mode is ${JSON.stringify(mode)}: mizzen serves HTTPS only terminated at the gateway (to pass TLS through, use a TLS listener and TLSRoutes)`;
    return `tls.mode is ${JSON.stringify(mode)}: mizzen serves TLS listeners terminated at the gateway (Terminate) or passed through (Passthrough)`;
  }
  const refs = arr(tls.certificateRefs);
  if (refs.length > 2) return `it names ${refs.length} certificates (tls.certificateRefs): mizzen terminates TLS with one, or two (RSA and ECDSA)`;
  if (refs.length === 0) return 'it names no certificate (tls.certificateRefs[0] with a name): mizzen cannot terminate its TLS';
  for (const [index, raw] of refs.entries()) {
    const cert = rec(raw);
    const secret = str(cert.name);
    if (!secret) return `it names no certificate (tls.certificateRefs[${index}] with a name): mizzen cannot terminate its TLS`;
    const kind = str(cert.kind) ?? 'Secret';
    const group = str(cert.group) ?? '';
    if (kind !== 'Secret' || group !== '') return `its certificate is a ${group ? `${kind}.${group}` : kind}, not a core Secret: mizzen reads certificates from Secrets only`;
    const ns = str(cert.namespace) ?? gwNamespace;
    if (!referenceAllowed(grants, 'Gateway', gwNamespace, { group, kind, name: secret, namespace: ns })) return `its certificate Secret "${ns}/${secret}" is in another namespace than the Gateway's, where no ReferenceGrant lets Gateways of namespace "${gwNamespace}" use it`;
  }
  return 'its TLS settings are not served';
}

/** MZ0019 for each listener of a class-istio Gateway that servedListeners leaves out. */
export function gatewayListeners(w: World): Finding[] {
  const out: Finding[] = [];
  for (const gw of servedGateways(w)) {
    const g = like(gw);
    const listeners = arr(rec(gw.spec).listeners);
    // Listener i is served when it adds a listener to those served of the ones before it.
    const counts = listeners.map((_, i) => servedListeners({ ...g, spec: { ...rec(gw.spec), listeners: listeners.slice(0, i + 1) } }, w.core('ReferenceGrant')).length);
    const served = counts.map((c, i) => c > (i === 0 ? 0 : counts[i - 1]!));
    for (const i of listeners.keys()) {
      if (served[i]) continue;
      const name = str(rec(listeners[i]).name);
      const which = name ? `Listener "${name}"` : 'This listener';
      out.push(finding('MZ0019', gw, `${which} is not served by mizzen: ${listenerReason(listeners, served, i, nsOf(gw), w.core('ReferenceGrant'))}`, `spec.listeners[${i}]`));
    }
  }
  return out;
}

/**
 * The host entry a Gateway's Hostname address names, as the conversion resolves it (a short name in the Gateway's
 * namespace, `name.namespace`, or a full host; the Kubernetes Service, else the oldest ServiceEntry of that host),
 * when it has a selector; with the path of the address.
 */
function addressedEntry(w: World, gw: KubeObject): { entry: HostEntry; path: string } | undefined {
  for (const { index, hosts } of addressHosts({ name: nameOf(gw), namespace: nsOf(gw), spec: gw.spec }, w.domainSuffix)) {
    for (const h of hosts) {
      const exact = w.lookupHost(h).filter((e) => e.host === h);
      if (exact.length === 0) continue;
      const services = exact.filter((e) => e.kind === 'Service');
      const entry = services[0] ?? [...exact].sort((x, y) => olderIn(w)(x.object, y.object))[0]!;
      if (Object.keys(entry.selector).length > 0) return { entry, path: `spec.addresses[${index}]` };
      break;
    }
  }
  return undefined;
}

/** MZ0020 for each class-istio Gateway that no workload of the input would serve (where it has workloads in its namespace). */
export function gatewayWorkloads(w: World): Finding[] {
  const out: Finding[] = [];
  for (const gw of servedGateways(w)) {
    if (!w.hasWorkloadsIn(nsOf(gw))) continue;
    const addressed = addressedEntry(w, gw);
    const selector = addressed?.entry.selector ?? { [GATEWAY_NAME_LABEL]: nameOf(gw) };
    if (w.matchWorkloads(selector).some((wl) => wl.kind !== 'ServiceEntry endpoint')) continue;
    const what = addressed
      ? `no workload matches the selector ${formatLabels(selector)} of ${addressed.entry.kind} "${addressed.entry.namespace}/${nameOf(addressed.entry.object)}" that spec.addresses names`
      : `no workload has the label ${formatLabels(selector)} and spec.addresses names no Service with a selector`;
    out.push(
      finding(
        'MZ0020',
        gw,
        `No workload in the input would serve this Gateway: ${what}. mizzen deploys none unless \`mizzen serve --deploy-gateways\` runs: deploy one with the label ${GATEWAY_NAME_LABEL}=${nameOf(gw)}, or name an existing gateway Service in spec.addresses (type Hostname)`,
        addressed?.path,
      ),
    );
  }
  return out;
}
