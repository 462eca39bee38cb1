/** A PodDescription as text, a block per Service, the way `istioctl x describe pod` reads. Pure. */
import type { PodDescription, ServiceDescription } from './pod.js';

const labelsText = (labels: Record<string, string>): string => Object.entries(labels).map(([k, v]) => `${k}=${v}`).join(', ') || '(none)';

function serviceText(s: ServiceDescription, namespace: string): string[] {
  const out = [`Service ${s.host}`];
  for (const p of s.ports) out.push(`  port ${p.name || '(unnamed)'} ${p.port}/${p.protocol} → pod port ${p.targetPort}, mTLS accepted: ${p.mtls}`);
  const dr = s.destinationRule;
  if (dr) {
    out.push(`  DestinationRule ${dr.name} (as clients in ${namespace} see it)`);
    if (dr.matchingSubsets.length + dr.otherSubsets.length > 0) {
      out.push(`    subsets with this pod: ${dr.matchingSubsets.join(', ') || '(none)'}${dr.otherSubsets.length ? `; without it: ${dr.otherSubsets.join(', ')}` : ''}`);
    }
    if (dr.tlsModes.length > 0) out.push(`    TLS mode: ${dr.tlsModes.join(', ')}`);
    if (dr.loadBalancer) out.push(`    load balancer: ${dr.loadBalancer}`);
  } else out.push(`  DestinationRule: none (as clients in ${namespace} see it)`);
  const vs = s.virtualService;
  if (vs) {
    out.push(`  VirtualService ${vs.name} (as clients in ${namespace} see it)`);
    for (const r of vs.http) {
      const to = r.destinations.map((d) => `${d.to} ${d.weight}%${d.thisPod ? ' (this pod)' : ''}`).join(', ');
      out.push(`    ${r.rule}: ${r.match}${to ? ` → ${to}` : ''}`);
    }
    if (vs.tcpRules + vs.tlsRules > 0) out.push(`    and ${vs.tcpRules} TCP, ${vs.tlsRules} TLS rule(s)`);
    if (vs.http.length > 0 && !vs.reachesPod) out.push(`    WARNING: no HTTP rule routes to this pod (checked ${vs.http.length})`);
  } else out.push(`  VirtualService: none: requests go to every endpoint of the port`);
  return out;
}

export function describeText(d: PodDescription): string {
  const namespace = d.target.split(' ')[1]!.split('/')[0]!;
  const lines = [d.target, `  labels: ${labelsText(d.labels)}`, `  sidecar: ${d.sidecar}`];
  for (const s of d.services) lines.push('', ...serviceText(s, namespace));
  lines.push('', `Sidecar resource: ${d.sidecarResource ?? 'none (the namespace or mesh default applies)'}`);
  lines.push(`PeerAuthentications in force: ${d.peerAuthentications.join(', ') || 'none (PERMISSIVE)'}`);
  lines.push(`AuthorizationPolicies in force: ${d.authorizationPolicies.join(', ') || 'none'}`);
  if (d.exposedBy.length > 0) {
    lines.push('Exposed by gateways:');
    for (const e of d.exposedBy) lines.push(`  ${e.gateways.join(', ')} via VirtualService ${e.virtualService} (hosts ${e.hosts.join(', ')}): ${e.routes.join('; ')}`);
  }
  for (const n of d.notes) lines.push(`NOTE: ${n}`);
  return lines.join('\n') + '\n';
}
