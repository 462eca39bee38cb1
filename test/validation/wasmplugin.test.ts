import { expect } from 'chai';
import { validateObject } from '../../src/validation/index.js';
import { wasmSource } from '../../src/model/wasm-url.js';
import { runTable, wrap, type Case } from './table.js';

const SHA = '1ef0c9a92b0420cf25f7fe5d481b231464bc88f486ca3b9c83ed5cc21d2f6210';
const gw = { selector: { matchLabels: { istio: 'ingressgateway' } } };

runTable('WasmPlugin', [
  // Istio's documentation examples, as written.
  {
    name: 'file:// module with sha256, AUTHN, pluginConfig (Istio doc example)',
    in: { ...gw, url: 'file:///opt/filters/openid.wasm', sha256: SHA, phase: 'AUTHN', pluginConfig: { openid_server: 'authn', openid_realm: 'ingress' } },
    meta: { namespace: 'istio-ingress' },
    valid: true,
  },
  {
    name: 'OCI image with pull policy and secret: valid, but not applied',
    in: { ...gw, url: 'oci://private-registry:5000/openid-connect/openid:latest', imagePullPolicy: 'IfNotPresent', imagePullSecret: 'private-registry-pull-secret', phase: 'AUTHN' },
    valid: true,
    warning: "spec.url: an OCI image: Istio's agent pulls those for its proxy, plain Envoy cannot; this plugin is not applied",
  },
  { name: 'no scheme means an OCI image', in: { url: 'ghcr.io/acme/plugin:1.0' }, valid: true, warning: 'spec.url: an OCI image' },
  {
    name: 'https with vmConfig env (INLINE and HOST), no sha256: valid, but not applied',
    in: { ...gw, url: 'https://private-bucket/filters/openid.wasm', imagePullPolicy: 'Always', phase: 'AUTHN', vmConfig: { env: [{ name: 'POD_NAME', valueFrom: 'HOST' }, { name: 'TRUST_DOMAIN', value: 'cluster.local' }] } },
    valid: true,
    warning: 'spec.sha256: required by Envoy to fetch https code itself: this plugin is not applied until it is set',
  },
  { name: 'https with sha256, AUTHZ, priority', in: { ...gw, url: 'https://private-bucket/filters/acl.wasm', sha256: SHA, phase: 'AUTHZ', priority: 1000 }, valid: true },
  { name: 'http with sha256 and a port', in: { url: 'http://wasm.example:8080/a.wasm', sha256: SHA }, valid: true },
  { name: 'every field', in: { selector: { matchLabels: { app: 'reviews' } }, url: 'file:///a.wasm', sha256: SHA, imagePullPolicy: 'Always', imagePullSecret: 's', pluginConfig: { a: [1, { b: null }], c: null }, pluginName: 'root', phase: 'STATS', priority: -5, failStrategy: 'FAIL_OPEN', vmConfig: { env: [{ name: 'A', value: 'b', valueFrom: 'INLINE' }] }, match: [{ mode: 'SERVER', ports: [{ number: 9080 }] }], type: 'HTTP' }, valid: true },

  // url
  { name: 'url required', in: { selector: {} }, valid: false, error: 'spec.url: is required' },
  { name: 'url empty', in: { url: '' }, valid: false, error: 'spec.url: must not be empty' },
  { name: 'url not a string', in: { url: 42 }, valid: false, error: 'spec.url: must be a string' },
  { name: 'unsupported scheme', in: { url: 'ftp://example.com/a.wasm' }, valid: false, error: 'spec.url: unsupported scheme "ftp"' },
  { name: 'registry with a port needs oci:// (Istio reads the host as a scheme)', in: { url: 'localhost:5000/a:1' }, valid: false, error: 'written oci://localhost:5000/a:1' },
  { name: 'control characters', in: { url: 'file:///a\n.wasm' }, valid: false, error: 'spec.url: must not contain control characters' },
  { name: 'http URL Istio cannot parse', in: { url: 'http://h:abc/a.wasm', sha256: SHA }, valid: false, error: 'spec.url: is not a valid URL' },
  { name: 'http URL without a host: Istio accepts it, mizzen applies nothing', in: { url: 'http:///a.wasm', sha256: SHA }, valid: true, warning: 'spec.url: names no host' },
  { name: 'file:// without a file', in: { url: 'file://' }, valid: true, warning: 'spec.url: names no file: this plugin is not applied' },
  { name: 'schemes are case-insensitive', in: { url: 'FILE:///a.wasm' }, valid: true },

  // sha256
  { name: 'sha256 too short', in: { url: 'file:///a.wasm', sha256: 'abc' }, valid: false, error: 'spec.sha256: must be 64 lowercase hexadecimal digits' },
  { name: 'sha256 upper case', in: { url: 'file:///a.wasm', sha256: SHA.toUpperCase() }, valid: false, error: 'spec.sha256' },
  { name: 'sha256 empty is unset', in: { url: 'file:///a.wasm', sha256: '' }, valid: true },

  // targets
  { name: 'selector and targetRefs together', in: { ...gw, url: 'file:///a.wasm', targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }] }, valid: false, error: 'spec: only one of selector, targetRef or targetRefs may be set' },
  { name: 'targetRefs to a Gateway API gateway: attached to its gateways', in: { url: 'file:///a.wasm', targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'gw' }] }, valid: true },
  { name: 'targetRef to a waypoint Service', in: { url: 'file:///a.wasm', targetRef: { kind: 'Service', group: '', name: 'reviews' } }, valid: true, warning: 'spec.targetRef: attaches this WasmPlugin to nothing: a Service target is for waypoints' },
  { name: 'targetRef to a Deployment', in: { url: 'file:///a.wasm', targetRef: { kind: 'Deployment', group: 'apps', name: 'reviews' } }, valid: false, error: 'spec.targetRef: targetRef must be to one of' },
  { name: 'targetRef across namespaces', in: { url: 'file:///a.wasm', targetRef: { kind: 'Service', name: 'a', namespace: 'other' } }, valid: false, error: 'spec.targetRef.namespace: cross namespace referencing is not supported' },
  { name: 'selector with a wildcard', in: { url: 'file:///a.wasm', selector: { matchLabels: { app: 'r*' } } }, valid: false, error: 'spec.selector.matchLabels[app]: wildcard not allowed' },
  { name: 'selector without labels', in: { url: 'file:///a.wasm', selector: {} }, valid: true, warning: 'spec.selector: workload selector specified without labels' },

  // enums and numbers
  { name: 'unknown phase', in: { url: 'file:///a.wasm', phase: 'ROUTING' }, valid: false, error: 'spec.phase: unsupported value "ROUTING", must be one of UNSPECIFIED_PHASE, AUTHN, AUTHZ, STATS' },
  { name: 'priority beyond int32', in: { url: 'file:///a.wasm', priority: 2 ** 31 }, valid: false, error: 'spec.priority' },
  { name: 'priority not an integer', in: { url: 'file:///a.wasm', priority: 1.5 }, valid: false, error: 'spec.priority: must be an integer' },
  { name: 'priority null is unset', in: { url: 'file:///a.wasm', priority: null }, valid: true },
  { name: 'unknown failStrategy', in: { url: 'file:///a.wasm', failStrategy: 'FAIL_SOMETIMES' }, valid: false, error: 'spec.failStrategy' },
  { name: 'FAIL_RELOAD is Istio\'s, applied as FAIL_CLOSE', in: { url: 'file:///a.wasm', failStrategy: 'FAIL_RELOAD' }, valid: true, warning: 'spec.failStrategy: FAIL_RELOAD is applied as FAIL_CLOSE' },
  { name: 'unknown type', in: { url: 'file:///a.wasm', type: 'UDP' }, valid: false, error: 'spec.type' },
  { name: 'NETWORK and HTTP types', in: { url: 'file:///a.wasm', type: 'NETWORK' }, valid: true },
  { name: 'unknown imagePullPolicy', in: { url: 'file:///a.wasm', imagePullPolicy: 'Never' }, valid: false, error: 'spec.imagePullPolicy' },
  { name: 'imagePullSecret too long', in: { url: 'file:///a.wasm', imagePullSecret: 's'.repeat(254) }, valid: false, error: 'spec.imagePullSecret: must be at most 253 characters' },
  { name: 'pluginName empty', in: { url: 'file:///a.wasm', pluginName: '' }, valid: false, error: 'spec.pluginName: must not be empty' },
  { name: 'pluginName too long', in: { url: 'file:///a.wasm', pluginName: 'p'.repeat(257) }, valid: false, error: 'spec.pluginName: must be at most 256 characters' },
  { name: 'pluginConfig not an object', in: { url: 'file:///a.wasm', pluginConfig: 'x=1' }, valid: false, error: 'spec.pluginConfig: must be an object (map), not a string' },
  { name: 'pluginConfig a list', in: { url: 'file:///a.wasm', pluginConfig: [1] }, valid: false, error: 'spec.pluginConfig: must be an object (map), not a list' },
  { name: 'verificationKey is accepted and ignored', in: { url: 'file:///a.wasm', verificationKey: 'k' }, valid: true, warning: 'spec.verificationKey: not implemented' },

  // vmConfig.env
  { name: 'env without a name', in: { url: 'file:///a.wasm', vmConfig: { env: [{ value: 'x' }] } }, valid: false, error: 'spec.vmConfig.env[0].name: is required' },
  { name: 'env with an empty name', in: { url: 'file:///a.wasm', vmConfig: { env: [{ name: '' }] } }, valid: false, error: 'spec.vmConfig.env[0].name: must not be empty' },
  { name: 'HOST env with a value', in: { url: 'file:///a.wasm', vmConfig: { env: [{ name: 'POD_NAME', valueFrom: 'HOST', value: 'x' }] } }, valid: false, error: 'spec.vmConfig.env[0].value: may only be set when valueFrom is INLINE' },
  { name: 'HOST env with an empty value (the CRD refuses any value)', in: { url: 'file:///a.wasm', vmConfig: { env: [{ name: 'POD_NAME', valueFrom: 'HOST', value: '' }] } }, valid: false, error: 'spec.vmConfig.env[0].value' },
  { name: 'env twice', in: { url: 'file:///a.wasm', vmConfig: { env: [{ name: 'A', value: '1' }, { name: 'A', value: '2' }] } }, valid: false, error: 'spec.vmConfig.env[1].name: duplicate environment variable "A"' },
  { name: 'unknown valueFrom', in: { url: 'file:///a.wasm', vmConfig: { env: [{ name: 'A', valueFrom: 'SECRET' }] } }, valid: false, error: 'spec.vmConfig.env[0].valueFrom' },
  { name: 'env value too long', in: { url: 'file:///a.wasm', vmConfig: { env: [{ name: 'A', value: 'v'.repeat(2049) }] } }, valid: false, error: 'spec.vmConfig.env[0].value: must be at most 2048 characters' },
  { name: 'unknown vmConfig field', in: { url: 'file:///a.wasm', vmConfig: { runtime: 'wamr' } }, valid: false, error: 'spec.vmConfig.runtime: unknown field' },

  // match
  { name: 'match modes and ports', in: { url: 'file:///a.wasm', match: [{ mode: 'CLIENT' }, { mode: 'CLIENT_AND_SERVER', ports: [{ number: 80 }, { number: 443 }] }] }, valid: true },
  { name: 'match mode unknown', in: { url: 'file:///a.wasm', match: [{ mode: 'INBOUND' }] }, valid: false, error: 'spec.match[0].mode' },
  { name: 'match port 0', in: { url: 'file:///a.wasm', match: [{ ports: [{ number: 0 }] }] }, valid: false, error: 'spec.match[0].ports[0].number: 0 is out of range (1..65535)' },
  { name: 'match port without a number', in: { url: 'file:///a.wasm', match: [{ ports: [{}] }] }, valid: false, error: 'spec.match[0].ports[0].number: is required' },
  { name: 'match port twice', in: { url: 'file:///a.wasm', match: [{ ports: [{ number: 80 }, { number: 80 }] }] }, valid: false, error: 'spec.match[0].ports[1].number: duplicate port 80' },
  { name: 'match item null', in: { url: 'file:///a.wasm', match: [null] }, valid: false, error: 'spec.match[0]' },

  // shape
  { name: 'spec required', in: { apiVersion: 'extensions.istio.io/v1alpha1', kind: 'WasmPlugin', metadata: { name: 'p' } }, whole: true, valid: false, error: 'spec: is required' },
  { name: 'unknown field', in: { url: 'file:///a.wasm', rootID: 'x' }, valid: false, error: 'spec.rootID: unknown field' },
  { name: 'v1alpha1 only', in: { apiVersion: 'extensions.istio.io/v1', kind: 'WasmPlugin', metadata: { name: 'p' }, spec: { url: 'file:///a.wasm' } }, whole: true, valid: false, error: 'WasmPlugin is served as extensions.istio.io/v1alpha1 only' },
] satisfies Case[]);

describe('WasmPlugin validation: what is and is not applied', () => {
  it('a plugin mizzen applies carries no warning', async () => {
    const r = validateObject(wrap('WasmPlugin', { selector: { matchLabels: { app: 'a' } }, url: 'https://wasm.example/a.wasm', sha256: SHA, failStrategy: 'FAIL_OPEN' }));
    expect(r).to.deep.equal({ errors: [], warnings: [] });
  });

  it('a NETWORK plugin is applied (as a network filter): no warning; what keeps one from being applied still warns', async () => {
    for (const type of ['NETWORK', 'HTTP', 'UNSPECIFIED_PLUGIN_TYPE']) {
      const r = validateObject(wrap('WasmPlugin', { selector: { matchLabels: { app: 'a' } }, url: 'https://wasm.example/a.wasm', sha256: SHA, type, phase: 'AUTHZ' }));
      expect(r, type).to.deep.equal({ errors: [], warnings: [] });
    }
    const oci = validateObject(wrap('WasmPlugin', { url: 'oci://ghcr.io/a/b:1', type: 'NETWORK' }));
    expect(oci.errors).to.deep.equal([]);
    expect(oci.warnings).to.have.lengthOf(1);
    expect(oci.warnings[0]).to.match(/^spec\.url: an OCI image/);
    const noSha = validateObject(wrap('WasmPlugin', { url: 'https://wasm.example/a.wasm', type: 'NETWORK' }));
    expect(noSha.warnings).to.deep.equal(['spec.sha256: required by Envoy to fetch https code itself: this plugin is not applied until it is set']);
  });

  it('reads the url as Istio does: scheme, host and port, file name', async () => {
    expect(wasmSource('HTTPS://Wasm.Example/x.wasm')).to.deep.equal({ kind: 'remote', scheme: 'https', host: 'wasm.example', port: 443, uri: 'https://Wasm.Example/x.wasm' });
    expect(wasmSource('http://user@[fd00::1]:8080/x.wasm?v=1')).to.deep.include({ host: 'fd00::1', port: 8080 });
    expect(wasmSource('file:///opt/a.wasm')).to.deep.equal({ kind: 'file', filename: '/opt/a.wasm' });
    expect(wasmSource('oci://ghcr.io/a/b:1')).to.deep.equal({ kind: 'oci', reference: 'ghcr.io/a/b:1' });
    expect(wasmSource('ghcr.io/a/b@sha256:abc')).to.deep.equal({ kind: 'oci', reference: 'ghcr.io/a/b@sha256:abc' });
    expect(wasmSource('http://h:99999/a').kind).to.equal('unusable');
  });
});
