/**
 * The mesh config's traffic defaults under a cluster's DestinationRule policy, as istiod applies them
 * (applyDefaultTrafficPolicy, applyTCPKeepalive, applyH2Upgrade):
 * - defaultTrafficPolicy: its connectionPool and outlierDetection where the policy sets none; a block the policy
 *   sets replaces the mesh's whole;
 * - tcpKeepalive: keepalive on every cluster's connections, each field the policy's own keepalive sets (a positive
 *   probes, a time, an interval) over the mesh's;
 * - h2UpgradePolicy UPGRADE: HTTP/1.1 ports are called over HTTP/2 unless the pool chooses an upgrade policy
 *   (DO_NOT_UPGRADE, UPGRADE) or keeps the client's protocol (useClientProtocol).
 * Pure; the policy given is never changed.
 */
import type { MeshSettings } from '../../model/types.js';
import { asObject } from '../../model/selectors.js';
import type { Json } from './common.js';
import type { TrafficPolicy } from './policy.js';

/**
 * What a cluster's policy takes from the mesh: outbound clusters all of it (`outbound-http1`: of an HTTP/1.1 port,
 * the only ones an upgrade changes); inbound and passthrough clusters (`pool`) the connection pool and keepalive
 * only (istiod applies no outlier detection there).
 */
export type MeshDefaultsUse = 'outbound' | 'outbound-http1' | 'pool';

/** `policy` with the mesh's defaults under it, for a cluster of this use (`policy` itself when none apply). */
export function withMeshDefaults(policy: TrafficPolicy, mesh: MeshSettings, use: MeshDefaultsUse): TrafficPolicy {
  const defaults = mesh.trafficDefaults;
  const upgrade = mesh.h2Upgrade === true && use === 'outbound-http1';
  if (!defaults && !mesh.tcpKeepalive && !upgrade) return policy;
  const out: TrafficPolicy = { ...policy };
  if (!out.connectionPool && defaults?.connectionPool) out.connectionPool = defaults.connectionPool as Json;
  if (!out.outlierDetection && defaults?.outlierDetection && use !== 'pool') out.outlierDetection = defaults.outlierDetection as Json;
  if (mesh.tcpKeepalive) out.connectionPool = withKeepalive(out.connectionPool, mesh.tcpKeepalive);
  if (upgrade) out.connectionPool = withUpgrade(out.connectionPool);
  return out;
}

/** The pool with the mesh's keepalive under its own tcp.tcpKeepalive (a fresh pool; the one given is shared). */
function withKeepalive(pool: Json | undefined, mesh: Record<string, unknown>): Json {
  const tcp = asObject(pool?.tcp);
  const own = asObject(tcp.tcpKeepalive);
  const keepalive: Json = { ...mesh };
  if (typeof own.probes === 'number' && own.probes > 0) keepalive.probes = own.probes;
  for (const f of ['time', 'interval']) if (own[f] !== undefined && own[f] !== null) keepalive[f] = own[f];
  return { ...pool, tcp: { ...tcp, tcpKeepalive: keepalive } };
}

/** The pool asking for HTTP/2, unless it chose an upgrade policy of its own or keeps the client's protocol. */
function withUpgrade(pool: Json | undefined): Json | undefined {
  const http = asObject(pool?.http);
  const chosen = http.h2UpgradePolicy === 'UPGRADE' || http.h2UpgradePolicy === 'DO_NOT_UPGRADE';
  if (chosen || http.useClientProtocol === true) return pool;
  return { ...pool, http: { ...http, h2UpgradePolicy: 'UPGRADE' } };
}
