/**
 * What every Envoy generator needs to know about one proxy, derived once from the snapshot: its labels (from
 * node metadata, else the workload with its IP), the services it can see (exportTo), the services that select it
 * (its inbound ports), and lookups for DestinationRules. Pure.
 */
import type { Config, Service, Snapshot, Workload } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { asArray, asObject, matchesLabels, stringMap } from '../../model/selectors.js';
import { resolveHost } from '../../model/hosts.js';
import { outboundClusterName } from './common.js';
import { proxySidecar, scopeServices } from './sidecar-scope.js';
import { definitionFor, hostService, visibleTo } from './host-definitions.js';
import { exportKey, mergeDestinationRules } from './dr-merge.js';
import { rootNamespacesOf, rootsKey } from '../../model/root-namespaces.js';

const byIpMemo = new WeakMap<readonly Workload[], Map<string, Workload[]>>();

/** The proxy's workload labels: node metadata LABELS, else the registry's workload at the proxy's IP. */
export function proxyLabels(snap: Snapshot, proxy: Proxy): Record<string, string> {
  if (Object.keys(proxy.labels).length > 0) return proxy.labels;
  let byIp = byIpMemo.get(snap.workloads);
  if (!byIp) {
    byIpMemo.set(snap.workloads, (byIp = new Map()));
    for (const w of snap.workloads) byIp.set(w.ip, [...(byIp.get(w.ip) ?? []), w]);
  }
  const at = byIp.get(proxy.ip) ?? [];
  const w = at.find((x) => x.namespace === proxy.namespace) ?? at[0];
  return w?.labels ?? {};
}

/** Gateways selecting the proxy: selector labels all present on it (no selector: every gateway proxy). */
export function gatewaysFor(snap: Snapshot, proxy: Proxy): Config[] {
  const labels = proxyLabels(snap, proxy);
  return snap.gateways.filter((g) => matchesLabels(labels, stringMap(g.spec?.selector)));
}

/** Labels as one comparable string (`k=v,…` by key): a memo key for what depends on a workload's labels. */
export const labelsKey = (labels: Readonly<Record<string, string>>): string =>
  Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join(',');

/**
 * Lookups derived from a part of a snapshot, memoized by that part's identity: computed once per snapshot, and
 * shared by the next snapshot when an incremental build kept the part (services, a config list) as it was.
 */
export function memoOn<K extends object, V>(cache: WeakMap<K, Map<string, V>>, part: K, key: string, build: () => V): V {
  let m = cache.get(part);
  if (!m) cache.set(part, (m = new Map()));
  let v = m.get(key);
  if (v === undefined) m.set(key, (v = build()));
  return v;
}

const visibleMemo = new WeakMap<ReadonlyMap<string, Service>, Map<string, readonly Service[]>>();
const selectingMemo = new WeakMap<ReadonlyMap<string, Service>, Map<string, SelectorIndex>>();

/**
 * Services the proxy can reach, sorted by hostname (shared list: do not modify): those exported to its namespace,
 * within the egress scope of the Sidecar resource that applies to it (sidecar-scope.ts).
 */
export function visibleServices(snap: Snapshot, proxy: Proxy): readonly Service[] {
  const exported = memoOn(visibleMemo, snap.services, proxy.namespace, () => {
    const out: Service[] = [];
    const fallback = snap.mesh.defaultExportTo?.services;
    const several = snap.alternatives.size > 0;
    for (const [host, s] of snap.services) {
      // A host defined more than once: the namespace's own definition (host-definitions.ts).
      const svc = several && snap.alternatives.has(host) ? definitionFor(snap, proxy.namespace, host) : visibleTo(s.exportTo, s.namespace, proxy.namespace, fallback) ? s : undefined;
      if (svc) out.push(svc);
    }
    return out;
  });
  const sidecar = proxySidecar(snap, proxy, () => proxyLabels(snap, proxy));
  if (!sidecar) return exported;
  // Keyed on the Sidecar object itself: a changed one is a new object (its revision may not change: files have none).
  let bySidecar = scopedMemo.get(sidecar);
  if (!bySidecar) scopedMemo.set(sidecar, (bySidecar = new WeakMap()));
  return memoOn(bySidecar, snap.services, proxy.namespace, () => scopeServices(sidecar, proxy.namespace, exported));
}

const scopedMemo = new WeakMap<Config, WeakMap<ReadonlyMap<string, Service>, Map<string, readonly Service[]>>>();

const byHostMemo = new WeakMap<readonly Service[], ReadonlyMap<string, Service>>();

/** The service of this hostname as the proxy sees it (exported to it, in its Sidecar's scope), if it does. */
/**
 * The outbound cluster of a service's hostname and port as this proxy has it, with the hostname; undefined when the
 * proxy sees no such service port (a tracing collector, an external authorization service: Envoy refuses a
 * reference to a cluster it lacks).
 */
export function serviceCluster(snap: Snapshot, proxy: Proxy, host: string, port: number): { cluster: string; host: string } | undefined {
  const svc = visibleService(snap, proxy, host);
  return svc?.ports.some((p) => p.port === port && p.protocol !== 'UDP') ? { cluster: outboundClusterName(port, '', host), host } : undefined;
}

export function visibleService(snap: Snapshot, proxy: Proxy, hostname: string): Service | undefined {
  const visible = visibleServices(snap, proxy);
  let byHost = byHostMemo.get(visible);
  if (!byHost) byHostMemo.set(visible, (byHost = new Map(visible.map((s) => [s.hostname, s]))));
  return byHost.get(hostname);
}

/** Selecting services of a namespace, in order, indexed by one pair (`key=value`) of their selector. */
interface SelectorIndex {
  order: Map<Service, number>;
  byPair: Map<string, Service[]>;
}

/**
 * Services in the proxy's namespace whose selector matches its labels: the proxy serves their ports inbound.
 * Looked up by the proxy's label pairs in an index of the namespace's selecting services (built once per services
 * map and namespace), not by matching every selector: a thousand proxies connecting would otherwise try every
 * service of their namespace each.
 */
export function inboundServices(snap: Snapshot, proxy: Proxy, labels = proxyLabels(snap, proxy)): Service[] {
  if (Object.keys(labels).length === 0) return [];
  const idx = memoOn(selectingMemo, snap.services, proxy.namespace, (): SelectorIndex => {
    const out: SelectorIndex = { order: new Map(), byPair: new Map() };
    const add = (s: Service): void => {
      if (s.namespace !== proxy.namespace || !s.selector) return;
      const first = Object.entries(s.selector)[0];
      if (!first) return;
      out.order.set(s, out.order.size);
      const pair = `${first[0]}=${first[1]}`;
      const list = out.byPair.get(pair);
      if (list) list.push(s);
      else out.byPair.set(pair, [s]);
    };
    // Every definition of a host: the one of the proxy's namespace selects its workloads.
    for (const s of snap.services.values()) {
      add(s);
      if (snap.alternatives.size > 0) for (const d of snap.alternatives.get(s.hostname) ?? []) add(d.service);
    }
    return out;
  });
  const found: Service[] = [];
  for (const [k, v] of Object.entries(labels)) for (const s of idx.byPair.get(`${k}=${v}`) ?? []) if (matchesLabels(labels, s.selector)) found.push(s);
  if (found.length < 2) return found;
  found.sort((a, b) => idx.order.get(a)! - idx.order.get(b)!);
  // Two definitions of one host in one namespace that both select the proxy: the first serves.
  return found.filter((s, i) => found.findIndex((o) => o.hostname === s.hostname) === i);
}

export { resolveHost };

/** `*.example.com` matches `a.example.com`; `*` matches everything; otherwise exact. */
export function hostMatches(pattern: string, host: string): boolean {
  if (pattern === '*') return true;
  if (pattern.startsWith('*')) return host.endsWith(pattern.slice(1));
  return pattern === host;
}

/** Whether a VirtualService or DestinationRule is visible to `proxyNamespace`; `fallback`: the mesh config's default for its kind. */
export function configVisible(c: Config, proxyNamespace: string, fallback?: readonly string[]): boolean {
  const exportTo: unknown = c.spec?.exportTo;
  return visibleTo(Array.isArray(exportTo) ? exportTo.filter((x): x is string => typeof x === 'string') : undefined, c.namespace, proxyNamespace, fallback);
}

/** Configs by the hosts they name (resolved in their namespace), in config order: exact hosts and wildcards. */
export interface HostIndex {
  /** Resolved host (wildcards too, literally) → the configs naming it, with their position in the list. */
  exact: Map<string, Array<{ config: Config; at: number }>>;
  /** Configs naming a wildcard host, in list order. */
  wildcards: Array<{ host: string; config: Config; at: number }>;
}

const hostIndexMemo = new WeakMap<readonly Config[], Map<string, HostIndex>>();

/**
 * Indexes `configs` by the hosts `hostsOf` reads from each (resolved in the config's namespace), once per list
 * and lookup kind: a lookup is a map read plus the wildcards, not a scan of every config.
 */
export function hostIndex(configs: readonly Config[], kind: string, domainSuffix: string, hostsOf: (c: Config) => unknown[]): HostIndex {
  return memoOn(hostIndexMemo, configs, `${kind}|${domainSuffix}`, () => {
    const idx: HostIndex = { exact: new Map(), wildcards: [] };
    configs.forEach((config, at) => {
      const seen = new Set<string>();
      for (const h of hostsOf(config)) {
        if (typeof h !== 'string' || h === '') continue;
        const host = resolveHost(h, config.namespace, domainSuffix);
        if (seen.has(host)) continue;
        seen.add(host);
        const list = idx.exact.get(host) ?? [];
        list.push({ config, at });
        idx.exact.set(host, list);
        if (host.includes('*')) idx.wildcards.push({ host, config, at });
      }
    });
    return idx;
  });
}

/** Configs of an index naming `hostname`: exactly, or by a wildcard that matches it (`exact` false). */
export function hostCandidates(idx: HostIndex, hostname: string): Array<{ config: Config; at: number; exact: boolean; host: string }> {
  const out: Array<{ config: Config; at: number; exact: boolean; host: string }> = (idx.exact.get(hostname) ?? []).map((e) => ({ ...e, exact: true, host: hostname }));
  for (const w of idx.wildcards) if (w.host !== hostname && hostMatches(w.host, hostname)) out.push({ config: w.config, at: w.at, exact: false, host: w.host });
  return out;
}

const drHosts = (c: Config): unknown[] => [c.spec?.host];
/** The hosts a VirtualService names. */
export const vsHosts = (c: Config): unknown[] => asArray(c.spec?.hosts);

/**
 * The DestinationRule for a host as seen from a proxy (its namespace and workload labels): Istio prefers one in the
 * proxy's namespace, then one in the service's namespace, then one in the root namespace (model/root-namespaces.ts,
 * in their order); a rule in any other namespace is not consulted, as in istiod, whatever it exports. A proxy in a
 * root namespace takes that namespace's rules first only when they are exported to it alone ('.' or its name, or
 * no exportTo under a '.' default); the rules it exports further rank as the root's, after the service's
 * namespace, so that a catch-all rule there does not shadow a service's own for a gateway in istio-system. Within
 * a namespace, the most specific host: the exact host, else the longest wildcard (so a wildcard in the proxy's
 * namespace beats the exact host in the service's, as in istiod); for the same host, a rule whose workloadSelector
 * matches the proxy beats one without (a rule with a selector applies only to the workloads it selects in its own
 * namespace); among equals the oldest.
 * The rule found is merged with the others of its namespace for the same host, exports and selector (dr-merge.ts).
 */
export function destinationRuleFor(snap: Snapshot, proxyNamespace: string, svc: Service, labels: Readonly<Record<string, string>> = NO_LABELS): Config | undefined {
  // Memoized per rule list (a snapshot part), domain suffix and proxy namespace (and labels, where a rule there
  // selects workloads), then per service: generators ask for every visible service of every proxy scope, several times.
  const byLabels = selectorNamespaces(snap.destinationRules).has(proxyNamespace) ? `\n${labelsKey(labels)}` : '';
  const roots = rootsKey(rootNamespacesOf(snap.mesh));
  const bySvc = memoOn(ruleMemo, snap.destinationRules, `${snap.domainSuffix}\n${roots}\n${proxyNamespace}${byLabels}`, () => new WeakMap<Service, { rule: Config | undefined }>());
  const known = bySvc.get(svc);
  if (known) return known.rule;
  const rule = findDestinationRule(snap, proxyNamespace, svc, labels);
  bySvc.set(svc, { rule });
  return rule;
}

const NO_LABELS: Readonly<Record<string, string>> = Object.freeze({});
const ruleMemo = new WeakMap<readonly Config[], Map<string, WeakMap<Service, { rule: Config | undefined }>>>();
const selectorNsMemo = new WeakMap<readonly Config[], Set<string>>();

/** A rule's workloadSelector labels; undefined when it has none (an empty one selects every workload of its namespace). */
const workloadSelector = (c: Config): Record<string, string> | undefined =>
  typeof c.spec?.workloadSelector === 'object' && c.spec.workloadSelector !== null ? (asObject(c.spec.workloadSelector.matchLabels) as Record<string, string>) : undefined;

/** Namespaces that hold a DestinationRule with a workloadSelector. */
function selectorNamespaces(rules: readonly Config[]): Set<string> {
  let set = selectorNsMemo.get(rules);
  if (!set) selectorNsMemo.set(rules, (set = new Set(rules.filter((r) => workloadSelector(r)).map((r) => r.namespace))));
  return set;
}

/** The DestinationRule for the service of an outbound cluster name (`outbound|port|subset|host`); undefined without a service. */
export function destinationRuleForCluster(snap: Snapshot, proxyNamespace: string, cluster: string, labels?: Readonly<Record<string, string>>): Config | undefined {
  const svc = hostService(snap, proxyNamespace, cluster.split('|')[3] ?? '');
  return svc && destinationRuleFor(snap, proxyNamespace, svc, labels);
}

/** Negative when candidate `a`'s host is more specific than `b`'s: an exact host, else the longer wildcard, else alphabetical. */
function hostSpecificity(a: { exact: boolean; host: string }, b: { exact: boolean; host: string }): number {
  if (a.exact !== b.exact) return a.exact ? -1 : 1;
  if (a.exact || a.host === b.host) return 0;
  return b.host.length - a.host.length || (a.host < b.host ? -1 : 1);
}

function findDestinationRule(snap: Snapshot, proxyNamespace: string, svc: Service, labels: Readonly<Record<string, string>>): Config | undefined {
  const defaults = snap.mesh.defaultExportTo?.destinationRules;
  const roots = rootNamespacesOf(snap.mesh);
  const applies = (c: Config): boolean => {
    const selector = workloadSelector(c);
    return selector === undefined ? configVisible(c, proxyNamespace, defaults) : c.namespace === proxyNamespace && matchesLabels(labels, selector);
  };
  // 0: the proxy's namespace; 1: the service's; 2, 3 …: the root namespaces in order; undefined: not consulted.
  const placeOf = (c: Config): number | undefined => {
    const root = roots.indexOf(c.namespace);
    if (c.namespace === proxyNamespace && (root < 0 || workloadSelector(c) || exportedToItselfOnly(c, defaults))) return 0;
    if (c.namespace === svc.namespace) return 1;
    return root < 0 ? undefined : 2 + root;
  };
  const visible = hostCandidates(hostIndex(snap.destinationRules, 'dr', snap.domainSuffix, drHosts), svc.hostname).filter((c) => applies(c.config) && placeOf(c.config) !== undefined);
  // The place first (istiod looks namespace by namespace), then the most specific host there (the exact host, else
  // the longest wildcard, alphabetically among equals: istiod's MostSpecificHostMatch), then a matching selector
  // before none; the oldest among equals.
  const selectorRank = (c: Config): number => (workloadSelector(c) ? 0 : 1);
  const better = (a: (typeof visible)[number], b: (typeof visible)[number]): boolean =>
    (placeOf(a.config)! - placeOf(b.config)! || hostSpecificity(a, b) || selectorRank(a.config) - selectorRank(b.config) || a.at - b.at) < 0;
  let best: (typeof visible)[number] | undefined;
  for (const c of visible) if (!best || better(c, best)) best = c;
  if (!best) return undefined;
  const { config, host } = best;
  const selector = selectorKey(config);
  const peers = visible.filter(
    (c) => c.config !== config && c.host === host && c.config.namespace === config.namespace && exportKey(c.config) === exportKey(config) && selectorKey(c.config) === selector,
  );
  return mergeDestinationRules(config, peers.sort((a, b) => a.at - b.at).map((c) => c.config));
}

/**
 * Whether a rule is exported to its own namespace alone, as istiod tells a root namespace's private rules apart: an
 * exportTo of '.' or of that namespace only, or none where the mesh's default says '.'.
 */
function exportedToItselfOnly(c: Config, defaults: readonly string[] | undefined): boolean {
  const list = asArray(c.spec?.exportTo).filter((x): x is string => typeof x === 'string');
  if (list.length === 0) return defaults?.includes('.') === true;
  const set = new Set(list);
  return set.size === 1 && (set.has('.') || set.has(c.namespace));
}

/** A rule's workloadSelector as a comparable key ('' without one). */
const selectorKey = (c: Config): string => {
  const s = workloadSelector(c);
  return s === undefined ? '' : `{${labelsKey(s)}}`;
};

/** Services selected by a host in a VS/DR/Gateway, resolved in `namespace`. */
export function servicesForHost(services: readonly Service[], host: string, namespace: string, domainSuffix: string): Service[] {
  const h = resolveHost(host, namespace, domainSuffix);
  return services.filter((s) => hostMatches(h, s.hostname));
}
