/** Sidecar: ingress and egress listeners, egress hosts (`ns/host`), outbound traffic policy, inbound pools. */
import { type Issues, type Obj, obj, str, list, strList, enumOf, each, has, len } from './schema.js';
import {
  isDns1123Label,
  isHttpProtocol,
  isTlsProtocol,
  labelsSelectorSchema,
  parseProtocol,
  validateIp,
  validatePartialWildcard,
  validatePort,
  validateWildcardDomain,
  validateFqdn,
  warnEmptySelector,
} from './common.js';
import { destinationSchema, checkDestination, listenerPortSchema, checkListenerPort, validateUnixAddress } from './networking.js';
import { connectionPoolSchema, checkConnectionPool } from './trafficpolicy.js';
import { serverTlsSchema, checkServerTls } from './gateway.js';
import type { KindValidator } from './kind.js';

const captureMode = enumOf('DEFAULT', 'IPTABLES', 'NONE');

export const sidecarSpec = obj({
  workloadSelector: labelsSelectorSchema,
  ingress: list(
    obj(
      { port: listenerPortSchema, bind: str(), captureMode, defaultEndpoint: str(), tls: serverTlsSchema, connectionPool: connectionPoolSchema },
      { required: ['port'] },
    ),
  ),
  egress: list(obj({ port: listenerPortSchema, bind: str(), captureMode, hosts: strList() }, { required: ['hosts'] })),
  inboundConnectionPool: connectionPoolSchema,
  // ALLOW_ANY_DYNAMIC_DNS is the mesh config's alone: named below with that reason, as istiod does.
  outboundTrafficPolicy: obj({ mode: enumOf('REGISTRY_ONLY', 'ALLOW_ANY', 'ALLOW_ANY_DYNAMIC_DNS'), egressProxy: destinationSchema }),
});

/** Egress hosts: `namespace/dnsName` where namespace is `*`, `.`, `~`-prefixed or a name; dnsName an FQDN or wildcard. */
export function checkSidecarHost(h: string, p: string, issues: Issues): void {
  const slash = h.indexOf('/');
  if (slash < 0) return issues.error(p, `host "${h}" must be of the form namespace/dnsName (e.g. "./*", "istio-system/*", "*/foo.example.com")`);
  const nsPart = h.slice(0, slash);
  const host = h.slice(slash + 1);
  if (!nsPart || !host) issues.error(p, 'namespace and dnsName in host cannot be empty');
  const ns = nsPart.replace(/^~/, '');
  if (ns !== '' && ns !== '*' && ns !== '.' && !isDns1123Label(ns)) issues.error(p, `invalid namespace "${nsPart}"`);
  if (!host) return;
  if (host !== '*' && !host.includes('.')) issues.error(p, `short name "${host}" not allowed: use a fully qualified name`);
  const e = validateWildcardDomain(host);
  if (e) issues.error(p, e);
  const w = validatePartialWildcard(host);
  if (w) issues.error(p, w);
}

function checkBind(bind: string | undefined, p: string, issues: Issues): void {
  if (!bind) return;
  const e = validateIp(bind);
  if (e) issues.error(p, e);
}

const NOT_APPLIED = (what: string, so: string): string => `mizzen does not apply ${what} yet: ${so}`;

export const validateSidecar: KindValidator = (spec: Obj, ctx, issues: Issues) => {
  warnEmptySelector(spec.workloadSelector, 'labels', 'spec.workloadSelector', issues);
  if (len(spec.egress) === 0 && len(spec.ingress) === 0 && !spec.outboundTrafficPolicy && !spec.inboundConnectionPool) {
    issues.error('spec', 'empty Sidecar: set at least one of ingress, egress, outboundTrafficPolicy or inboundConnectionPool');
  }
  // What mizzen does differently from istiod, said where it matters (xds/gen/sidecar-scope.ts: egress scope, ingress ports and endpoints).
  const ingressPorts = new Set<number>();
  each(spec.ingress, (l, i) => {
    const p = `spec.ingress[${i}]`;
    const port: Obj | undefined = l.port;
    if (!port) return;
    checkListenerPort(port, `${p}.port`, issues);
    if (typeof port.number !== 'number') issues.error(`${p}.port.number`, 'is required');
    checkBind(l.bind, `${p}.bind`, issues);
    if (typeof port.number === 'number') {
      if (ingressPorts.has(port.number)) issues.error(`${p}.port.number`, 'ports of ingress listeners must be unique');
      ingressPorts.add(port.number);
    }
    if (l.defaultEndpoint) checkDefaultEndpoint(l.defaultEndpoint, `${p}.defaultEndpoint`, issues);
    const proto = parseProtocol(port.protocol ?? '');
    if (l.tls) {
      const tp = `${p}.tls`;
      if (len(l.tls.subjectAltNames) > 0) issues.error(`${tp}.subjectAltNames`, 'is not supported in ingress tls');
      if (l.tls.httpsRedirect) issues.error(`${tp}.httpsRedirect`, 'is not supported in sidecars');
      if (l.tls.credentialName) issues.error(`${tp}.credentialName`, 'is not supported in sidecars');
      if (len(l.tls.credentialNames) > 0) issues.error(`${tp}.credentialNames`, 'is not supported in sidecars');
      if (len(l.tls.tlsCertificates) > 0) issues.error(`${tp}.tlsCertificates`, 'is not supported in sidecars');
      if (l.tls.mode === 'ISTIO_MUTUAL' || l.tls.mode === 'AUTO_PASSTHROUGH') issues.error(`${tp}.mode`, `${l.tls.mode} cannot be used in sidecar ingress tls`);
      if (!isTlsProtocol(proto)) issues.error(tp, 'TLS settings are only allowed on HTTPS/TLS ports');
      checkServerTls(l.tls, tp, issues);
    }
    if (l.tls) issues.warn(`${p}.tls`, NOT_APPLIED('TLS on ingress listeners', 'the listener serves what arrives as it arrives'));
    if (l.bind || l.captureMode) issues.warn(p, NOT_APPLIED('bind and captureMode on ingress listeners', 'inbound traffic is captured by iptables on every address'));
    checkConnectionPool(l.connectionPool, `${p}.connectionPool`, issues);
    if (l.connectionPool?.http && !isHttpProtocol(proto)) {
      issues.warn(`${p}.connectionPool.http`, `port ${port.number} is not HTTP (${port.protocol ?? 'unset'}): only the TCP settings apply`);
    }
  });
  checkConnectionPool(spec.inboundConnectionPool, 'spec.inboundConnectionPool', issues);

  const egressPorts = new Set<number>();
  const udsBinds = new Set<string>();
  let catchAll = false;
  const egress: unknown[] = Array.isArray(spec.egress) ? spec.egress : [];
  each(spec.egress, (l, i) => {
    const p = `spec.egress[${i}]`;
    const port: Obj | undefined = l.port;
    if (!port) {
      if (catchAll) issues.error(p, 'only one egress listener may have no port');
      else if (i !== egress.length - 1) issues.error(p, 'the egress listener without a port must be the last one');
      catchAll = true;
    } else {
      const bind: string = l.bind ?? '';
      checkListenerPort(port, `${p}.port`, issues, { allowZero: true });
      if (l.bind || l.captureMode) issues.warn(p, NOT_APPLIED('bind and captureMode on egress listeners', 'outbound traffic is captured by iptables and handled by the port listeners as without them'));
      if ((port.number ?? 0) === 0) {
        if (!bind.startsWith('unix://')) issues.error(`${p}.bind`, 'listeners with port 0 must bind a unix domain socket (unix://...)');
        else {
          const e = validateUnixAddress(bind.slice(7));
          if (e) issues.error(`${p}.bind`, e);
        }
        if (l.captureMode && l.captureMode !== 'DEFAULT' && l.captureMode !== 'NONE') issues.error(`${p}.captureMode`, 'must be DEFAULT or NONE for unix domain socket listeners');
        if (udsBinds.has(bind)) issues.error(`${p}.bind`, 'unix domain sockets of listeners must be unique');
        udsBinds.add(bind);
      } else {
        checkBind(bind, `${p}.bind`, issues);
        if (egressPorts.has(port.number)) issues.error(`${p}.port.number`, 'ports of egress listeners must be unique');
        egressPorts.add(port.number);
      }
    }
    if (Array.isArray(l.hosts) && l.hosts.length === 0) issues.error(`${p}.hosts`, 'an egress listener must have at least one host');
    const seen = new Set<string>();
    each<string>(l.hosts, (h, j) => {
      const key = h.startsWith('./') && ctx.namespace ? `${ctx.namespace}/${h.slice(2)}` : h;
      if (seen.has(key)) issues.warn(`${p}.hosts[${j}]`, `duplicate egress host "${h}"`);
      seen.add(key);
      checkSidecarHost(h, `${p}.hosts[${j}]`, issues);
    });
    if (seen.has('*/*') && seen.size > 1) issues.warn(`${p}.hosts`, '"*/*" selects everything: the other hosts add nothing');
  });

  const otp = spec.outboundTrafficPolicy;
  if (otp?.mode === 'ALLOW_ANY_DYNAMIC_DNS') {
    issues.error('spec.outboundTrafficPolicy.mode', 'ALLOW_ANY_DYNAMIC_DNS can be set only in the mesh config (meshConfig.outboundTrafficPolicy), not in a Sidecar');
  } else if (otp?.egressProxy) {
    const p = 'spec.outboundTrafficPolicy.egressProxy';
    if ((otp.mode ?? 'REGISTRY_ONLY') !== 'ALLOW_ANY') issues.error(p, 'egressProxy may only be set with mode ALLOW_ANY');
    else {
      if (typeof otp.egressProxy.host === 'string') {
        const e = validateFqdn(otp.egressProxy.host);
        if (e) issues.error(`${p}.host`, e);
      }
      if (!has(otp.egressProxy, 'port')) issues.error(`${p}.port`, 'is required');
      checkDestination(otp.egressProxy, p, issues);
    }
  }
};

function checkDefaultEndpoint(ep: string, p: string, issues: Issues): void {
  if (ep.startsWith('unix://')) {
    const e = validateUnixAddress(ep.slice(7));
    if (e) issues.error(p, e);
    return;
  }
  const m = /^(?:\[([^\]]*)\]|([^:]*)):([^:]+)$/.exec(ep);
  if (!m) return issues.error(p, `"${ep}" must be of the form 127.0.0.1:<port>, 0.0.0.0:<port>, [::1]:<port>, [::]:<port>, :<port> or unix://<path>`);
  const host = m[1] ?? m[2] ?? '';
  if (host !== '' && !['127.0.0.1', '0.0.0.0', '::1', '::'].includes(host)) {
    issues.error(p, 'the host of defaultEndpoint must be 127.0.0.1, 0.0.0.0, ::1 or ::');
  }
  const port = /^[0-9]+$/.test(m[3]) ? Number(m[3]) : NaN;
  const e = Number.isNaN(port) ? `port "${m[3]}" is not a number` : validatePort(port);
  if (e) issues.error(p, e);
}
