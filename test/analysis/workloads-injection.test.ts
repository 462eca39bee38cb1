import { expect } from 'chai';
import { analyze } from '../../src/analysis/index.js';
import { analysisOptions, resolveMeshConfig } from '../../src/config/mesh.js';
import type { KubeObject } from '../../src/core/kube.js';
import { deploy, describeTable, leveled, pod, svc } from './fixtures.js';

const namespace = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });
const injected = (name = 'shop') => namespace(name, { 'istio-injection': 'enabled' });
/** A pod that runs the sidecar. */
const withProxy = (name: string, labels: Record<string, string>, ns = 'shop'): KubeObject => ({ apiVersion: 'v1', kind: 'Pod', metadata: { name, namespace: ns, labels }, spec: { containers: [{ name: 'app' }, { name: 'istio-proxy', image: 'envoy' }] } });
const port = (p: number, extra: Record<string, unknown> = {}) => ({ port: p, name: `tcp-${p}`, ...extra });
const service = (name: string, ports: Array<Record<string, unknown>>, ns = 'shop', selector: Record<string, string> = { app: 'api' }): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: ns }, spec: { selector, ports } });
const api = (ns = 'shop') => deploy('api', { app: 'api' }, ns);
const externalName = (ports: Array<Record<string, unknown>>): KubeObject => ({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'ext', namespace: 'default' }, spec: { type: 'ExternalName', externalName: 'db.example.com', ports } });

describeTable(
  'analysis: workloads and injection',
  {
    'IST0116 one port, several protocols': [
      { name: 'TCP and UDP on 53 for an injected deployment', objects: [injected(), api(), service('dns-tcp', [port(53)]), service('dns-udp', [port(53, { protocol: 'UDP', name: 'udp-53' })])], expect: ['Warning IST0116 Deployment shop/api spec.template.metadata.labels'] },
      { name: 'the same protocol twice', objects: [injected(), api(), service('a', [port(80)]), service('b', [port(80)])], expect: [] },
      { name: 'a deployment outside the mesh', objects: [namespace('shop', { 'istio-injection': 'disabled' }), api(), service('dns-tcp', [port(53)]), service('dns-udp', [port(53, { protocol: 'UDP', name: 'udp-53' })])], expect: [] },
      { name: 'Services of another namespace do not select it', objects: [injected(), namespace('other'), api(), service('dns-tcp', [port(53)]), service('dns-udp', [port(53, { protocol: 'UDP', name: 'udp-53' })], 'other')], expect: [] },
    ],
    'IST0137 one targetPort, several ports': [
      { name: 'two Services, ports 80 and 8080, both to 8080', objects: [injected(), api(), service('a', [port(80, { targetPort: 8080 })]), service('b', [port(8080)])], expect: ['Warning IST0137 Deployment shop/api spec.template.metadata.labels'] },
      { name: 'a named targetPort', objects: [injected(), api(), service('a', [port(80, { targetPort: 'web' })]), service('b', [port(81, { targetPort: 'web' })])], expect: ['Warning IST0137 Deployment shop/api spec.template.metadata.labels'] },
      { name: 'the same port to the same targetPort', objects: [injected(), api(), service('a', [port(80, { targetPort: 8080 })]), service('b', [port(80, { targetPort: 8080 })])], expect: [] },
      { name: 'a pod label asks for injection where the namespace says nothing', objects: [namespace('shop', { 'istio.io/rev': 'canary' }), deploy('api', { app: 'api', 'sidecar.istio.io/inject': 'true' }, 'shop'), service('a', [port(80, { targetPort: 8080 })]), service('b', [port(8080)])], expect: [] },
      { name: 'a Service without selector selects nothing', objects: [injected(), api(), service('a', [port(80, { targetPort: 8080 })], 'shop', {}), service('b', [port(8080)])], expect: [] },
    ],
    'IST0150 ExternalName ports': [
      { name: 'a port named tcp', objects: [externalName([{ port: 5432, name: 'tcp' }])], expect: ['Warning IST0150 Service default/ext spec.ports[0].name'] },
      { name: 'a port without a protocol: IST0150 instead of IST0118', objects: [externalName([{ port: 5432, name: 'db' }])], expect: ['Warning IST0150 Service default/ext spec.ports[0].name'] },
      { name: 'tcp-postgres, https, appProtocol', objects: [externalName([{ port: 5432, name: 'tcp-postgres' }, { port: 443, name: 'https' }, { port: 80, name: 'web', appProtocol: 'http' }])], expect: [] },
      { name: 'a ClusterIP Service port named db is IST0118', objects: [svc('plain', { ports: [{ port: 5432, name: 'db' }] })], expect: ['Info IST0118 Service default/plain spec.ports[0].name'] },
    ],
    'IST0102 / IST0123 namespaces': [
      { name: 'a namespace with pods and no injection label', objects: [namespace('shop'), withProxy('p', { app: 'x' })], expect: ['Info IST0102 Namespace /shop metadata.labels'] },
      { name: 'without pods in the input: not said', objects: [namespace('shop')], expect: [] },
      { name: 'istio-injection=disabled says it needs none', objects: [namespace('shop', { 'istio-injection': 'disabled' }), pod('p', { app: 'x' }, 'shop')], expect: [] },
      { name: 'a revision label', objects: [namespace('shop', { 'istio.io/rev': 'default' }), withProxy('p', { app: 'x' })], expect: [] },
      { name: 'system and root namespaces', objects: [namespace('kube-system'), pod('p', {}, 'kube-system'), namespace('istio-system'), pod('q', {}, 'istio-system')], expect: [] },
      { name: 'istio-injection=enabled and istio.io/rev', objects: [namespace('shop', { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' })], expect: ['Warning IST0123 Namespace /shop metadata.labels'] },
      { name: 'istio.io/rev and dataplane-mode', objects: [namespace('shop', { 'istio.io/rev': 'default', 'istio.io/dataplane-mode': 'ambient' })], expect: ['Warning IST0123 Namespace /shop metadata.labels'] },
      { name: 'istio-injection=disabled with istio.io/rev: an explicit opt-out, as Istio counts it', objects: [namespace('shop', { 'istio-injection': 'disabled', 'istio.io/rev': 'canary' })], expect: [] },
    ],
    'IST0103 pods without the proxy': [
      { name: 'a pod of an injected namespace without istio-proxy', objects: [injected(), pod('p', { app: 'x' }, 'shop')], expect: ['Warning IST0103 Pod shop/p'] },
      { name: 'one with istio-proxy', objects: [injected(), withProxy('p', { app: 'x' })], expect: [] },
      { name: 'opted out by label, or with a value that does not ask for it', objects: [injected(), pod('p', { 'sidecar.istio.io/inject': 'false' }, 'shop'), pod('q', { 'sidecar.istio.io/inject': 'nope' }, 'shop')], expect: [] },
      { name: 'a pod label asking for it in a namespace that says nothing', objects: [namespace('shop'), pod('p', { 'sidecar.istio.io/inject': 'true' }, 'shop')], expect: ['Info IST0102 Namespace /shop metadata.labels', 'Warning IST0103 Pod shop/p'] },
      { name: 'a revision namespace: its revision is injected, another is not', objects: [namespace('shop', { 'istio.io/rev': 'default' }), namespace('lab', { 'istio.io/rev': 'canary' }), pod('p', {}, 'shop'), pod('q', {}, 'lab')], expect: ['Warning IST0103 Pod shop/p'] },
      { name: 'hostNetwork pods and finished pods', objects: [injected(), { ...pod('p', {}, 'shop'), spec: { hostNetwork: true, containers: [] } }, { ...pod('q', {}, 'shop'), status: { phase: 'Succeeded' } }], expect: [] },
      { name: 'the namespace is not in the input: not judged', objects: [pod('p', { 'sidecar.istio.io/inject': 'true' }, 'shop')], expect: [] },
    ],
  },
  leveled,
);

describe('analysis: workloads and injection messages', () => {
  it('IST0123 names the label the webhook follows', async () => {
    const [f] = analyze([namespace('shop', { 'istio-injection': 'enabled', 'istio.io/rev': 'canary' })]);
    expect(f!.message).to.include('follows istio-injection and ignores istio.io/rev');
    expect(f!.resource).to.deep.equal({ kind: 'Namespace', namespace: '', name: 'shop' });
  });

  it("reads the mesh config's injection choices as the webhook does (analysisOptions): revision and inject selectors", () => {
    const mesh = resolveMeshConfig({ revision: 'canary', neverInjectSelector: [{ matchLabels: { batch: 'true' } }] });
    if (!mesh.ok) throw new Error(mesh.errors.join());
    const objects = [namespace('shop', { 'istio-injection': 'enabled' }), namespace('lab', { 'istio.io/rev': 'canary' }), pod('p', {}, 'shop'), pod('job', { batch: 'true' }, 'shop'), pod('q', {}, 'lab')];
    const codes = (o?: object) => analyze(objects, o).map(leveled).filter((f) => f.includes('IST0103')).sort();
    expect(codes()).to.deep.equal(['Warning IST0103 Pod shop/job', 'Warning IST0103 Pod shop/p']);
    expect(codes(analysisOptions(mesh.value))).to.deep.equal(['Warning IST0103 Pod lab/q', 'Warning IST0103 Pod shop/p']);
  });

  it('IST0103 says why the webhook would inject it; IST0150 names where the traffic goes', async () => {
    const [f] = analyze([injected(), pod('p', {}, 'shop')]);
    expect(f!.message).to.include('namespace shop has istio-injection=enabled');
    const [g] = analyze([externalName([{ port: 5432, name: 'tcp' }])]);
    expect(g!.message).to.include('0.0.0.0:5432').and.include('db.example.com');
  });

  it('IST0137 lists the Services and ports', async () => {
    const [f] = analyze([injected(), api(), service('a', [port(80, { targetPort: 8080 })]), service('b', [port(8080)])]);
    expect(f!.message).to.include('shop/a, shop/b').and.include('targetPort 8080').and.include('(80, 8080)');
  });

  it('objects of the wrong shape do not throw', async () => {
    const odd = [
      { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: 'x' } },
      { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'd', namespace: 'shop' }, spec: { template: 'x' } },
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 's', namespace: 'shop' }, spec: { type: 'ExternalName', ports: [null, { port: 'x' }] } },
      { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'p', namespace: 'shop' }, spec: null },
    ] as unknown as KubeObject[];
    expect(() => analyze(odd)).not.to.throw();
  });
});
