/**
 * EnvoyFilter patches on route configurations, as istiod applies them: ROUTE_CONFIGURATION merges, then each
 * virtual host (VIRTUAL_HOST removes, merges and replaces, then its routes), then VIRTUAL_HOST adds. On a virtual
 * host's routes, HTTP_ROUTE removes and merges come first, then adds and inserts. A sidecar's route configuration
 * is told by its port (`9080`, or `inbound|9080||` inline in virtualInbound); a gateway's also by the server's
 * port name and gateway (`https.443.https.gw.ns`). Route configurations are changed in place: the caller hands
 * over copies.
 */
import { typeFor } from '../../proto.js';
import type { Json } from '../common.js';
import { mergeMessage } from './merge.js';
import type { Patch, PatchContext } from './patches.js';
import { applyListOp, contextMatches, copyOf, given, isMerge, isObject } from './lists.js';

const ROUTE_CONFIGURATION = 'envoy.config.route.v3.RouteConfiguration';
const VIRTUAL_HOST = 'envoy.config.route.v3.VirtualHost';
const ROUTE = 'envoy.config.route.v3.Route';

const rcPart = (p: Patch): Json | undefined => (isObject(p.match.routeConfiguration) ? p.match.routeConfiguration : undefined);
const vhostPart = (p: Patch): Json | undefined => (isObject(rcPart(p)?.vhost) ? rcPart(p)!.vhost : undefined);
const routePart = (p: Patch): Json | undefined => (isObject(vhostPart(p)?.route) ? vhostPart(p)!.route : undefined);

/** Port, port name and gateway (`ns/name`) of a route configuration's name. */
function routeNameParts(name: string): { port: number; portName: string; gateway: string } {
  const https = /^https\.(\d+)\.([^.]*)\.([^.]*)\.([^.]*)$/.exec(name);
  if (https) return { port: Number(https[1]), portName: https[2]!, gateway: `${https[4]}/${https[3]}` };
  const http = /^http\.(\d+)$/.exec(name);
  if (http) return { port: Number(http[1]), portName: '', gateway: '' };
  const inbound = /^inbound\|(\d+)\|/.exec(name);
  return { port: Number(inbound ? inbound[1] : /^\d+$/.test(name) ? name : 0), portName: '', gateway: '' };
}

function rcMatch(ctx: PatchContext, rc: Json, p: Patch): boolean {
  const m = rcPart(p);
  if (!m) return true;
  if (given(m.name) && m.name !== rc.name) return false;
  const parts = routeNameParts(String(rc.name ?? ''));
  if (given(m.portNumber) && m.portNumber !== parts.port) return false;
  if (ctx !== 'GATEWAY') return true;
  return (!given(m.portName) || m.portName === parts.portName) && (!given(m.gateway) || m.gateway === parts.gateway);
}

function vhostMatch(vh: Json, p: Patch): boolean {
  const m = vhostPart(p);
  if (!m) return true;
  return (!given(m.name) || m.name === vh.name) && (!given(m.domainName) || (Array.isArray(vh.domains) && vh.domains.includes(m.domainName)));
}

const ACTIONS: Record<string, string> = { ROUTE: 'route', REDIRECT: 'redirect', DIRECT_RESPONSE: 'direct_response' };

function routeMatch(r: Json, p: Patch): boolean {
  const m = routePart(p);
  if (!m) return true;
  if (given(m.name) && m.name !== r.name) return false;
  const action = typeof m.action === 'string' ? ACTIONS[m.action] : undefined;
  return !action || r[action] !== undefined;
}

/** Patches one route configuration of a proxy (context `ctx`). */
export function patchRouteConfiguration(patches: readonly Patch[], ctx: PatchContext, rc: Json): void {
  const applies = patches.filter((p) => contextMatches(p, ctx) && rcMatch(ctx, rc, p));
  if (applies.length === 0) return;
  for (const p of applies) {
    if (p.applyTo === 'ROUTE_CONFIGURATION' && isMerge(p.operation)) mergeMessage(typeFor(ROUTE_CONFIGURATION), rc, copyOf(p), p.operation === 'MERGE_AND_REPLACE_LIST');
  }
  const vhostPatches = applies.filter((p) => p.applyTo === 'VIRTUAL_HOST');
  const routePatches = applies.filter((p) => p.applyTo === 'HTTP_ROUTE');
  const vhosts = patchEach(rc.virtual_hosts, vhostPatches, vhostMatch, VIRTUAL_HOST);
  for (const vh of vhosts) patchRoutes(routePatches, vh);
  for (const p of vhostPatches) if (p.operation === 'ADD') vhosts.push(copyOf(p));
  rc.virtual_hosts = vhosts;
}

/**
 * Each element of a list (virtual hosts, routes) through the patches that match it, in order: REMOVE drops it,
 * MERGE merges into it, REPLACE swaps it (callers pass only patches whose REPLACE istiod applies).
 */
function patchEach(list: unknown, patches: readonly Patch[], matches: (e: Json, p: Patch) => boolean, type: string): Json[] {
  const out: Json[] = [];
  next: for (let e of Array.isArray(list) ? (list as Json[]) : []) {
    for (const p of patches) {
      if (!matches(e, p)) continue;
      if (p.operation === 'REMOVE') continue next;
      if (isMerge(p.operation)) mergeMessage(typeFor(type), e, copyOf(p), p.operation === 'MERGE_AND_REPLACE_LIST');
      else if (p.operation === 'REPLACE') e = copyOf(p);
    }
    out.push(e);
  }
  return out;
}

function patchRoutes(patches: readonly Patch[], vh: Json): void {
  // istiod applies no REPLACE to routes.
  const applies = patches.filter((p) => vhostMatch(vh, p) && p.operation !== 'REPLACE');
  if (applies.length === 0) return;
  let routes = patchEach(vh.routes, applies, routeMatch, ROUTE);
  for (const p of applies) {
    const named = routePart(p) !== undefined;
    // INSERT_FIRST with a route named inserts only where that route exists.
    if (p.operation === 'INSERT_FIRST' && named && !routes.some((r) => routeMatch(r, p))) continue;
    if (p.operation === 'ADD' || p.operation.startsWith('INSERT_')) routes = applyListOp(routes, p, named && p.operation !== 'INSERT_FIRST', (r) => routeMatch(r, p));
  }
  vh.routes = routes;
}
