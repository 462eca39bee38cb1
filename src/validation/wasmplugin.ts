/**
 * WasmPlugin (extensions.istio.io/v1alpha1): a WebAssembly HTTP or network filter for the workloads a plugin selects.
 * Checked as Istio's CRD schema and webhook check it (a url with a known scheme, a sha256 of 64 lowercase hex digits,
 * one of selector or targetRef(s), the enums, priority an int32, environment variables named once each and HOST ones
 * without a value, match ports 1..65535), then warned where mizzen cannot do what Istio would: plain Envoy has no
 * agent to pull OCI images and fetches remote code only against a sha256; target references attach to waypoints
 * and Gateway API gateways, which mizzen has not. A plugin so warned is not applied (xds/gen/wasm.ts skips it); the
 * rest of the resource still is. HTTP and NETWORK plugins are applied alike (as HTTP or network filters).
 */
import { type Issues, type Obj, obj, str, int32, list, enumOf, struct, each } from './schema.js';
import { targetFields, checkTargets, warnTargetRefs } from './security.js';
import { wasmSource } from '../model/wasm-url.js';
import type { KindValidator } from './kind.js';

export const WASM_PHASES = ['UNSPECIFIED_PHASE', 'AUTHN', 'AUTHZ', 'STATS'] as const;
export const WASM_FAIL_STRATEGIES = ['FAIL_CLOSE', 'FAIL_OPEN', 'FAIL_RELOAD'] as const;
const SHA256 = /^[a-f0-9]{64}$/;

const envVar = obj(
  {
    name: str({ minLength: 1, maxLength: 256 }),
    value: str({ maxLength: 2048 }),
    valueFrom: enumOf('INLINE', 'HOST'),
  },
  { required: ['name'] },
);

const trafficSelector = obj({
  mode: enumOf('UNDEFINED', 'CLIENT', 'SERVER', 'CLIENT_AND_SERVER'),
  ports: list(obj({ number: { type: 'int', min: 1, max: 65535 } }, { required: ['number'] })),
});

export const wasmPluginSpec = obj(
  {
    ...targetFields,
    url: str({ minLength: 1 }),
    sha256: str({ check: (v, p, i) => (v === '' || SHA256.test(v) ? undefined : i.error(p, 'must be 64 lowercase hexadecimal digits (the SHA-256 of the module)')) }),
    imagePullPolicy: enumOf('UNSPECIFIED_POLICY', 'IfNotPresent', 'Always'),
    imagePullSecret: str({ minLength: 1, maxLength: 253 }),
    verificationKey: str(),
    pluginConfig: struct,
    pluginName: str({ minLength: 1, maxLength: 256 }),
    phase: enumOf(...WASM_PHASES),
    priority: int32(),
    failStrategy: enumOf(...WASM_FAIL_STRATEGIES),
    vmConfig: obj({ env: list(envVar, { maxItems: 256 }) }),
    match: list(trafficSelector),
    type: enumOf('UNSPECIFIED_PLUGIN_TYPE', 'HTTP', 'NETWORK'),
  },
  { required: ['url'] },
);

/** Why mizzen applies this plugin to no proxy (each with its field); empty when it applies it. Shared with xds/gen/wasm.ts. */
export function wasmPluginSkips(spec: Obj): Array<{ field: string; reason: string }> {
  const out: Array<{ field: string; reason: string }> = [];
  const source = wasmSource(typeof spec.url === 'string' ? spec.url : '');
  switch (source.kind) {
    case 'invalid':
      out.push({ field: 'spec.url', reason: source.reason });
      break;
    case 'unusable':
      out.push({ field: 'spec.url', reason: `${source.reason}: this plugin is not applied` });
      break;
    case 'oci':
      out.push({
        field: 'spec.url',
        reason: "an OCI image: Istio's agent pulls those for its proxy, plain Envoy cannot; this plugin is not applied (serve the module with file:// or http(s):// and a sha256)",
      });
      break;
    case 'remote':
      if (typeof spec.sha256 !== 'string' || spec.sha256 === '') {
        out.push({ field: 'spec.sha256', reason: `required by Envoy to fetch ${source.scheme} code itself: this plugin is not applied until it is set` });
      }
      break;
    case 'file':
      break;
  }
  return out;
}

function checkEnv(spec: Obj, issues: Issues): void {
  const seen = new Set<string>();
  each(spec.vmConfig?.env, (e: Obj, i) => {
    const p = `spec.vmConfig.env[${i}]`;
    if (typeof e.name === 'string') {
      if (seen.has(e.name)) issues.error(`${p}.name`, `duplicate environment variable "${e.name}"`);
      seen.add(e.name);
    }
    if (e.valueFrom === 'HOST' && e.value !== undefined) issues.error(`${p}.value`, 'may only be set when valueFrom is INLINE (HOST reads the proxy\'s own variable)');
  });
}

function checkMatch(spec: Obj, issues: Issues): void {
  each(spec.match, (m: Obj, i) => {
    const seen = new Set<number>();
    each(m.ports, (port: Obj, j) => {
      if (typeof port.number !== 'number') return;
      if (seen.has(port.number)) issues.error(`spec.match[${i}].ports[${j}].number`, `duplicate port ${port.number}`);
      seen.add(port.number);
    });
  });
}

export const validateWasmPlugin: KindValidator = (spec: Obj, _ctx, issues: Issues) => {
  checkTargets(spec, issues);
  warnTargetRefs(spec, 'this WasmPlugin', issues);
  checkEnv(spec, issues);
  checkMatch(spec, issues);
  // A missing or empty url is reported by the schema; an invalid one is an error, and what else keeps the plugin from
  // being applied is said once each.
  if (typeof spec.url === 'string' && spec.url !== '') {
    const source = wasmSource(spec.url);
    if (source.kind === 'invalid') issues.error('spec.url', source.reason);
    for (const s of wasmPluginSkips(spec)) if (s.field !== 'spec.url' || source.kind !== 'invalid') issues.warn(s.field, s.reason);
  }
  if (spec.failStrategy === 'FAIL_RELOAD') issues.warn('spec.failStrategy', 'FAIL_RELOAD is applied as FAIL_CLOSE: the Envoy API mizzen generates has no reload policy');
  if (typeof spec.verificationKey === 'string' && spec.verificationKey !== '') issues.warn('spec.verificationKey', 'not implemented by Istio nor mizzen: ignored');
};
