/**
 * Istio's outboundTrafficPolicy in the mesh config: `mode` ALLOW_ANY (the default), REGISTRY_ONLY or
 * ALLOW_ANY_DYNAMIC_DNS, and `tls`, the ClientTLSSettings of the connections ALLOW_ANY_DYNAMIC_DNS makes to
 * destinations outside the registry, checked as a DestinationRule's tls is (istiod reads it only in that mode: with
 * another, it is a warning). How sidecars apply them: xds/gen/sidecar-scope.ts, xds/gen/allow-any-dns.ts. Pure.
 */
import { Issues, walk } from '../validation/schema.js';
import { checkClientTls, clientTlsSchema } from '../validation/trafficpolicy.js';
import { isObject } from '../core/object.js';
import type { MeshSettings } from '../model/types.js';

export type OutboundMode = 'ALLOW_ANY' | 'REGISTRY_ONLY' | 'ALLOW_ANY_DYNAMIC_DNS';
const MODES: readonly OutboundMode[] = ['ALLOW_ANY', 'REGISTRY_ONLY', 'ALLOW_ANY_DYNAMIC_DNS'];

export interface OutboundTrafficPolicy {
  mode: OutboundMode;
  /** ALLOW_ANY_DYNAMIC_DNS: how the sidecar originates TLS to those destinations (DISABLE, SIMPLE, MUTUAL, ISTIO_MUTUAL). */
  tls?: Record<string, unknown>;
}

const FIELD = 'outboundTrafficPolicy';

/**
 * Takes outboundTrafficPolicy.tls out of a mesh config's top level (`input`, changed in place: the policy is put back
 * as a copy without it), so that the merge, which knows `mode` alone, never sees it; undefined when not given.
 */
export function takeOutboundTls(input: Record<string, unknown>): unknown {
  const policy = input[FIELD];
  if (!isObject(policy) || !('tls' in policy)) return undefined;
  const { tls, ...rest } = policy;
  input[FIELD] = rest;
  return tls === null ? undefined : tls;
}

/**
 * The merged policy checked, with the tls taken (takeOutboundTls) in place of the one it had when given: errors and
 * warnings are pushed, naming the field; a bad tls is left out.
 */
export function checkOutboundPolicy(merged: { mode?: unknown; tls?: unknown }, tls: unknown, errors: string[], warnings: string[]): OutboundTrafficPolicy {
  const mode = MODES.includes(merged.mode as OutboundMode) ? (merged.mode as OutboundMode) : 'ALLOW_ANY';
  if (mode !== merged.mode) errors.push(`${FIELD}.mode: ${JSON.stringify(merged.mode)} must be ALLOW_ANY, REGISTRY_ONLY or ALLOW_ANY_DYNAMIC_DNS`);
  if (tls === undefined) return { mode, ...(isObject(merged.tls) ? { tls: merged.tls } : {}) };
  const issues = new Issues();
  const path = `${FIELD}.tls`;
  const checked = walk(clientTlsSchema, tls, path, issues);
  if (issues.errors.length === 0) checkClientTls(checked as Record<string, unknown>, path, issues);
  errors.push(...issues.errors);
  warnings.push(...issues.warnings);
  if (mode !== 'ALLOW_ANY_DYNAMIC_DNS') warnings.push(`${path}: applies only with mode ALLOW_ANY_DYNAMIC_DNS (istiod reads it in no other mode); ignored`);
  return issues.errors.length === 0 && isObject(tls) ? { mode, tls: structuredClone(tls) } : { mode };
}

/** What the xDS generators read of the policy (MeshSettings.allowAnyDynamicDns): only under ALLOW_ANY_DYNAMIC_DNS. */
export function dynamicDnsSettings(policy: OutboundTrafficPolicy): Pick<MeshSettings, 'allowAnyDynamicDns'> {
  if (policy.mode !== 'ALLOW_ANY_DYNAMIC_DNS') return {};
  return { allowAnyDynamicDns: policy.tls ? { tls: structuredClone(policy.tls) } : {} };
}
