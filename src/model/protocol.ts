/**
 * Istio's protocol selection for a port: an explicit protocol (ServiceEntry/Gateway), Kubernetes appProtocol,
 * then the port name's prefix (`http`, `http-web`, `grpc-web-x`, …); anything else is UNSUPPORTED, which the
 * generators treat as TCP. UDP Kubernetes ports are UDP whatever their name.
 */
import type { Protocol } from './types.js';

const BY_NAME: Record<string, Protocol> = {
  http: 'HTTP',
  http2: 'HTTP2',
  grpc: 'GRPC',
  'grpc-web': 'GRPC-Web',
  https: 'HTTPS',
  tls: 'TLS',
  tcp: 'TCP',
  udp: 'UDP',
  mongo: 'MONGO',
  redis: 'REDIS',
  mysql: 'MYSQL',
};

/** Ports whose protocol is known without a name (DNS is plain TCP for the mesh). */
const WELL_KNOWN_TCP_PORTS = new Set([53]);

/** Parses a protocol word (`HTTP`, `grpc`, `GRPC-Web` …) case-insensitively; UNSUPPORTED when unknown. */
export function parseProtocol(word: string | undefined): Protocol {
  if (!word) return 'UNSUPPORTED';
  return BY_NAME[word.toLowerCase()] ?? 'UNSUPPORTED';
}

/** Protocol of a Kubernetes service port (or a ServiceEntry port without an explicit protocol). */
export function selectProtocol(p: { name?: string; port?: number; appProtocol?: string; kubeProtocol?: string }): Protocol {
  if (typeof p.kubeProtocol === 'string' && p.kubeProtocol.toUpperCase() === 'UDP') return 'UDP';
  let name = typeof p.name === 'string' ? p.name : '';
  if (typeof p.appProtocol === 'string' && p.appProtocol !== '') {
    switch (p.appProtocol) {
      case 'kubernetes.io/h2c':
        return 'HTTP2';
      case 'kubernetes.io/ws':
        return 'HTTP';
      case 'kubernetes.io/wss':
        return 'HTTPS';
    }
    name = p.appProtocol;
  }
  const lower = name.toLowerCase();
  // `grpc-web` holds a dash, so it is checked before the prefix cut.
  if (lower.startsWith('grpc-web')) return 'GRPC-Web';
  const dash = lower.indexOf('-');
  const proto = parseProtocol(dash >= 0 ? lower.slice(0, dash) : lower);
  if (proto === 'UNSUPPORTED' && typeof p.port === 'number' && WELL_KNOWN_TCP_PORTS.has(p.port)) return 'TCP';
  return proto;
}

export const isHttpProtocol = (p: Protocol): boolean => p === 'HTTP' || p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-Web';
/** Upstream must speak HTTP/2 (h2c). */
export const isHttp2Protocol = (p: Protocol): boolean => p === 'HTTP2' || p === 'GRPC' || p === 'GRPC-Web';
/** Everything not HTTP is proxied as TCP (TLS/HTTPS by SNI, the rest by destination address). */
export const isTcpProtocol = (p: Protocol): boolean => !isHttpProtocol(p) && p !== 'UDP';
