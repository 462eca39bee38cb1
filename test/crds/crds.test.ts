import { expect } from 'chai';
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { parseAllDocuments } from 'yaml';
import { CRD_DIR, CRD_KINDS, staleFiles } from '../../src/tools/gen-crds.js';
import { expandLists, readDocuments } from '../../src/core/documents.js';
import { fileURLToPath } from 'node:url';
import { ISTIO_KINDS } from '../../src/validation/index.js';
import { virtualServiceSpec } from '../../src/validation/virtualservice.js';
import { destinationRuleSpec } from '../../src/validation/destinationrule.js';
import { gatewaySpec } from '../../src/validation/gateway.js';
import { serviceEntrySpec } from '../../src/validation/serviceentry.js';
import { sidecarSpec } from '../../src/validation/sidecar.js';
import { workloadEntrySpec, workloadGroupSpec } from '../../src/validation/workloadentry.js';
import { peerAuthenticationSpec } from '../../src/validation/peerauthentication.js';
import { authorizationPolicySpec } from '../../src/validation/authorizationpolicy.js';
import { requestAuthenticationSpec } from '../../src/validation/requestauthentication.js';
import { telemetrySpec } from '../../src/validation/telemetry.js';
import { envoyFilterSpec } from '../../src/validation/envoyfilter.js';
import { proxyConfigSpec } from '../../src/validation/proxyconfig.js';
import { wasmPluginSpec } from '../../src/validation/wasmplugin.js';
import { skipWithoutKubectl } from '../support/kubectl.js';

/** The validators' spec schemas: a field they accept but the CRD does not list would be pruned by the API server. */
const VALIDATOR_SPECS: Record<string, { fields: Record<string, { type: string }> }> = {
  VirtualService: virtualServiceSpec,
  DestinationRule: destinationRuleSpec,
  Gateway: gatewaySpec,
  ServiceEntry: serviceEntrySpec,
  Sidecar: sidecarSpec,
  WorkloadEntry: workloadEntrySpec,
  WorkloadGroup: workloadGroupSpec,
  EnvoyFilter: envoyFilterSpec,
  ProxyConfig: proxyConfigSpec,
  PeerAuthentication: peerAuthenticationSpec,
  AuthorizationPolicy: authorizationPolicySpec,
  RequestAuthentication: requestAuthenticationSpec,
  Telemetry: telemetrySpec,
  WasmPlugin: wasmPluginSpec,
};
const OPENAPI_TYPE: Record<string, string> = { list: 'array', string: 'string', object: 'object', map: 'object', int: 'integer', number: 'number', bool: 'boolean' };

const run = promisify(execFile);
type Rec = Record<string, any>;

/** Paths of schema nodes that break the structural rules kube-apiserver enforces for apiextensions.k8s.io/v1. */
function structuralProblems(node: Rec, path = 'openAPIV3Schema'): string[] {
  const out: string[] = [];
  const preserve = node['x-kubernetes-preserve-unknown-fields'] === true;
  if (typeof node.type !== 'string' && !preserve && node['x-kubernetes-int-or-string'] !== true) out.push(`${path}: no type and no x-kubernetes-preserve-unknown-fields`);
  if (node.type === 'array' && (typeof node.items !== 'object' || Array.isArray(node.items))) out.push(`${path}: array without a single items schema`);
  if (node.properties && node.additionalProperties) out.push(`${path}: both properties and additionalProperties`);
  for (const banned of ['$ref', 'anyOf', 'oneOf', 'allOf', 'not']) if (banned in node) out.push(`${path}: ${banned} is not allowed here`);
  for (const [k, v] of Object.entries((node.properties ?? {}) as Rec)) out.push(...structuralProblems(v as Rec, `${path}.properties.${k}`));
  if (node.items) out.push(...structuralProblems(node.items as Rec, `${path}.items`));
  if (typeof node.additionalProperties === 'object') out.push(...structuralProblems(node.additionalProperties as Rec, `${path}.additionalProperties`));
  return out;
}

describe('CRDs (manifests/crds)', () => {
  let crds: Rec[] = [];
  before(async function () {
    skipWithoutKubectl(this, 'the CRD tests');
    const { stdout } = await run('kubectl', ['kustomize', CRD_DIR]);
    crds = parseAllDocuments(stdout).map((d) => d.toJS() as Rec);
  });

  it('the checked-in files are what src/tools/gen-crds.ts generates', async () => {
    expect(staleFiles(), 'run: node --import tsx src/tools/gen-crds.ts').to.deep.equal([]);
  });

  it('`kubectl kustomize manifests/crds` renders one CRD per kind', async () => {
    expect(crds.map((c) => c.metadata.name).sort()).to.deep.equal(CRD_KINDS.map((k) => `${k.plural}.${k.group}`).sort());
  });

  it('names, scope and versions: v1 stored; networking also serves v1beta1 and v1alpha3, security v1beta1, telemetry v1alpha1; EnvoyFilter only v1alpha3, ProxyConfig only v1beta1, WasmPlugin (extensions) only v1alpha1', async () => {
    const served: Record<string, string[]> = {
      'networking.istio.io': ['v1', 'v1beta1', 'v1alpha3'],
      'security.istio.io': ['v1', 'v1beta1'],
      'telemetry.istio.io': ['v1', 'v1alpha1'],
      'extensions.istio.io': ['v1alpha1'],
    };
    const only: Record<string, string[]> = { 'envoyfilters.networking.istio.io': ['v1alpha3'], 'proxyconfigs.networking.istio.io': ['v1beta1'] };
    for (const c of crds) {
      expect(c.apiVersion).to.equal('apiextensions.k8s.io/v1');
      expect(c.spec.scope).to.equal('Namespaced');
      expect(c.spec.names.plural).to.equal(c.spec.names.plural.toLowerCase());
      expect(c.spec.names.singular).to.equal(c.spec.names.kind.toLowerCase());
      const versions = (c.spec.versions as Rec[]).map((v) => v.name);
      const want = only[c.metadata.name] ?? served[c.spec.group]!;
      expect(versions, c.metadata.name).to.deep.equal(want);
      expect((c.spec.versions as Rec[]).filter((v) => v.storage).map((v) => v.name), c.metadata.name).to.deep.equal([want[0]]);
      for (const v of c.spec.versions as Rec[]) {
        expect(v.served, `${c.metadata.name} ${v.name}`).to.equal(true);
        expect(v.subresources).to.deep.equal({ status: {} });
      }
    }
  });

  it('short names and printer columns like Istio’s', async () => {
    const by = Object.fromEntries(crds.map((c) => [c.spec.names.kind, c]));
    expect(by.VirtualService.spec.names.shortNames).to.deep.equal(['vs']);
    expect(by.DestinationRule.spec.names.shortNames).to.deep.equal(['dr']);
    expect(by.Gateway.spec.names.shortNames).to.deep.equal(['gw']);
    expect(by.ServiceEntry.spec.names.shortNames).to.deep.equal(['se']);
    expect(by.Telemetry.spec.names).to.deep.include({ singular: 'telemetry', plural: 'telemetries', shortNames: ['telemetry'], categories: ['istio-io', 'telemetry-istio-io'] });
    expect(by.Telemetry.spec.versions[0].additionalPrinterColumns.map((c: Rec) => c.name)).to.deep.equal(['Age']);
    expect(by.EnvoyFilter.spec.names).to.deep.include({ singular: 'envoyfilter', plural: 'envoyfilters', categories: ['istio-io', 'networking-istio-io'] });
    expect(by.EnvoyFilter.spec.names.shortNames, 'Istio gives EnvoyFilter none').to.equal(undefined);
    expect(by.EnvoyFilter.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties.priority).to.include({ type: 'integer', format: 'int32' });
    expect(by.VirtualService.spec.versions[0].additionalPrinterColumns.map((c: Rec) => c.name)).to.deep.equal(['Gateways', 'Hosts', 'Age']);
    expect(by.PeerAuthentication.spec.versions[0].additionalPrinterColumns.map((c: Rec) => c.jsonPath)).to.include('.spec.mtls.mode');
    expect(by.WasmPlugin.spec.names).to.deep.include({ singular: 'wasmplugin', plural: 'wasmplugins', categories: ['istio-io', 'extensions-istio-io'] });
    expect(by.WasmPlugin.spec.names.shortNames, 'Istio gives WasmPlugin none').to.equal(undefined);
    expect(by.WasmPlugin.spec.versions[0].additionalPrinterColumns.map((c: Rec) => c.name)).to.deep.equal(['Age']);
    const wasm = by.WasmPlugin.spec.versions[0].schema.openAPIV3Schema.properties.spec.properties;
    expect(wasm.priority).to.include({ type: 'integer', format: 'int32', nullable: true });
    expect(wasm.pluginConfig, 'any JSON object, kept as written').to.include({ type: 'object', 'x-kubernetes-preserve-unknown-fields': true });
  });

  it('every schema is structural: each node has a type or preserves unknown fields', async () => {
    for (const c of crds) {
      for (const v of c.spec.versions as Rec[]) {
        const schema = v.schema.openAPIV3Schema as Rec;
        expect(schema.type).to.equal('object');
        expect(structuralProblems(schema), `${c.metadata.name} ${v.name}`).to.deep.equal([]);
        expect(schema.properties.spec.type).to.equal('object');
        expect(schema.properties.status['x-kubernetes-preserve-unknown-fields']).to.equal(true);
      }
    }
  });

  it('covers exactly the kinds and versions the validators know (ISTIO_KINDS)', async () => {
    const crdKinds = crds.map((c) => ({ group: c.spec.group, kind: c.spec.names.kind, plural: c.spec.names.plural, versions: (c.spec.versions as Rec[]).map((v) => v.name) }));
    const sort = (l: Array<{ kind: string }>) => [...l].sort((a, b) => a.kind.localeCompare(b.kind));
    expect(sort(crdKinds)).to.deep.equal(sort(ISTIO_KINDS.map((k) => ({ ...k, versions: [...k.versions] }))));
  });

  it('lists every top-level spec field the validators accept, with the matching type (nothing pruned)', async () => {
    for (const c of crds) {
      const validator = VALIDATOR_SPECS[c.spec.names.kind as string];
      expect(validator, c.spec.names.kind).to.not.equal(undefined);
      const want = Object.fromEntries(Object.entries(validator!.fields).map(([f, s]) => [f, OPENAPI_TYPE[s.type] ?? s.type]));
      for (const v of c.spec.versions as Rec[]) {
        const props = v.schema.openAPIV3Schema.properties.spec.properties as Record<string, Rec>;
        const got = Object.fromEntries(Object.entries(props).map(([f, s]) => [f, s.type]));
        expect(got, `${c.metadata.name} ${v.name}`).to.deep.equal(want);
      }
    }
  });

  it('the structural check itself catches untyped nodes', async () => {
    expect(structuralProblems({ type: 'object', properties: { a: {}, b: { type: 'array' } } })).to.deep.equal([
      'openAPIV3Schema.properties.a: no type and no x-kubernetes-preserve-unknown-fields',
      'openAPIV3Schema.properties.b: array without a single items schema',
    ]);
  });

  it('serves every apiVersion/kind the Bookinfo networking samples use, and knows their top-level spec fields', async () => {
    const dir = fileURLToPath(new URL('../../../shared/samples/bookinfo/networking', import.meta.url));
    const served = new Map(crds.map((c) => [`${c.spec.group}/${c.spec.names.kind}`, c]));
    for (const doc of expandLists(readDocuments([dir]))) {
      const o = doc.value as Rec;
      const [group, version] = String(o.apiVersion).split('/');
      const c = served.get(`${group}/${o.kind}`);
      expect(c, `${doc.file}#${doc.index}`).to.not.equal(undefined);
      const v = (c!.spec.versions as Rec[]).find((x) => x.name === version);
      expect(v, `${doc.file}#${doc.index} ${o.apiVersion}`).to.not.equal(undefined);
      const fields = Object.keys(v!.schema.openAPIV3Schema.properties.spec.properties);
      expect(fields, `${doc.file}#${doc.index}`).to.include.members(Object.keys(o.spec));
    }
  });
});
