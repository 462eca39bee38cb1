/**
 * Istio's mesh-wide traffic defaults in the mesh config: defaultHttpRetryPolicy, defaultInboundHttpRetryPolicy,
 * defaultTrafficPolicy, h2UpgradePolicy, tcpKeepalive and inboundTrafficPolicy. Each is checked as the resource
 * field it stands in for is (a VirtualService's retries, a DestinationRule's connectionPool, …), errors and warnings
 * naming it, and read into what the xDS generators apply (MeshSettings). Pure.
 */
import { Issues, walk } from '../validation/schema.js';
import { retryPolicyIssues } from '../validation/vs-http.js';
import { meshTrafficPolicyIssues } from '../validation/destinationrule.js';
import { tcpKeepaliveSchema } from '../validation/trafficpolicy.js';
import { isObject } from '../core/object.js';
import { shown } from '../core/shown.js';
import type { MeshSettings } from '../model/types.js';

type Obj = Record<string, unknown>;

/** The mesh config fields this module reads, as a platform team writes them (Istio's JSON names). */
export interface TrafficDefaults {
  /** Routes that set no `retries` (and the routes made when no VirtualService applies) retry as this says. */
  defaultHttpRetryPolicy?: Obj;
  /** Sidecars' inbound routes retry as this says (attempts, retryOn, backoff); `{}` turns their retries off. */
  defaultInboundHttpRetryPolicy?: Obj;
  /** connectionPool and outlierDetection under every DestinationRule: a block the rule sets replaces the mesh's. */
  defaultTrafficPolicy?: { connectionPool?: Obj; outlierDetection?: Obj };
  /** UPGRADE: HTTP/1.1 service ports are called over HTTP/2 unless a DestinationRule says otherwise. */
  h2UpgradePolicy?: 'DO_NOT_UPGRADE' | 'UPGRADE';
  /** SO_KEEPALIVE on every cluster's connections; a DestinationRule's tcpKeepalive fields override its own. */
  tcpKeepalive?: Obj;
  /** LOCALHOST: sidecars hand inbound traffic to the app on 127.0.0.1 instead of the pod's IP. */
  inboundTrafficPolicy?: { mode: 'PASSTHROUGH' | 'LOCALHOST' };
}

export const TRAFFIC_DEFAULT_FIELDS: ReadonlyArray<keyof TrafficDefaults> = [
  'defaultHttpRetryPolicy', 'defaultInboundHttpRetryPolicy', 'defaultTrafficPolicy', 'h2UpgradePolicy', 'tcpKeepalive', 'inboundTrafficPolicy',
];

/** What an inbound route does not read of an HTTPRetry (it has one local destination), by field. */
const INBOUND_IGNORED = ['perTryTimeout', 'retryRemoteLocalities', 'retryIgnorePreviousHosts'] as const;

/**
 * Takes this module's fields out of `input` (a mesh config's top level, changed in place) and checks them; the
 * fields of `base` stand where the input has none. Errors and warnings are pushed, each naming its field.
 */
export function takeTrafficDefaults(input: Obj, base: TrafficDefaults, errors: string[], warnings: string[]): TrafficDefaults {
  const out: TrafficDefaults = {};
  for (const field of TRAFFIC_DEFAULT_FIELDS) {
    const value = input[field];
    delete input[field];
    if (value === undefined || value === null) {
      if (base[field] !== undefined) Object.assign(out, { [field]: structuredClone(base[field]) });
      continue;
    }
    const issues = check(field, value);
    errors.push(...issues.errors);
    warnings.push(...issues.warnings);
    if (issues.errors.length === 0) Object.assign(out, { [field]: structuredClone(value) });
  }
  return out;
}

function check(field: keyof TrafficDefaults, value: unknown): Issues {
  switch (field) {
    case 'defaultHttpRetryPolicy':
      return retryPolicyIssues(value, field);
    case 'defaultInboundHttpRetryPolicy': {
      const issues = retryPolicyIssues(value, field);
      if (issues.errors.length > 0 || !isObject(value)) return issues;
      const attempts = typeof value.attempts === 'number' ? value.attempts : 0;
      if (attempts === 0 && value.backoff !== undefined) issues.error(`${field}.backoff`, 'set while attempts is 0 (inbound retries turned off)');
      for (const f of INBOUND_IGNORED) if (value[f] !== undefined) issues.warn(`${field}.${f}`, 'not read for inbound routes (they have one local destination)');
      return issues;
    }
    case 'defaultTrafficPolicy':
      return meshTrafficPolicyIssues(value, field);
    case 'tcpKeepalive': {
      const issues = new Issues();
      walk(tcpKeepaliveSchema, value, field, issues);
      return issues;
    }
    case 'h2UpgradePolicy':
      return enumIssues(value, field, ['DO_NOT_UPGRADE', 'UPGRADE']);
    case 'inboundTrafficPolicy': {
      if (!isObject(value)) return enumIssues(value, field, []);
      const issues = new Issues();
      for (const k of Object.keys(value)) if (k !== 'mode') issues.error(`${field}.${k}`, 'unknown field');
      if (value.mode !== undefined) issues.errors.push(...enumIssues(value.mode, `${field}.mode`, ['PASSTHROUGH', 'LOCALHOST']).errors);
      return issues;
    }
  }
}

function enumIssues(value: unknown, path: string, values: readonly string[]): Issues {
  const issues = new Issues();
  if (values.length === 0) issues.error(path, `must be a mapping, got ${shown(value)}`);
  else if (typeof value !== 'string' || !values.includes(value)) issues.error(path, `${shown(value)} must be one of ${values.join(', ')}`);
  return issues;
}

/** What of these defaults the xDS generators read (MeshSettings); nothing for what is Istio's default anyway. */
export function trafficSettings(d: TrafficDefaults): Pick<MeshSettings, 'httpRetries' | 'inboundHttpRetries' | 'trafficDefaults' | 'h2Upgrade' | 'tcpKeepalive' | 'inboundLocalhost'> {
  const policy = d.defaultTrafficPolicy;
  const blocks = {
    ...(isObject(policy?.connectionPool) ? { connectionPool: structuredClone(policy.connectionPool) } : {}),
    ...(isObject(policy?.outlierDetection) ? { outlierDetection: structuredClone(policy.outlierDetection) } : {}),
  };
  return {
    ...(d.defaultHttpRetryPolicy ? { httpRetries: structuredClone(d.defaultHttpRetryPolicy) } : {}),
    ...(d.defaultInboundHttpRetryPolicy ? { inboundHttpRetries: structuredClone(d.defaultInboundHttpRetryPolicy) } : {}),
    ...(Object.keys(blocks).length > 0 ? { trafficDefaults: blocks } : {}),
    ...(d.h2UpgradePolicy === 'UPGRADE' ? { h2Upgrade: true as const } : {}),
    ...(d.tcpKeepalive ? { tcpKeepalive: structuredClone(d.tcpKeepalive) } : {}),
    ...(d.inboundTrafficPolicy?.mode === 'LOCALHOST' ? { inboundLocalhost: true as const } : {}),
  };
}
