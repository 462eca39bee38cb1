/**
 * Validation of Istio resources, as Istio's webhook and CRD schemas do it: a schema walk (unknown fields, types,
 * enums, required fields) then per-kind semantic rules. Pure: values in, a report out; never throws.
 */
import { ApiGroups } from '../core/constants.js';
import { Issues, type ObjectSchema, type Obj, isPlainObject, walk, obj, str, strMap, any, int64, list } from './schema.js';
import { isDns1123Label, isDns1123Subdomain, validateLabelKey, validateLabelValue, check } from './common.js';
import type { KindContext, KindValidator } from './kind.js';
import { virtualServiceSpec, validateVirtualService } from './virtualservice.js';
import { destinationRuleSpec, validateDestinationRule } from './destinationrule.js';
import { gatewaySpec, validateGateway } from './gateway.js';
import { serviceEntrySpec, validateServiceEntry } from './serviceentry.js';
import { sidecarSpec, validateSidecar } from './sidecar.js';
import { workloadEntrySpec, validateWorkloadEntry, workloadGroupSpec, validateWorkloadGroup } from './workloadentry.js';
import { peerAuthenticationSpec, validatePeerAuthentication } from './peerauthentication.js';
import { authorizationPolicySpec, validateAuthorizationPolicy, DRY_RUN_ANNOTATION as DRY_RUN } from './authorizationpolicy.js';
import { requestAuthenticationSpec, validateRequestAuthentication } from './requestauthentication.js';
import { telemetrySpec, validateTelemetry } from './telemetry.js';
import { envoyFilterSpec, validateEnvoyFilter } from './envoyfilter.js';
import { proxyConfigSpec, validateProxyConfig } from './proxyconfig.js';
import { wasmPluginSpec, validateWasmPlugin } from './wasmplugin.js';

export interface ValidationReport {
  /** Each "path: message", path like spec.http[0].route[1].weight. */
  errors: string[];
  warnings: string[];
}

interface KindDef {
  group: string;
  kind: string;
  plural: string;
  versions: string[];
  spec: ObjectSchema;
  validate: KindValidator;
  /** The CRD requires `spec`. */
  specRequired?: boolean;
}

const NET_VERSIONS = ['v1', 'v1beta1', 'v1alpha3'];
/** Istio serves EnvoyFilter as v1alpha3 only. */
const ENVOY_FILTER_VERSIONS = ['v1alpha3'];
/** Istio serves ProxyConfig as v1beta1 only. */
const PROXY_CONFIG_VERSIONS = ['v1beta1'];
const SEC_VERSIONS = ['v1', 'v1beta1'];
const TELEMETRY_VERSIONS = ['v1', 'v1alpha1'];
/** Istio serves WasmPlugin as v1alpha1 only. */
const WASM_PLUGIN_VERSIONS = ['v1alpha1'];
const net = ApiGroups.networking;
const sec = ApiGroups.security;
const tel = ApiGroups.telemetry;
const ext = ApiGroups.extensions;

const KINDS: readonly KindDef[] = [
  { group: net, kind: 'VirtualService', plural: 'virtualservices', versions: NET_VERSIONS, spec: virtualServiceSpec, validate: validateVirtualService },
  { group: net, kind: 'DestinationRule', plural: 'destinationrules', versions: NET_VERSIONS, spec: destinationRuleSpec, validate: validateDestinationRule },
  { group: net, kind: 'Gateway', plural: 'gateways', versions: NET_VERSIONS, spec: gatewaySpec, validate: validateGateway },
  { group: net, kind: 'ServiceEntry', plural: 'serviceentries', versions: NET_VERSIONS, spec: serviceEntrySpec, validate: validateServiceEntry, specRequired: true },
  { group: net, kind: 'Sidecar', plural: 'sidecars', versions: NET_VERSIONS, spec: sidecarSpec, validate: validateSidecar },
  { group: net, kind: 'WorkloadEntry', plural: 'workloadentries', versions: NET_VERSIONS, spec: workloadEntrySpec, validate: validateWorkloadEntry, specRequired: true },
  { group: net, kind: 'WorkloadGroup', plural: 'workloadgroups', versions: NET_VERSIONS, spec: workloadGroupSpec, validate: validateWorkloadGroup, specRequired: true },
  { group: net, kind: 'EnvoyFilter', plural: 'envoyfilters', versions: ENVOY_FILTER_VERSIONS, spec: envoyFilterSpec, validate: validateEnvoyFilter },
  { group: net, kind: 'ProxyConfig', plural: 'proxyconfigs', versions: PROXY_CONFIG_VERSIONS, spec: proxyConfigSpec, validate: validateProxyConfig },
  { group: sec, kind: 'PeerAuthentication', plural: 'peerauthentications', versions: SEC_VERSIONS, spec: peerAuthenticationSpec, validate: validatePeerAuthentication },
  { group: sec, kind: 'AuthorizationPolicy', plural: 'authorizationpolicies', versions: SEC_VERSIONS, spec: authorizationPolicySpec, validate: validateAuthorizationPolicy },
  { group: sec, kind: 'RequestAuthentication', plural: 'requestauthentications', versions: SEC_VERSIONS, spec: requestAuthenticationSpec, validate: validateRequestAuthentication },
  { group: tel, kind: 'Telemetry', plural: 'telemetries', versions: TELEMETRY_VERSIONS, spec: telemetrySpec, validate: validateTelemetry },
  { group: ext, kind: 'WasmPlugin', plural: 'wasmplugins', versions: WASM_PLUGIN_VERSIONS, spec: wasmPluginSpec, validate: validateWasmPlugin, specRequired: true },
];

/** Every kind this module validates (for CRDs and webhook rules); a kind's first version is the one stored. */
export const ISTIO_KINDS: ReadonlyArray<{ group: string; kind: string; plural: string; versions: string[] }> = KINDS.map((k) => ({
  group: k.group,
  kind: k.kind,
  plural: k.plural,
  versions: [...k.versions],
}));

function findKind(apiVersion: string, kind: string): KindDef | undefined {
  const slash = apiVersion.indexOf('/');
  if (slash < 0) return undefined;
  const group = apiVersion.slice(0, slash);
  const version = apiVersion.slice(slash + 1);
  return KINDS.find((k) => k.group === group && k.kind === kind && k.versions.includes(version));
}

export function isIstioKind(apiVersion: string, kind: string): boolean {
  return typeof apiVersion === 'string' && typeof kind === 'string' && findKind(apiVersion, kind) !== undefined;
}

const metadataSchema = obj({
  name: str(),
  generateName: str(),
  namespace: str(),
  uid: str(),
  resourceVersion: str(),
  generation: int64(),
  creationTimestamp: any,
  deletionTimestamp: any,
  deletionGracePeriodSeconds: int64(),
  labels: strMap({ key: check(validateLabelKey), value: check(validateLabelValue) }),
  annotations: strMap({ key: check(validateLabelKey) }),
  ownerReferences: list(any),
  finalizers: list(str()),
  managedFields: list(any),
  selfLink: str(),
});

/** Istio's webhook rejects any object carrying this annotation: a probe that the webhook is in the path. */
const ALWAYS_REJECT = 'internal.istio.io/webhook-always-reject';
/** Set by Istio on the configuration it generates (e.g. from Gateway API routes); users may not set them. */
const INTERNAL_PARENTS = ['internal.istio.io/parents', 'internal.istio.io/parent-namespace'];

function checkMetadata(meta: Obj, kind: string, issues: Issues): void {
  const name = meta.name;
  if (name === undefined || name === '') {
    if (!meta.generateName) issues.error('metadata.name', 'is required');
  } else if (kind === 'Gateway' ? !isDns1123Label(name) : !isDns1123Subdomain(name)) {
    issues.error(
      'metadata.name',
      kind === 'Gateway'
        ? `invalid name "${name}": a Gateway name must be a DNS-1123 label (lowercase letters, digits and '-', at most 63 characters)`
        : `invalid name "${name}": must be a DNS-1123 subdomain (lowercase letters, digits, '-' and '.', at most 253 characters)`,
    );
  }
  if (meta.namespace !== undefined && meta.namespace !== '' && !isDns1123Label(meta.namespace)) {
    issues.error('metadata.namespace', `invalid namespace "${meta.namespace}": must be a DNS-1123 label`);
  }
  const annotations: Record<string, string> = meta.annotations ?? {};
  if (DRY_RUN in annotations) {
    if (kind !== 'AuthorizationPolicy') issues.error(`metadata.annotations[${DRY_RUN}]`, `annotation ${DRY_RUN} is only supported on AuthorizationPolicy`);
    else if (!['true', 'false', '1', '0', 't', 'f', 'TRUE', 'FALSE', 'True', 'False', 'T', 'F'].includes(annotations[DRY_RUN])) {
      issues.error(`metadata.annotations[${DRY_RUN}]`, `invalid value "${annotations[DRY_RUN]}": must be true or false`);
    }
  }
  if (ALWAYS_REJECT in annotations) issues.error(`metadata.annotations[${ALWAYS_REJECT}]`, 'annotation found, rejecting');
  for (const a of INTERNAL_PARENTS) {
    if (a in annotations) issues.error(`metadata.annotations[${a}]`, 'internal annotation, may not be set by users');
  }
}

const TOP_FIELDS: readonly string[] = ['apiVersion', 'kind', 'metadata', 'spec', 'status'];

function validateUnsafe(input: unknown, issues: Issues): void {
  if (!isPlainObject(input)) {
    issues.error('', `expected a Kubernetes object, got ${input === null ? 'null' : Array.isArray(input) ? 'a list' : typeof input}`);
    return;
  }
  const { apiVersion, kind } = input;
  if (typeof apiVersion !== 'string' || typeof kind !== 'string') {
    if (typeof apiVersion !== 'string') issues.error('apiVersion', 'is required and must be a string');
    if (typeof kind !== 'string') issues.error('kind', 'is required and must be a string');
    return;
  }
  const def = findKind(apiVersion, kind);
  if (!def) {
    const other = KINDS.find((k) => k.kind === kind && k.group === apiVersion.slice(0, apiVersion.indexOf('/')));
    if (other) {
      const served = other.versions.map((v) => `${other.group}/${v}`).join(', ');
      issues.error('', `unsupported kind ${kind} in ${apiVersion}: ${kind} is served as ${served} only`);
      return;
    }
    issues.error('', `unsupported kind ${kind} in ${apiVersion}: not an Istio networking.istio.io (v1, v1beta1, v1alpha3; EnvoyFilter v1alpha3; ProxyConfig v1beta1), security.istio.io (v1, v1beta1), telemetry.istio.io (v1, v1alpha1) or extensions.istio.io (WasmPlugin v1alpha1) resource`);
    return;
  }
  for (const k of Object.keys(input)) {
    if (!TOP_FIELDS.includes(k)) issues.error(k, 'unknown field');
  }
  const meta = input.metadata === undefined || input.metadata === null ? undefined : (walk(metadataSchema, input.metadata, 'metadata', issues) as Obj | undefined);
  if (input.metadata === undefined || input.metadata === null) issues.error('metadata', 'is required');
  else if (meta) checkMetadata(meta, def.kind, issues);
  if (input.status !== undefined && input.status !== null && !isPlainObject(input.status)) issues.error('status', 'must be an object');

  let spec: Obj | undefined;
  if (input.spec === undefined || input.spec === null) {
    if (def.specRequired) issues.error('spec', 'is required');
    spec = {};
  } else {
    spec = walk(def.spec, input.spec, 'spec', issues) as Obj | undefined;
  }
  if (!spec) return;
  const ctx: KindContext = {
    name: typeof meta?.name === 'string' ? meta.name : undefined,
    namespace: typeof meta?.namespace === 'string' && meta.namespace !== '' ? meta.namespace : undefined,
    labels: meta?.labels ?? {},
    annotations: meta?.annotations ?? {},
  };
  def.validate(spec, ctx, issues);
}

/** The list without repeats, in first-seen order (the usual empty or one-item list is returned as is: each validation has its own Issues). */
const unique = (list: string[]): string[] => (list.length < 2 ? list : [...new Set(list)]);

/**
 * Validates any Istio resource (networking.istio.io v1/v1beta1/v1alpha3: VirtualService, DestinationRule, Gateway,
 * ServiceEntry, Sidecar, WorkloadEntry, WorkloadGroup, EnvoyFilter as v1alpha3 only and ProxyConfig as v1beta1 only; security.istio.io v1/v1beta1: PeerAuthentication,
 * AuthorizationPolicy, RequestAuthentication; telemetry.istio.io v1/v1alpha1: Telemetry; extensions.istio.io v1alpha1:
 * WasmPlugin). Unknown group/kind/version
 * → one error saying so. Never throws.
 */
export function validateObject(obj: unknown): ValidationReport {
  const issues = new Issues();
  try {
    validateUnsafe(obj, issues);
  } catch (e) {
    // A bug, not an expected failure: report it rather than crash a server.
    issues.error('', `internal validation error: ${(e as Error)?.message ?? String(e)}`);
  }
  return { errors: unique(issues.errors), warnings: unique(issues.warnings) };
}

export { Issues } from './schema.js';
export { WITHOUT_SIDECAR_CERTIFICATES } from './common.js';
export type { KindContext } from './kind.js';
