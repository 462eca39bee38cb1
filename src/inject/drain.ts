/**
 * A proxy's graceful stop, as Istio's agent gives it. When the pod stops, the proxy's listeners drain (Envoy's
 * /drain_listeners?graceful: connections are told to close as their requests finish; on a sidecar the inbound ones
 * only, so the application can still call out while it shuts down; on a gateway every one) and the proxy keeps
 * serving for the ProxyConfig's terminationDrainDuration (Istio's default 5s) before it stops. Istio's agent does
 * this when the kubelet's SIGTERM reaches it; plain Envoy exits on SIGTERM at once, so a preStop hook, which the
 * kubelet runs before it sends SIGTERM, does it: bash speaking HTTP/1.1 to the admin port over /dev/tcp (as
 * hold.ts), then sleep. A native sidecar, which the kubelet stops only after the application containers, starts
 * draining and returns, as Istio's native template does. terminationDrainDuration 0s: no hook (Istio's agent then
 * stops Envoy at once). Envoy's drain time (drainDuration, Istio's 45s) and immediate strategy are its flags
 * (bootstrap/envoy.ts envoyArgs). A proxy image without bash fails the hook: the kubelet records the failure and
 * stops the proxy at once. Pure.
 */
import { Ports } from '../core/constants.js';

export interface DrainShape {
  /** A gateway: every listener drains. */
  router: boolean;
  /** A native sidecar: drain, and let the kubelet stop it after the application. */
  native: boolean;
}

/** "5000" ms as sleep's "5", 1500 as "1.5". */
const seconds = (ms: number): string => String(ms / 1000);

/** The preStop command, undefined when terminationDrainDuration is 0; `port`: Envoy's admin port. */
export function drainCommand(shape: DrainShape, terminationDrainMs: number, port: number = Ports.proxyAdmin): string[] | undefined {
  if (terminationDrainMs <= 0) return undefined;
  const path = shape.router ? '/drain_listeners?graceful' : '/drain_listeners?inboundonly&graceful';
  const request = `POST ${path} HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n`;
  const script = [
    `{ printf '${request}' >&3 && IFS= read -r line <&3; } 2>/dev/null 3<>/dev/tcp/127.0.0.1/${port}`,
    ...(shape.native ? [] : [`sleep ${seconds(terminationDrainMs)}`]),
    'exit 0',
  ].join('\n');
  return ['bash', '-c', script];
}
