/** Connection pools and TLS origination: shared by DestinationRule traffic policies and Sidecar inbound pools. */
import { type Issues, type Obj, obj, str, bool, int32, uint32, enumOf, strList, has } from './schema.js';
import { WITHOUT_SIDECAR_CERTIFICATES, durationField, parseDuration, validateDuration } from './common.js';

const MS_NS = 1_000_000n;

/** A connection pool's tcp.tcpKeepalive, and the mesh config's tcpKeepalive. */
export const tcpKeepaliveSchema = obj({ probes: uint32(), time: durationField, interval: durationField });

export const connectionPoolSchema = obj({
  tcp: obj({
    maxConnections: int32(),
    connectTimeout: durationField,
    tcpKeepalive: tcpKeepaliveSchema,
    maxConnectionDuration: durationField,
    idleTimeout: str(),
  }),
  http: obj({
    http1MaxPendingRequests: int32(),
    http2MaxRequests: int32(),
    maxRequestsPerConnection: int32(),
    maxRetries: int32(),
    idleTimeout: durationField,
    h2UpgradePolicy: enumOf('DEFAULT', 'DO_NOT_UPGRADE', 'UPGRADE'),
    useClientProtocol: bool,
    maxConcurrentStreams: int32(),
    http2KeepAlive: obj({ interval: durationField, timeout: durationField }),
  }),
});

export function checkConnectionPool(cp: Obj | undefined, p: string, issues: Issues): void {
  if (!cp) return;
  if (!cp.http && !cp.tcp) {
    issues.error(p, 'connection pool must have at least one of tcp or http');
    return;
  }
  const h = cp.http;
  if (h) {
    for (const f of ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries', 'maxConcurrentStreams']) {
      if (has(h, f) && h[f] < 0) issues.error(`${p}.http.${f}`, 'must not be negative');
    }
    if (h.h2UpgradePolicy === 'UPGRADE' && h.useClientProtocol === true) issues.error(`${p}.http.useClientProtocol`, 'must not be true when h2UpgradePolicy is UPGRADE');
    const ka = h.http2KeepAlive;
    if (ka) {
      if (!has(ka, 'interval')) issues.error(`${p}.http.http2KeepAlive.interval`, 'is required');
      if (!has(ka, 'timeout')) issues.error(`${p}.http.http2KeepAlive.timeout`, 'is required');
    }
  }
  const t = cp.tcp;
  if (t) {
    if (has(t, 'maxConnections') && t.maxConnections < 0) issues.error(`${p}.tcp.maxConnections`, 'must not be negative');
    if (typeof t.idleTimeout === 'string') {
      // Istio checks it only when it holds at least a whole millisecond: shorter values count as 0 (no idle timeout)
      const ns = parseDuration(t.idleTimeout);
      const e = ns !== undefined && ns / MS_NS === 0n ? undefined : validateDuration(t.idleTimeout);
      if (e) issues.error(`${p}.tcp.idleTimeout`, e);
    }
  }
}

export const clientTlsSchema = obj({
  mode: enumOf('DISABLE', 'SIMPLE', 'MUTUAL', 'ISTIO_MUTUAL'),
  clientCertificate: str(),
  privateKey: str(),
  caCertificates: str(),
  credentialName: str(),
  subjectAltNames: strList(),
  sni: str(),
  insecureSkipVerify: bool,
  caCrl: str(),
});

export function checkClientTls(tls: Obj | undefined, p: string, issues: Issues): void {
  if (!tls) return;
  const mode: string = tls.mode ?? 'DISABLE';
  if (tls.insecureSkipVerify === true) {
    if (mode === 'SIMPLE' && (tls.caCertificates || tls.credentialName || has(tls, 'subjectAltNames'))) {
      issues.error(p, 'cannot set caCertificates, credentialName or subjectAltNames when insecureSkipVerify is true');
    }
    if (mode === 'MUTUAL' && (tls.caCertificates || has(tls, 'subjectAltNames'))) {
      issues.error(p, 'cannot set caCertificates or subjectAltNames when insecureSkipVerify is true');
    }
  }
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && tls.credentialName) {
    if (tls.clientCertificate || tls.caCertificates || tls.privateKey || tls.caCrl) {
      issues.error(p, 'cannot set clientCertificate, privateKey, caCertificates or caCrl when credentialName is set');
    }
    // What sidecars without mesh certificates cannot do, said at apply time rather than found in traffic.
    const served = 'mizzen serves credentialName to gateways and to sidecars with mesh certificates (the mTLS install)';
    if (mode === 'MUTUAL') issues.warn(`${p}.credentialName`, `${served}: from other sidecars this traffic stays plaintext`);
    else issues.warn(`${p}.credentialName`, `${served}: other sidecars check the server against the system's CAs instead`);
    return;
  }
  if (mode === 'MUTUAL') {
    if (!tls.clientCertificate) issues.error(`${p}.clientCertificate`, 'is required for MUTUAL mode (or set credentialName)');
    if (!tls.privateKey) issues.error(`${p}.privateKey`, 'is required for MUTUAL mode (or set credentialName)');
  }
  if (mode === 'ISTIO_MUTUAL' && (tls.clientCertificate || tls.privateKey || tls.caCertificates || tls.credentialName)) {
    issues.warn(p, 'ISTIO_MUTUAL uses the mesh certificates; clientCertificate, privateKey, caCertificates and credentialName are ignored');
  }
  if (mode === 'ISTIO_MUTUAL') issues.warn(`${p}.mode`, WITHOUT_SIDECAR_CERTIFICATES.istioMutual);
}
