/** ServiceEntry: hosts, addresses, ports, location, resolution vs endpoints vs workloadSelector. */
import { type Issues, type Obj, obj, str, uint32, list, strList, enumOf, each, has, len } from './schema.js';
import {
  checkExportTo,
  isTcpProtocol,
  isHttpProtocol,
  isTlsProtocol,
  labelsSelectorSchema,
  parseProtocol,
  validateFqdn,
  validateIpOrCidr,
  validatePartialWildcard,
  validatePort,
  validatePortName,
  validateProtocol,
  validateWildcardDomain,
  warnEmptySelector,
  check,
} from './common.js';
import { workloadEntrySpec, checkEndpoint } from './workloadentry.js';
import type { KindValidator } from './kind.js';

export const serviceEntrySpec = obj(
  {
    hosts: strList(),
    addresses: list(str({ maxLength: 64 }), { maxItems: 256 }),
    ports: list(
      obj({ number: uint32(), protocol: str({ maxLength: 256, check: check(validateProtocol) }), name: str({ maxLength: 256 }), targetPort: uint32() }, { required: ['number', 'name'] }),
      { maxItems: 256 },
    ),
    location: enumOf('MESH_EXTERNAL', 'MESH_INTERNAL'),
    resolution: enumOf('NONE', 'STATIC', 'DNS', 'DNS_ROUND_ROBIN', 'DYNAMIC_DNS'),
    endpoints: list(workloadEntrySpec, { maxItems: 4096 }),
    workloadSelector: labelsSelectorSchema,
    exportTo: strList(),
    subjectAltNames: strList(),
  },
  { required: ['hosts'], atMostOne: [['workloadSelector', 'endpoints']] },
);

const AUTO_ALLOCATE_LABEL = 'networking.istio.io/enable-autoallocate-ip';

export const validateServiceEntry: KindValidator = (spec: Obj, ctx, issues: Issues) => {
  const resolution: string = spec.resolution ?? 'NONE';
  const hosts: string[] = (spec.hosts ?? []).filter((h: unknown) => typeof h === 'string');
  warnEmptySelector(spec.workloadSelector, 'labels', 'spec.workloadSelector', issues);

  if (Array.isArray(spec.hosts) && spec.hosts.length === 0) issues.error('spec.hosts', 'a ServiceEntry must have at least one host');
  each<string>(spec.hosts, (h, i) => {
    const p = `spec.hosts[${i}]`;
    if (h === '*') return issues.error(p, 'hostname cannot be the wildcard *');
    const e = validateWildcardDomain(h);
    if (e) issues.error(p, e);
    else if (resolution !== 'DYNAMIC_DNS') {
      const w = validatePartialWildcard(h);
      if (w) issues.warn(p, w);
    }
  });

  let cidr = false;
  each<string>(spec.addresses, (a, i) => {
    if (a.includes('/')) cidr = true;
    const e = validateIpOrCidr(a);
    if (e) issues.error(`spec.addresses[${i}]`, e);
  });
  if (cidr && resolution !== 'NONE' && resolution !== 'STATIC') issues.error('spec.addresses', 'CIDR addresses are allowed only for NONE and STATIC resolution');

  const autoAllocate = ctx.labels[AUTO_ALLOCATE_LABEL] === 'true';
  const portNames = new Set<string>();
  const portNumbers = new Set<number>();
  each(spec.ports, (port, i) => {
    const p = `spec.ports[${i}]`;
    if (typeof port.name === 'string') {
      if (portNames.has(port.name)) issues.error(`${p}.name`, `port name "${port.name}" already defined`);
      portNames.add(port.name);
      const e = validatePortName(port.name);
      if (e) issues.error(`${p}.name`, e);
    }
    if (typeof port.number === 'number') {
      if (portNumbers.has(port.number)) issues.error(`${p}.number`, `port ${port.number} already defined`);
      portNumbers.add(port.number);
      const e = validatePort(port.number);
      if (e) issues.error(`${p}.number`, e);
    }
    if (has(port, 'targetPort')) {
      const e = validatePort(port.targetPort);
      if (e) issues.error(`${p}.targetPort`, e);
    }
    if (len(spec.addresses) === 0 && !autoAllocate && (!port.protocol || port.protocol.toUpperCase() === 'TCP')) {
      issues.warn(`${p}.protocol`, 'addresses are required for ports serving TCP (or unset) protocol when IP auto-allocation is not enabled');
    }
  });
  const protocols = (spec.ports ?? []).filter(Boolean).map((p: Obj) => parseProtocol(p.protocol ?? ''));

  switch (resolution) {
    case 'NONE':
      if (has(spec, 'endpoints')) issues.error('spec.endpoints', 'endpoints cannot be set with resolution NONE');
      if (spec.workloadSelector) issues.warn('spec.workloadSelector', 'workloadSelector should not be set when resolution is NONE');
      break;
    case 'STATIC':
      each(spec.endpoints, (ep, i) => checkEndpoint(ep, `spec.endpoints[${i}]`, issues, { allowFqdn: false, servicePorts: portNames }));
      if (!has(spec, 'endpoints') && !spec.workloadSelector) issues.warn('spec', 'resolution STATIC without endpoints or workloadSelector: this service has no endpoints');
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN':
      if (len(spec.endpoints) === 0) {
        const bad = hosts.findIndex((h) => validateFqdn(h) !== undefined);
        if (bad >= 0) issues.error(`spec.hosts[${bad}]`, `hosts must be fully qualified names without wildcards when resolution is ${resolution} and no endpoints are given`);
      }
      if (resolution === 'DNS_ROUND_ROBIN' && len(spec.endpoints) > 1) issues.error('spec.endpoints', 'resolution DNS_ROUND_ROBIN allows at most 1 endpoint');
      each(spec.endpoints, (ep, i) => checkEndpoint(ep, `spec.endpoints[${i}]`, issues, { allowFqdn: true, dns: true, servicePorts: portNames }));
      if (len(spec.addresses) > 0 && hosts.length > 1 && protocols.some((p: ReturnType<typeof parseProtocol>) => isTcpProtocol(p))) {
        issues.warn('spec.hosts', 'a ServiceEntry with addresses and a TCP port should have a single host');
      }
      break;
    case 'DYNAMIC_DNS':
      hosts.forEach((h, i) => {
        if (!h.startsWith('*')) issues.error(`spec.hosts[${i}]`, 'hosts must be wildcarded for resolution DYNAMIC_DNS');
      });
      if (len(spec.addresses) > 0) issues.error('spec.addresses', 'addresses cannot be set for resolution DYNAMIC_DNS');
      if (len(spec.endpoints) > 0) issues.error('spec.endpoints', 'endpoints cannot be set for resolution DYNAMIC_DNS');
      each(spec.ports, (port, i) => {
        const proto = parseProtocol(port.protocol ?? '');
        if (proto !== 'HTTP' && proto !== 'TLS' && proto !== 'GRPC' && proto !== 'HTTP2') {
          issues.error(`spec.ports[${i}].protocol`, 'only HTTP, TLS, GRPC and HTTP2 are supported for resolution DYNAMIC_DNS');
        } else if (proto === 'GRPC') {
          // Envoy sidecars resolve the names through their dynamic forward proxy; gRPC's own xDS client has none.
          issues.warn(`spec.ports[${i}].protocol`, 'proxyless gRPC clients get no configuration for DYNAMIC_DNS hosts (gRPC has no dynamic forward proxy); Envoy sidecars and gateways serve this port');
        }
      });
      break;
  }
  if (resolution !== 'NONE' && hosts.length > 1) {
    const i = protocols.findIndex((p: ReturnType<typeof parseProtocol>) => !isHttpProtocol(p) && !isTlsProtocol(p));
    if (i >= 0) issues.error('spec.ports', 'multiple hosts are not allowed with non-HTTP, non-TLS ports (unless resolution is NONE)');
  }
  checkExportTo(spec.exportTo, ctx.namespace, 'spec.exportTo', issues, { serviceEntry: true });
};
