/**
 * A proxy's labels and namespace come from its pod (authorizeProxy), and not only when its stream starts: when the
 * pod changes (relabelled), the proxy is checked again and, if what it is made of changed, replaced, so that its
 * next push computes its scope (Sidecar and policy selection, inbound services) from the pod as it is now. istiod
 * does the same when a pod's labels change. A check that now fails (the pod is gone or finished) leaves the proxy
 * as it was: its stream is about to end, and a new stream is checked anew.
 */
import { objectKey } from '../../core/kube.js';
import type { Proxy } from '../../model/proxy.js';
import type { Connection } from './connection.js';
import type { ProxyAuthorization } from './index.js';

/** The config store key (objectKey) of the pod a proxy claims. */
export const podKeyOf = (p: Proxy): string => objectKey({ apiVersion: 'v1', kind: 'Pod', metadata: { namespace: p.namespace, name: p.podName } });

/** Checks again the proxies of the changed pods (store keys); returns the connections whose proxy was replaced. */
export function refreshProxies(conns: Iterable<Connection>, pods: ReadonlySet<string>, authorize: (p: Proxy) => ProxyAuthorization): Connection[] {
  const replaced: Connection[] = [];
  for (const conn of conns) {
    const { claimed, proxy } = conn;
    if (conn.closed || !claimed || !proxy || !(pods.has(podKeyOf(claimed)) || pods.has(podKeyOf(proxy)))) continue;
    const verdict = authorize(claimed);
    if (!verdict.ok || JSON.stringify(verdict.proxy) === JSON.stringify(proxy)) continue;
    conn.proxy = verdict.proxy;
    replaced.push(conn);
  }
  return replaced;
}
