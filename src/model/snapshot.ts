/**
 * buildSnapshot(): the config store's objects → an immutable Snapshot (services, endpoints, workloads and the
 * Istio configs, sorted as Istio orders them). Pure and total: any object shaped like a KubeObject is accepted,
 * and whatever cannot be understood is skipped, never thrown.
 */
import { createHash } from 'node:crypto';
import { isKubeObject, type KubeObject } from '../core/kube.js';
import { DEFAULT_DOMAIN_SUFFIX } from '../core/constants.js';
import type { Config, Endpoint, Service, Snapshot } from './types.js';
import { indexKube, kubeEndpoints, kubeServices, podInfos, podWorkloads } from './registry.js';
import { serviceEntryServices, workloadEntries, workloadEntryWorkloads } from './serviceentry.js';
import { asString, stringMap } from './selectors.js';

/** Snapshot field for each Istio kind, with the API group it must come from. */
const CONFIG_KINDS = {
  VirtualService: ['networking.istio.io', 'virtualServices'],
  DestinationRule: ['networking.istio.io', 'destinationRules'],
  Gateway: ['networking.istio.io', 'gateways'],
  ServiceEntry: ['networking.istio.io', 'serviceEntries'],
  Sidecar: ['networking.istio.io', 'sidecars'],
  PeerAuthentication: ['security.istio.io', 'peerAuthentications'],
  AuthorizationPolicy: ['security.istio.io', 'authorizationPolicies'],
  RequestAuthentication: ['security.istio.io', 'requestAuthentications'],
} as const;
type ConfigField = (typeof CONFIG_KINDS)[keyof typeof CONFIG_KINDS][1];

const CLUSTER_SCOPED = new Set(['Namespace', 'Node', 'ClusterRole', 'ClusterRoleBinding', 'CustomResourceDefinition', 'MutatingWebhookConfiguration', 'ValidatingWebhookConfiguration', 'PersistentVolume', 'StorageClass']);

/** Istio's order for configs: oldest first, then namespace/name. */
export function compareConfigs(a: Config, b: Config): number {
  const ta = a.creationTimestamp ?? '';
  const tb = b.creationTimestamp ?? '';
  if (ta !== tb) return ta < tb ? -1 : 1;
  const ka = `${a.namespace}/${a.name}`;
  const kb = `${b.namespace}/${b.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

function toConfig(o: KubeObject): Config {
  const rv = Number(o.metadata.resourceVersion);
  const ts = asString(o.metadata.creationTimestamp);
  return {
    kind: o.kind,
    apiVersion: o.apiVersion,
    name: o.metadata.name!,
    namespace: asString(o.metadata.namespace) || 'default',
    labels: stringMap(o.metadata.labels),
    annotations: stringMap(o.metadata.annotations),
    spec: typeof o.spec === 'object' && o.spec !== null ? o.spec : {},
    revision: Number.isFinite(rv) ? rv : typeof o.metadata.generation === 'number' ? o.metadata.generation : 0,
    ...(ts ? { creationTimestamp: ts } : {}),
  };
}

/** JSON.stringify replacer sorting plain objects' keys, so equal content serializes equally whatever its key order. */
function sortedKeys(_key: string, v: unknown): unknown {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return v;
  const keys = Object.keys(v);
  let sorted = true;
  for (let i = 1; i < keys.length; i++) if (keys[i - 1]! > keys[i]!) sorted = false;
  if (sorted) return v;
  const out: Record<string, unknown> = {};
  for (const k of keys.sort()) out[k] = (v as Record<string, unknown>)[k];
  return out;
}

const endpointOrder = (a: Endpoint, b: Endpoint): number =>
  a.servicePortName < b.servicePortName ? -1 : a.servicePortName > b.servicePortName ? 1 : a.address < b.address ? -1 : a.address > b.address ? 1 : a.port - b.port;

export function buildSnapshot(input: readonly KubeObject[], opts: { domainSuffix?: string } = {}): Snapshot {
  const domainSuffix = opts.domainSuffix || DEFAULT_DOMAIN_SUFFIX;
  const objects = (Array.isArray(input) ? input : []).filter((o): o is KubeObject => isKubeObject(o) && typeof o.metadata.name === 'string' && o.metadata.name !== '');

  const namespaces = new Map<string, Record<string, string>>();
  for (const o of objects) {
    if (o.kind === 'Namespace' && o.apiVersion === 'v1') namespaces.set(o.metadata.name!, stringMap(o.metadata.labels));
  }
  for (const o of objects) {
    if (CLUSTER_SCOPED.has(o.kind)) continue;
    const n = asString(o.metadata.namespace) || 'default';
    if (!namespaces.has(n)) namespaces.set(n, {});
  }

  const configs: Record<ConfigField, Config[]> = {
    virtualServices: [], destinationRules: [], gateways: [], serviceEntries: [], sidecars: [], peerAuthentications: [], authorizationPolicies: [], requestAuthentications: [],
  };
  for (const o of objects) {
    const entry = (CONFIG_KINDS as Record<string, readonly [string, ConfigField]>)[o.kind];
    if (entry && o.apiVersion.startsWith(`${entry[0]}/`)) configs[entry[1]].push(toConfig(o));
  }
  for (const list of Object.values(configs)) list.sort(compareConfigs);

  const pods = podInfos(objects);
  const kubeIndex = indexKube(objects, pods);
  const wes = workloadEntries(objects);
  const found: Array<{ service: Service; endpoints: Endpoint[] }> = [];
  for (const info of kubeServices(objects, domainSuffix)) {
    try {
      found.push({ service: info.service, endpoints: kubeEndpoints(info, kubeIndex) });
    } catch {
      // A service whose endpoints cannot be read is still a service; it just has none.
      found.push({ service: info.service, endpoints: [] });
    }
  }
  // ServiceEntries in config order (oldest first), so the first definition of a host wins, as in Istio.
  const seObjects = configs.serviceEntries.map((c) => ({ apiVersion: c.apiVersion, kind: c.kind, metadata: { name: c.name, namespace: c.namespace, labels: c.labels }, spec: c.spec }));
  found.push(...serviceEntryServices(seObjects, wes, pods));

  const services = new Map<string, Service>();
  const endpoints = new Map<string, Endpoint[]>();
  for (const f of [...found].sort((a, b) => (a.service.hostname < b.service.hostname ? -1 : a.service.hostname > b.service.hostname ? 1 : 0))) {
    if (services.has(f.service.hostname)) continue; // Kubernetes services first, then the oldest ServiceEntry.
    services.set(f.service.hostname, f.service);
    endpoints.set(f.service.hostname, [...f.endpoints].sort(endpointOrder));
  }

  const workloads = [...podWorkloads(pods), ...workloadEntryWorkloads(wes)].sort((a, b) => (a.namespace + '/' + a.name < b.namespace + '/' + b.name ? -1 : 1));
  const sortedNamespaces = new Map([...namespaces.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));

  // Content version: every part fed to the hash in a fixed order, object keys sorted (revisions left out).
  const hash = createHash('sha1');
  const feed = (label: string, v: unknown): void => {
    hash.update(label);
    hash.update(JSON.stringify(v, sortedKeys) ?? 'null');
  };
  feed('d', domainSuffix);
  feed('n', [...sortedNamespaces]);
  for (const [host, svc] of services) {
    feed('s', svc);
    feed('e', endpoints.get(host));
  }
  feed('w', workloads);
  for (const [k, list] of Object.entries(configs)) for (const { revision: _r, ...rest } of list) feed(k, rest);
  const version = hash.digest('hex').slice(0, 16);
  return { version, domainSuffix, namespaces: sortedNamespaces, services, endpoints, workloads, ...configs };
}
