/**
 * A proxy's graceful stop, as Istio's agent gives it. When the pod stops, the proxy's listeners drain (Envoy's
 * /drain_listeners?graceful: connections are told to close as their requests finish; on a sidecar the inbound ones
 * only, so the application can still call out while it shuts down; on a gateway every one) and the proxy keeps
 * serving for the ProxyConfig's terminationDrainDuration (Istio's default 5s) before it stops. Istio's agent does
 * this when the kubelet's SIGTERM reaches it; plain Envoy exits on SIGTERM at once, so a preStop hook, which the
 * kubelet runs before it sends SIGTERM, does it: bash speaking HTTP/1.1 to the admin port over /dev/tcp (as
 * hold.ts), then sleep. A native sidecar, which the kubelet stops only after the application containers, starts
 * draining and returns, as Istio's native template does. terminationDrainDuration 0s: no hook (Istio's agent then
 * stops Envoy at once). With proxyMetadata EXIT_ON_ZERO_ACTIVE_CONNECTIONS, as Istio's agent: it waits
 * MINIMUM_DRAIN_DURATION (5s), then until Envoy reports no active connection, however long (the pod's
 * terminationGracePeriodSeconds bounds it). Envoy's drain time (drainDuration, Istio's 45s) and immediate strategy
 * are its flags (bootstrap/envoy.ts envoyArgs). A proxy image without bash fails the hook: the kubelet records the failure and
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

export interface DrainTimes {
  /** ProxyConfig terminationDrainDuration, ms: how long a stopping proxy keeps serving after its drain starts. */
  terminationDrainMs: number;
  /**
   * proxyMetadata EXIT_ON_ZERO_ACTIVE_CONNECTIONS (with MINIMUM_DRAIN_DURATION, ms): instead, keep serving at least
   * that long, then until no connection is left (every second, Envoy's listeners' downstream_cx_active summed as
   * Istio's agent sums them: not the admin, health or Prometheus listeners, not per worker).
   */
  exitOnZero?: { minimumDrainMs: number };
}

/** Waits while Envoy reports active connections; returns when none is left, or when Envoy no longer answers. */
function waitForConnections(port: number): string[] {
  const request = 'GET /stats?usedonly&filter=downstream_cx_active$ HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n';
  return [
    'while :; do',
    '  total=0',
    `  { printf '${request}' >&3 || exit 0`,
    '    while IFS= read -r l <&3; do',
    "      l=${l%$'\\r'}",
    '      case "$l" in',
    `        listener.admin.*|listener.0.0.0.0_${Ports.proxyHealth}.*|listener.0.0.0.0_${Ports.proxyStats}.*|listener.*worker_*) ;;`,
    '        listener.*.downstream_cx_active:*) total=$((total + ${l##*: })) ;;',
    '      esac',
    '    done',
    `  } 2>/dev/null 3<>/dev/tcp/127.0.0.1/${port} || exit 0`,
    '  [ "$total" -gt 0 ] || exit 0',
    '  sleep 1',
    'done',
  ];
}

/** The preStop command, undefined when the proxy stops at once (terminationDrainDuration 0); `port`: Envoy's admin port. */
export function drainCommand(shape: DrainShape, times: DrainTimes, port: number = Ports.proxyAdmin): string[] | undefined {
  if (times.terminationDrainMs <= 0 && !times.exitOnZero) return undefined;
  const path = shape.router ? '/drain_listeners?graceful' : '/drain_listeners?inboundonly&graceful';
  const request = `POST ${path} HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nContent-Length: 0\\r\\nConnection: close\\r\\n\\r\\n`;
  const wait = shape.native ? [] : times.exitOnZero ? [`sleep ${seconds(times.exitOnZero.minimumDrainMs)}`, ...waitForConnections(port)] : [`sleep ${seconds(times.terminationDrainMs)}`];
  const script = [`{ printf '${request}' >&3 && IFS= read -r line <&3; } 2>/dev/null 3<>/dev/tcp/127.0.0.1/${port}`, ...wait, 'exit 0'].join('\n');
  return ['bash', '-c', script];
}
