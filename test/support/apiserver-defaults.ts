/**
 * What a real kube-apiserver does to a Service or Deployment it stores and the stand-in does not: the defaults it
 * fills in (clusterIP, nodePorts, the Deployment strategy, container termination settings, fieldRef apiVersion),
 * the canonical form it gives resource quantities ("2000m" comes back as "2"), and what Go's omitempty drops
 * (an env var's empty value). For tests of controllers that must not take those for differences.
 */
import type { KubeObject } from '../../src/core/kube.js';

export function withServerDefaults(input: KubeObject): KubeObject {
  const o: any = structuredClone(input);
  if (o.kind === 'Service') {
    o.spec = { clusterIP: '10.96.1.2', clusterIPs: ['10.96.1.2'], ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack', sessionAffinity: 'None', internalTrafficPolicy: 'Cluster', ...o.spec };
    if (o.spec.type === 'LoadBalancer') Object.assign(o.spec, { externalTrafficPolicy: 'Cluster', allocateLoadBalancerNodePorts: true });
    const nodePorts = o.spec.type === 'LoadBalancer' || o.spec.type === 'NodePort';
    o.spec.ports = o.spec.ports.map((p: any, i: number) => ({ protocol: 'TCP', targetPort: p.port, ...p, ...(nodePorts ? { nodePort: 30000 + i } : {}) }));
    o.status = { loadBalancer: {} };
  }
  if (o.kind === 'Deployment') {
    o.spec = { replicas: 1, revisionHistoryLimit: 10, progressDeadlineSeconds: 600, strategy: { type: 'RollingUpdate', rollingUpdate: { maxSurge: '25%', maxUnavailable: '25%' } }, ...o.spec };
    const pod = o.spec.template.spec;
    Object.assign(pod, { restartPolicy: 'Always', dnsPolicy: 'ClusterFirst', schedulerName: 'default-scheduler', terminationGracePeriodSeconds: 30 });
    pod.containers = pod.containers.map((c: any) => ({
      ...c,
      terminationMessagePath: '/dev/termination-log',
      terminationMessagePolicy: 'File',
      env: (c.env ?? []).map((e: any) => (e.value === '' ? { name: e.name } : e.valueFrom?.fieldRef ? { ...e, valueFrom: { fieldRef: { apiVersion: 'v1', ...e.valueFrom.fieldRef } } } : e)),
      ...(c.resources ? { resources: canonicalQuantities(c.resources) } : {}),
    }));
  }
  return o;
}

/** The quantities the defaults use, as the server writes them back. */
const CANONICAL: Record<string, string> = { '2000m': '2', '1000m': '1', '1024Mi': '1Gi' };
const canonicalQuantities = (r: any): any => Object.fromEntries(Object.entries(r).map(([k, list]) => [k, Object.fromEntries(Object.entries(list as Record<string, string>).map(([n, q]) => [n, CANONICAL[q] ?? q]))]));
