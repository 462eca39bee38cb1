/**
 * Cross-resource analysis, like `istioctl analyze`: pure functions over a set of Kubernetes objects
 * (Istio resources plus Services, Pods, Namespaces, workload controllers...). Codes and levels: ./codes.ts.
 * Used by `mizzen analyze` and by the validating webhook (apply-time warnings).
 */
import type { KubeObject } from '../core/kube.js';
import { conflictingVirtualServices } from './analyzers/conflicts.js';
import { hiddenGatewayRoutes } from './analyzers/gateway-merge.js';
import { duplicateResources } from './analyzers/duplicates.js';
import { missingNamespaces } from './analyzers/namespaces.js';
import { servicePortNames } from './analyzers/services.js';
import { deploymentServices } from './analyzers/deployments.js';
import { namespaceInjection, podsWithoutProxy } from './analyzers/injection.js';
import { istioAnnotations } from './analyzers/annotations.js';
import { virtualServiceReferences } from './analyzers/virtualservice.js';
import { destinationRuleSubsets, gatewaySelectors, policySelectors } from './analyzers/workloads.js';
import { requestAuthenticationKeys } from './analyzers/requestauth.js';
import { jwtClaimRoutes } from './analyzers/jwt-claims.js';
import { destinationRuleHosts, destinationRuleTls } from './analyzers/destinationrule.js';
import { envoyFilterPatches } from './analyzers/envoyfilter.js';
import { customAuthorizationProviders } from './analyzers/ext-authz.js';
import { gatewayCredentials } from './analyzers/credentials.js';
import { proxyConfigConflicts } from './analyzers/proxyconfig.js';
import { gatewayRoutes } from './analyzers/gateway-api.js';
import { gatewayListeners, gatewayWorkloads } from './analyzers/gateway-api-gateways.js';
import { listenerSetListeners } from './analyzers/gateway-api-listenerset.js';
import { undeployableGateways } from './analyzers/gateway-api-deploy.js';
import { backendTlsPolicies, backendTrafficPolicies } from './analyzers/backendtls.js';
import { policyTargets } from './analyzers/policy-targets.js';
import { ingresses } from './analyzers/ingress.js';
import { conflictingSidecarSelectors, namespaceWideSidecars } from './analyzers/sidecars.js';
import { conflictingGateways, duplicateGatewayCertificates, gatewayPortsOnService } from './analyzers/gateways.js';
import { virtualServiceGatewayHosts } from './analyzers/virtualservice-gateways.js';
import { conflictingServiceEntryProtocols, serviceEntryAddresses } from './analyzers/serviceentries.js';
import { conflictingTelemetrySelectors, namespaceWideTelemetries, telemetryCollectors, telemetryLogServices, telemetryProviderNames, telemetryWithoutProviders } from './analyzers/telemetry.js';
import { normalize, unsuppressed, type Finding } from './finding.js';
import { World, type AnalyzeOptions } from './world.js';

export type { Finding } from './finding.js';
export { compareFindings, formatFinding, normalize } from './finding.js';
export { CODES, type Code, type CodeInfo, type Level } from './codes.js';
export type { AnalyzeOptions } from './world.js';

export interface Analyzer {
  name: string;
  run: (w: World) => Finding[];
}

/** Every analyzer, each a small pure function over the indexed world. */
export const ANALYZERS: readonly Analyzer[] = [
  { name: 'virtualservice.references', run: virtualServiceReferences },
  { name: 'virtualservice.conflicts', run: conflictingVirtualServices },
  { name: 'virtualservice.gateway-merge', run: hiddenGatewayRoutes },
  { name: 'virtualservice.gateway-hosts', run: virtualServiceGatewayHosts },
  { name: 'gatewayapi.routes', run: gatewayRoutes },
  { name: 'gatewayapi.listeners', run: gatewayListeners },
  { name: 'gatewayapi.listenersets', run: listenerSetListeners },
  { name: 'gatewayapi.workloads', run: gatewayWorkloads },
  { name: 'gatewayapi.deployments', run: undeployableGateways },
  { name: 'gatewayapi.backendtls', run: backendTlsPolicies },
  { name: 'gatewayapi.backendtraffic', run: backendTrafficPolicies },
  { name: 'ingress.backends', run: ingresses },
  { name: 'virtualservice.jwt-claims', run: jwtClaimRoutes },
  { name: 'destinationrule.subsets', run: destinationRuleSubsets },
  { name: 'destinationrule.tls', run: destinationRuleTls },
  { name: 'destinationrule.hosts', run: destinationRuleHosts },
  { name: 'policy.selectors', run: policySelectors },
  { name: 'policy.targets', run: policyTargets },
  { name: 'gateway.selectors', run: gatewaySelectors },
  { name: 'gateway.conflicts', run: conflictingGateways },
  { name: 'gateway.certificates', run: duplicateGatewayCertificates },
  { name: 'gateway.service-ports', run: gatewayPortsOnService },
  { name: 'sidecar.selectors', run: conflictingSidecarSelectors },
  { name: 'sidecar.namespacewide', run: namespaceWideSidecars },
  { name: 'serviceentry.addresses', run: serviceEntryAddresses },
  { name: 'serviceentry.protocols', run: conflictingServiceEntryProtocols },
  { name: 'requestauthentication.keys', run: requestAuthenticationKeys },
  { name: 'telemetry.namespacewide', run: namespaceWideTelemetries },
  { name: 'telemetry.selectors', run: conflictingTelemetrySelectors },
  { name: 'telemetry.providers', run: telemetryProviderNames },
  { name: 'telemetry.defaults', run: telemetryWithoutProviders },
  { name: 'telemetry.collectors', run: telemetryCollectors },
  { name: 'telemetry.log-services', run: telemetryLogServices },
  { name: 'gateway.credentials', run: gatewayCredentials },
  { name: 'proxyconfig.conflicts', run: proxyConfigConflicts },
  { name: 'envoyfilter.patches', run: envoyFilterPatches },
  { name: 'authorizationpolicy.custom', run: customAuthorizationProviders },
  { name: 'service.portnames', run: servicePortNames },
  { name: 'deployment.services', run: deploymentServices },
  { name: 'injection.namespaces', run: namespaceInjection },
  { name: 'injection.pods', run: podsWithoutProxy },
  { name: 'annotations', run: istioAnnotations },
  { name: 'namespaces', run: missingNamespaces },
  { name: 'duplicates', run: duplicateResources },
];

const isObjectLike = (o: unknown): o is KubeObject =>
  typeof o === 'object' && o !== null && typeof (o as KubeObject).kind === 'string' && typeof (o as KubeObject).apiVersion === 'string' && typeof (o as KubeObject).metadata === 'object' && (o as KubeObject).metadata !== null;

/** All findings over a whole set of objects, deduplicated and ordered (Errors first). */
export function analyze(objects: readonly KubeObject[], opts: AnalyzeOptions = {}): Finding[] {
  const w = new World(objects.filter(isObjectLike), opts);
  return normalize(unsuppressed(ANALYZERS.flatMap((a) => a.run(w)), w.objects));
}

const worlds = new WeakMap<readonly KubeObject[], { opts: string; world: World }>();

/** The indexed world of an object list, cached per array instance (a snapshot is never mutated in place). */
function worldOf(objects: readonly KubeObject[], opts: AnalyzeOptions): World {
  const key = JSON.stringify(opts);
  const hit = worlds.get(objects);
  if (hit && hit.opts === key) return hit.world;
  const world = new World(objects.filter(isObjectLike), opts);
  worlds.set(objects, { opts: key, world });
  return world;
}

/**
 * Findings about `obj` as if it were applied into `world` (replacing any object with the same key):
 * what the webhook returns as warnings. Only `obj` is analyzed; the world's index is built once per array
 * instance and reused, so pass the same (immutable) array across calls.
 */
export function analyzeObject(obj: KubeObject, world: readonly KubeObject[], opts: AnalyzeOptions = {}): Finding[] {
  if (!isObjectLike(obj)) return [];
  const w = worldOf(world, opts).withFocus(obj);
  return normalize(unsuppressed(ANALYZERS.flatMap((a) => a.run(w)), [obj]));
}
