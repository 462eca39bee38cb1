/**
 * What a reloaded mesh config changes in a running control plane. Most fields are read where they are used (each
 * snapshot, each injection, each apply-time analysis) and apply at once; the fields in RESTART_ONLY are read when a
 * part starts (certificates it signs, the xDS TLS server's names, the Secrets the leader issues), so a
 * reload keeps their running values and names them as waiting for a restart. Pure.
 */
import type { MeshConfig } from './mesh.js';

/** Mesh config fields a running `mizzen serve` reads only at start, and why. */
export const RESTART_ONLY: Readonly<Partial<Record<keyof MeshConfig, string>>> = {
  trustDomain: 'the identities in issued certificates and the xDS server checks',
  caCertificates: 'the roots the mesh CA hands out',
  xdsTlsAddress: "the names in the xDS TLS server's certificate",
  workloadCertificateSecrets: 'whether the leader issues workload certificate Secrets',
};

/** Fields that apply at once to proxies, but to pods only at injection: a change needs the meshed workloads restarted. */
export const WORKLOAD_RESTART: Readonly<Partial<Record<keyof MeshConfig, string>>> = {
  proxyListenPort: 'pods injected before still redirect outbound connections to the old port',
  proxyInboundListenPort: 'pods injected before still redirect inbound connections to the old port',
};

export interface MeshChanges {
  /** The config to run: the loaded one, with the RESTART_ONLY fields as they run now. */
  next: MeshConfig;
  /** Top-level fields whose values change now. */
  changed: string[];
  /** RESTART_ONLY fields the loaded config sets otherwise than the running one: they apply at the next start. */
  pendingRestart: string[];
}

const same = (a: unknown, b: unknown): boolean => JSON.stringify(a) === JSON.stringify(b);

/** The loaded config as a running control plane applies it over the running one. */
export function meshChanges(running: MeshConfig, loaded: MeshConfig): MeshChanges {
  const next = { ...loaded } as Record<string, unknown>;
  const was = running as unknown as Record<string, unknown>;
  const pendingRestart: string[] = [];
  for (const field of Object.keys(RESTART_ONLY)) {
    if (same(was[field], next[field])) continue;
    pendingRestart.push(field);
    if (field in was) next[field] = was[field];
    else delete next[field];
  }
  const fields = new Set([...Object.keys(was), ...Object.keys(next)]);
  const changed = [...fields].filter((f) => !same(was[f], next[f])).sort();
  return { next: next as unknown as MeshConfig, changed, pendingRestart: pendingRestart.sort() };
}
