/** VirtualService: hosts, gateways, delegation, HTTP/TLS/TCP routes, unreachable-rule warnings. */
import { type Issues, type Obj, obj, str, uint32, int32, list, strList, each, len } from './schema.js';
import {
  checkExportTo,
  checkGatewayName,
  hostsOverlap,
  hostSubsetOf,
  isIpAddress,
  labelsSchema,
  validateIpOrCidr,
  validatePort,
  validateWildcardDomain,
  check,
} from './common.js';
import { destinationSchema } from './networking.js';
import { httpRouteSchema, checkHttpRoute, checkRouteDestinations } from './vs-http.js';
import type { KindValidator } from './kind.js';
import { reachabilityNotes } from './vs-reachability.js';

const routeDestination = obj({ destination: destinationSchema, weight: int32() }, { required: ['destination'] });
const l4Match = {
  destinationSubnets: strList(check(validateIpOrCidr)),
  port: uint32(),
  sourceLabels: labelsSchema(),
  gateways: strList(checkGatewayName),
  sourceNamespace: str(),
};

export const virtualServiceSpec = obj({
  hosts: strList(),
  gateways: strList(checkGatewayName),
  exportTo: strList(),
  http: list(httpRouteSchema),
  tls: list(obj({ match: list(obj({ ...l4Match, sniHosts: strList() }, { required: ['sniHosts'] })), route: list(routeDestination) }, { required: ['match'] })),
  // sourceSubnet is deprecated and ignored by Istio: neither checked nor used
  tcp: list(obj({ match: list(obj({ ...l4Match, sourceSubnet: str() })), route: list(routeDestination) })),
});

/**
 * Istio's auto-generated SNI names, `outbound_.<port>_.<subset>_.<host>` (AUTO_PASSTHROUGH; `h` starts with
 * `outbound_`), checked as loosely as Istio does: at least four `_`-separated parts, the port part holding a digit
 * and the host part a letter.
 */
function validateOutboundSni(h: string): string | undefined {
  const parts = h.split('_');
  if (parts.length < 4 || !/[0-9]/.test(parts[1]) || !/[a-zA-Z]/.test(parts[3])) {
    return `domain name "${h}" invalid, should follow outbound_.<PORT>_.<SUBSET>_.<HOSTNAME> format`;
  }
  return undefined;
}

/** Hosts of a VirtualService bound to gateways may also be Istio's auto-generated SNI names (`outbound_.80_._.foo.com`). */
function validateVsHost(h: string, gatewayOnly: boolean, sni: boolean): string | undefined {
  if (gatewayOnly && sni && h.startsWith('outbound_')) return h.length > 255 ? `domain name "${h}" too long (max 255)` : validateOutboundSni(h);
  return validateWildcardDomain(h);
}

export const validateVirtualService: KindValidator = (spec: Obj, ctx, issues: Issues) => {
  const hosts: string[] = (spec.hosts ?? []).filter((h: unknown) => typeof h === 'string');
  const gateways: string[] = (spec.gateways ?? []).filter((g: unknown) => typeof g === 'string');
  const delegate = len(spec.hosts) === 0;
  if (delegate) {
    if (len(spec.gateways) > 0) issues.error('spec.gateways', 'a delegate VirtualService (no hosts) must not specify gateways');
    if (len(spec.tls) > 0) issues.error('spec.tls', 'a delegate VirtualService (no hosts) must not have tls routes');
    if (len(spec.tcp) > 0) issues.error('spec.tcp', 'a delegate VirtualService (no hosts) must not have tcp routes');
  }
  const gatewayOnly = gateways.length > 0 && !gateways.includes('mesh');
  // Istio checks SNI hosts as gateway names unless `mesh` is listed, so also when no gateways are given
  const sniAsGateway = !gateways.includes('mesh');
  const sni = (spec.tls ?? []).some((t: Obj | undefined) => (t?.match ?? []).some((m: Obj | undefined) => len(m?.sniHosts) > 0));

  let hostsValid = true;
  each<string>(spec.hosts, (h, i) => {
    const e = validateVsHost(h, gatewayOnly, sni);
    if (e && !isIpAddress(h)) {
      issues.error(`spec.hosts[${i}]`, e);
      hostsValid = false;
    } else if (!e && h === '*' && !gatewayOnly) {
      issues.error(`spec.hosts[${i}]`, 'wildcard host * is not allowed for VirtualServices bound to the mesh (set gateways, without mesh)');
      hostsValid = false;
    }
  });
  if (hostsValid) {
    for (let i = 0; i < hosts.length; i++) {
      for (let j = i + 1; j < hosts.length; j++) {
        if (hostsOverlap(hosts[i], hosts[j])) issues.error(`spec.hosts[${j}]`, `duplicate hosts in VirtualService: ${hosts[i]} & ${hosts[j]}`);
      }
    }
  }

  if (len(spec.http) === 0 && len(spec.tcp) === 0 && len(spec.tls) === 0) issues.error('spec', 'one of http, tcp or tls must be provided');
  each(spec.http, (r, i) => checkHttpRoute(r, `spec.http[${i}]`, { delegate, gatewayOnly }, issues));
  each(spec.tls, (r, i) => {
    const p = `spec.tls[${i}]`;
    if (Array.isArray(r.match) && r.match.length === 0) issues.error(`${p}.match`, 'TLS route must have at least one match condition');
    each(r.match, (m, j) => {
      const mp = `${p}.match[${j}]`;
      if (Array.isArray(m.sniHosts) && m.sniHosts.length === 0) issues.error(`${mp}.sniHosts`, 'TLS match must have at least one SNI host');
      each<string>(m.sniHosts, (s, k) => checkSniHost(s, hosts, sniAsGateway, `${mp}.sniHosts[${k}]`, issues));
      checkL4Match(m, mp, issues);
    });
    if (len(r.route) === 0) issues.error(`${p}.route`, 'TLS route is required');
    checkRouteDestinations(r.route, `${p}.route`, issues);
  });
  each(spec.tcp, (r, i) => {
    const p = `spec.tcp[${i}]`;
    each(r.match, (m, j) => checkL4Match(m, `${p}.match[${j}]`, issues));
    if (len(r.route) === 0) issues.error(`${p}.route`, 'TCP route is required');
    checkRouteDestinations(r.route, `${p}.route`, issues);
  });
  checkExportTo(spec.exportTo, ctx.namespace, 'spec.exportTo', issues);
  for (const n of reachabilityNotes(spec)) issues.warn(n.path, n.message);
};

function checkSniHost(s: string, hosts: string[], asGateway: boolean, p: string, issues: Issues): void {
  const e = validateVsHost(s, asGateway, true);
  if (e) {
    if (isIpAddress(s)) issues.warn(p, `using an IP address ("${s}") goes against the SNI spec and most clients do not support it`);
    else issues.error(p, e);
    return;
  }
  if (!hosts.some((h) => hostSubsetOf(s, h))) issues.error(p, `SNI host "${s}" is not covered by any of the VirtualService hosts [${hosts.join(', ')}]`);
}

function checkL4Match(m: Obj, p: string, issues: Issues): void {
  // 0 is the unset value: the match applies to every port
  if (m.port !== undefined && m.port !== 0) {
    const e = validatePort(m.port);
    if (e) issues.error(`${p}.port`, e);
  }
  if (len(m.destinationSubnets) > 0) issues.warn(`${p}.destinationSubnets`, 'not applied by mizzen: the match applies to every destination address');
}
