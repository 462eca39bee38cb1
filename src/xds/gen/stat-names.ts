/**
 * The mesh config's inboundClusterStatName and outboundClusterStatName, as istiod applies them: a pattern whose
 * variables (%SERVICE%, %SERVICE_NAME%, %SERVICE_FQDN%, %SERVICE_PORT%, %TARGET_PORT%, %SERVICE_PORT_NAME%,
 * %SUBSET_NAME%) are replaced to name a cluster's statistics (its alt_stat_name, ending in istiod's ';' delimiter)
 * and a tcp_proxy's stat_prefix. Text that is no variable stays as written. Pure.
 */
import type { Service, Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { visibleService } from './context.js';
import { parseClusterName } from './grpc/names.js';
import { STAT_VARIABLES } from '../../config/stat-names.js';

export interface StatTarget {
  /** The host as the service names it (%SERVICE_FQDN%). */
  fqdn: string;
  /** %SERVICE%: a Kubernetes Service's `name.namespace`, else the host. */
  short: string;
  /** %SERVICE_NAME%: a Kubernetes Service's name, else the host. */
  name: string;
  subset: string;
  port: number;
  portName: string;
  /** %TARGET_PORT%; undefined leaves the variable as written (istiod's inbound filter chains do not replace it). */
  targetPort?: number;
}

/** A service's host variables, as istiod derives them (the short forms only for a Service of Kubernetes). */
export function hostVariables(host: string, svc: Pick<Service, 'name' | 'namespace' | 'source'> | undefined): Pick<StatTarget, 'fqdn' | 'short' | 'name'> {
  const kube = svc?.source === 'kubernetes';
  return { fqdn: host, short: kube ? `${svc.name}.${svc.namespace}` : host, name: kube ? svc.name : host };
}

/** The pattern with its variables replaced. */
export function statName(pattern: string, t: StatTarget): string {
  const values: Record<(typeof STAT_VARIABLES)[number], string | undefined> = {
    '%SERVICE%': t.short,
    '%SERVICE_NAME%': t.name,
    '%SERVICE_FQDN%': t.fqdn,
    '%SUBSET_NAME%': t.subset,
    '%TARGET_PORT%': t.targetPort === undefined ? undefined : String(t.targetPort),
    '%SERVICE_PORT%': String(t.port),
    '%SERVICE_PORT_NAME%': t.portName,
  };
  let out = pattern;
  for (const v of STAT_VARIABLES) {
    const value = values[v];
    if (value !== undefined) out = out.split(v).join(value);
  }
  return out;
}

/** A cluster's alt_stat_name: the name its statistics take, ending in the delimiter istiod puts after every one. */
export const altStatName = (name: string): string => `${name};`;

/**
 * The stat_prefix of a tcp_proxy to one outbound cluster, as istiod names it: under outboundClusterStatName, the
 * pattern for the cluster's host and subset and the listener's port (`port`, `portName`), when the host is a service
 * the proxy sees; else the cluster's name.
 */
export function outboundTcpStat(snap: Snapshot, proxy: Proxy, cluster: string, port: number, portName: string): string {
  const pattern = snap.mesh.outboundClusterStatName;
  const key = pattern ? parseClusterName(cluster) : undefined;
  const svc = key ? visibleService(snap, proxy, key.host) : undefined;
  if (!pattern || !key || !svc) return cluster;
  return statName(pattern, { ...hostVariables(key.host, svc), subset: key.subset, port, portName, targetPort: 0 });
}
