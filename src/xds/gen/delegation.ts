/**
 * VirtualService delegation, as istiod merges it before generating routes. A root VirtualService (with hosts)
 * may hand an HTTP rule to a delegate VirtualService (no hosts) with `delegate: {name, namespace}`; the rule is
 * replaced by the delegate's rules, each merged with it:
 *   - matches: each of the delegate rule's matches must fit inside one of the root rule's (a prefix within the
 *     root's prefix, an exact value under it, equal ports, a superset of gateways…); the merged match takes the
 *     delegate's fields and fills the rest from the root's; a delegate rule that fits nowhere is dropped;
 *   - everything else (route, rewrite, timeout, retries, fault, mirror, CORS, headers): the delegate's, else the
 *     root rule's.
 * A delegate that does not exist, or is not exported to the root's namespace, drops the root rule. Delegates are
 * not VirtualServices of their own: they route nothing unless a root uses them. Destination hosts of a delegate
 * are resolved in the delegate's namespace. Pure.
 */
import type { Config, Snapshot } from '../../model/types.js';
import { asArray, asObject } from '../../model/selectors.js';
import { configVisible, memoOn, resolveHost } from './context.js';

type Obj = Record<string, unknown>;

/** Fields of a rule taken from the root rule when the delegate's rule does not set them. */
const INHERITED = ['rewrite', 'directResponse', 'timeout', 'retries', 'fault', 'mirror', 'mirrorPercent', 'mirrorPercentage', 'corsPolicy', 'mirrors', 'headers'];
const STRING_MATCHES = ['uri', 'scheme', 'method', 'authority'];
const MAP_MATCHES = ['headers', 'withoutHeaders', 'queryParams'];

const str = (v: unknown): string => (typeof v === 'string' ? v : '');
const present = (v: unknown): boolean => v !== undefined && v !== null;

/** Whether a delegate's string match cannot lie within the root's (either absent: no conflict). */
export function stringMatchConflict(root: unknown, leaf: unknown): boolean {
  if (!present(root) || !present(leaf)) return false;
  const r = asObject(root);
  const l = asObject(leaf);
  if (str(r.regex) && (str(l.regex) || str(l.prefix) || str(l.exact))) return true;
  if (str(l.regex) && (str(r.regex) || str(r.prefix) || str(r.exact))) return true;
  if (str(r.exact)) return str(l.prefix) !== '' || str(l.exact) !== str(r.exact);
  if (str(r.prefix)) {
    if (str(l.prefix)) return !str(l.prefix).startsWith(str(r.prefix));
    if (str(l.exact)) return !str(l.exact).startsWith(str(r.prefix));
  }
  return true;
}

/** Whether a delegate's match cannot be narrowed from the root's. */
export function matchConflict(root: Obj, leaf: Obj): boolean {
  for (const k of STRING_MATCHES) if (stringMatchConflict(root[k], leaf[k])) return true;
  for (const k of MAP_MATCHES) {
    const r = asObject(root[k]);
    for (const [key, v] of Object.entries(asObject(leaf[k]))) if (stringMatchConflict(Object.hasOwn(r, key) ? r[key] : undefined, v)) return true;
  }
  if (Boolean(root.ignoreUriCase) !== Boolean(leaf.ignoreUriCase)) return true;
  const rp = typeof root.port === 'number' ? root.port : 0;
  const lp = typeof leaf.port === 'number' ? leaf.port : 0;
  if (rp > 0 && lp > 0 && rp !== lp) return true;
  if (str(root.sourceNamespace) && str(leaf.sourceNamespace) !== str(root.sourceNamespace)) return true;
  const rl = asObject(root.sourceLabels);
  for (const [k, v] of Object.entries(asObject(leaf.sourceLabels))) if (Object.hasOwn(rl, k) && rl[k] !== v) return true;
  const rg = asArray(root.gateways);
  const lg = asArray(leaf.gateways);
  if (rg.length > 0 && lg.length > 0 && (rg.length < lg.length || lg.some((g) => !rg.includes(g)))) return true;
  return false;
}

const joinNames = (root: unknown, leaf: unknown): string | undefined => (str(leaf) ? (str(root) ? `${str(root)}-${str(leaf)}` : str(leaf)) : str(root) || undefined);

function mergeMatch(root: Obj, leaf: Obj): Obj {
  const out: Obj = { ...leaf };
  const name = joinNames(root.name, leaf.name);
  if (name !== undefined) out.name = name;
  for (const k of STRING_MATCHES) if (!present(out[k]) && present(root[k])) out[k] = root[k];
  for (const k of [...MAP_MATCHES, 'sourceLabels']) {
    if (present(root[k]) || present(leaf[k])) out[k] = { ...asObject(root[k]), ...asObject(leaf[k]) };
  }
  if (!(typeof out.port === 'number' && out.port > 0) && present(root.port)) out.port = root.port;
  if (!str(out.sourceNamespace) && present(root.sourceNamespace)) out.sourceNamespace = root.sourceNamespace;
  if (asArray(out.gateways).length === 0 && present(root.gateways)) out.gateways = root.gateways;
  if (!present(out.statPrefix) && present(root.statPrefix)) out.statPrefix = root.statPrefix;
  return out;
}

/** The merged matches, or undefined when some delegate match fits under none of the root's. */
function mergeMatches(root: Obj[], leaf: Obj[]): Obj[] | undefined {
  if (root.length === 0) return leaf;
  if (leaf.length === 0) return root;
  const out: Obj[] = [];
  for (const l of leaf) {
    let found = false;
    for (const r of root) {
      if (matchConflict(r, l)) continue;
      out.push(mergeMatch(r, l));
      found = true;
    }
    if (!found) return undefined;
  }
  return out.length > 0 ? out : undefined;
}

/** The delegate's rule with its destination hosts as FQDNs of its own namespace. */
function resolveDestinations(rule: Obj, namespace: string, domainSuffix: string): Obj {
  const dest = (d: unknown): unknown => {
    const o = asObject(d);
    return typeof o.host === 'string' ? { ...o, host: resolveHost(o.host, namespace, domainSuffix) } : d;
  };
  const out: Obj = { ...rule };
  if (Array.isArray(rule.route)) out.route = rule.route.map((r) => (asObject(r).destination !== undefined ? { ...asObject(r), destination: dest(asObject(r).destination) } : r));
  if (present(rule.mirror)) out.mirror = dest(rule.mirror);
  if (Array.isArray(rule.mirrors)) out.mirrors = rule.mirrors.map((m) => (asObject(m).destination !== undefined ? { ...asObject(m), destination: dest(asObject(m).destination) } : m));
  return out;
}

/** One delegate rule merged with the root rule that delegates to it; undefined when their matches conflict. */
export function mergeRule(root: Obj, leaf: Obj): Obj | undefined {
  const match = mergeMatches(asArray(root.match).map(asObject), asArray(leaf.match).map(asObject));
  if (!match) return undefined;
  const out: Obj = { ...leaf };
  if (match.length > 0) out.match = match;
  else delete out.match;
  const name = joinNames(root.name, leaf.name);
  if (name !== undefined) out.name = name;
  for (const k of INHERITED) if (!present(out[k]) && present(root[k])) out[k] = root[k];
  return out;
}

const isDelegate = (vs: Config): boolean => asArray(vs.spec?.hosts).length === 0;

/** The VirtualServices with their delegations merged in, the delegates themselves left out. */
export function mergeDelegations(vss: readonly Config[], domainSuffix: string, defaultExportTo?: readonly string[]): Config[] {
  const delegates = new Map<string, Config>();
  for (const vs of vss) if (isDelegate(vs)) delegates.set(`${vs.namespace}/${vs.name}`, vs);
  const out: Config[] = [];
  for (const vs of vss) {
    if (isDelegate(vs)) continue;
    const http = asArray(vs.spec?.http);
    if (!http.some((r) => present(asObject(r).delegate))) {
      out.push(vs);
      continue;
    }
    const merged: unknown[] = [];
    for (const raw of http) {
      const rule = asObject(raw);
      if (!present(rule.delegate)) {
        merged.push(raw);
        continue;
      }
      const d = asObject(rule.delegate);
      const delegate = delegates.get(`${str(d.namespace) || vs.namespace}/${str(d.name)}`);
      if (!delegate || !configVisible(delegate, vs.namespace, defaultExportTo)) continue;
      const { delegate: _d, ...root } = rule;
      for (const sub of asArray(delegate.spec?.http)) {
        const m = mergeRule(root, resolveDestinations(asObject(sub), delegate.namespace, domainSuffix));
        if (m) merged.push(m);
      }
    }
    out.push({ ...vs, spec: { ...vs.spec, http: merged } });
  }
  return out;
}

const memo = new WeakMap<readonly Config[], Map<string, readonly Config[]>>();

/** The snapshot's VirtualServices as routes are made from them (mergeDelegations), memoized per list. */
export function routableVirtualServices(snap: Snapshot): readonly Config[] {
  const vss = snap.virtualServices;
  return memoOn(memo, vss, snap.domainSuffix, () => {
    const delegating = vss.some((vs) => isDelegate(vs) || asArray(vs.spec?.http).some((r) => present(asObject(r).delegate)));
    return delegating ? mergeDelegations(vss, snap.domainSuffix, snap.mesh.defaultExportTo?.virtualServices) : vss;
  });
}
