/**
 * A proxy's node id names a pod (`sidecar~<ip>~<pod>.<ns>~…`); with the Kubernetes source on, that claim is
 * checked against the pod before the proxy gets any configuration. Pure.
 *
 * - Before the pods are synced nothing can be decided: `unavailable` (the proxy retries), never a guess.
 * - A pod that does not exist (after sync), has finished (Succeeded/Failed: its IP may already belong to
 *   another pod), has a different IP, or runs as a different service account than the node metadata says:
 *   `denied`, with a message naming what did not match.
 * - A pod that has no IP yet (the kubelet has not reported it): `unavailable`, so a fast proxy retries instead
 *   of being refused for the kubelet's lag.
 * - Accepted proxies get their labels and namespace from the pod, never from what the node metadata claims.
 *
 * This binds a node id to a real pod; it does not authenticate the peer (anyone who can reach the plaintext
 * port and knows a pod's name and IP can claim it). Authentication is the mTLS port's job.
 */
import type { KubeObject } from '../../core/kube.js';
import type { Proxy } from '../../model/proxy.js';

export type IdentityVerdict = { ok: true; proxy: Proxy } | { ok: false; code: 'denied' | 'unavailable'; message: string };

export interface PodLookup {
  /** Whether the source has applied its first lists (the pods', and everything a proxy's config is made of). */
  synced(): boolean;
  pod(namespace: string, name: string): KubeObject | undefined;
}

/** Every IP of a pod (status.podIPs, else status.podIP). */
export function podIPs(pod: KubeObject): string[] {
  const status = (pod.status ?? {}) as { podIP?: unknown; podIPs?: unknown };
  const ips = new Set<string>();
  if (Array.isArray(status.podIPs)) for (const p of status.podIPs) if (typeof p?.ip === 'string' && p.ip) ips.add(p.ip.toLowerCase());
  if (typeof status.podIP === 'string' && status.podIP) ips.add(status.podIP.toLowerCase());
  return [...ips];
}

const stringMap = (v: unknown): Record<string, string> => {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return {};
  const out: Record<string, string> = {};
  for (const [k, val] of Object.entries(v)) if (typeof val === 'string') out[k] = val;
  return out;
};

export function checkProxyIdentity(proxy: Proxy, pods: PodLookup): IdentityVerdict {
  const ref = `${proxy.namespace}/${proxy.podName}`;
  if (!pods.synced()) return { ok: false, code: 'unavailable', message: `not synced from the Kubernetes API yet; cannot verify that pod ${ref} exists (retry)` };
  const pod = pods.pod(proxy.namespace, proxy.podName);
  if (!pod) return { ok: false, code: 'denied', message: `node ${proxy.id} claims pod ${ref}, which does not exist` };
  const phase = (pod.status as { phase?: unknown } | undefined)?.phase;
  if (phase === 'Succeeded' || phase === 'Failed') return { ok: false, code: 'denied', message: `node ${proxy.id} claims pod ${ref}, which has finished (phase ${phase})` };
  const ips = podIPs(pod);
  if (ips.length === 0) return { ok: false, code: 'unavailable', message: `pod ${ref} has no IP yet; cannot verify node ${proxy.id} (retry)` };
  if (!ips.includes(proxy.ip.toLowerCase())) {
    return { ok: false, code: 'denied', message: `node ${proxy.id} claims pod ${ref} with IP ${proxy.ip}, but the pod's IP is ${ips.join(', ')}` };
  }
  const claimedSa = proxy.metadata.SERVICE_ACCOUNT;
  const podSa = (pod.spec as { serviceAccountName?: unknown } | undefined)?.serviceAccountName;
  const sa = typeof podSa === 'string' && podSa ? podSa : 'default';
  if (typeof claimedSa === 'string' && claimedSa !== '' && claimedSa !== sa) {
    return { ok: false, code: 'denied', message: `node ${proxy.id} claims service account ${claimedSa}, but pod ${ref} runs as ${sa}` };
  }
  return { ok: true, proxy: { ...proxy, namespace: pod.metadata.namespace ?? proxy.namespace, labels: stringMap(pod.metadata.labels) } };
}
