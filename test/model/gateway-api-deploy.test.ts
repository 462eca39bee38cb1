/**
 * The gateway deployment of Gateway API Gateways (serve --deploy-gateways), pure: which Gateways get one, what their
 * ServiceAccount, Deployment and Service say, that the pod template is mizzen's own gateway injection, and when an
 * object the API server has needs a patch.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../src/core/kube.js';
import { DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';
import { injectPodAs } from '../../src/inject/pod.js';
import { decideInjection } from '../../src/inject/policy.js';
import { analyze } from '../../src/analysis/index.js';
import { GATEWAY_CONTROLLER } from '../../src/model/gateway-api-status.js';
import { type GatewayDeployment, gatewayDeployments, ownedBy, renderGatewayDeployment, updateFor } from '../../src/model/gateway-api-deploy.js';
import { bookinfoGateway } from '../support/gateway-api-samples.js';
import { withServerDefaults } from '../support/apiserver-defaults.js';

const GW = 'gateway.networking.k8s.io';
const NAME = `${GW}/gateway-name`;
const CLASS = `${GW}/gateway-class-name`;
const MANAGED = 'gateway.istio.io/managed';
const mesh = DEFAULT_MESH_CONFIG;

/** The Bookinfo Gateway with a uid (as the API server has it), edited. */
const gateway = (edit: (g: any) => void = () => undefined): KubeObject => {
  const g: any = structuredClone({ ...bookinfoGateway, metadata: { ...bookinfoGateway.metadata, uid: 'gw-uid-1' } });
  edit(g);
  return g;
};
const rendered = (gw: KubeObject): GatewayDeployment => {
  const r = renderGatewayDeployment(gw, { mesh });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
};
const byKind = (d: GatewayDeployment, kind: string): any => d.objects.find((o) => o.kind === kind);

describe('gateway deployment of Gateway API Gateways (pure)', () => {
  describe('Istio\'s Bookinfo Gateway', () => {
    const d = rendered(gateway());
    const owner = [{ apiVersion: `${GW}/v1`, kind: 'Gateway', name: 'bookinfo-gateway', uid: 'gw-uid-1' }];

    it('makes a ServiceAccount, a Deployment and a Service named <gateway>-<class>, owned by the Gateway', () => {
      expect(d.gateway).to.equal('default/bookinfo-gateway');
      expect(d.objects.map((o) => `${o.apiVersion} ${o.kind} ${o.metadata.namespace}/${o.metadata.name}`)).to.deep.equal([
        'v1 ServiceAccount default/bookinfo-gateway-istio',
        'apps/v1 Deployment default/bookinfo-gateway-istio',
        'v1 Service default/bookinfo-gateway-istio',
      ]);
      for (const o of d.objects) expect(o.metadata.ownerReferences, o.kind).to.deep.equal(owner);
    });

    it('labels all three with the Gateway and its class; the Deployment and its pods as managed', () => {
      const tie = { [NAME]: 'bookinfo-gateway', [CLASS]: 'istio' };
      expect(byKind(d, 'ServiceAccount').metadata.labels).to.deep.equal(tie);
      expect(byKind(d, 'Service').metadata.labels).to.deep.equal(tie);
      expect(byKind(d, 'Deployment').metadata.labels).to.deep.equal({ ...tie, [MANAGED]: 'istio.io-gateway-controller' });
      expect(byKind(d, 'Deployment').spec.template.metadata.labels).to.include({
        ...tie,
        [MANAGED]: 'istio.io-gateway-controller',
        'sidecar.istio.io/inject': 'false',
        'service.istio.io/canonical-name': 'bookinfo-gateway-istio',
        'service.istio.io/canonical-revision': 'latest',
      });
    });

    it('selects its pods by the Gateway name, leaves replicas to users and autoscalers, lets the proxy bind low ports', () => {
      const dep = byKind(d, 'Deployment');
      expect(dep.spec.selector).to.deep.equal({ matchLabels: { [NAME]: 'bookinfo-gateway' } });
      expect(dep.spec).not.to.have.property('replicas');
      const pod = dep.spec.template.spec;
      expect(pod.securityContext.sysctls).to.deep.equal([{ name: 'net.ipv4.ip_unprivileged_port_start', value: '0' }]);
      expect(pod.serviceAccountName).to.equal('bookinfo-gateway-istio');
    });

    it('gives the Service the status port, then the listener port reaching the same port on the gateway pod', () => {
      const svc = byKind(d, 'Service');
      expect(svc.spec).to.deep.equal({
        type: 'LoadBalancer',
        selector: { [NAME]: 'bookinfo-gateway' },
        ports: [
          { name: 'status-port', port: 15021, targetPort: 15021, protocol: 'TCP', appProtocol: 'tcp' },
          { name: 'http', port: 80, targetPort: 80, protocol: 'TCP', appProtocol: 'http' },
        ],
      });
    });
  });

  describe('the pod template is mizzen\'s gateway injection', () => {
    const dep = byKind(rendered(gateway()), 'Deployment');
    const pod: KubeObject = { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'bookinfo-gateway-istio-7d9-x1', namespace: 'default', ...dep.spec.template.metadata }, spec: dep.spec.template.spec };

    it('runs one istio-proxy, an Envoy router (no istio-init, node router~…), with the status port', () => {
      const spec = dep.spec.template.spec;
      expect(spec.containers.map((c: any) => c.name)).to.deep.equal(['istio-proxy']);
      expect(spec.initContainers ?? []).to.deep.equal([]);
      const proxy = spec.containers[0];
      expect(proxy.image).to.equal(mesh.proxyImage);
      const text = JSON.stringify(proxy);
      expect(text).to.contain('router~$(INSTANCE_IP)~$(POD_NAME).$(POD_NAMESPACE)~');
      expect(text).not.to.contain('sidecar~');
      expect(proxy.ports).to.deep.include({ name: 'status-port', containerPort: 15021, protocol: 'TCP' });
      expect(dep.spec.template.metadata.annotations['inject.istio.io/templates']).to.equal('gateway');
    });

    it('is complete: the webhook and kube-inject leave its pods as they are', () => {
      expect(decideInjection(pod, { namespace: 'default', mesh }).inject).to.equal(false);
      const again = injectPodAs(pod, { namespace: 'default', mesh });
      expect(again.ok && again.value.decision).to.deep.include({ inject: false, reason: 'already-injected' });
    });

    it('serves its Gateway in analysis: no MZ0020 (no workload would serve it) once the Deployment is there', () => {
      const gw = gateway();
      const svc: KubeObject = { apiVersion: 'v1', kind: 'Service', metadata: { name: 'other', namespace: 'default' }, spec: { selector: { app: 'other' }, ports: [{ port: 80 }] } };
      const other: KubeObject = { apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'other', namespace: 'default' }, spec: { template: { metadata: { labels: { app: 'other' } }, spec: { containers: [{ name: 'x', image: 'x' }] } } } };
      const codes = (objs: KubeObject[]) => analyze(objs).map((f) => f.code);
      expect(codes([gw, svc, other]), 'without it').to.include('MZ0020');
      expect(codes([gw, svc, other, dep]), 'with it').not.to.include('MZ0020');
    });

    it('takes the proxy settings the infrastructure annotations give, as the injector reads them', () => {
      const custom = byKind(rendered(gateway((g) => (g.spec.infrastructure = { annotations: { 'sidecar.istio.io/proxyCPU': '250m' } }))), 'Deployment');
      expect(custom.spec.template.spec.containers[0].resources.requests.cpu).to.equal('250m');
      expect(custom.spec.template.metadata.annotations['sidecar.istio.io/proxyCPU']).to.equal('250m');
    });
  });

  describe('names, labels and annotations', () => {
    it('gateway.istio.io/name-override names the Deployment and Service; the ServiceAccount keeps <gateway>-<class> unless gateway.istio.io/service-account names it', () => {
      const d = rendered(gateway((g) => (g.metadata.annotations = { 'gateway.istio.io/name-override': 'edge' })));
      expect(d.objects.map((o) => `${o.kind} ${o.metadata.name}`)).to.deep.equal(['ServiceAccount bookinfo-gateway-istio', 'Deployment edge', 'Service edge']);
      expect(byKind(d, 'Deployment').spec.template.spec.serviceAccountName).to.equal('bookinfo-gateway-istio');
      expect(byKind(d, 'Deployment').spec.template.metadata.labels['service.istio.io/canonical-name']).to.equal('edge');
      const sa = rendered(gateway((g) => (g.metadata.annotations = { 'gateway.istio.io/name-override': 'edge', 'gateway.istio.io/service-account': 'edge-sa' })));
      expect(sa.objects.map((o) => o.metadata.name)).to.deep.equal(['edge-sa', 'edge', 'edge']);
      expect(byKind(sa, 'Deployment').spec.template.spec.serviceAccountName).to.equal('edge-sa');
    });

    const cases: Array<{ name: string; edit: (g: any) => void; labels: Record<string, string>; annotations?: Record<string, string> }> = [
      {
        name: 'spec.infrastructure: its labels and annotations, not the Gateway\'s own',
        edit: (g) => {
          g.metadata.labels = { team: 'gateway-own' };
          g.metadata.annotations = { note: 'own' };
          g.spec.infrastructure = { labels: { team: 'infra' }, annotations: { 'example.com/cost': 'edge' } };
        },
        labels: { team: 'infra' },
        annotations: { 'example.com/cost': 'edge' },
      },
      {
        name: 'no spec.infrastructure: the Gateway\'s own (Istio\'s legacy behaviour), without the controller\'s and kubectl\'s annotations',
        edit: (g) => {
          g.metadata.labels = { team: 'own' };
          g.metadata.annotations = {
            note: 'own',
            'kubectl.kubernetes.io/last-applied-configuration': '{}',
            'gateway.istio.io/name-override': 'bookinfo-gateway-istio',
            'gateway.istio.io/service-account': 'bookinfo-gateway-istio',
            'gateway.istio.io/controller-version': '5',
          };
        },
        labels: { team: 'own' },
        annotations: { note: 'own' },
      },
      { name: 'spec.infrastructure without labels: none', edit: (g) => ((g.metadata.labels = { team: 'own' }), (g.spec.infrastructure = {})), labels: {} },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const d = rendered(gateway(c.edit));
        for (const o of d.objects) {
          expect(o.metadata.labels, o.kind).to.include({ ...c.labels, [NAME]: 'bookinfo-gateway', [CLASS]: 'istio' });
          expect(Object.keys(o.metadata.labels!).length, o.kind).to.equal(Object.keys(c.labels).length + 2 + (o.kind === 'Deployment' ? 1 : 0));
          expect(o.metadata.annotations, o.kind).to.deep.equal(c.annotations);
        }
        expect(byKind(d, 'Deployment').spec.template.metadata.labels).to.include(c.labels);
      });
    }

    it('infrastructure labels that choose injection do not reach the pods: they keep sidecar.istio.io/inject "false"', () => {
      const d = rendered(gateway((g) => (g.spec.infrastructure = { labels: { 'sidecar.istio.io/inject': 'true', 'istio.io/rev': 'canary', team: 'a' } })));
      const labels = byKind(d, 'Deployment').spec.template.metadata.labels;
      expect(labels['sidecar.istio.io/inject']).to.equal('false');
      expect(labels).not.to.have.property('istio.io/rev');
      expect(labels.team).to.equal('a');
    });
  });

  describe('the Service', () => {
    const service = (edit: (g: any) => void) => byKind(rendered(gateway(edit)), 'Service').spec;
    it('one port per distinct listener port, in listener order, named by the first listener, appProtocol its protocol', () => {
      const spec = service((g) => {
        g.spec.listeners = [
          { name: 'http', port: 80, protocol: 'HTTP' },
          { name: 'https', port: 443, protocol: 'HTTPS', hostname: 'a.example.com' },
          { name: 'http-b', port: 80, protocol: 'HTTP', hostname: 'b.example.com' },
          { name: 'https-b', port: 443, protocol: 'HTTPS', hostname: 'b.example.com' },
          { name: 'mysql', port: 3306, protocol: 'TCP' },
          { name: 'health', port: 15021, protocol: 'HTTP' },
        ];
      });
      expect(spec.ports.map((p: any) => `${p.name} ${p.port}->${p.targetPort} ${p.appProtocol}`)).to.deep.equal(['status-port 15021->15021 tcp', 'http 80->80 http', 'https 443->443 https', 'mysql 3306->3306 tcp']);
    });

    const types: Array<[string, Record<string, string> | undefined, unknown[] | undefined, string, string | undefined]> = [
      ['no annotation: LoadBalancer', undefined, undefined, 'LoadBalancer', undefined],
      ['ClusterIP', { 'networking.istio.io/service-type': 'ClusterIP' }, undefined, 'ClusterIP', undefined],
      ['NodePort', { 'networking.istio.io/service-type': 'NodePort' }, undefined, 'NodePort', undefined],
      ['an IPAddress address: the LoadBalancer\'s loadBalancerIP', undefined, [{ type: 'IPAddress', value: '203.0.113.7' }], 'LoadBalancer', '203.0.113.7'],
      ['an address without a type: an IP as well', undefined, [{ value: '203.0.113.8' }], 'LoadBalancer', '203.0.113.8'],
      ['an IPAddress address on a ClusterIP Service: no loadBalancerIP', { 'networking.istio.io/service-type': 'ClusterIP' }, [{ type: 'IPAddress', value: '203.0.113.7' }], 'ClusterIP', undefined],
    ];
    for (const [name, annotations, addresses, type, ip] of types) {
      it(`type and address: ${name}`, () => {
        const spec = service((g) => {
          if (annotations) g.metadata.annotations = annotations;
          if (addresses) g.spec.addresses = addresses;
        });
        expect(spec.type).to.equal(type);
        expect(spec.loadBalancerIP).to.equal(ip);
      });
    }
  });

  describe('which Gateways get a deployment', () => {
    const istioClass = (controllerName: string): KubeObject => ({ apiVersion: `${GW}/v1`, kind: 'GatewayClass', metadata: { name: 'istio' }, spec: { controllerName } });
    const cases: Array<{ name: string; edit?: (g: any) => void; classes?: KubeObject[]; deployed: boolean }> = [
      { name: 'class istio, no addresses', deployed: true },
      { name: 'class istio of Istio\'s controller', classes: [istioClass(GATEWAY_CONTROLLER)], deployed: true },
      { name: 'a GatewayClass istio that another controller runs', classes: [istioClass('example.com/other')], deployed: false },
      { name: 'another class', edit: (g) => (g.spec.gatewayClassName = 'other'), deployed: false },
      { name: 'one IPAddress address', edit: (g) => (g.spec.addresses = [{ type: 'IPAddress', value: '10.0.0.1' }]), deployed: true },
      { name: 'a Hostname address (manual deployment: the Service it names serves it)', edit: (g) => (g.spec.addresses = [{ type: 'Hostname', value: 'istio-ingressgateway.istio-system.svc.cluster.local' }]), deployed: false },
      { name: 'two addresses', edit: (g) => (g.spec.addresses = [{ type: 'IPAddress', value: '10.0.0.1' }, { type: 'IPAddress', value: '10.0.0.2' }]), deployed: false },
      { name: 'a named address', edit: (g) => (g.spec.addresses = [{ type: 'NamedAddress', value: 'edge' }]), deployed: false },
    ];
    for (const c of cases) {
      it(`${c.name}: ${c.deployed ? 'deployed' : 'nothing'}`, () => {
        const plans = gatewayDeployments([gateway(c.edit)], c.classes ?? [], { mesh });
        expect(plans.map((p) => p.ok)).to.deep.equal(c.deployed ? [true] : []);
      });
    }

    it('malformed Gateways give a plan or a reason, never a throw', () => {
      const odd = [
        gateway((g) => (g.spec.listeners = 'http')),
        gateway((g) => (g.spec.listeners = [null, { name: 'x', port: 'eighty' }, { port: 81 }])),
        gateway((g) => ((g.spec.infrastructure = 'big'), (g.metadata.labels = { n: 5 }))),
        gateway((g) => (g.metadata.annotations = { 'networking.istio.io/service-type': 7 })),
        gateway((g) => delete g.metadata.name),
      ];
      const plans = gatewayDeployments(odd, [], { mesh });
      expect(plans.map((p) => p.ok)).to.deep.equal([true, true, true, false, false]);
      const ports = (p: (typeof plans)[number]) => (p.ok ? byKind(p.value, 'Service').spec.ports.map((x: any) => `${x.name}:${x.port}`) : []);
      expect(ports(plans[0]!)).to.deep.equal(['status-port:15021']);
      expect(ports(plans[1]!), 'a listener without a name is named by its protocol and place').to.deep.equal(['status-port:15021', 'tcp-2:81']);
    });

    const refused: Array<[string, (g: any) => void, RegExp]> = [
      ['an unknown service type', (g) => (g.metadata.annotations = { 'networking.istio.io/service-type': 'ExternalName' }), /networking\.istio\.io\/service-type.*"ExternalName" is not one of ClusterIP, NodePort, LoadBalancer/],
      ['no uid to own the objects by', (g) => delete g.metadata.uid, /metadata\.uid: required/],
      ['a Service name longer than a DNS label', (g) => (g.metadata.name = 'x'.repeat(60)), /is not a DNS label of at most 63 characters/],
      ['a name-override that is no DNS label', (g) => (g.metadata.annotations = { 'gateway.istio.io/name-override': 'Edge_GW' }), /"Edge_GW" is not a DNS label/],
      ['proxy settings the injector refuses', (g) => (g.spec.infrastructure = { annotations: { 'sidecar.istio.io/proxyCPU': 'lots' } }), /^gateway pod: .*proxyCPU/],
    ];
    for (const [name, edit, error] of refused) {
      it(`refused, with the reason: ${name}`, () => {
        const [plan] = gatewayDeployments([gateway(edit)], [], { mesh });
        expect(plan && !plan.ok && plan.errors.join('; ')).to.match(error);
      });
    }
  });

  describe('objects found under the names: whose they are, and what they lack', () => {
    const d = rendered(gateway());
    const gw = { name: 'bookinfo-gateway', uid: 'gw-uid-1' };
    const ours = (kind: string): any => structuredClone(byKind(d, kind));

    const owners: Array<[string, string, (o: any) => void, boolean]> = [
      ['our Deployment', 'Deployment', () => undefined, true],
      ['a Deployment Istio made (managed label, no owner reference)', 'Deployment', (o) => delete o.metadata.ownerReferences, true],
      ['a Deployment of the same name without the managed label', 'Deployment', (o) => delete o.metadata.labels[MANAGED], false],
      ['a managed Deployment of another Gateway', 'Deployment', (o) => (o.metadata.labels[NAME] = 'other'), false],
      ['our Service', 'Service', () => undefined, true],
      ['a Service without the owner reference', 'Service', (o) => delete o.metadata.ownerReferences, false],
      ['a Service owned by an earlier Gateway of the same name (another uid)', 'Service', (o) => (o.metadata.ownerReferences[0].uid = 'old'), false],
      ['a ServiceAccount without the gateway-name label', 'ServiceAccount', (o) => delete o.metadata.labels[NAME], false],
      ['a ServiceAccount with no metadata at all', 'ServiceAccount', (o) => delete o.metadata, false],
    ];
    for (const [name, kind, edit, owned] of owners) {
      it(`${name}: ${owned ? 'ours' : 'left alone'}`, () => {
        const o = ours(kind);
        edit(o);
        expect(ownedBy(kind as any, o, gw)).to.equal(owned);
      });
    }

    /** As a real API server returns it: its defaults, canonical quantities, omitempty; a resourceVersion. */
    const served = (kind: string): any => {
      const o: any = withServerDefaults(ours(kind));
      o.metadata = { ...o.metadata, uid: 'x', resourceVersion: '42', generation: 1, creationTimestamp: '2025-01-01T00:00:00Z', managedFields: [] };
      if (kind === 'Deployment') o.spec.replicas = 3;
      return o;
    };

    it('what the API server added and dropped is no difference: no patch', () => {
      // The default limits say 2000m; the server writes 2.
      expect(byKind(d, 'Deployment').spec.template.spec.containers[0].resources.limits.cpu).to.equal('2000m');
      for (const kind of ['ServiceAccount', 'Deployment', 'Service']) expect(updateFor(kind as any, ours(kind), served(kind)), kind).to.equal(undefined);
    });

    it('a changed listener port: the Service spec, conditional on the resourceVersion read', () => {
      const moved = rendered(gateway((g) => (g.spec.listeners[0].port = 8080)));
      const patch: any = updateFor('Service', byKind(moved, 'Service'), served('Service'));
      expect(patch.metadata).to.deep.equal({ resourceVersion: '42' });
      expect(patch.spec.ports.map((p: any) => `${p.port}->${p.targetPort}`)).to.deep.equal(['15021->15021', '8080->8080']);
      expect(updateFor('Deployment', byKind(moved, 'Deployment'), served('Deployment')), 'the pods do not depend on the ports').to.equal(undefined);
    });

    it('a label of ours removed by someone: the labels again, theirs kept (merged)', () => {
      const o = served('Deployment');
      delete o.metadata.labels[CLASS];
      o.metadata.labels.extra = 'theirs';
      const patch: any = updateFor('Deployment', ours('Deployment'), o);
      expect(patch).to.deep.equal({ metadata: { labels: ours('Deployment').metadata.labels, resourceVersion: '42' } });
    });

    it('our owner reference missing: added after the others\'', () => {
      const o = served('Deployment');
      const theirs = { apiVersion: 'example.com/v1', kind: 'Thing', name: 'x', uid: 'y' };
      o.metadata.ownerReferences = [theirs];
      const patch: any = updateFor('Deployment', ours('Deployment'), o);
      expect(patch.metadata.ownerReferences).to.deep.equal([theirs, ...ours('Deployment').metadata.ownerReferences]);
    });

    it('the Gateway\'s address gone: loadBalancerIP removed (null in the merge patch)', () => {
      const withIp = served('Service');
      withIp.spec.loadBalancerIP = '203.0.113.7';
      const patch: any = updateFor('Service', ours('Service'), withIp);
      expect(patch.spec).to.deep.equal({ loadBalancerIP: null });
    });

    it('a container changed by someone: the whole spec again', () => {
      const o = served('Deployment');
      o.spec.template.spec.containers[0].image = 'someone/else:1';
      const patch: any = updateFor('Deployment', ours('Deployment'), o);
      expect(patch.spec.template.spec.containers[0].image).to.equal(mesh.proxyImage);
      expect(patch.spec).not.to.have.property('replicas');
    });
  });
});
