/**
 * A Deployment whose pods run a sidecar (they have one, or the webhook injects them: analyzers/injection.ts) and
 * that Services of its namespace select: two Services with the same port number and different protocols (TCP, UDP,
 * SCTP; IST0116), or the same targetPort reached by different port numbers (IST0137), as Istio's
 * ServiceAssociationAnalyzer reports them. The proxy builds one inbound listener per target port, so the
 * Services must agree on it. Gateway API waypoint deployments are left out, as in Istio. Pure.
 */
import type { KubeObject } from '../../core/kube.js';
import { finding, type Finding } from '../finding.js';
import { arr, labelMap, num, rec, selects, str } from '../shape.js';
import { nameOf, nsOf, type World } from '../world.js';
import { runsSidecar } from './injection.js';

const MANAGED_LABEL = 'gateway.istio.io/managed';
const WAYPOINT_CONTROLLER = 'istio.io-mesh-controller';

/** The Deployment's pod template as a pod of its namespace. */
function templatePod(d: KubeObject): KubeObject {
  const t = rec(rec(d.spec).template);
  return { apiVersion: 'v1', kind: 'Pod', metadata: { ...rec(t.metadata), namespace: nsOf(d) }, spec: rec(t.spec) } as KubeObject;
}

interface SvcPort {
  service: string;
  port: number;
  protocol: string;
  target: string;
}

function selectingPorts(w: World, d: KubeObject, labels: Record<string, string>): SvcPort[] {
  const out: SvcPort[] = [];
  for (const s of w.core('Service')) {
    if (s.apiVersion !== 'v1' || nsOf(s) !== nsOf(d)) continue;
    const selector = labelMap(rec(s.spec).selector);
    if (Object.keys(selector).length === 0 || !selects(selector, labels)) continue;
    for (const p of arr(rec(s.spec).ports)) {
      const port = num(rec(p).port);
      if (port === undefined) continue;
      const tp = rec(p).targetPort;
      const target = typeof tp === 'number' && tp !== 0 ? String(tp) : typeof tp === 'string' && tp !== '' && tp !== '0' ? tp : String(port);
      out.push({ service: `${nsOf(s)}/${nameOf(s)}`, port, protocol: (str(rec(p).protocol) ?? 'TCP').toUpperCase(), target });
    }
  }
  return out;
}

const uniqueSorted = <T>(xs: T[]): T[] => [...new Set(xs)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));

export function deploymentServices(w: World): Finding[] {
  const out: Finding[] = [];
  for (const d of w.coreSubjects('Deployment')) {
    if (!str(d.apiVersion)?.startsWith('apps/')) continue;
    if (labelMap(d.metadata?.labels)[MANAGED_LABEL] === WAYPOINT_CONTROLLER) continue;
    const pod = templatePod(d);
    if (runsSidecar(w, pod, nsOf(d)) !== true) continue;
    const ports = selectingPorts(w, d, labelMap(pod.metadata?.labels));
    for (const port of uniqueSorted(ports.map((p) => p.port))) {
      const on = ports.filter((p) => p.port === port);
      if (uniqueSorted(on.map((p) => p.protocol)).length < 2) continue;
      out.push(finding('IST0116', d, `Services selecting this deployment's pods use port ${port} with different protocols: ${uniqueSorted(on.map((p) => `${p.service} (${p.protocol})`)).join(', ')}; the mesh serves each port of a workload with one protocol`, 'spec.template.metadata.labels'));
    }
    for (const target of uniqueSorted(ports.map((p) => p.target))) {
      const on = ports.filter((p) => p.target === target);
      const numbers = uniqueSorted(on.map((p) => p.port));
      if (numbers.length < 2) continue;
      out.push(
        finding(
          'IST0137',
          d,
          `Services ${uniqueSorted(on.map((p) => p.service)).join(', ')} select this deployment's pods with targetPort ${target} but different ports (${numbers.join(', ')}); Services that share a workload's targetPort must give it the same port`,
          'spec.template.metadata.labels',
        ),
      );
    }
  }
  return out;
}
