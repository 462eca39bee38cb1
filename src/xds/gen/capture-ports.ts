/**
 * The ports of a sidecar's own listeners: where istio-init redirects outbound and inbound connections (the mesh
 * config's proxyListenPort and proxyInboundListenPort, Istio's 15001 and 15006 by default), and the bootstrap's
 * health (15021) and Prometheus (15090) listeners. A wildcard listener for a service port among them would take the
 * address of one of these, which Envoy refuses (the whole listener update is rejected), so istiod, and mizzen, skip
 * such service ports on sidecars. Pure.
 */
import { Ports } from '../../core/constants.js';
import type { MeshSettings } from '../../model/types.js';

type Capture = Pick<MeshSettings, 'proxyListenPort' | 'proxyInboundListenPort'>;

export const outboundCapturePort = (mesh: Capture): number => mesh.proxyListenPort ?? Ports.proxyOutbound;
export const inboundCapturePort = (mesh: Capture): number => mesh.proxyInboundListenPort ?? Ports.proxyInbound;

/** Whether a sidecar's wildcard listener (0.0.0.0:<port>) would collide with one of its own. */
export const isReservedPort = (mesh: Capture, port: number): boolean =>
  port === outboundCapturePort(mesh) || port === inboundCapturePort(mesh) || port === Ports.proxyHealth || port === Ports.proxyStats;
