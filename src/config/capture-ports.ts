/**
 * Istio's proxyListenPort and proxyInboundListenPort: the ports istio-init redirects a sidecar's outbound and
 * inbound connections to, where its virtualOutbound and virtualInbound listeners are. Each must be a port (1 to
 * 65535) that none of the sidecar's other fixed listeners has (admin 15000, health 15021, Prometheus 15090), nor the
 * other capture port: Envoy would refuse the second listener on one address, and istio-init would send traffic to
 * the wrong one. Pure.
 */
import { Ports } from '../core/constants.js';
import { shown } from '../core/shown.js';

export const CAPTURE_PORT_FIELDS = ['proxyListenPort', 'proxyInboundListenPort'] as const;

const FIXED: ReadonlyArray<[number, string]> = [
  [Ports.proxyAdmin, "Envoy's admin port"],
  [Ports.proxyHealth, 'the health port'],
  [Ports.proxyStats, 'the Prometheus port'],
];

/** Errors of the two ports, each naming its field. */
export function capturePortErrors(mesh: { proxyListenPort: unknown; proxyInboundListenPort: unknown }): string[] {
  const errors: string[] = [];
  for (const field of CAPTURE_PORT_FIELDS) {
    const port = mesh[field];
    if (typeof port !== 'number' || !Number.isInteger(port) || port < 1 || port > 65535) {
      errors.push(`${field}: ${shown(port)} must be a port, 1 to 65535`);
      continue;
    }
    const taken = FIXED.find(([p]) => p === port);
    if (taken) errors.push(`${field}: ${port} is ${taken[1]} of every sidecar`);
  }
  if (mesh.proxyListenPort === mesh.proxyInboundListenPort && errors.length === 0) {
    errors.push(`proxyInboundListenPort: ${shown(mesh.proxyInboundListenPort)} is proxyListenPort too: outbound and inbound connections need a port each`);
  }
  return errors;
}
