/**
 * Gateway API Gateways that `mizzen serve --deploy-gateways` would deploy a gateway for (class istio, no address
 * or one IP) but cannot (MZ0021): the renderer (model/gateway-api-deploy.ts) refuses them, because their
 * networking.istio.io/service-type is not a Service type it makes, their deployment name is not a DNS label, or the
 * gateway pod their infrastructure annotations would make does not pass injection (a bad sidecar.istio.io/proxyCPU,
 * say). The same renderer decides, with the default mesh config: what the deployer would refuse, this reports.
 */
import type { KubeObject } from '../../core/kube.js';
import { DEFAULT_MESH_CONFIG } from '../../config/mesh.js';
import { GatewayAnnotations, isIstioClass, isManagedGateway, renderGatewayDeployment } from '../../model/gateway-api-deploy.js';
import { isGatewayApi } from '../../model/gateway-refs.js';
import { finding, type Finding } from '../finding.js';
import type { World } from '../world.js';

/** MZ0021 for each Gateway the deployment renderer refuses. */
export function undeployableGateways(w: World): Finding[] {
  const classes = w.core('GatewayClass').filter(isGatewayApi);
  const out: Finding[] = [];
  for (const gw of w.coreSubjects('Gateway')) {
    if (!isGatewayApi(gw) || !isIstioClass(gw, classes) || !isManagedGateway(gw)) continue;
    // The uid only ties the objects to their Gateway; an input that was never applied has none.
    const r = renderGatewayDeployment({ ...gw, metadata: { ...gw.metadata, uid: gw.metadata.uid ?? 'analysis' } } as KubeObject, { mesh: DEFAULT_MESH_CONFIG });
    if (r.ok) continue;
    const path = r.errors.some((e) => e.includes(GatewayAnnotations.serviceType)) ? `metadata.annotations["${GatewayAnnotations.serviceType}"]` : undefined;
    out.push(finding('MZ0021', gw, `mizzen serve --deploy-gateways would deploy no gateway for this Gateway: ${r.errors.join('; ')}`, path));
  }
  return out;
}
