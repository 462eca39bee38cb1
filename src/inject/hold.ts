/**
 * holdApplicationUntilProxyStarts for a regular (not native) sidecar. The kubelet starts a pod's containers
 * in order and runs each one's postStart hook to its end before it starts the next, so istio-proxy goes
 * first and its hook returns only once Envoy answers 200 on its readiness port: the application then starts
 * with a working proxy. Istio's hook runs its agent (`pilot-agent wait`); mizzen's proxy is plain Envoy, so
 * the hook is a bash loop that speaks HTTP/1.1 over bash's /dev/tcp (Envoy refuses HTTP/1.0 unless told to
 * accept it). The envoyproxy/envoy image has bash; a proxy image without it cannot hold. The hook gives up
 * after about a minute, as Istio's agent does, and the kubelet then restarts the container. Pure.
 */
import { Ports } from '../core/constants.js';
import { READY_PATH } from '../bootstrap/envoy.js';

/** Attempts, half a second apart. */
export const HOLD_ATTEMPTS = 120;

/** The postStart command. Each attempt: connect, send the request, read the status line, close. */
export function holdCommand(port: number = Ports.proxyHealth, attempts: number = HOLD_ATTEMPTS): string[] {
  const script = [
    `for ((i = 0; i < ${attempts}; i++)); do`,
    `  line=''`,
    `  { printf 'GET ${READY_PATH} HTTP/1.1\\r\\nHost: 127.0.0.1\\r\\nConnection: close\\r\\n\\r\\n' >&3 && IFS= read -r line <&3; } 2>/dev/null 3<>/dev/tcp/127.0.0.1/${port}`,
    `  case "$line" in "HTTP/"*" 200 "*) exit 0 ;; esac`,
    `  sleep 0.5`,
    `done`,
    `echo "istio-proxy: Envoy was not ready on 127.0.0.1:${port}${READY_PATH} after ${attempts / 2} s" >&2`,
    `exit 1`,
  ].join('\n');
  return ['bash', '-c', script];
}
