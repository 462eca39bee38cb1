/**
 * How Gateway API routes (gateway.networking.k8s.io HTTPRoute, GRPCRoute, TLSRoute, TCPRoute) name what they attach to and where they
 * send traffic, read the way the Gateway API defines it: parentRefs and backendRefs default their group to the
 * core group (for backends) or gateway.networking.k8s.io (for parents), their kind to Service or Gateway, and
 * their namespace to the route's own. A reference into another namespace counts only where a ReferenceGrant in
 * that namespace allows it. Shared by the route conversion (gateway-api.ts) and `mizzen analyze`. Pure.
 */
import { fqdn, type KubeObject } from '../core/kube.js';
import type { Config } from './types.js';
import { asArray, asObject, asPort, asString, nonEmptyStrings } from './selectors.js';

export const GATEWAY_API_GROUP = 'gateway.networking.k8s.io';
/** The Gateway API's experimental group (XBackendTrafficPolicy, …): kinds that may change or go away. */
export const GATEWAY_API_X_GROUP = 'gateway.networking.x-k8s.io';
/** Whether a policy's target reference names a Gateway API Gateway (group gateway.networking.k8s.io, kind Gateway). */
export const isGatewayRef = (ref: Record<string, unknown>): boolean => ref.group === GATEWAY_API_GROUP && ref.kind === 'Gateway';
/** The route kinds mizzen serves: attached to a Service (the mesh), they become routes of that service. */
export const GATEWAY_ROUTE_KINDS: readonly string[] = ['HTTPRoute', 'GRPCRoute', 'TLSRoute', 'TCPRoute'];

export const isGatewayApi = (o: Pick<KubeObject, 'apiVersion'>): boolean => typeof o.apiVersion === 'string' && o.apiVersion.startsWith(`${GATEWAY_API_GROUP}/`);
/** Whether an object is of the Gateway API's experimental group. */
export const isGatewayApiX = (o: Pick<KubeObject, 'apiVersion'>): boolean => typeof o.apiVersion === 'string' && o.apiVersion.startsWith(`${GATEWAY_API_X_GROUP}/`);
export const isGatewayRoute = (o: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean => isGatewayApi(o) && GATEWAY_ROUTE_KINDS.includes(o.kind);
export const isReferenceGrant = (o: Pick<KubeObject, 'apiVersion' | 'kind'>): boolean => isGatewayApi(o) && o.kind === 'ReferenceGrant';

/** Filter types mizzen applies on a rule, by route kind; a rule with any other answers 500. */
export const RULE_FILTERS: Readonly<Record<string, readonly string[]>> = {
  HTTPRoute: ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestRedirect', 'URLRewrite', 'RequestMirror', 'CORS'],
  GRPCRoute: ['RequestHeaderModifier', 'ResponseHeaderModifier', 'RequestMirror'],
  TLSRoute: [],
  TCPRoute: [],
};
/** Filter types mizzen applies on an HTTP or gRPC backendRef; a backend with any other is not used, its share answers 500. */
export const BACKEND_FILTERS: readonly string[] = ['RequestHeaderModifier', 'ResponseHeaderModifier'];

/** A parentRef as the Gateway API reads it. `service`, `serviceEntry`: it names one, so the route is a mesh route. */
export interface ParentRef {
  group: string;
  kind: string;
  name: string;
  namespace: string;
  port?: number;
  sectionName?: string;
  service: boolean;
  /** It names an Istio ServiceEntry (group networking.istio.io): a mesh route of the ServiceEntry's hosts. */
  serviceEntry: boolean;
}

/**
 * A backendRef (or a RequestMirror's) as the Gateway API reads it. What mizzen routes to, as Istio does: `service`, a
 * core Service (or a multi-cluster ServiceImport, which is the Service in the one cluster mizzen reads), or
 * `hostname`, an Istio `Hostname` (group networking.istio.io): a host of the registry, such as a ServiceEntry's,
 * named without a namespace.
 */
export interface BackendRef {
  group: string;
  kind: string;
  name: string;
  namespace: string;
  port?: number;
  service: boolean;
  hostname: boolean;
}

/** The host a backendRef mizzen routes to names (Service: its FQDN; Hostname: the name); undefined for any other. */
export function backendHost(ref: BackendRef, domainSuffix: string): string | undefined {
  if (ref.service) return ref.name.includes('.') ? undefined : fqdn(ref.name, ref.namespace, domainSuffix);
  return ref.hostname ? ref.name : undefined;
}

/** One parentRef (`{group, kind, name, namespace, port, sectionName}`) with its defaults; undefined without a name. */
export function parentRef(raw: unknown, routeNamespace: string): ParentRef | undefined {
  const r = asObject(raw);
  const name = asString(r.name);
  if (!name) return undefined;
  const group = asString(r.group) ?? GATEWAY_API_GROUP;
  const kind = asString(r.kind) ?? 'Gateway';
  const port = asPort(r.port);
  const sectionName = asString(r.sectionName);
  return {
    group,
    kind,
    name,
    namespace: asString(r.namespace) || routeNamespace,
    ...(port !== undefined ? { port } : {}),
    ...(sectionName ? { sectionName } : {}),
    service: group === '' && kind === 'Service',
    serviceEntry: group === 'networking.istio.io' && kind === 'ServiceEntry',
  };
}

/** A route's `spec.hostnames` (HTTPRoute, GRPCRoute, TLSRoute; TCPRoutes have none): the non-empty strings. */
export const routeHostnames = (spec: unknown): string[] => nonEmptyStrings(asObject(spec).hostnames);

/** The parentRefs of a route (`spec.parentRefs`), each with its defaults; entries without a name are left out. */
export function parentRefs(spec: unknown, routeNamespace: string): ParentRef[] {
  return asArray(asObject(spec).parentRefs).flatMap((raw) => parentRef(raw, routeNamespace) ?? []);
}

/** One backendRef (`{group, kind, name, namespace, port}`) with its defaults; undefined without a name. */
export function backendRef(raw: unknown, routeNamespace: string): BackendRef | undefined {
  const r = asObject(raw);
  const name = asString(r.name);
  if (!name) return undefined;
  const group = asString(r.group) ?? '';
  const kind = asString(r.kind) ?? 'Service';
  const port = asPort(r.port);
  const service = (group === '' && kind === 'Service') || (group === 'multicluster.x-k8s.io' && kind === 'ServiceImport');
  const hostname = group === 'networking.istio.io' && kind === 'Hostname' && asString(r.namespace) === undefined;
  return { group, kind, name, namespace: asString(r.namespace) || routeNamespace, ...(port !== undefined ? { port } : {}), service, hostname };
}

/** ReferenceGrants as stored (Configs) → the objects referenceAllowed() reads. */
export const grantObjects = (grants: readonly Config[]): KubeObject[] =>
  grants.map((g) => ({ apiVersion: g.apiVersion, kind: g.kind, metadata: { name: g.name, namespace: g.namespace }, spec: g.spec }));

/**
 * Whether a `fromKind` in the Gateway API group in `fromNamespace` may refer to `to`: always within a namespace,
 * else only where a ReferenceGrant in `to`'s namespace lists that kind and namespace in `from` and that target's
 * group and kind (and name, when it names one) in `to`.
 */
export function referenceAllowed(grants: readonly KubeObject[], fromKind: string, fromNamespace: string, to: Pick<BackendRef, 'group' | 'kind' | 'name' | 'namespace'>): boolean {
  if (to.namespace === fromNamespace) return true;
  return grants.some((g) => {
    if (!isReferenceGrant(g) || (g.metadata.namespace || 'default') !== to.namespace) return false;
    const spec = asObject(g.spec);
    const from = asArray(spec.from).some((f) => {
      const o = asObject(f);
      return o.group === GATEWAY_API_GROUP && o.kind === fromKind && o.namespace === fromNamespace;
    });
    if (!from) return false;
    return asArray(spec.to).some((t) => {
      const o = asObject(t);
      const name = asString(o.name);
      return (asString(o.group) ?? '') === to.group && o.kind === to.kind && (!name || name === to.name);
    });
  });
}
