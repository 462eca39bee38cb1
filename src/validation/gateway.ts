/** Gateway: servers, ports, hosts (`ns/host`), server TLS modes and the credentials each needs. */
import { type Issues, type Obj, obj, str, bool, list, strList, strMap, enumOf, each, len } from './schema.js';
import {
  isDns1123Label,
  isIpAddress,
  isHttpProtocol,
  isTlsProtocol,
  parseProtocol,
  validateIp,
  validatePartialWildcard,
  validatePort,
  validateWildcardDomain,
} from './common.js';
import { listenerPortSchema, validateUnixAddress } from './networking.js';
import type { KindValidator } from './kind.js';
import { isValidCipherSuite, isValidEcdhCurve } from '../core/tls-names.js';

// What mizzen does differently from istiod: said where a rule depends on it.
const TLS_VERSIONS = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'];

export const serverTlsSchema = obj({
  httpsRedirect: bool,
  mode: enumOf('PASSTHROUGH', 'SIMPLE', 'MUTUAL', 'AUTO_PASSTHROUGH', 'ISTIO_MUTUAL', 'OPTIONAL_MUTUAL'),
  serverCertificate: str(),
  privateKey: str(),
  caCertificates: str(),
  caCrl: str(),
  credentialName: str(),
  credentialNames: list(str(), { minItems: 1, maxItems: 2 }),
  caCertCredentialName: str(),
  tlsCertificates: list(obj({ serverCertificate: str(), privateKey: str(), caCertificates: str() }), { minItems: 1, maxItems: 2 }),
  subjectAltNames: strList(),
  verifyCertificateSpki: strList(),
  verifyCertificateHash: strList(),
  minProtocolVersion: enumOf(...TLS_VERSIONS),
  maxProtocolVersion: enumOf(...TLS_VERSIONS),
  cipherSuites: strList(),
  ecdhCurves: strList(),
  insecureSkipVerify: bool,
});

/** Server-side TLS settings (Gateway servers, Sidecar ingress listeners). */
export function checkServerTls(tls: Obj | undefined, p: string, issues: Issues): void {
  if (!tls) return;
  const mode: string = tls.mode ?? 'PASSTHROUGH';
  if ((tls.minProtocolVersion === 'TLSV1_0' || tls.minProtocolVersion === 'TLSV1_1') && len(tls.cipherSuites) === 0) {
    issues.warn(`${p}.minProtocolVersion`, 'TLS versions below TLSV1_2 need compatible cipherSuites: the defaults no longer include them');
  }
  const seen = new Set<string>();
  each<string>(tls.cipherSuites, (c, i) => {
    if (!isValidCipherSuite(c)) issues.warn(`${p}.cipherSuites[${i}]`, `ignoring invalid cipher suite "${c}"`);
    else if (seen.has(c)) issues.warn(`${p}.cipherSuites[${i}]`, `ignoring duplicate cipher suite "${c}"`);
    seen.add(c);
  });
  const curves = new Set<string>();
  each<string>(tls.ecdhCurves, (c, i) => {
    if (!isValidEcdhCurve(c)) issues.warn(`${p}.ecdhCurves[${i}]`, `ignoring unrecognized ECDH curve "${c}"`);
    else if (curves.has(c)) issues.warn(`${p}.ecdhCurves[${i}]`, `ignoring duplicate ECDH curve "${c}"`);
    curves.add(c);
  });
  if (tls.caCertCredentialName && mode !== 'MUTUAL' && mode !== 'OPTIONAL_MUTUAL') issues.warn(`${p}.caCertCredentialName`, `is used only by MUTUAL and OPTIONAL_MUTUAL servers, not ${mode}`);
  if (mode === 'ISTIO_MUTUAL') {
    for (const f of ['serverCertificate', 'privateKey', 'caCertificates', 'credentialName']) {
      if (tls[f]) issues.error(`${p}.${f}`, 'ISTIO_MUTUAL uses the mesh certificates and cannot set it');
    }
    for (const f of ['tlsCertificates', 'credentialNames']) if (len(tls[f]) > 0) issues.error(`${p}.${f}`, 'ISTIO_MUTUAL uses the mesh certificates and cannot set it');
    return;
  }
  const anyCert = tls.caCrl || tls.serverCertificate || tls.privateKey || tls.caCertificates || len(tls.tlsCertificates) > 0 || tls.credentialName || len(tls.credentialNames) > 0;
  if ((mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') && anyCert) issues.warn(p, `${mode} mode does not use certificates, they will be ignored`);
  const sources = [tls.serverCertificate && tls.privateKey, tls.credentialName, len(tls.credentialNames) > 0, len(tls.tlsCertificates) > 0].filter(Boolean).length;
  if (sources > 1) issues.error(p, 'only one of credentialName, credentialNames, serverCertificate/privateKey, tlsCertificates may be set');
  const terminating = mode === 'SIMPLE' || mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  // Certificates fetched by name (SDS) are not checked further, caCrl included: Istio stops here too.
  if (terminating && (tls.credentialName || len(tls.credentialNames) > 0)) return;
  if (terminating) {
    const what = mode === 'SIMPLE' ? 'SIMPLE' : 'MUTUAL';
    if (what === 'MUTUAL' && !tls.caCertificates && !tls.caCertCredentialName) issues.error(`${p}.caCertificates`, `${mode} TLS requires a client CA bundle (caCertificates or caCertCredentialName), or credentialName`);
    if (len(tls.tlsCertificates) > 2) issues.warn(`${p}.tlsCertificates`, `${mode} TLS supports up to 2 server certificates`);
    if (len(tls.tlsCertificates) > 0) {
      each(tls.tlsCertificates, (c, i) => {
        if (!c.serverCertificate) issues.error(`${p}.tlsCertificates[${i}].serverCertificate`, `is required for ${mode} TLS`);
        if (!c.privateKey) issues.error(`${p}.tlsCertificates[${i}].privateKey`, `is required for ${mode} TLS`);
      });
    } else {
      if (!tls.serverCertificate) issues.error(`${p}.serverCertificate`, `${mode} TLS requires serverCertificate and privateKey, or credentialName`);
      if (!tls.privateKey) issues.error(`${p}.privateKey`, `${mode} TLS requires serverCertificate and privateKey, or credentialName`);
    }
  }
  if (tls.caCrl) {
    if (tls.credentialName) issues.error(`${p}.caCrl`, 'CRL is not supported with credentialName; put it in the credential');
    if (mode === 'SIMPLE') issues.error(`${p}.caCrl`, 'CRL is not supported with SIMPLE TLS');
  }
}

/** Gateway server hosts: `host` or `ns/host`; FQDNs (no short names), wildcard only as a whole leftmost label, IPs allowed. */
export function checkGatewayHost(h: string, p: string, issues: Issues): void {
  const slash = h.indexOf('/');
  let host = h;
  if (slash >= 0) {
    const ns = h.slice(0, slash);
    host = h.slice(slash + 1);
    if (!ns || !host) issues.error(p, 'namespace and host in "namespace/host" cannot be empty');
    if (ns && ns !== '*' && ns !== '.' && !isDns1123Label(ns)) issues.error(p, `invalid namespace "${ns}" in gateway host (use *, . or a namespace name)`);
    if (!host) return;
  }
  if (host !== '*' && !host.includes('.')) issues.error(p, `short name "${host}" not allowed: use a fully qualified name`);
  const e = validateWildcardDomain(host);
  if (e && !isIpAddress(host)) issues.error(p, e);
  const pw = validatePartialWildcard(host);
  if (pw) issues.error(p, pw);
}

export const gatewaySpec = obj({
  selector: strMap(),
  servers: list(
    obj(
      {
        port: obj({ ...listenerPortSchema.fields }, { required: ['number', 'protocol', 'name'] }),
        bind: str(),
        hosts: strList(),
        tls: serverTlsSchema,
        defaultEndpoint: str(),
        name: str(),
      },
      { required: ['port', 'hosts'] },
    ),
  ),
});

export const validateGateway: KindValidator = (spec: Obj, _ctx, issues: Issues) => {
  if (len(spec.servers) === 0) issues.error('spec.servers', 'a Gateway must have at least one server');
  const portNames = new Map<string, number>();
  each(spec.servers, (s, i) => {
    const p = `spec.servers[${i}]`;
    if (Array.isArray(s.hosts) && s.hosts.length === 0) issues.error(`${p}.hosts`, 'a server must have at least one host');
    each<string>(s.hosts, (h, j) => checkGatewayHost(h, `${p}.hosts[${j}]`, issues));
    const port: Obj | undefined = s.port;
    const bind: string = s.bind ?? '';
    const unix = bind.startsWith('unix://');
    let portOk = !!port;
    if (port) {
      const protocol = typeof port.protocol === 'string' ? parseProtocol(port.protocol) : undefined;
      if (typeof port.protocol === 'string' && port.protocol === '') {
        issues.error(`${p}.port.protocol`, 'must be set');
        portOk = false;
      } else if (typeof port.protocol === 'string' && !protocol) portOk = false;
      if (typeof port.number === 'number' && (port.number > 0 || !unix)) {
        const e = validatePort(port.number);
        if (e) {
          issues.error(`${p}.port.number`, e);
          portOk = false;
        }
      }
      if ((port.targetPort ?? 0) > 0) issues.error(`${p}.port.targetPort`, 'targetPort has no effect on Gateways');
      if (port.name === '') issues.error(`${p}.port.name`, 'must be set');
      if (typeof port.name === 'string') {
        const prev = portNames.get(port.name);
        if (prev !== undefined) issues.error(`${p}.port.name`, `port names must be unique across servers: "${port.name}" is also used by servers[${prev}]`);
        else portNames.set(port.name, i);
      }
      if (!isHttpProtocol(protocol) && s.tls?.httpsRedirect === true) issues.warn(`${p}.tls.httpsRedirect`, 'should only be used with HTTP servers');
      if (portOk && protocol && typeof port.number === 'number') {
        if (isTlsProtocol(protocol) && !s.tls) issues.error(`${p}.tls`, 'is required for HTTPS and TLS servers');
        else if (!isTlsProtocol(protocol) && s.tls) {
          if (isHttpProtocol(protocol)) {
            const mode = s.tls.mode ?? 'PASSTHROUGH';
            const passthrough = mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH';
            if (!passthrough || s.tls.caCertificates || s.tls.privateKey || s.tls.serverCertificate) {
              issues.error(`${p}.tls`, 'plain-text HTTP servers cannot have TLS settings other than httpsRedirect');
            }
          } else issues.error(`${p}.tls`, 'servers that are neither HTTPS nor TLS cannot have TLS settings');
        }
      }
    }
    if (unix) {
      const e = validateUnixAddress(bind.slice('unix://'.length));
      if (e) issues.error(`${p}.bind`, e);
      if (port && typeof port.number === 'number' && port.number !== 0) issues.error(`${p}.port.number`, 'must be 0 for a unix domain socket bind');
    } else if (bind !== '') {
      const e = validateIp(bind);
      if (e) issues.error(`${p}.bind`, e);
    }
    if (bind !== '') issues.warn(`${p}.bind`, 'mizzen binds gateway listeners to every address: bind is not applied');
    checkServerTls(s.tls, `${p}.tls`, issues);
    // What a gateway without mesh certificates cannot terminate: the server gets no listener there.
    if (s.tls?.mode === 'ISTIO_MUTUAL') {
      issues.warn(
        `${p}.tls.mode`,
        'ISTIO_MUTUAL is served only by a gateway with mesh certificates (make manifests MTLS=1 gives the ingress gateway them): without them this server gets no listener',
      );
    }
  });
};
