/** The entry point: kinds and versions, metadata, top-level shape, and Bookinfo's networking samples. */
import { expect } from 'chai';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { readDocuments, expandLists } from '../../src/core/documents.js';
import { validateObject, isIstioKind, ISTIO_KINDS } from '../../src/validation/index.js';
import { runTable, type Case } from './table.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const NETWORKING = join(HERE, '../../../shared/samples/bookinfo/networking');

const obj = (apiVersion: string, kind: string, metadata: unknown = { name: 'a' }, spec: unknown = { host: 'a' }) => ({ apiVersion, kind, metadata, spec });

runTable('object', [
  { name: 'v1', in: obj('networking.istio.io/v1', 'DestinationRule'), valid: true, whole: true },
  { name: 'v1beta1', in: obj('networking.istio.io/v1beta1', 'DestinationRule'), valid: true, whole: true },
  { name: 'v1alpha3', in: obj('networking.istio.io/v1alpha3', 'DestinationRule'), valid: true, whole: true },
  { name: 'security v1beta1', in: obj('security.istio.io/v1beta1', 'PeerAuthentication', { name: 'a' }, {}), valid: true, whole: true },
  { name: 'security v1alpha3 does not exist', in: obj('security.istio.io/v1alpha3', 'PeerAuthentication', { name: 'a' }, {}), valid: false, error: 'unsupported kind PeerAuthentication in security.istio.io/v1alpha3', whole: true },
  { name: 'unknown kind', in: obj('networking.istio.io/v1', 'MeshPolicy'), valid: false, error: 'unsupported kind MeshPolicy in networking.istio.io/v1: not an Istio', whole: true },
  { name: 'ProxyConfig v1beta1', in: obj('networking.istio.io/v1beta1', 'ProxyConfig', { name: 'a' }, { concurrency: 1 }), valid: true, whole: true },
  { name: 'ProxyConfig is served as v1beta1 only', in: obj('networking.istio.io/v1', 'ProxyConfig', { name: 'a' }, {}), valid: false, error: 'unsupported kind ProxyConfig in networking.istio.io/v1: ProxyConfig is served as networking.istio.io/v1beta1 only', whole: true },
  { name: 'EnvoyFilter v1alpha3', in: obj('networking.istio.io/v1alpha3', 'EnvoyFilter', { name: 'a' }, {}), valid: true, whole: true },
  { name: 'EnvoyFilter v1 does not exist', in: obj('networking.istio.io/v1', 'EnvoyFilter', { name: 'a' }, {}), valid: false, error: 'unsupported kind EnvoyFilter in networking.istio.io/v1: EnvoyFilter is served as networking.istio.io/v1alpha3 only', whole: true },
  { name: 'telemetry v1', in: obj('telemetry.istio.io/v1', 'Telemetry', { name: 'a' }, {}), valid: true, whole: true },
  { name: 'Telemetry in the wrong group', in: obj('security.istio.io/v1', 'Telemetry', { name: 'a' }, {}), valid: false, error: 'unsupported kind Telemetry in security.istio.io/v1', whole: true },
  { name: 'WasmPlugin v1alpha1', in: obj('extensions.istio.io/v1alpha1', 'WasmPlugin', { name: 'a' }, { url: 'file:///opt/a.wasm' }), valid: true, whole: true },
  { name: 'WasmPlugin in the wrong group', in: obj('networking.istio.io/v1alpha3', 'WasmPlugin', { name: 'a' }, { url: 'file:///opt/a.wasm' }), valid: false, error: 'unsupported kind WasmPlugin in networking.istio.io/v1alpha3: not an Istio', whole: true },
  { name: 'core kind', in: obj('v1', 'Service'), valid: false, error: 'unsupported kind Service in v1', whole: true },
  { name: 'missing apiVersion', in: { kind: 'Gateway', metadata: { name: 'a' } }, valid: false, error: 'apiVersion: is required', whole: true },
  { name: 'metadata required', in: { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', spec: { host: 'a' } }, valid: false, error: 'metadata: is required', whole: true },
  { name: 'name required', in: obj('networking.istio.io/v1', 'DestinationRule', { namespace: 'x' }), valid: false, error: 'metadata.name: is required', whole: true },
  { name: 'generateName instead of name', in: obj('networking.istio.io/v1', 'DestinationRule', { generateName: 'dr-' }), valid: true, whole: true },
  { name: 'name with dots (subdomain)', in: obj('networking.istio.io/v1', 'DestinationRule', { name: 'reviews.v1' }), valid: true, whole: true },
  { name: 'name uppercase', in: obj('networking.istio.io/v1', 'DestinationRule', { name: 'Reviews' }), valid: false, error: 'metadata.name: invalid name "Reviews"', whole: true },
  { name: 'name too long', in: obj('networking.istio.io/v1', 'DestinationRule', { name: 'a'.repeat(254) }), valid: false, error: 'metadata.name', whole: true },
  { name: 'namespace not a label', in: obj('networking.istio.io/v1', 'DestinationRule', { name: 'a', namespace: 'my.ns' }), valid: false, error: 'metadata.namespace: invalid namespace "my.ns"', whole: true },
  { name: 'labels checked', in: obj('networking.istio.io/v1', 'DestinationRule', { name: 'a', labels: { app: 'bad value!' } }), valid: false, error: 'metadata.labels[app]', whole: true },
  { name: 'unknown metadata field', in: obj('networking.istio.io/v1', 'DestinationRule', { name: 'a', nmespace: 'x' }), valid: false, error: 'metadata.nmespace: unknown field', whole: true },
  { name: 'unknown top-level field', in: { ...obj('networking.istio.io/v1', 'DestinationRule'), specs: {} }, valid: false, error: 'specs: unknown field', whole: true },
  { name: 'spec not an object', in: obj('networking.istio.io/v1', 'DestinationRule', { name: 'a' }, []), valid: false, error: 'spec: must be an object, not a list', whole: true },
  { name: 'status is allowed', in: { ...obj('networking.istio.io/v1', 'DestinationRule'), status: { conditions: [] } }, valid: true, whole: true },
  { name: 'dry-run annotation on a VirtualService', in: obj('networking.istio.io/v1', 'DestinationRule', { name: 'a', annotations: { 'istio.io/dry-run': 'true' } }), valid: false, error: 'only supported on AuthorizationPolicy', whole: true },
  { name: 'Istio\'s always-reject test annotation', in: obj('networking.istio.io/v1', 'DestinationRule', { name: 'a', annotations: { 'internal.istio.io/webhook-always-reject': 'true' } }), valid: false, error: 'metadata.annotations[internal.istio.io/webhook-always-reject]', whole: true },
  { name: 'istio.io/alwaysReject is an ordinary annotation', in: obj('networking.istio.io/v1', 'DestinationRule', { name: 'a', annotations: { 'istio.io/alwaysReject': 'true' } }), valid: true, whole: true },
  { name: 'internal parents annotation may not be set by users', in: obj('networking.istio.io/v1', 'DestinationRule', { name: 'a', annotations: { 'internal.istio.io/parents': 'HTTPRoute/foo.default' } }), valid: false, error: 'metadata.annotations[internal.istio.io/parents]', whole: true },
  { name: 'internal parent-namespace annotation may not be set by users', in: obj('networking.istio.io/v1', 'DestinationRule', { name: 'a', annotations: { 'internal.istio.io/parent-namespace': 'other' } }), valid: false, error: 'metadata.annotations[internal.istio.io/parent-namespace]', whole: true },
] satisfies Case[]);

describe('validation entry point', () => {
  it('knows every kind and version', async () => {
    expect(ISTIO_KINDS.map((k) => k.kind)).to.have.members([
      'VirtualService', 'DestinationRule', 'Gateway', 'ServiceEntry', 'Sidecar', 'WorkloadEntry', 'WorkloadGroup', 'EnvoyFilter', 'ProxyConfig',
      'PeerAuthentication', 'AuthorizationPolicy', 'RequestAuthentication', 'Telemetry', 'WasmPlugin',
    ]);
    expect(ISTIO_KINDS.find((k) => k.kind === 'WasmPlugin')).to.deep.equal({ group: 'extensions.istio.io', kind: 'WasmPlugin', plural: 'wasmplugins', versions: ['v1alpha1'] });
    expect(isIstioKind('extensions.istio.io/v1alpha1', 'WasmPlugin')).to.equal(true);
    expect(isIstioKind('extensions.istio.io/v1', 'WasmPlugin')).to.equal(false);
    expect(ISTIO_KINDS.find((k) => k.kind === 'ServiceEntry')).to.deep.equal({ group: 'networking.istio.io', kind: 'ServiceEntry', plural: 'serviceentries', versions: ['v1', 'v1beta1', 'v1alpha3'] });
    expect(ISTIO_KINDS.find((k) => k.kind === 'AuthorizationPolicy')?.versions).to.deep.equal(['v1', 'v1beta1']);
    expect(ISTIO_KINDS.find((k) => k.kind === 'Telemetry')).to.deep.equal({ group: 'telemetry.istio.io', kind: 'Telemetry', plural: 'telemetries', versions: ['v1', 'v1alpha1'] });
    expect(isIstioKind('networking.istio.io/v1alpha3', 'VirtualService')).to.equal(true);
    expect(isIstioKind('security.istio.io/v1', 'AuthorizationPolicy')).to.equal(true);
    expect(isIstioKind('security.istio.io/v1', 'VirtualService')).to.equal(false);
    expect(ISTIO_KINDS.find((k) => k.kind === 'EnvoyFilter')).to.deep.equal({ group: 'networking.istio.io', kind: 'EnvoyFilter', plural: 'envoyfilters', versions: ['v1alpha3'] });
    expect(ISTIO_KINDS.find((k) => k.kind === 'ProxyConfig')).to.deep.equal({ group: 'networking.istio.io', kind: 'ProxyConfig', plural: 'proxyconfigs', versions: ['v1beta1'] });
    expect(isIstioKind('networking.istio.io/v1alpha3', 'EnvoyFilter')).to.equal(true);
    expect(isIstioKind('networking.istio.io/v1', 'EnvoyFilter')).to.equal(false);
    expect(isIstioKind('telemetry.istio.io/v1alpha1', 'Telemetry')).to.equal(true);
    expect(isIstioKind('telemetry.istio.io/v1beta1', 'Telemetry')).to.equal(false);
    expect(isIstioKind('apps/v1', 'Deployment')).to.equal(false);
    expect(isIstioKind(42 as unknown as string, 'x')).to.equal(false);
  });

  it('returns one error for an unknown kind', async () => {
    expect(validateObject(obj('networking.istio.io/v1', 'Telemetry')).errors).to.have.length(1);
  });

  it('returns every problem, each with its path', async () => {
    const r = validateObject({
      apiVersion: 'networking.istio.io/v1',
      kind: 'VirtualService',
      metadata: { name: 'Bad_Name' },
      spec: { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews', subset: 'v_1' }, weight: -5 }], timeout: '1 second', retries: { attempts: 2, retryOn: 'nope' } }] },
    });
    expect(r.errors).to.include.members([
      'metadata.name: invalid name "Bad_Name": must be a DNS-1123 subdomain (lowercase letters, digits, \'-\' and \'.\', at most 253 characters)',
      'spec.http[0].route[0].destination.subset: subset name "v_1" is invalid (must be a DNS label)',
      'spec.http[0].route[0].weight: weight -5 must not be negative',
      'spec.http[0].timeout: invalid duration "1 second" (examples: 10s, 1.5s, 250ms, 1h30m)',
    ]);
    expect(r.errors.some((e) => e.startsWith('spec.http[0].retries.retryOn: "nope"'))).to.equal(true);
  });

  describe('every Bookinfo networking sample validates with no errors', () => {
    const docs = expandLists(readDocuments([NETWORKING]));
    it('finds the samples', async () => {
      expect(docs.length).to.be.greaterThan(20);
    });
    for (const d of docs) {
      const v = d.value as { kind?: string; metadata?: { name?: string } };
      it(`${d.file.slice(NETWORKING.length + 1)}#${d.index} ${v?.kind}/${v?.metadata?.name}`, async () => {
        expect(d.error).to.equal(undefined);
        expect(validateObject(d.value).errors).to.deep.equal([]);
      });
    }
    it('warns, as Istio does, about the unreachable second rule of fault-injection-details-v1.yaml', async () => {
      const d = docs.find((x) => x.file.endsWith('fault-injection-details-v1.yaml') && x.index === 0)!;
      expect(validateObject(d.value).warnings).to.deep.equal(['spec.http[1]: rule #1 is never used: rule #0 before it has no match and takes every request; only the last rule may have none']);
    });
  });
});
