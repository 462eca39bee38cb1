/**
 * Istio's customization of deployed gateways by ConfigMaps (serve --deploy-gateways): YAML overlays applied as
 * strategic merge patches (core/strategic-merge.ts) to the objects rendered for a Gateway. Pure.
 *
 * - Where from, in this order: the class defaults, the oldest ConfigMap of the control plane's namespace labelled
 *   gateway.istio.io/defaults-for-class: <the Gateway's class>; then the Gateway's own, the ConfigMap of its
 *   namespace that spec.infrastructure.parametersRef names (group "", kind ConfigMap: nothing else is supported).
 * - What: each ConfigMap's data keys deployment, service, serviceAccount, horizontalPodAutoscaler and
 *   podDisruptionBudget hold the overlay of that object; any other key is refused, as Istio refuses it.
 * - Refused as well: a parametersRef to another kind or to a ConfigMap that is not there, an overlay that is not a
 *   YAML map or that the patch cannot apply, and one that changes what ties an object to its Gateway (apiVersion,
 *   kind, name, namespace, uid, owner references… and the labels `protectedLabels` names).
 * Every error names the ConfigMap and key it comes from.
 */
import { isDeepStrictEqual } from 'node:util';
import { parseDocument } from 'yaml';
import type { KubeObject } from '../core/kube.js';
import { KUBECTL_YAML } from '../core/documents.js';
import { isObject } from '../core/object.js';
import { type Result, fail, ok } from '../core/result.js';
import { strategicMerge } from '../core/strategic-merge.js';
import { PATCH_SCHEMAS, type PatchedKind } from '../core/strategic-merge-schemas.js';
import { asObject, asString, stringMap } from './selectors.js';

/** The label of the ConfigMaps (in the control plane's namespace) that hold the defaults of a class (its value). */
export const CLASS_DEFAULTS_LABEL = 'gateway.istio.io/defaults-for-class';

/** The ConfigMap data key of each object's overlay (Istio's keys). */
export const OVERLAY_KEYS: Readonly<Record<PatchedKind, string>> = {
  ServiceAccount: 'serviceAccount',
  Deployment: 'deployment',
  Service: 'service',
  HorizontalPodAutoscaler: 'horizontalPodAutoscaler',
  PodDisruptionBudget: 'podDisruptionBudget',
};
export const OVERLAY_KEY_NAMES: readonly string[] = Object.values(OVERLAY_KEYS);
const SUPPORTED = [...OVERLAY_KEY_NAMES].sort().join(', ');

/** One ConfigMap's overlays, parsed. */
export interface Customization {
  /** `ConfigMap <namespace>/<name>`, for messages. */
  source: string;
  overlays: Partial<Record<PatchedKind, Record<string, unknown>>>;
}

/** What the customizations are read from. */
export interface CustomizationInput {
  configMaps: readonly KubeObject[];
  /** Where class defaults are looked for (mizzen's own namespace). */
  controlPlaneNamespace: string;
}

const PARAMETERS_REF = 'spec.infrastructure.parametersRef';
const nsOf = (o: KubeObject): string => o.metadata.namespace || 'default';
const isConfigMap = (o: KubeObject): boolean => o.kind === 'ConfigMap' && o.apiVersion === 'v1';
const sourceOf = (cm: KubeObject): string => `ConfigMap ${nsOf(cm)}/${cm.metadata.name ?? ''}`;

/** The ConfigMap a Gateway's parametersRef names (undefined: none named), or why it names none mizzen can use. */
export function parametersRef(gw: Pick<KubeObject, 'metadata' | 'spec'>): Result<{ namespace: string; name: string } | undefined> {
  const infra = asObject(asObject(gw.spec).infrastructure);
  if (infra.parametersRef === undefined || infra.parametersRef === null) return ok(undefined);
  const ref = asObject(infra.parametersRef);
  const group = asString(ref.group) ?? '';
  const kind = asString(ref.kind) ?? '';
  if (group !== '' || kind !== 'ConfigMap') return fail(`${PARAMETERS_REF}: ${group || '""'}/${kind || '(no kind)'} is not supported: a gateway is customized by a ConfigMap (group "", kind ConfigMap)`);
  const name = asString(ref.name);
  if (!name) return fail(`${PARAMETERS_REF}.name: required (the ConfigMap's name)`);
  return ok({ namespace: gw.metadata.namespace || 'default', name });
}

/** The class defaults of `className`: the oldest ConfigMap labelled for it in `namespace` (then by name, as Istio). */
export function classDefaults(className: string, input: CustomizationInput): KubeObject | undefined {
  const candidates = input.configMaps.filter((cm) => isConfigMap(cm) && nsOf(cm) === input.controlPlaneNamespace && stringMap(cm.metadata.labels)[CLASS_DEFAULTS_LABEL] === className);
  const age = (cm: KubeObject): string => asString(cm.metadata.creationTimestamp) ?? '';
  return candidates.sort((a, b) => age(a).localeCompare(age(b)) || (a.metadata.name ?? '').localeCompare(b.metadata.name ?? ''))[0];
}

/** The customizations of a Gateway, class defaults first, each parsed; or every reason they cannot be used. */
export function gatewayCustomizations(gw: KubeObject, input: CustomizationInput): Result<Customization[]> {
  const maps: KubeObject[] = [];
  const defaults = classDefaults(String(asObject(gw.spec).gatewayClassName), input);
  if (defaults) maps.push(defaults);
  const ref = parametersRef(gw);
  if (!ref.ok) return ref;
  if (ref.value) {
    const { namespace, name } = ref.value;
    const cm = input.configMaps.find((c) => isConfigMap(c) && nsOf(c) === namespace && c.metadata.name === name);
    if (!cm) return fail(`${PARAMETERS_REF}: ConfigMap ${namespace}/${name} not found`);
    maps.push(cm);
  }
  const errors: string[] = [];
  const out: Customization[] = [];
  for (const cm of maps) {
    const r = parseCustomization(cm);
    if (r.ok) out.push(r.value);
    else errors.push(...r.errors);
  }
  return errors.length > 0 ? { ok: false, errors } : ok(out);
}

const KIND_OF_KEY = new Map(Object.entries(OVERLAY_KEYS).map(([kind, key]) => [key, kind as PatchedKind]));

/** A ConfigMap's overlays: each key one of OVERLAY_KEYS, each value a YAML map (empty: nothing to change). */
export function parseCustomization(cm: KubeObject): Result<Customization> {
  const source = sourceOf(cm);
  const errors: string[] = [];
  const overlays: Customization['overlays'] = {};
  for (const [key, text] of Object.entries(asObject(cm.data))) {
    const kind = KIND_OF_KEY.get(key);
    if (!kind) {
      errors.push(`${source}: unsupported overlay "${key}" (supported: ${SUPPORTED})`);
      continue;
    }
    const parsed = parseOverlay(text);
    if (parsed.ok) overlays[kind] = parsed.value;
    else errors.push(`${source}, key ${key}: ${parsed.errors.join('; ')}`);
  }
  return errors.length > 0 ? { ok: false, errors } : ok({ source, overlays });
}

function parseOverlay(text: unknown): Result<Record<string, unknown>> {
  if (typeof text !== 'string') return fail('not text');
  let value: unknown;
  try {
    const doc = parseDocument(text, { ...KUBECTL_YAML, uniqueKeys: false });
    if (doc.errors.length > 0) return fail(`not YAML: ${doc.errors.map((e) => e.message.split('\n')[0]).join('; ')}`);
    value = doc.toJS({ maxAliasCount: 100 });
  } catch (e) {
    return fail(`not YAML: ${(e as Error).message.split('\n')[0]}`);
  }
  if (value === null || value === undefined) return ok({});
  if (!isObject(value)) return fail(`must be a YAML map of the fields to merge, not ${Array.isArray(value) ? 'a list' : typeof value}`);
  if (deeper(value, MAX_DEPTH)) return fail(`nested deeper than ${MAX_DEPTH} levels: no Kubernetes object is`);
  return ok(value);
}

/** Far more than any object of these kinds needs (a Deployment's deepest fields are some 15 levels down). */
const MAX_DEPTH = 64;
const deeper = (v: unknown, levels: number): boolean => {
  if (typeof v !== 'object' || v === null) return false;
  if (levels === 0) return true;
  return Object.values(v).some((child) => deeper(child, levels - 1));
};

/** What ties a rendered object to its Gateway: no overlay may change it. */
const IDENTITY: ReadonlyArray<readonly string[]> = [
  ['apiVersion'],
  ['kind'],
  ...['name', 'generateName', 'namespace', 'uid', 'resourceVersion', 'generation', 'creationTimestamp', 'deletionTimestamp', 'deletionGracePeriodSeconds', 'ownerReferences', 'finalizers', 'managedFields'].map((k) => ['metadata', k]),
];

const valueAt = (o: unknown, path: readonly string[]): unknown => path.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), o);

/**
 * `obj` with the overlays of its kind applied in order (`customized`: some overlay had its key), or why not: the
 * patch failed, or it changed what IDENTITY and `protectedLabels` (the labels that tie it to its Gateway) hold.
 */
export function customize(obj: KubeObject, kind: PatchedKind, customizations: readonly Customization[], protectedLabels: readonly string[]): Result<{ object: KubeObject; customized: boolean }> {
  let current: Record<string, unknown> = obj;
  let customized = false;
  for (const c of customizations) {
    const overlay = c.overlays[kind];
    if (!overlay) continue;
    const where = `${c.source}, key ${OVERLAY_KEYS[kind]}`;
    const r = strategicMerge(current, overlay, PATCH_SCHEMAS[kind]);
    if (!r.ok) return fail(...r.errors.map((e) => `${where}: ${e}`));
    const changed = [...IDENTITY.filter((p) => !isDeepStrictEqual(valueAt(obj, p), valueAt(r.value, p))).map((p) => p.join('.')), ...protectedLabels.filter((l) => stringMap(obj.metadata.labels)[l] !== stringMap(asObject(r.value.metadata).labels)[l]).map((l) => `metadata.labels["${l}"]`)];
    if (changed.length > 0) return fail(`${where}: changes ${changed.join(', ')}, which the gateway controller sets`);
    current = r.value;
    customized = true;
  }
  return ok({ object: current as KubeObject, customized });
}
