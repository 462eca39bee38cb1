/** WorkloadEntry and WorkloadGroup (and the endpoint rules ServiceEntry reuses). */
import { type Issues, type Obj, obj, str, int32, uint32, list, map, strMap, each, entries, has } from './schema.js';
import { check, isIpAddress, labelsSchema, validateFqdn, validatePort, validatePortName, validateProbeHeaderName } from './common.js';
import { validateUnixAddress } from './networking.js';
import type { KindValidator } from './kind.js';

const portNameKey = check((k: string) => (k.length < 63 && /^[a-zA-Z0-9](?:[-a-zA-Z0-9]*[a-zA-Z0-9])?$/.test(k) ? undefined : `invalid port name "${k}"`));

export const workloadEntrySpec = obj({
  address: str({ maxLength: 256 }),
  ports: map(uint32(), { key: portNameKey, maxProperties: 128 }),
  labels: labelsSchema(256),
  network: str({ maxLength: 2048 }),
  locality: str({ maxLength: 2048 }),
  weight: uint32(),
  serviceAccount: str({ maxLength: 253 }),
});

export interface EndpointOptions {
  /** Port names the owning ServiceEntry defines (undefined: not checked). */
  servicePorts?: Set<string>;
  /** DNS names are allowed as addresses (WorkloadEntry, DNS resolution). */
  allowFqdn: boolean;
  /** A ServiceEntry with DNS resolution: the address must be an IP or a DNS name (no unix socket, not empty). */
  dns?: boolean;
}

/** An endpoint (WorkloadEntry spec or ServiceEntry endpoint). */
export function checkEndpoint(we: Obj, p: string, issues: Issues, opts: EndpointOptions): void {
  const addr: string = we.address ?? '';
  if (opts.dns) {
    if (addr === '') issues.error(`${p}.address`, 'is required with DNS resolution (an IP or a name to resolve)');
    else if (!isIpAddress(addr) && validateFqdn(addr)) issues.error(`${p}.address`, `"${addr}" is not a valid FQDN or IP address`);
  } else checkAddress(we, addr, p, issues, opts);
  for (const [name, port] of entries<number>(we.ports)) {
    const pp = `${p}.ports[${name}]`;
    if (opts.servicePorts && !opts.servicePorts.has(name)) issues.error(pp, `port name "${name}" is not defined by the ServiceEntry ports`);
    const en = validatePortName(name);
    if (en) issues.error(pp, en);
    const e = validatePort(port);
    if (e) issues.error(pp, e);
  }
}

/** The address of a WorkloadEntry or STATIC endpoint: an IP, a unix socket, a DNS name when allowed, or none with a network. */
function checkAddress(we: Obj, addr: string, p: string, issues: Issues, opts: EndpointOptions): void {
  if (we.network) issues.warn(`${p}.network`, 'mizzen routes no traffic between networks: the address is dialled directly');
  if (addr === '') {
    if (!we.network) issues.error(`${p}.address`, 'is required (or set network)');
    else issues.warn(`${p}.address`, `address is unset with network "${we.network}"`);
  }
  const unix = addr.startsWith('unix://');
  if (unix) {
    const e = validateUnixAddress(addr.slice('unix://'.length));
    if (e) issues.error(`${p}.address`, e);
    if (has(we, 'ports')) issues.error(`${p}.ports`, `unix endpoint ${addr} must not include ports`);
    if (opts.servicePorts && opts.servicePorts.size !== 1) issues.error(`${p}.address`, 'exactly 1 service port is required for unix endpoints');
  } else if (addr !== '' && !isIpAddress(addr)) {
    if (!opts.allowFqdn) issues.error(`${p}.address`, `"${addr}" is not a valid IP address`);
    else if (validateFqdn(addr)) issues.error(`${p}.address`, `"${addr}" is not a valid FQDN or IP address`);
  }
}

export const validateWorkloadEntry: KindValidator = (spec: Obj, _ctx, issues: Issues) => {
  checkEndpoint(spec, 'spec', issues, { allowFqdn: true });
};

const probePort = uint32(check((n: number) => validatePort(n)));

export const workloadGroupSpec = obj(
  {
    metadata: obj({ labels: labelsSchema(256), annotations: strMap({ maxProperties: 256 }) }),
    template: obj({ ...workloadEntrySpec.fields }),
    probe: obj(
      {
        initialDelaySeconds: int32(),
        timeoutSeconds: int32(),
        periodSeconds: int32(),
        successThreshold: int32(),
        failureThreshold: int32(),
        httpGet: obj(
          {
            path: str(),
            port: probePort,
            host: str(),
            scheme: str(),
            httpHeaders: list(obj({ name: str({ check: check(validateProbeHeaderName) }), value: str() })),
          },
          { required: ['port'] },
        ),
        tcpSocket: obj({ host: str(), port: probePort }, { required: ['port'] }),
        exec: obj({ command: list(str({ minLength: 1 })) }, { required: ['command'] }),
        // in the CRD, but Istio's webhook knows no gRPC health check and rejects it
        grpc: obj({ port: probePort, service: str() }),
      },
      { atMostOne: [['httpGet', 'tcpSocket', 'exec', 'grpc']] },
    ),
  },
  { required: ['template'] },
);

export const validateWorkloadGroup: KindValidator = (spec: Obj, _ctx, issues: Issues) => {
  issues.warn('spec', 'mizzen does not auto-register workloads: a WorkloadGroup creates no WorkloadEntries and its probe checks nothing');
  const t = spec.template;
  if (t) {
    // address is filled in per workload, so only the shape of what is given is checked
    const addr: string = t.address ?? '';
    if (addr.startsWith('unix://')) {
      const e = validateUnixAddress(addr.slice('unix://'.length));
      if (e) issues.error('spec.template.address', e);
      if (has(t, 'ports')) issues.error('spec.template.ports', 'unix addresses must not include ports');
    }
    for (const [name, port] of entries<number>(t.ports)) {
      const e = validatePort(port);
      if (e) issues.error(`spec.template.ports[${name}]`, e);
    }
  }
  const pr = spec.probe;
  if (!pr) return;
  for (const f of ['initialDelaySeconds', 'timeoutSeconds', 'periodSeconds', 'successThreshold', 'failureThreshold']) {
    if (has(pr, f) && pr[f] < 0) issues.error(`spec.probe.${f}`, 'must not be negative');
  }
  if (pr.grpc) issues.error('spec.probe.grpc', 'gRPC health checks are not supported: use httpGet, tcpSocket or exec');
  else if (!pr.httpGet && !pr.tcpSocket && !pr.exec) issues.error('spec.probe', 'one of httpGet, tcpSocket or exec is required');
  if (pr.httpGet?.scheme && !['HTTP', 'HTTPS'].includes(pr.httpGet.scheme)) issues.error('spec.probe.httpGet.scheme', 'must be HTTP or HTTPS');
  if (pr.exec && Array.isArray(pr.exec.command) && pr.exec.command.length === 0) issues.error('spec.probe.exec.command', 'must not be empty');
  each(pr.httpGet?.httpHeaders, (h, i) => {
    if (!h.name) issues.error(`spec.probe.httpGet.httpHeaders[${i}].name`, 'is required');
  });
};
