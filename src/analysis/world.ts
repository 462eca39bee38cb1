/**
 * The index analyzers read: every object of the input sorted by kind, with host, gateway and workload lookups.
 * Built once per analysis; pure.
 */
import { apiGroup, POD_TEMPLATE_PATHS, type KubeObject } from '../core/kube.js';
import { ApiGroups, DEFAULT_DOMAIN_SUFFIX, ROOT_NAMESPACES } from '../core/constants.js';
import { hostMatches, resolveHost } from './hosts.js';
import { arr, labelMap, num, rec, str, strs } from './shape.js';
import { DEFAULT_INGRESS_SETTINGS, type IngressSettings } from '../model/ingress.js';
import type { MeshConfig } from '../config/mesh.js';
import type { EntryVisibilitySettings } from '../model/serviceentry-visibility.js';

export interface AnalyzeOptions {
  /** Mesh domain suffix for short names (default cluster.local). */
  domainSuffix?: string;
  /**
   * Namespaces whose policies apply mesh-wide (their selectors match workloads in every namespace): the mesh
   * config's (analysisOptions, model/root-namespaces.ts); absent: istio-system and mizzen-system.
   */
  rootNamespaces?: readonly string[];
  /** The names of the mesh config's extensionProviders: when given, the providers Telemetry resources name are checked. */
  telemetryProviders?: readonly string[];
  /** The mesh config's defaultProviders: when given, Telemetry entries that name no provider are checked. */
  defaultProviders?: { tracing: readonly string[]; accessLogging: readonly string[] };
  /** The collectors of the mesh config's tracing providers (zipkin, opentelemetry), by provider name: when given, Telemetry tracing checks them. */
  tracingCollectors?: Readonly<Record<string, { host: string; port: number }>>;
  /** The services of the mesh config's external authorization providers, by exact name: when given, CUSTOM AuthorizationPolicies are checked. */
  authzProviders?: Readonly<Record<string, { service: string; port: number }>>;
  /**
   * Whether gateways can be served their credentialName Secrets: only gateways that prove their identity are, which
   * the mesh config's workloadCertificateSecrets makes possible. Undefined when the mesh config is unknown.
   */
  credentialsServed?: boolean;
  /** The mesh config's ingress fields: which Ingresses are Istio's; absent: Istio's defaults. */
  ingress?: IngressSettings;
  /** The gRPC access log services (envoyHttpAls, envoyTcpAls) by provider name: `[<namespace>/]<host>` and port. */
  logServices?: Readonly<Record<string, { service: string; port: number }>>;
  /** The mesh config's fields injection reads (the webhook's revision, its selectors); absent: the defaults. */
  injection?: Pick<MeshConfig, 'revision' | 'neverInjectSelector' | 'alwaysInjectSelector'>;
  /** The mesh config's defaultServiceExportTo (absent: every namespace) and serviceEntryVisibility as sidecars follow it (absent: none). */
  serviceExports?: { defaults?: readonly string[]; visibility?: EntryVisibilitySettings };
}

export const DEFAULT_ROOT_NAMESPACES: readonly string[] = ROOT_NAMESPACES;

/** Namespaces that exist in every cluster. */
export const BUILTIN_NAMESPACES: readonly string[] = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** Something that can receive traffic for a host: a Kubernetes Service or a ServiceEntry host. */
export interface HostEntry {
  kind: 'Service' | 'ServiceEntry';
  /** The host as matched: a Service FQDN, or a ServiceEntry host (possibly a wildcard). */
  host: string;
  namespace: string;
  object: KubeObject;
  ports: number[];
  /** Service spec.selector / ServiceEntry spec.workloadSelector.labels (empty: none). */
  selector: Record<string, string>;
}

export interface Workload {
  kind: string;
  namespace: string;
  name: string;
  labels: Record<string, string>;
}


export const nsOf = (o: KubeObject): string => (typeof o.metadata?.namespace === 'string' && o.metadata.namespace ? o.metadata.namespace : 'default');
export const nameOf = (o: KubeObject): string => (typeof o.metadata?.name === 'string' ? o.metadata.name : '');

/**
 * Creation order, then name, as model/snapshot.ts compareConfigs orders them (no creation time: first); the object
 * being applied, when it has no creation time yet, is the youngest.
 */
export function olderIn(w: World): (a: KubeObject, b: KubeObject) => number {
  const created = (t: KubeObject): string => (typeof t.metadata.creationTimestamp === 'string' ? t.metadata.creationTimestamp : t === w.focus ? '~' : '');
  return (a, b) => (created(a) < created(b) ? -1 : created(a) > created(b) ? 1 : nameOf(a) < nameOf(b) ? -1 : nameOf(a) > nameOf(b) ? 1 : 0);
}

export function isIstio(o: KubeObject, kind: string): boolean {
  const g = apiGroup(o.apiVersion);
  return o.kind === kind && (Object.values(ApiGroups) as string[]).includes(g);
}

export class World {
  readonly domainSuffix: string;
  readonly rootNamespaces: ReadonlySet<string>;
  /** Lowercased (Telemetry names providers without regard to case); undefined when unknown. */
  readonly telemetryProviders: ReadonlySet<string> | undefined;
  readonly defaultProviders: AnalyzeOptions['defaultProviders'];
  /** By lowercased provider name. */
  readonly tracingCollectors: ReadonlyMap<string, { host: string; port: number }>;
  readonly credentialsServed: boolean | undefined;
  readonly ingress: IngressSettings;
  /** By lowercased provider name. */
  readonly logServices: ReadonlyMap<string, { service: string; port: number }>;
  readonly injection: AnalyzeOptions['injection'];
  readonly serviceExports: NonNullable<AnalyzeOptions['serviceExports']>;
  /** By exact name; undefined when unknown. */
  readonly authzProviders: ReadonlyMap<string, { service: string; port: number }> | undefined;
  readonly objects: readonly KubeObject[];
  readonly byKind = new Map<string, KubeObject[]>();
  /** Exact host → entries (Service FQDNs and non-wildcard ServiceEntry hosts). */
  private readonly exactHosts = new Map<string, HostEntry[]>();
  private readonly wildcardHosts: HostEntry[] = [];
  readonly workloads: Workload[] = [];
  private readonly workloadsByNamespace = new Map<string, Workload[]>();
  private readonly serviceNamespaces = new Set<string>();
  /** DestinationRules by resolved host (wildcard hosts apart). */
  private readonly drByHost = new Map<string, KubeObject[]>();
  private readonly wildcardDrs: Array<{ host: string; dr: KubeObject }> = [];
  /** Names of the Istio Gateways of each namespace. */
  private readonly gatewayNames = new Map<string, Set<string>>();
  /** Namespaces named by Namespace objects. */
  readonly declaredNamespaces = new Set<string>();
  /** Namespaces that hold at least one object of the input. */
  readonly usedNamespaces = new Set<string>();
  /** When set, analyzers report on this object only (analyzeObject); lookups still see the whole world. */
  readonly focus: KubeObject | undefined;
  /** Lazily computed values shared by a world and its focused views. */
  readonly memo: Record<string, unknown> = {};

  constructor(objects: readonly KubeObject[], opts: AnalyzeOptions = {}) {
    this.domainSuffix = opts.domainSuffix ?? DEFAULT_DOMAIN_SUFFIX;
    this.rootNamespaces = new Set(opts.rootNamespaces ?? DEFAULT_ROOT_NAMESPACES);
    this.telemetryProviders = opts.telemetryProviders && new Set(opts.telemetryProviders.map((n) => n.toLowerCase()));
    this.defaultProviders = opts.defaultProviders;
    this.tracingCollectors = new Map(Object.entries(opts.tracingCollectors ?? {}).map(([name, c]) => [name.toLowerCase(), c]));
    this.authzProviders = opts.authzProviders && new Map(Object.entries(opts.authzProviders));
    this.credentialsServed = opts.credentialsServed;
    this.ingress = opts.ingress ?? DEFAULT_INGRESS_SETTINGS;
    this.logServices = new Map(Object.entries(opts.logServices ?? {}).map(([name, c]) => [name.toLowerCase(), c]));
    this.injection = opts.injection;
    this.serviceExports = opts.serviceExports ?? {};
    this.objects = objects;
    this.focus = undefined;
    for (const o of objects) {
      const key = isIstio(o, o.kind) ? `istio:${o.kind}` : o.kind;
      let list = this.byKind.get(key);
      if (!list) this.byKind.set(key, (list = []));
      list.push(o);
      if (o.kind === 'Namespace' && o.apiVersion === 'v1') this.declaredNamespaces.add(nameOf(o));
      else this.usedNamespaces.add(nsOf(o));
      this.indexObject(o);
    }
  }

  /** A view of this world that reports on `obj` only; indexes are shared, not rebuilt. */
  withFocus(obj: KubeObject): World {
    const view = Object.create(this) as World;
    Object.defineProperty(view, 'focus', { value: obj, enumerable: true });
    return view;
  }

  /** The Istio resources of a kind that analyzers report on: all of them, or the focus. */
  subjects(kind: string): KubeObject[] {
    if (this.focus) return isIstio(this.focus, kind) ? [this.focus] : [];
    return this.istio(kind);
  }

  /** The non-Istio objects of a kind that analyzers report on: all of them, or the focus. */
  coreSubjects(kind: string): KubeObject[] {
    if (this.focus) return this.focus.kind === kind && !isIstio(this.focus, kind) ? [this.focus] : [];
    return this.core(kind);
  }

  /** Istio resources of a kind (networking or security group). */
  istio(kind: string): KubeObject[] {
    return this.byKind.get(`istio:${kind}`) ?? [];
  }

  /** Core/apps objects of a kind (any group other than Istio's). */
  core(kind: string): KubeObject[] {
    return this.byKind.get(kind) ?? [];
  }

  resolve(host: string, namespace: string): string {
    return resolveHost(host, namespace, this.domainSuffix);
  }

  /** Services and ServiceEntries that serve `fqdn` (exact first, then wildcard ServiceEntry hosts). */
  lookupHost(fqdn: string): HostEntry[] {
    const exact = this.exactHosts.get(fqdn) ?? [];
    const wild = this.wildcardHosts.filter((e) => hostMatches(e.host, fqdn) || e.host === fqdn);
    return [...exact, ...wild];
  }

  /** Whether some Service or ServiceEntry serves `fqdn` on `port` (a wildcard ServiceEntry host counts). */
  serves(fqdn: string, port: number): boolean {
    return this.lookupHost(fqdn).some((e) => e.ports.includes(port));
  }

  /** Does the input describe any Service in this namespace (so a missing host there is a real miss)? */
  hasServicesIn(namespace: string): boolean {
    return this.serviceNamespaces.has(namespace);
  }

  /** DestinationRules whose host (resolved in their namespace) is `fqdn` or a wildcard covering it. */
  destinationRulesFor(fqdn: string): KubeObject[] {
    return [...(this.drByHost.get(fqdn) ?? []), ...this.wildcardDrs.filter((d) => hostMatches(d.host, fqdn)).map((d) => d.dr)];
  }

  /** Names of the Gateways in a namespace (undefined: the input has none there). */
  gatewaysIn(namespace: string): ReadonlySet<string> | undefined {
    return this.gatewayNames.get(namespace);
  }

  hasWorkloadsIn(namespace: string): boolean {
    return this.workloadsByNamespace.has(namespace);
  }

  hasAnyWorkload(): boolean {
    return this.workloads.length > 0;
  }

  /** Workloads matching `selector`: in `namespace`, or anywhere when namespace is undefined. */
  matchWorkloads(selector: Record<string, string>, namespace?: string): Workload[] {
    const pool = namespace === undefined ? this.workloads : (this.workloadsByNamespace.get(namespace) ?? []);
    const entries = Object.entries(selector);
    return pool.filter((w) => entries.every(([k, v]) => w.labels[k] === v));
  }

  /** Namespaces known to exist: declared, used by an object, or built in. */
  namespaceExists(ns: string): boolean {
    return this.declaredNamespaces.has(ns) || this.usedNamespaces.has(ns) || BUILTIN_NAMESPACES.includes(ns) || (this.focus !== undefined && nsOf(this.focus) === ns);
  }

  private addHost(e: HostEntry): void {
    if (e.host.startsWith('*')) {
      this.wildcardHosts.push(e);
      return;
    }
    let list = this.exactHosts.get(e.host);
    if (!list) this.exactHosts.set(e.host, (list = []));
    list.push(e);
  }

  private addWorkload(kind: string, namespace: string, name: string, labels: Record<string, string>): void {
    const w = { kind, namespace, name, labels };
    this.workloads.push(w);
    let list = this.workloadsByNamespace.get(namespace);
    if (!list) this.workloadsByNamespace.set(namespace, (list = []));
    list.push(w);
  }

  private indexObject(o: KubeObject): void {
    const ns = nsOf(o);
    const spec = rec(o.spec);
    if (o.kind === 'Service' && o.apiVersion === 'v1') {
      this.serviceNamespaces.add(ns);
      const ports = arr(spec.ports).map((p) => num(rec(p).port)).filter((p): p is number => p !== undefined);
      this.addHost({ kind: 'Service', host: `${nameOf(o).toLowerCase()}.${ns}.svc.${this.domainSuffix}`, namespace: ns, object: o, ports, selector: labelMap(spec.selector) });
      return;
    }
    if (isIstio(o, 'ServiceEntry')) {
      const ports = arr(spec.ports).map((p) => num(rec(p).number)).filter((p): p is number => p !== undefined);
      const selector = labelMap(rec(spec.workloadSelector).labels);
      for (const h of strs(spec.hosts)) {
        const raw = h.toLowerCase();
        const resolved = this.resolve(h, ns);
        this.addHost({ kind: 'ServiceEntry', host: raw, namespace: ns, object: o, ports, selector });
        if (resolved !== raw) this.addHost({ kind: 'ServiceEntry', host: resolved, namespace: ns, object: o, ports, selector });
      }
      // Inline endpoints are workloads of the entry's own namespace.
      for (const [i, ep] of arr(spec.endpoints).entries()) this.addWorkload('ServiceEntry endpoint', ns, `${nameOf(o)}[${i}]`, labelMap(rec(ep).labels));
      return;
    }
    if (isIstio(o, 'DestinationRule')) {
      const h = str(spec.host);
      if (!h) return;
      const resolved = this.resolve(h, ns);
      if (resolved.startsWith('*')) this.wildcardDrs.push({ host: resolved, dr: o });
      else {
        let list = this.drByHost.get(resolved);
        if (!list) this.drByHost.set(resolved, (list = []));
        list.push(o);
      }
      return;
    }
    if (isIstio(o, 'Gateway')) {
      let names = this.gatewayNames.get(ns);
      if (!names) this.gatewayNames.set(ns, (names = new Set()));
      names.add(nameOf(o));
      return;
    }
    if (isIstio(o, 'WorkloadEntry')) {
      this.addWorkload('WorkloadEntry', ns, nameOf(o), labelMap(spec.labels));
      return;
    }
    if (isIstio(o, 'WorkloadGroup')) {
      this.addWorkload('WorkloadGroup', ns, nameOf(o), labelMap(rec(spec.metadata).labels));
      return;
    }
    if (o.kind === 'Pod' && o.apiVersion === 'v1') {
      this.addWorkload('Pod', ns, nameOf(o), labelMap(o.metadata?.labels));
      return;
    }
    const path = POD_TEMPLATE_PATHS[o.kind];
    if (path && str(o.apiVersion)) {
      let t: unknown = o;
      for (const p of path) t = rec(t)[p];
      this.addWorkload(o.kind, ns, nameOf(o), labelMap(rec(rec(t).metadata).labels));
    }
  }
}
