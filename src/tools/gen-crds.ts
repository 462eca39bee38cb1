/**
 * Generates manifests/crds/*.yaml: apiextensions.k8s.io/v1 CRDs for the Istio kinds mizzen serves, from the
 * description below. Schemas are our own and structural: each spec's top-level fields are typed, deeper parts keep
 * unknown fields (the validating webhook checks them field by field), status is preserved.
 *
 *   node --import tsx src/tools/gen-crds.ts          # rewrite the files
 *   node --import tsx src/tools/gen-crds.ts --check  # exit 1 when a checked-in file is out of date
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { stringify } from 'yaml';
import { ApiGroups } from '../core/constants.js';

export type Schema = Record<string, unknown>;

const S = {
  str: { type: 'string' },
  int: { type: 'integer' },
  bool: { type: 'boolean' },
  strs: { type: 'array', items: { type: 'string' } },
  strMap: { type: 'object', additionalProperties: { type: 'string' } },
  intMap: { type: 'object', additionalProperties: { type: 'integer' } },
  /** An object whose inside the webhook validates; the API server keeps it as written. */
  obj: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
  objs: { type: 'array', items: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true } },
} satisfies Record<string, Schema>;

const d = (schema: Schema, description: string): Schema => ({ description, ...schema });

export interface Column {
  name: string;
  type: 'string' | 'integer' | 'date';
  jsonPath: string;
  description: string;
}

export interface CrdKind {
  group: string;
  kind: string;
  plural: string;
  singular: string;
  shortNames: string[];
  /** Served versions, the storage version first. */
  versions: string[];
  columns: Column[];
  description: string;
  spec: Record<string, Schema>;
}

const AGE: Column = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since the resource was created.' };
const NET_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];
/** Istio serves and stores EnvoyFilter as v1alpha3 only. */
const ENVOY_FILTER_VERSIONS = ['v1alpha3'];
/** Istio serves and stores ProxyConfig as v1beta1 only. */
const PROXY_CONFIG_VERSIONS = ['v1beta1'];
const SEC_VERSIONS = ['v1', 'v1beta1'];
const TELEMETRY_VERSIONS = ['v1', 'v1alpha1'];
/** Istio serves and stores WasmPlugin as v1alpha1 only. */
const WASM_PLUGIN_VERSIONS = ['v1alpha1'];
const NET = ApiGroups.networking;
const SEC = ApiGroups.security;
const TEL = ApiGroups.telemetry;
const EXT = ApiGroups.extensions;

export const CRD_KINDS: readonly CrdKind[] = [
  {
    group: NET, kind: 'VirtualService', plural: 'virtualservices', singular: 'virtualservice', shortNames: ['vs'], versions: NET_VERSIONS,
    description: 'Routing rules for traffic to a set of hosts.',
    columns: [
      { name: 'Gateways', type: 'string', jsonPath: '.spec.gateways', description: 'Gateways and sidecars (mesh) that apply these routes.' },
      { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'Destination hosts the routes apply to.' },
      AGE,
    ],
    spec: { hosts: S.strs, gateways: S.strs, http: S.objs, tls: S.objs, tcp: S.objs, exportTo: S.strs },
  },
  {
    group: NET, kind: 'DestinationRule', plural: 'destinationrules', singular: 'destinationrule', shortNames: ['dr'], versions: NET_VERSIONS,
    description: 'Policies that apply to traffic for a service after routing: load balancing, connection pools, outlier detection, TLS, subsets.',
    columns: [{ name: 'Host', type: 'string', jsonPath: '.spec.host', description: 'The service the rule applies to.' }, AGE],
    spec: { host: S.str, trafficPolicy: S.obj, subsets: S.objs, exportTo: S.strs, workloadSelector: S.obj },
  },
  {
    group: NET, kind: 'Gateway', plural: 'gateways', singular: 'gateway', shortNames: ['gw'], versions: NET_VERSIONS,
    description: 'A load balancer at the edge of the mesh: the ports, protocols and hosts a gateway proxy serves.',
    columns: [AGE],
    spec: { servers: S.objs, selector: d(S.strMap, 'Labels of the gateway proxy pods this configuration applies to.') },
  },
  {
    group: NET, kind: 'ServiceEntry', plural: 'serviceentries', singular: 'serviceentry', shortNames: ['se'], versions: NET_VERSIONS,
    description: "Adds entries to the mesh's service registry.",
    columns: [
      { name: 'Hosts', type: 'string', jsonPath: '.spec.hosts', description: 'The hosts of the entry.' },
      { name: 'Location', type: 'string', jsonPath: '.spec.location', description: 'Whether the service is inside or outside the mesh.' },
      { name: 'Resolution', type: 'string', jsonPath: '.spec.resolution', description: 'How endpoints are found.' },
      AGE,
    ],
    spec: { hosts: S.strs, addresses: S.strs, ports: S.objs, location: S.str, resolution: S.str, endpoints: S.objs, workloadSelector: S.obj, exportTo: S.strs, subjectAltNames: S.strs },
  },
  {
    group: NET, kind: 'Sidecar', plural: 'sidecars', singular: 'sidecar', shortNames: [], versions: NET_VERSIONS,
    description: 'Scopes and tunes the configuration of sidecar proxies.',
    columns: [AGE],
    spec: { workloadSelector: S.obj, ingress: S.objs, egress: S.objs, outboundTrafficPolicy: S.obj, inboundConnectionPool: S.obj },
  },
  {
    group: NET, kind: 'WorkloadEntry', plural: 'workloadentries', singular: 'workloadentry', shortNames: ['we'], versions: NET_VERSIONS,
    description: 'A non-Kubernetes workload (a VM, a bare-metal server) as a member of the mesh.',
    columns: [AGE, { name: 'Address', type: 'string', jsonPath: '.spec.address', description: 'Address of the workload.' }],
    spec: { address: S.str, ports: S.intMap, labels: S.strMap, network: S.str, locality: S.str, weight: S.int, serviceAccount: S.str },
  },
  {
    group: NET, kind: 'WorkloadGroup', plural: 'workloadgroups', singular: 'workloadgroup', shortNames: ['wg'], versions: NET_VERSIONS,
    description: 'A template for WorkloadEntries of auto-registered workloads.',
    columns: [AGE],
    spec: { metadata: S.obj, template: S.obj, probe: S.obj },
  },
  {
    group: NET, kind: 'EnvoyFilter', plural: 'envoyfilters', singular: 'envoyfilter', shortNames: [], versions: ENVOY_FILTER_VERSIONS,
    description: 'Patches to the Envoy configuration generated for the selected workloads.',
    columns: [AGE],
    spec: { workloadSelector: S.obj, targetRefs: S.objs, configPatches: S.objs, priority: d({ ...S.int, format: 'int32' }, 'Order in which patch sets are applied within a context (lowest first).') },
  },
  {
    group: NET, kind: 'ProxyConfig', plural: 'proxyconfigs', singular: 'proxyconfig', shortNames: [], versions: PROXY_CONFIG_VERSIONS,
    description: 'Proxy settings (worker threads, environment) that pods of the mesh, a namespace or a workload get when injected.',
    columns: [AGE],
    spec: {
      selector: S.obj,
      targetRef: S.obj,
      concurrency: d({ ...S.int, format: 'int32', minimum: 0 }, 'Envoy worker threads; 0 lets Envoy run one per core.'),
      environmentVariables: d(S.strMap, 'Added to the istio-proxy container; ISTIO_META_* entries also become node metadata.'),
      image: S.obj,
    },
  },
  {
    group: SEC, kind: 'PeerAuthentication', plural: 'peerauthentications', singular: 'peerauthentication', shortNames: ['pa'], versions: SEC_VERSIONS,
    description: 'Mutual TLS requirements for traffic into a workload.',
    columns: [{ name: 'Mode', type: 'string', jsonPath: '.spec.mtls.mode', description: 'The mutual TLS mode.' }, AGE],
    spec: { selector: S.obj, mtls: S.obj, portLevelMtls: S.obj },
  },
  {
    group: SEC, kind: 'AuthorizationPolicy', plural: 'authorizationpolicies', singular: 'authorizationpolicy', shortNames: ['ap'], versions: SEC_VERSIONS,
    description: 'Access control for workloads.',
    columns: [{ name: 'Action', type: 'string', jsonPath: '.spec.action', description: 'What happens to matching requests (ALLOW when unset).' }, AGE],
    spec: { selector: S.obj, targetRef: S.obj, targetRefs: S.objs, rules: S.objs, action: S.str, provider: S.obj },
  },
  {
    group: SEC, kind: 'RequestAuthentication', plural: 'requestauthentications', singular: 'requestauthentication', shortNames: ['ra'], versions: SEC_VERSIONS,
    description: 'Request (JWT) authentication for workloads.',
    columns: [AGE],
    spec: { selector: S.obj, targetRef: S.obj, targetRefs: S.objs, jwtRules: S.objs },
  },
  {
    group: TEL, kind: 'Telemetry', plural: 'telemetries', singular: 'telemetry', shortNames: ['telemetry'], versions: TELEMETRY_VERSIONS,
    description: 'Tracing, metrics and access logging for workloads.',
    columns: [AGE],
    spec: { selector: S.obj, targetRef: S.obj, targetRefs: S.objs, tracing: S.objs, metrics: S.objs, accessLogging: S.objs },
  },
  {
    group: EXT, kind: 'WasmPlugin', plural: 'wasmplugins', singular: 'wasmplugin', shortNames: [], versions: WASM_PLUGIN_VERSIONS,
    description: 'A WebAssembly HTTP filter for the selected workloads: where its module comes from, where in the filter chain it runs, and its configuration.',
    columns: [AGE],
    spec: {
      selector: S.obj,
      targetRef: S.obj,
      targetRefs: S.objs,
      url: d(S.str, 'The module: file:// (in the proxy), http(s):// (fetched by Envoy, sha256 required) or an OCI image (oci://, or no scheme).'),
      sha256: d(S.str, 'SHA-256 of the module, 64 lowercase hexadecimal digits.'),
      imagePullPolicy: S.str,
      imagePullSecret: S.str,
      verificationKey: S.str,
      pluginConfig: d(S.obj, 'Passed to the plugin as JSON.'),
      pluginName: d(S.str, "The plugin's root id in Envoy."),
      phase: d(S.str, 'Where in the filter chain the plugin runs: AUTHN, AUTHZ, STATS, or UNSPECIFIED_PHASE (after the others).'),
      priority: d({ ...S.int, format: 'int32', nullable: true }, 'Order within a phase (highest first).'),
      failStrategy: S.str,
      vmConfig: S.obj,
      match: S.objs,
      type: S.str,
    },
  },
];

function openAPISchema(k: CrdKind): Schema {
  return {
    type: 'object',
    properties: {
      spec: { type: 'object', description: k.description, properties: k.spec },
      status: { type: 'object', 'x-kubernetes-preserve-unknown-fields': true },
    },
  };
}

/** The CustomResourceDefinition object for one kind. */
export function crd(k: CrdKind): Record<string, unknown> {
  const category = k.group.replace(/\./g, '-');
  return {
    apiVersion: 'apiextensions.k8s.io/v1',
    kind: 'CustomResourceDefinition',
    metadata: { name: `${k.plural}.${k.group}`, labels: { 'app.kubernetes.io/part-of': 'mizzen' } },
    spec: {
      group: k.group,
      names: {
        kind: k.kind,
        listKind: `${k.kind}List`,
        plural: k.plural,
        singular: k.singular,
        ...(k.shortNames.length ? { shortNames: k.shortNames } : {}),
        categories: ['istio-io', category],
      },
      scope: 'Namespaced',
      versions: k.versions.map((name, i) => ({
        name,
        served: true,
        storage: i === 0,
        schema: { openAPIV3Schema: openAPISchema(k) },
        subresources: { status: {} },
        additionalPrinterColumns: k.columns,
      })),
    },
  };
}

export const fileName = (k: CrdKind): string => `${k.group}_${k.plural}.yaml`;

const HEADER = '# Generated by src/tools/gen-crds.ts from its description; do not edit by hand.\n';

/** Every file of manifests/crds, by name: one per CRD plus the kustomization. */
export function renderCrdFiles(): Map<string, string> {
  const files = new Map<string, string>();
  for (const k of CRD_KINDS) files.set(fileName(k), HEADER + stringify(crd(k), { lineWidth: 0, aliasDuplicateObjects: false }));
  const kustomization = { apiVersion: 'kustomize.config.k8s.io/v1beta1', kind: 'Kustomization', resources: CRD_KINDS.map(fileName) };
  files.set('kustomization.yaml', HEADER + stringify(kustomization, { lineWidth: 0, aliasDuplicateObjects: false }));
  return files;
}

export const CRD_DIR = fileURLToPath(new URL('../../manifests/crds/', import.meta.url));

/** Names of files in `dir` that differ from (or are missing against, or are extra to) the generated ones. */
export function staleFiles(dir = CRD_DIR): string[] {
  const want = renderCrdFiles();
  const out: string[] = [];
  for (const [name, text] of want) if (!existsSync(join(dir, name)) || readFileSync(join(dir, name), 'utf8') !== text) out.push(name);
  if (existsSync(dir)) for (const name of readdirSync(dir)) if (name.endsWith('.yaml') && !want.has(name)) out.push(name);
  return out.sort();
}

export function writeCrdFiles(dir = CRD_DIR): void {
  mkdirSync(dir, { recursive: true });
  const want = renderCrdFiles();
  for (const name of readdirSync(dir)) if (name.endsWith('.yaml') && !want.has(name)) unlinkSync(join(dir, name));
  for (const [name, text] of want) writeFileSync(join(dir, name), text);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  if (process.argv.includes('--check')) {
    const stale = staleFiles();
    if (stale.length) {
      process.stderr.write(`out of date in manifests/crds: ${stale.join(', ')}\nrun: node --import tsx src/tools/gen-crds.ts\n`);
      process.exitCode = 1;
    }
  } else {
    writeCrdFiles();
    process.stdout.write(`wrote ${CRD_KINDS.length} CRDs to manifests/crds\n`);
  }
}
