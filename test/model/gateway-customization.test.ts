/**
 * Customized gateway deployments (pure): class defaults and parametersRef ConfigMaps whose overlays are strategic
 * merge patches of the rendered objects; the HPA and PDB they ask for; every way a customization is refused; and
 * what the writer then compares (replicas left to the HPA) and deletes (its own leftovers only).
 */
import { expect } from 'chai';
import type { KubeObject } from '../../src/core/kube.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { type DeployResult, type GatewayDeployment, leftoverOf, ownedBy, renderGatewayDeployment, updateFor } from '../../src/model/gateway-api-deploy.js';
import { CLASS_DEFAULTS_LABEL, classDefaults, parametersRef, parseCustomization } from '../../src/model/gateway-customization.js';
import { bookinfoGateway } from '../support/gateway-api-samples.js';

const GW = 'gateway.networking.k8s.io';
const NAME = `${GW}/gateway-name`;
const MANAGED = 'gateway.istio.io/managed';
const CP = 'mizzen-system';
const mesh = DEFAULT_MESH_CONFIG;
type Json = Record<string, any>;

const gateway = (edit: (g: any) => void = () => undefined): KubeObject => {
  const g: any = structuredClone({ ...bookinfoGateway, metadata: { ...bookinfoGateway.metadata, uid: 'gw-uid-1' } });
  edit(g);
  return g;
};
/** The Gateway with spec.infrastructure.parametersRef naming ConfigMap `name`. */
const withParams = (name = 'gw-options', edit: (g: any) => void = () => undefined): KubeObject =>
  gateway((g) => {
    g.spec.infrastructure = { labels: { foo: 'bar' }, parametersRef: { group: '', kind: 'ConfigMap', name } };
    edit(g);
  });
const configMap = (name: string, data: Record<string, string>, o: { namespace?: string; labels?: Record<string, string>; created?: string } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name, namespace: o.namespace ?? 'default', ...(o.labels ? { labels: o.labels } : {}), ...(o.created ? { creationTimestamp: o.created } : {}) },
  data,
});
const classDefault = (name: string, data: Record<string, string>, created = '2025-01-01T00:00:00Z', cls = 'istio', namespace = CP): KubeObject => configMap(name, data, { namespace, labels: { [CLASS_DEFAULTS_LABEL]: cls }, created });

const render = (gw: KubeObject, configMaps: KubeObject[]): DeployResult => renderGatewayDeployment(gw, { mesh, customization: { configMaps, controlPlaneNamespace: CP } });
const rendered = (gw: KubeObject, configMaps: KubeObject[]): GatewayDeployment => {
  const r = render(gw, configMaps);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
};
const refusal = (gw: KubeObject, configMaps: KubeObject[]): string => {
  const r = render(gw, configMaps);
  if (r.ok) throw new Error('rendered');
  expect(r.invalidParameters, 'a customization error').to.equal(true);
  return r.errors.join('; ');
};
const byKind = (d: GatewayDeployment, kind: string): Json => d.objects.find((o) => o.kind === kind) as Json;
const proxy = (d: GatewayDeployment): Json => byKind(d, 'Deployment').spec.template.spec.containers[0];

describe('customized gateway deployments (pure)', () => {
  describe('Istio\'s "customizations" case: a parametersRef ConfigMap with every overlay', () => {
    const options = configMap('gw-options', {
      podDisruptionBudget: 'spec:\n  minAvailable: 1',
      horizontalPodAutoscaler: 'spec:\n  minReplicas: 2\n  maxReplicas: 2',
      deployment: 'metadata:\n  annotations:\n    cm-annotation: cm-annotation-value\nspec:\n  replicas: 4\n  template:\n    spec:\n      containers:\n      - name: istio-proxy\n        resources:\n          requests:\n            cpu: 222m',
    });
    const d = rendered(withParams(), [options]);
    const owner = [{ apiVersion: `${GW}/v1`, kind: 'Gateway', name: 'bookinfo-gateway', uid: 'gw-uid-1' }];

    it('makes the HPA and the PDB besides the three, named like the Deployment, owned and labelled alike', () => {
      expect(d.objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.name}`)).to.deep.equal([
        'v1 ServiceAccount bookinfo-gateway-istio',
        'apps/v1 Deployment bookinfo-gateway-istio',
        'v1 Service bookinfo-gateway-istio',
        'autoscaling/v2 HorizontalPodAutoscaler bookinfo-gateway-istio',
        'policy/v1 PodDisruptionBudget bookinfo-gateway-istio',
      ]);
      for (const kind of ['HorizontalPodAutoscaler', 'PodDisruptionBudget']) {
        expect(byKind(d, kind).metadata.ownerReferences, kind).to.deep.equal(owner);
        expect(byKind(d, kind).metadata.labels, kind).to.deep.equal({ foo: 'bar', [NAME]: 'bookinfo-gateway', [`${GW}/gateway-class-name`]: 'istio', [MANAGED]: 'istio.io-gateway-controller' });
      }
      expect(d.autoscaled).to.equal(true);
      expect(d.unwanted).to.deep.equal([]);
    });

    it('the HPA scales the Deployment, its overlay setting the replicas; the PDB selects the gateway\'s pods', () => {
      expect(byKind(d, 'HorizontalPodAutoscaler').spec).to.deep.equal({ scaleTargetRef: { apiVersion: 'apps/v1', kind: 'Deployment', name: 'bookinfo-gateway-istio' }, maxReplicas: 2, minReplicas: 2 });
      expect(byKind(d, 'PodDisruptionBudget').spec).to.deep.equal({ selector: { matchLabels: { [NAME]: 'bookinfo-gateway' } }, minAvailable: 1 });
    });

    it('the Deployment overlay: an annotation, replicas, and the proxy\'s cpu request merged into the injected container', () => {
      const dep = byKind(d, 'Deployment');
      expect(dep.metadata.annotations).to.deep.equal({ 'cm-annotation': 'cm-annotation-value' });
      expect(dep.spec.replicas).to.equal(4);
      expect(proxy(d).resources.requests.cpu).to.equal('222m');
      const plain = rendered(withParams('none', (g) => delete g.spec.infrastructure.parametersRef), []);
      expect(proxy(d).resources.requests.memory, 'the rest of the request kept').to.equal(proxy(plain).resources.requests.memory);
      expect(proxy(d).image).to.equal(mesh.proxyImage);
      expect(proxy(d).args).to.deep.equal(proxy(plain).args);
    });
  });

  describe('without overlays of theirs, no HPA or PDB', () => {
    it('no customization at all: the three objects; both optional kinds unwanted', () => {
      const d = rendered(gateway(), []);
      expect(d.objects.map((o) => o.kind)).to.deep.equal(['ServiceAccount', 'Deployment', 'Service']);
      expect(d.autoscaled).to.equal(false);
      expect(d.unwanted).to.deep.equal([
        { kind: 'HorizontalPodAutoscaler', name: 'bookinfo-gateway-istio' },
        { kind: 'PodDisruptionBudget', name: 'bookinfo-gateway-istio' },
      ]);
    });

    it('an empty overlay is still an overlay: the PDB as Istio\'s template has it', () => {
      const d = rendered(withParams(), [configMap('gw-options', { podDisruptionBudget: '' })]);
      expect(d.objects.map((o) => o.kind)).to.deep.equal(['ServiceAccount', 'Deployment', 'Service', 'PodDisruptionBudget']);
      expect(d.unwanted.map((u) => u.kind)).to.deep.equal(['HorizontalPodAutoscaler']);
    });

    it('the Service and ServiceAccount overlays', () => {
      const d = rendered(withParams(), [configMap('gw-options', { service: 'metadata:\n  annotations:\n    lb: internal\nspec:\n  type: ClusterIP\n  ports:\n  - port: 80\n    name: web', serviceAccount: 'metadata:\n  annotations:\n    iam: role-a' })]);
      expect(byKind(d, 'Service').metadata.annotations).to.deep.equal({ lb: 'internal' });
      expect(byKind(d, 'Service').spec.type).to.equal('ClusterIP');
      expect(byKind(d, 'Service').spec.ports.map((p: Json) => `${p.name}:${p.port}`), 'merged by port').to.deep.equal(['status-port:15021', 'web:80']);
      expect(byKind(d, 'ServiceAccount').metadata.annotations).to.deep.equal({ iam: 'role-a' });
    });
  });

  describe('class defaults, then the Gateway\'s own', () => {
    const defaults = classDefault('defaults', { deployment: 'spec:\n  template:\n    spec:\n      containers:\n      - name: istio-proxy\n        resources:\n          requests:\n            cpu: 100m\n            memory: 1Gi', service: 'spec:\n  type: NodePort' });
    const own = configMap('gw-options', { deployment: 'spec:\n  template:\n    spec:\n      containers:\n      - name: istio-proxy\n        resources:\n          requests:\n            cpu: 300m' });

    it('the defaults apply to a Gateway of the class without a parametersRef', () => {
      const d = rendered(gateway(), [defaults]);
      expect(proxy(d).resources.requests).to.include({ cpu: '100m', memory: '1Gi' });
      expect(byKind(d, 'Service').spec.type).to.equal('NodePort');
    });

    it('the Gateway\'s overlay goes on top of the defaults', () => {
      const d = rendered(withParams(), [defaults, own]);
      expect(proxy(d).resources.requests).to.include({ cpu: '300m', memory: '1Gi' });
      expect(byKind(d, 'Service').spec.type).to.equal('NodePort');
    });

    it('only the oldest labelled ConfigMap of the control plane\'s namespace, for this class', () => {
      const cms = [
        classDefault('newer', { service: 'spec:\n  type: ClusterIP' }, '2025-06-01T00:00:00Z'),
        classDefault('elsewhere', { service: 'spec:\n  type: ClusterIP' }, '2020-01-01T00:00:00Z', 'istio', 'default'),
        classDefault('other-class', { service: 'spec:\n  type: ClusterIP' }, '2020-01-01T00:00:00Z', 'vendor'),
        defaults,
      ];
      expect(classDefaults('istio', { configMaps: cms, controlPlaneNamespace: CP })?.metadata.name).to.equal('defaults');
      expect(byKind(rendered(gateway(), cms), 'Service').spec.type).to.equal('NodePort');
      const sameAge = [classDefault('b', {}), classDefault('a', {})];
      expect(classDefaults('istio', { configMaps: sameAge, controlPlaneNamespace: CP })?.metadata.name, 'the same age: by name').to.equal('a');
    });

    it('a bad class default refuses every Gateway of the class, naming that ConfigMap', () => {
      expect(refusal(gateway(), [classDefault('defaults', { deploymnet: 'spec: {}' })])).to.equal(`ConfigMap ${CP}/defaults: unsupported overlay "deploymnet" (supported: deployment, horizontalPodAutoscaler, podDisruptionBudget, service, serviceAccount)`);
    });
  });

  describe('refused, with the ConfigMap, key and field', () => {
    const cm = (data: Record<string, string>): KubeObject[] => [configMap('gw-options', data)];
    const cases: Array<[string, KubeObject, KubeObject[], string | RegExp]> = [
      ['a parametersRef to another kind', withParams('x', (g) => (g.spec.infrastructure.parametersRef.kind = 'Secret')), [], 'spec.infrastructure.parametersRef: ""/Secret is not supported: a gateway is customized by a ConfigMap (group "", kind ConfigMap)'],
      ['a parametersRef to another group', withParams('x', (g) => (g.spec.infrastructure.parametersRef.group = 'example.com')), [], /^spec\.infrastructure\.parametersRef: example\.com\/ConfigMap is not supported/],
      ['a parametersRef without a name', withParams('x', (g) => delete g.spec.infrastructure.parametersRef.name), [], 'spec.infrastructure.parametersRef.name: required (the ConfigMap\'s name)'],
      ['a ConfigMap that is not there', withParams('missing'), [], 'spec.infrastructure.parametersRef: ConfigMap default/missing not found'],
      ['a ConfigMap of the same name in another namespace is not it', withParams(), [configMap('gw-options', {}, { namespace: 'other' })], 'spec.infrastructure.parametersRef: ConfigMap default/gw-options not found'],
      ['an unsupported key', withParams(), cm({ deployment: '', hpa: 'spec: {}' }), 'ConfigMap default/gw-options: unsupported overlay "hpa" (supported: deployment, horizontalPodAutoscaler, podDisruptionBudget, service, serviceAccount)'],
      ['YAML that does not parse', withParams(), cm({ service: 'spec:\n  type: [ClusterIP' }), /^ConfigMap default\/gw-options, key service: not YAML: /],
      ['YAML that is a list', withParams(), cm({ service: '- spec: {}' }), 'ConfigMap default/gw-options, key service: must be a YAML map of the fields to merge, not a list'],
      ['YAML that is a scalar', withParams(), cm({ deployment: 'replicas' }), 'ConfigMap default/gw-options, key deployment: must be a YAML map of the fields to merge, not string'],
      ['nesting no object has', withParams(), cm({ deployment: `spec: ${'{a: '.repeat(200)}1${'}'.repeat(200)}` }), 'ConfigMap default/gw-options, key deployment: nested deeper than 64 levels: no Kubernetes object is'],
      ['nesting the YAML parser cannot take', withParams(), cm({ deployment: `spec: ${'['.repeat(5000)}${']'.repeat(5000)}` }), /^ConfigMap default\/gw-options, key deployment: not YAML: /],
      ['several documents', withParams(), cm({ deployment: 'spec: {}\n---\nspec: {}' }), /^ConfigMap default\/gw-options, key deployment: not YAML: /],
      ['a container without its merge key', withParams(), cm({ deployment: 'spec:\n  template:\n    spec:\n      containers:\n      - image: x' }), 'ConfigMap default/gw-options, key deployment: spec.template.spec.containers[0]: has no name, the key this list merges by'],
      ['a directive mizzen does not apply', withParams(), cm({ deployment: 'spec:\n  template:\n    spec:\n      $setElementOrder/containers:\n      - name: istio-proxy' }), /^ConfigMap default\/gw-options, key deployment: spec\.template\.spec\.\$setElementOrder\/containers: the \$setElementOrder directive is not supported/],
      ['Istio\'s "illegal_customizations": a new name', withParams(), cm({ deployment: 'metadata:\n  name: not-allowed' }), 'ConfigMap default/gw-options, key deployment: changes metadata.name, which the gateway controller sets'],
      ['another namespace', withParams(), cm({ service: 'metadata:\n  namespace: kube-system' }), /key service: changes metadata\.namespace, which/],
      ['another owner', withParams(), cm({ serviceAccount: 'metadata:\n  ownerReferences:\n  - apiVersion: v1\n    kind: Thing\n    name: x\n    uid: u' }), /key serviceAccount: changes metadata\.ownerReferences, which/],
      ['another kind', withParams(), cm({ podDisruptionBudget: 'kind: Deployment' }), /key podDisruptionBudget: changes kind, which/],
      ['the whole object replaced', withParams(), cm({ horizontalPodAutoscaler: '$patch: replace\nspec:\n  maxReplicas: 3' }), /key horizontalPodAutoscaler: changes apiVersion, kind, metadata\.name, metadata\.namespace, metadata\.ownerReferences, metadata\.labels\["gateway\.networking\.k8s\.io\/gateway-name"\], metadata\.labels\["gateway\.istio\.io\/managed"\], which/],
      ['the gateway-name label removed', withParams(), cm({ service: `metadata:\n  labels:\n    ${NAME}: null` }), `ConfigMap default/gw-options, key service: changes metadata.labels["${NAME}"], which the gateway controller sets`],
      ['the managed label of the Deployment changed', withParams(), cm({ deployment: `metadata:\n  labels:\n    ${MANAGED}: mine` }), /key deployment: changes metadata\.labels\["gateway\.istio\.io\/managed"\]/],
    ];
    for (const [name, gw, configMaps, error] of cases) {
      it(name, () => {
        const message = refusal(gw, configMaps);
        if (typeof error === 'string') expect(message).to.equal(error);
        else expect(message).to.match(error);
      });
    }

    it('every error at once: the other ConfigMap\'s and the Gateway\'s own problems', () => {
      const message = refusal(
        withParams('gw-options', (g) => (g.metadata.annotations = { 'networking.istio.io/service-type': 'ExternalName' })),
        [classDefault('defaults', { extra: '' }), configMap('gw-options', { service: '[' })],
      );
      expect(message.split('; ')).to.have.length(3);
      expect(message).to.contain('"ExternalName" is not one of').and.contain(`ConfigMap ${CP}/defaults: unsupported overlay "extra"`).and.contain('ConfigMap default/gw-options, key service: not YAML');
    });

    it('data that is no text (a file source\'s ConfigMap) is refused, not thrown on', () => {
      expect(parseCustomization({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'x', namespace: 'ns' }, data: { deployment: 5 } } as unknown as KubeObject)).to.deep.equal({ ok: false, errors: ['ConfigMap ns/x, key deployment: not text'] });
    });

    it('a Gateway with no infrastructure or a null parametersRef names nothing', () => {
      expect(parametersRef(gateway())).to.deep.equal({ ok: true, value: undefined });
      expect(parametersRef(gateway((g) => (g.spec.infrastructure = { parametersRef: null })))).to.deep.equal({ ok: true, value: undefined });
    });

    it('an alias bomb is refused, not expanded', () => {
      const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x","x"]', ...Array.from({ length: 8 }, (_, i) => `${String.fromCharCode(98 + i)}: &${String.fromCharCode(98 + i)} [*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)},*${String.fromCharCode(97 + i)}]`)].join('\n');
      expect(refusal(withParams(), [configMap('gw-options', { deployment: `metadata:\n  annotations:\n${bomb.replace(/^/gm, '    ')}` })])).to.match(/key deployment: not YAML: .*alias/i);
    });
  });

  describe('what the writer does with them', () => {
    const served = (o: KubeObject, extra: Json = {}): KubeObject => ({ ...structuredClone(o), metadata: { ...structuredClone(o.metadata), uid: 'x', resourceVersion: '42' }, ...extra });

    it('an HPA sizes the Deployment: replicas the overlay sets are neither compared nor sent', () => {
      const d = rendered(withParams(), [configMap('gw-options', { horizontalPodAutoscaler: 'spec:\n  maxReplicas: 5', deployment: 'spec:\n  replicas: 4' })]);
      const dep = byKind(d, 'Deployment') as KubeObject;
      const scaled = served(dep, { spec: { ...dep.spec, replicas: 2 } });
      expect(updateFor('Deployment', dep, scaled, true), 'the HPA made it 2').to.equal(undefined);
      expect((updateFor('Deployment', dep, scaled, false) as Json).spec.replicas, 'without an HPA: 4 again').to.equal(4);
      const changed = served(dep, { spec: { ...dep.spec, replicas: 2, template: { ...dep.spec.template, spec: { ...dep.spec.template.spec, containers: [] } } } });
      const patch = updateFor('Deployment', dep, changed, true) as Json;
      expect(patch.spec.template.spec.containers).to.have.length(1);
      expect(patch.spec).not.to.have.property('replicas');
    });

    it('an HPA or PDB is the controller\'s with the gateway-name and managed labels and an owner reference; a leftover to delete only with this Gateway\'s uid', () => {
      const d = rendered(withParams(), [configMap('gw-options', { horizontalPodAutoscaler: '' })]);
      const hpa = byKind(d, 'HorizontalPodAutoscaler') as KubeObject;
      const gw = { name: 'bookinfo-gateway', uid: 'gw-uid-1' };
      const edited = (edit: (o: any) => void): KubeObject => {
        const o: any = structuredClone(hpa);
        edit(o);
        return o;
      };
      const cases: Array<[string, KubeObject, boolean, boolean]> = [
        ['ours', hpa, true, true],
        ['a user\'s own HPA for the gateway (no owner reference, no managed label)', edited((o) => (delete o.metadata.ownerReferences, delete o.metadata.labels[MANAGED])), false, false],
        ['owned, but without the managed label', edited((o) => delete o.metadata.labels[MANAGED]), false, false],
        ['of an earlier Gateway of that name (another uid)', edited((o) => (o.metadata.ownerReferences[0].uid = 'old')), false, false],
        ['an owner reference without a uid: updated, never deleted', edited((o) => delete o.metadata.ownerReferences[0].uid), true, false],
        ['another Gateway\'s', edited((o) => (o.metadata.labels[NAME] = 'other')), false, false],
      ];
      for (const [name, o, owned, leftover] of cases) {
        expect(ownedBy('HorizontalPodAutoscaler', o, gw), name).to.equal(owned);
        expect(leftoverOf('HorizontalPodAutoscaler', o, gw), name).to.equal(leftover);
      }
      expect(leftoverOf('PodDisruptionBudget', hpa, { name: 'bookinfo-gateway' }), 'a Gateway without a uid deletes nothing').to.equal(false);
    });
  });
});
