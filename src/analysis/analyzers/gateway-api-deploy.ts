/**
 * Gateway API Gateways that `mizzen serve --deploy-gateways` would deploy a gateway for (class istio, no address
 * or one IP) but cannot (MZ0021): the renderer (model/gateway-api-deploy.ts) refuses them, because their
 * networking.istio.io/service-type is not a Service type it makes, their deployment name is not a DNS label, the
 * gateway pod their infrastructure annotations would make does not pass injection (a bad sidecar.istio.io/proxyCPU,
 * say), or their customization cannot be applied: the ConfigMaps of the input are the customizations (the class
 * defaults in mizzen's namespace, mizzen-system; the one spec.infrastructure.parametersRef names). The same renderer
 * decides, with the default mesh config: what the deployer would refuse, this reports. A parametersRef ConfigMap the
 * input lacks is MZ0003 where the input has no ConfigMap in the Gateway's namespace to check it against.
 */
import type { KubeObject } from '../../core/kube.js';
import { DEFAULT_MESH_CONFIG } from '../../config/mesh.js';
import { Defaults } from '../../core/constants.js';
import { GatewayAnnotations, isIstioClass, isManagedGateway, renderGatewayDeployment } from '../../model/gateway-api-deploy.js';
import { parametersRef } from '../../model/gateway-customization.js';
import { isGatewayApi } from '../../model/gateway-refs.js';
import { finding, type Finding } from '../finding.js';
import { nsOf, type World } from '../world.js';

const PARAMETERS_REF = 'spec.infrastructure.parametersRef';

/** MZ0021 for each Gateway the deployment renderer refuses (MZ0003 for a parametersRef the input cannot check). */
export function undeployableGateways(w: World): Finding[] {
  const classes = w.core('GatewayClass').filter(isGatewayApi);
  const configMaps = w.core('ConfigMap').filter((c) => c.apiVersion === 'v1');
  const out: Finding[] = [];
  for (const gw of w.coreSubjects('Gateway')) {
    if (!isGatewayApi(gw) || !isIstioClass(gw, classes) || !isManagedGateway(gw)) continue;
    // The uid only ties the objects to their Gateway; an input that was never applied has none.
    let subject = { ...gw, metadata: { ...gw.metadata, uid: gw.metadata.uid ?? 'analysis' } } as KubeObject;
    const ref = parametersRef(gw);
    if (ref.ok && ref.value && !configMaps.some((c) => nsOf(c) === ref.value!.namespace)) {
      out.push(finding('MZ0003', gw, `${PARAMETERS_REF} names ConfigMap ${ref.value.namespace}/${ref.value.name}, but the input has no ConfigMap in namespace "${ref.value.namespace}" to check it against`, PARAMETERS_REF));
      const spec = subject.spec as Record<string, any>;
      const { parametersRef: _, ...infrastructure } = spec.infrastructure as Record<string, unknown>;
      subject = { ...subject, spec: { ...spec, infrastructure } };
    }
    const r = renderGatewayDeployment(subject, { mesh: DEFAULT_MESH_CONFIG, customization: { configMaps, controlPlaneNamespace: Defaults.controlPlaneNamespace } });
    if (r.ok) continue;
    const path = r.errors.some((e) => e.includes(GatewayAnnotations.serviceType)) ? `metadata.annotations["${GatewayAnnotations.serviceType}"]` : r.errors.some((e) => e.startsWith(PARAMETERS_REF)) ? PARAMETERS_REF : undefined;
    out.push(finding('MZ0021', gw, `mizzen serve --deploy-gateways would deploy no gateway for this Gateway: ${r.errors.join('; ')}`, path));
  }
  return out;
}
