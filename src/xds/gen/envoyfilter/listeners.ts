/**
 * EnvoyFilter patches on listeners, as istiod applies them: for each listener, LISTENER merges and removes, then
 * its listener filters, then each filter chain (FILTER_CHAIN merges and removes, its network filters, the HTTP
 * filters of its connection manager), then FILTER_CHAIN adds; LISTENER adds last. A listener match's portNumber
 * names a filter chain's destination port inside virtualInbound / virtualOutbound. Listeners are changed in place:
 * the caller hands over copies.
 */
import { typeFor } from '../../proto.js';
import type { Json } from '../common.js';
import { HCM_FILTER } from '../filters.js';
import { mergeAny, mergeMessage } from './merge.js';
import type { Patch, PatchContext } from './patches.js';
import { applyListOp, contextMatches, copyOf, given, isMerge, isObject } from './lists.js';

const LISTENER = 'envoy.config.listener.v3.Listener';
const FILTER_CHAIN = 'envoy.config.listener.v3.FilterChain';
const HCM = 'type.googleapis.com/envoy.extensions.filters.network.http_connection_manager.v3.HttpConnectionManager';
const VIRTUAL = new Set(['virtualInbound', 'virtualOutbound']);

const listenerPart = (p: Patch): Json | undefined => (isObject(p.match.listener) ? p.match.listener : undefined);
const chainPart = (p: Patch): Json | undefined => {
  const fc = listenerPart(p)?.filterChain;
  return isObject(fc) ? fc : undefined;
};
const filterPart = (p: Patch): Json | undefined => {
  const f = chainPart(p)?.filter;
  return isObject(f) ? f : undefined;
};
const subFilterPart = (p: Patch): Json | undefined => {
  const s = filterPart(p)?.subFilter;
  return isObject(s) ? s : undefined;
};

function listenerMatch(l: Json, p: Patch): boolean {
  const m = listenerPart(p);
  if (!m) return true;
  if (given(m.name) && m.name !== l.name) return false;
  // In the virtual listeners the port is a filter chain's (chainMatch below), except for LISTENER patches.
  if (p.applyTo !== 'LISTENER' && VIRTUAL.has(l.name)) return true;
  return !given(m.portNumber) || l.address?.socket_address?.port_value === m.portNumber;
}

function chainMatch(l: Json, fc: Json, p: Patch): boolean {
  const m = listenerPart(p);
  if (!m) return true;
  const fcm = isObject(fc.filter_chain_match) ? fc.filter_chain_match : {};
  if (VIRTUAL.has(l.name) && given(m.portNumber) && fcm.destination_port?.value !== m.portNumber) return false;
  const c = chainPart(p);
  if (!c) return true;
  if (given(c.name) && c.name !== fc.name) return false;
  if (given(c.sni) && !(fcm.server_names ?? []).includes(c.sni)) return false;
  if (given(c.transportProtocol) && fcm.transport_protocol !== c.transportProtocol) return false;
  if (given(c.applicationProtocols) && !String(c.applicationProtocols).split(',').every((a) => (fcm.application_protocols ?? []).includes(a))) return false;
  return !given(c.destinationPort) || fcm.destination_port?.value === c.destinationPort;
}

const listenerFilterNamed = (p: Patch): boolean => given(listenerPart(p)?.listenerFilter);
const filterNamed = (p: Patch): boolean => filterPart(p) !== undefined;
const subFilterNamed = (p: Patch): boolean => filterNamed(p) && subFilterPart(p) !== undefined;
const filterMatch = (f: Json, p: Patch): boolean => !filterNamed(p) || filterPart(p)!.name === f.name;
const subFilterMatch = (f: Json, p: Patch): boolean => !subFilterNamed(p) || subFilterPart(p)!.name === f.name;

/** A MERGE into a filter (listener, network or HTTP): a new name, and typed_config merged when the types agree. */
function mergeFilter(filter: Json, p: Patch): boolean {
  if (!isObject(filter.typed_config)) return false;
  const value = copyOf(p);
  if (given(value.name)) filter.name = value.name;
  if (isObject(value.typed_config)) mergeAny(filter.typed_config, value.typed_config);
  return true;
}

/** Patches one proxy's listeners of one context (the ones no patch removed, in their order). */
export function patchListeners(patches: readonly Patch[], ctx: PatchContext, listeners: Json[]): Json[] {
  const of = (applyTo: Patch['applyTo']): Patch[] => patches.filter((p) => p.applyTo === applyTo && contextMatches(p, ctx));
  const byType = {
    listener: of('LISTENER'),
    listenerFilter: of('LISTENER_FILTER'),
    chain: of('FILTER_CHAIN'),
    network: of('NETWORK_FILTER'),
    http: of('HTTP_FILTER'),
  };
  return listeners.filter((l) => patchListener(byType, l));
}

/** The listeners LISTENER ADD patches of a context add (one without a context adds to the outbound side and to gateways only). */
export function addedListeners(patches: readonly Patch[], ctx: PatchContext): Json[] {
  return patches
    .filter((p) => p.applyTo === 'LISTENER' && p.operation === 'ADD' && contextMatches(p, ctx) && (p.context !== 'ANY' || ctx === 'SIDECAR_OUTBOUND' || ctx === 'GATEWAY'))
    .map(copyOf);
}

type ByType = Record<'listener' | 'listenerFilter' | 'chain' | 'network' | 'http', Patch[]>;

/** False when a patch removed the listener. */
function patchListener(t: ByType, l: Json): boolean {
  for (const p of t.listener) {
    if (!listenerMatch(l, p)) continue;
    if (p.operation === 'REMOVE') return false;
    if (isMerge(p.operation)) mergeMessage(typeFor(LISTENER), l, copyOf(p), p.operation === 'MERGE_AND_REPLACE_LIST');
  }
  for (const p of t.listenerFilter) {
    if (!listenerMatch(l, p)) continue;
    const filters: Json[] = Array.isArray(l.listener_filters) ? l.listener_filters : [];
    const named = listenerFilterNamed(p);
    const matches = (f: Json): boolean => f.name === listenerPart(p)!.listenerFilter;
    if (p.operation === 'MERGE') {
      if (named) for (const f of filters) if (matches(f)) mergeFilter(f, p);
    } else if (p.operation !== 'MERGE_AND_REPLACE_LIST') l.listener_filters = applyListOp(filters, p, named, matches);
  }
  const chains: Json[] = Array.isArray(l.filter_chains) ? l.filter_chains : [];
  l.filter_chains = chains.filter((fc) => !Array.isArray(fc.filters) || patchChain(t, l, fc));
  if (isObject(l.default_filter_chain) && Array.isArray(l.default_filter_chain.filters) && !patchChain(t, l, l.default_filter_chain)) delete l.default_filter_chain;
  for (const p of t.chain) if (p.operation === 'ADD' && listenerMatch(l, p)) l.filter_chains.push(copyOf(p));
  return true;
}

/** False when a patch removed the chain. */
function patchChain(t: ByType, l: Json, fc: Json): boolean {
  for (const p of t.chain) {
    if (!listenerMatch(l, p) || !chainMatch(l, fc, p)) continue;
    if (p.operation === 'REMOVE') return false;
    if (!isMerge(p.operation)) continue;
    const value = copyOf(p);
    const ts = value.transport_socket;
    // A transport socket of the same name is merged at its typed_config; otherwise the whole value merges.
    if (isObject(ts) && isObject(fc.transport_socket) && ts.name === fc.transport_socket.name) {
      if (isObject(fc.transport_socket.typed_config) && isObject(ts.typed_config)) mergeAny(fc.transport_socket.typed_config, ts.typed_config);
    } else mergeMessage(typeFor(FILTER_CHAIN), fc, value, p.operation === 'MERGE_AND_REPLACE_LIST');
  }
  for (const p of t.network) {
    if (isMerge(p.operation) || !listenerMatch(l, p) || !chainMatch(l, fc, p)) continue;
    fc.filters = applyListOp(fc.filters, p, filterNamed(p), (f) => filterMatch(f, p));
  }
  for (const filter of fc.filters as Json[]) {
    for (const p of t.network) {
      if (p.operation === 'MERGE' && listenerMatch(l, p) && chainMatch(l, fc, p) && filterMatch(filter, p)) mergeFilter(filter, p);
    }
    if (filter.name === HCM_FILTER && isObject(filter.typed_config) && filter.typed_config['@type'] === HCM) patchHttpFilters(t, l, fc, filter);
  }
  return true;
}

function patchHttpFilters(t: ByType, l: Json, fc: Json, filter: Json): void {
  const hcm = filter.typed_config as Json;
  const applies = t.http.filter((p) => listenerMatch(l, p) && chainMatch(l, fc, p) && filterMatch(filter, p));
  let list: Json[] = Array.isArray(hcm.http_filters) ? hcm.http_filters : [];
  for (const p of applies) if (!isMerge(p.operation)) list = applyListOp(list, p, subFilterNamed(p), (f) => subFilterMatch(f, p));
  for (const f of list) for (const p of applies) if (p.operation === 'MERGE' && subFilterMatch(f, p)) mergeFilter(f, p);
  hcm.http_filters = list;
}
