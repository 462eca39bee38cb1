/**
 * Kubernetes ConfigMaps as the config store may hold them: those with a CA bundle under `ca.crt`, which
 * BackendTLSPolicies name (model/configmap-ca.ts), and those that customize deployed gateways (an overlay key such
 * as `deployment`, or the label gateway.istio.io/defaults-for-class: model/gateway-customization.ts). A kept
 * ConfigMap keeps the values of `ca.crt` and of the overlay keys; a customization also keeps its other keys by name
 * only, their values emptied (nothing reads them; the gateway deployer refuses them as unsupported overlays, as
 * Istio does). Reduced as each arrives, so neither the informer's cache nor the store keeps any other ConfigMap
 * data; any other ConfigMap is never stored. Pure.
 */
import type { KubeObject } from '../../core/kube.js';
import { CA_CRT_KEY } from '../../model/configmap-ca.js';
import { CLASS_DEFAULTS_LABEL, OVERLAY_KEY_NAMES } from '../../model/gateway-customization.js';
import { reducedMeta } from './secrets.js';

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** The keys whose values a reduced ConfigMap keeps. */
const KEPT_VALUES = new Set([CA_CRT_KEY, ...OVERLAY_KEY_NAMES]);

/** Whether a ConfigMap (reduced or not) customizes gateways: an overlay key, or the class defaults label. */
export function isGatewayCustomization(obj: Pick<KubeObject, 'metadata'> & { data?: unknown }): boolean {
  const labels = isObject(obj.metadata?.labels) ? obj.metadata.labels : {};
  const data = isObject(obj.data) ? obj.data : {};
  return typeof labels[CLASS_DEFAULTS_LABEL] === 'string' || OVERLAY_KEY_NAMES.some((k) => typeof data[k] === 'string');
}

/** A ConfigMap reduced as the module says, or undefined when it is neither a CA bundle nor a customization (or has no name). */
export function reduceConfigMap(obj: unknown): KubeObject | undefined {
  if (!isObject(obj) || !isObject(obj.metadata) || typeof obj.metadata.name !== 'string' || obj.metadata.name === '') return undefined;
  const data = isObject(obj.data) ? obj.data : {};
  const meta = reducedMeta(obj.metadata);
  const customization = isGatewayCustomization({ metadata: meta, data });
  if (typeof data[CA_CRT_KEY] !== 'string' && !customization) return undefined;
  const kept: Record<string, string> = {};
  for (const [k, v] of Object.entries(data)) {
    if (KEPT_VALUES.has(k) && typeof v === 'string') kept[k] = v;
    else if (customization) kept[k] = '';
  }
  return { apiVersion: 'v1', kind: 'ConfigMap', metadata: meta, data: kept };
}
