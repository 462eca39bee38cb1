/**
 * Routes that merging hides on a gateway (MZ0004). The VirtualServices bound to a Gateway that share a host merge
 * into one route table, as istiod merges them (xds/gen/gateway-vhosts.ts): their routes in istiod's order of
 * VirtualServices, each one's up to its first catch-all, the catch-alls moved last. A route of one VirtualService
 * that an earlier route of another takes every request of is never reached; the second catch-all of a host is the
 * common case. Splitting a host over several VirtualServices is fine otherwise, and not reported.
 *
 * Conservative: only what is certain on every proxy of the Gateway is said. The proxy's namespace, which orders
 * VirtualServices by their exportTo, is taken to be the Gateway's; VirtualServices that delegate or match source
 * labels or namespaces are left out (what they route depends on more than the input shows); a route covers another
 * only when its path takes every path the other's does and its other conditions are all the other's too.
 */
import { objectKey, type KubeObject } from '../../core/kube.js';
import { exportScope } from '../export-scope.js';
import { finding, type Finding } from '../finding.js';
import { hostMatches, parseGatewayRef } from '../hosts.js';
import { arr, isRec, num, rec, str, strs, type Rec } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';

interface Server {
  port: number;
  hosts: Array<{ namespace: string; host: string }>;
}

/** One Envoy route a VirtualService rule makes for a server: its match (none: every request) and where it is. */
interface Route {
  vs: KubeObject;
  path: string;
  match: Rec | undefined;
  catchAll: boolean;
}

const HTTP_PROTOCOLS = ['HTTP', 'HTTP2', 'GRPC', 'HTTPS'];

/** The servers of a Gateway that carry HTTP routes: plain HTTP ones, and HTTPS ones that terminate TLS. */
function httpServers(gw: KubeObject): Server[] {
  const out: Server[] = [];
  for (const raw of arr(rec(gw.spec).servers)) {
    const s = rec(raw);
    const port = num(rec(s.port).number);
    const protocol = (str(rec(s.port).protocol) ?? '').toUpperCase();
    if (port === undefined || !HTTP_PROTOCOLS.includes(protocol)) continue;
    const mode = str(rec(s.tls).mode);
    if (protocol === 'HTTPS' && (mode === undefined || mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH')) continue;
    const hosts = strs(s.hosts).map((h) => {
      const slash = h.indexOf('/');
      if (slash < 0) return { namespace: '*', host: h.toLowerCase() };
      const ns = h.slice(0, slash);
      return { namespace: ns === '.' ? nsOf(gw) : ns, host: h.slice(slash + 1).toLowerCase() };
    });
    out.push({ port, hosts });
  }
  return out;
}

const gatewayKey = (gw: KubeObject): string => `${nsOf(gw)}/${nameOf(gw)}`;

/** Whether `ref` (a VirtualService's, from `namespace`) names the Gateway `key`. */
function names(ref: string, namespace: string, key: string): boolean {
  const g = parseGatewayRef(ref, namespace);
  return !g.mesh && `${g.namespace}/${g.name}` === key;
}

/**
 * The VirtualServices bound to the Gateway that a proxy in its namespace reads, in istiod's order: kept private to
 * that namespace, exported to it, then public; each oldest first (the object being applied, without a creation
 * time, youngest), then by name, then namespace.
 */
function boundInOrder(w: World, gw: KubeObject, vss: readonly KubeObject[]): KubeObject[] {
  const key = gatewayKey(gw);
  const ns = nsOf(gw);
  const created = (o: KubeObject): string => str(o.metadata.creationTimestamp) ?? (o === w.focus ? '~' : '');
  const order = (a: KubeObject, b: KubeObject): number => cmp(created(a), created(b)) || cmp(nameOf(a), nameOf(b)) || cmp(nsOf(a), nsOf(b));
  const groups: KubeObject[][] = [[], [], []];
  for (const vs of vss) {
    if (strs(rec(vs.spec).hosts).length === 0 || !strs(rec(vs.spec).gateways).some((g) => names(g, nsOf(vs), key))) continue;
    const to = exportScope(vs);
    if (to === '*') groups[2]!.push(vs);
    else if (to.has(ns)) groups[nsOf(vs) === ns ? 0 : 1]!.push(vs);
  }
  return groups.flatMap((g) => g.sort(order));
}

const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

/** The hosts a VirtualService shares with a server: the narrower of each overlapping pair. */
function sharedHosts(w: World, s: Server, vs: KubeObject): string[] {
  const out = new Set<string>();
  for (const raw of strs(rec(vs.spec).hosts)) {
    const host = w.resolve(raw, nsOf(vs));
    for (const sh of s.hosts) {
      if (sh.namespace !== '*' && sh.namespace !== nsOf(vs)) continue;
      const narrow = hostMatches(sh.host, host) ? host : hostMatches(host, sh.host) ? sh.host : undefined;
      if (narrow) out.add(narrow);
    }
  }
  return [...out];
}

const CONDITIONS = ['headers', 'withoutHeaders', 'queryParams', 'method', 'authority', 'scheme'];
const hasKeys = (v: unknown): boolean => isRec(v) && Object.keys(v).length > 0;

/** As istiod tells a catch-all route: every path (`/` prefix, `.*` or none) and no header or query condition. */
function catchAll(m: Rec | undefined): boolean {
  if (!m) return true;
  const uri = rec(m.uri);
  const everyPath = !hasKeys(m.uri) || uri.prefix === '/' || uri.regex === '.*';
  return everyPath && CONDITIONS.every((k) => !(k === 'method' || k === 'authority' || k === 'scheme' ? isRec(m[k]) : hasKeys(m[k])));
}

/**
 * The routes a VirtualService makes for a server of the Gateway `key`, up to its first catch-all (a rule without
 * matches ends them even when it routes nowhere); undefined when what it routes cannot be told from the input.
 */
function routesOf(vs: KubeObject, port: number, key: string): Route[] | undefined {
  const out: Route[] = [];
  for (const [i, raw] of arr(rec(vs.spec).http).entries()) {
    const rule = rec(raw);
    if (rule.delegate !== undefined) return undefined;
    const acts = arr(rule.route).length > 0 || isRec(rule.redirect) || isRec(rule.directResponse);
    const matches = arr(rule.match).map(rec);
    if (matches.some((m) => m.sourceLabels !== undefined || m.sourceNamespace !== undefined)) return undefined;
    if (matches.length === 0) {
      if (acts) out.push({ vs, path: `spec.http[${i}]`, match: undefined, catchAll: true });
      return out;
    }
    for (const [j, m] of matches.entries()) {
      const p = num(m.port);
      if (p !== undefined && p !== port) continue;
      if (strs(m.gateways).length > 0 && !strs(m.gateways).some((g) => names(g, nsOf(vs), key))) continue;
      const route = { vs, path: `spec.http[${i}].match[${j}]`, match: m, catchAll: catchAll(m) };
      if (acts) out.push(route);
      if (route.catchAll) return out;
    }
  }
  return out;
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);
const lower = (s: string, fold: boolean): string => (fold ? s.toLowerCase() : s);

/** Whether every path `b` matches, `a` matches too. */
function pathCovers(a: Rec, b: Rec): boolean {
  const au = rec(a.uri);
  if (!hasKeys(a.uri) || au.prefix === '/' || au.regex === '.*') return true;
  const bu = rec(b.uri);
  const fold = a.ignoreUriCase === true;
  // A case-sensitive path takes a case-insensitive one's paths only when it takes every path.
  if (!fold && b.ignoreUriCase === true) return false;
  const bPath = typeof bu.exact === 'string' ? bu.exact : typeof bu.prefix === 'string' ? bu.prefix : undefined;
  if (bPath === undefined) return false;
  if (typeof au.prefix === 'string') return lower(bPath, fold).startsWith(lower(au.prefix, fold));
  if (typeof au.exact === 'string') return typeof bu.exact === 'string' && lower(bu.exact, fold) === lower(au.exact, fold);
  return false;
}

/** Whether route `a` takes every request route `b` matches (`undefined`: no match, every request). */
export function covers(a: Rec | undefined, b: Rec | undefined): boolean {
  if (!a) return true;
  const bm = b ?? {};
  if (!pathCovers(a, bm)) return false;
  for (const k of ['headers', 'withoutHeaders', 'queryParams']) {
    const am = rec(a[k]);
    const bmap = rec(bm[k]);
    for (const [name, v] of Object.entries(am)) if (!Object.hasOwn(bmap, name) || !same(v, bmap[name])) return false;
  }
  for (const k of ['method', 'authority', 'scheme']) if (a[k] !== undefined && !same(a[k], bm[k])) return false;
  return true;
}

/** MZ0004 for the VirtualServices (among `subjects`) with a route that merging hides on some Gateway. */
export function hiddenGatewayRoutes(w: World): Finding[] {
  const subjects = new Set(w.subjects('VirtualService').map((v) => objectKey(v)));
  if (subjects.size === 0) return [];
  // The focus takes its namesake's place among the world's VirtualServices.
  const focusKey = w.focus ? objectKey(w.focus) : undefined;
  const vss = [...w.istio('VirtualService').filter((v) => objectKey(v) !== focusKey), ...(w.focus?.kind === 'VirtualService' ? [w.focus] : [])];
  const out: Finding[] = [];
  const said = new Set<string>();
  for (const gw of w.istio('Gateway')) {
    const bound = boundInOrder(w, gw, vss);
    if (bound.length < 2 || !bound.some((v) => subjects.has(objectKey(v)))) continue;
    for (const s of httpServers(gw)) {
      const byHost = new Map<string, Route[]>();
      for (const vs of bound) {
        const routes = routesOf(vs, s.port, gatewayKey(gw));
        if (!routes?.length) continue;
        for (const h of sharedHosts(w, s, vs)) byHost.set(h, [...(byHost.get(h) ?? []), ...routes]);
      }
      for (const [host, list] of byHost) {
        const merged = [...list.filter((r) => !r.catchAll), ...list.filter((r) => r.catchAll)];
        merged.forEach((b, j) => {
          const key = `${objectKey(b.vs)}\u0000${b.path}`;
          if (!subjects.has(objectKey(b.vs)) || said.has(key)) return;
          const a = merged.slice(0, j).find((r) => r.vs !== b.vs && covers(r.match, b.match));
          if (!a) return;
          said.add(key);
          out.push(
            finding(
              'MZ0004',
              b.vs,
              `This route is never reached on gateway ${gatewayKey(gw)} (port ${s.port}) for host ${host}: the VirtualServices bound there that share the host merge into one route table, where ${a.path} of VirtualService ${nsOf(a.vs)}/${nameOf(a.vs)} comes first and takes every request it matches.`,
              b.path,
            ),
          );
        });
      }
    }
  }
  return out;
}
