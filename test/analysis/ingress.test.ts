/**
 * `mizzen analyze` over Kubernetes Ingresses of Istio's class (IST0101, MZ0003, MZ0023): backends the input lacks,
 * and what mizzen leaves out as Istio does (model/ingress.ts). Ingresses of another class are not checked.
 */
import { expect } from 'chai';
import { analyze } from '../../src/analysis/index.js';
import { DEFAULT_INGRESS_SETTINGS } from '../../src/model/ingress.js';
import type { KubeObject } from '../../src/core/kube.js';
import { describeTable, leveled, svc } from './fixtures.js';

const ingress = (spec: Record<string, unknown>, o: { name?: string; ns?: string; className?: string } = {}): KubeObject =>
  ({ apiVersion: 'networking.k8s.io/v1', kind: 'Ingress', metadata: { name: o.name ?? 'web', namespace: o.ns ?? 'default', annotations: { 'kubernetes.io/ingress.class': o.className ?? 'istio' } }, spec }) as KubeObject;
const paths = (...backends: unknown[]) => ({ rules: [{ host: 'web.example.com', http: { paths: backends.map((backend, i) => ({ path: `/${i}`, pathType: 'Prefix', backend })) } }] });
const to = (name: string, port: number | string) => ({ service: { name, port: typeof port === 'number' ? { number: port } : { name: port } } });
const secret = (name: string, namespace: string): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data: {} }) as KubeObject;
const P = 'Ingress default/web spec.rules[0].http.paths';

describeTable(
  'analysis: Kubernetes Ingresses (IST0101, MZ0003, MZ0023)',
  {
    backends: [
      { name: 'a Service and port the input has, by number and by name: clean', objects: [svc('reviews'), ingress(paths(to('reviews', 9080), to('reviews', 'http')))], expect: [] },
      { name: 'a Service the input lacks, where it has Services', objects: [svc('reviews'), ingress(paths(to('gone', 80)))], expect: [`Error IST0101 ${P}[0].backend.service.name`] },
      { name: 'a Service the input lacks, where it has none: unverified', objects: [ingress(paths(to('gone', 80)))], expect: [`Warning MZ0003 ${P}[0].backend.service.name`] },
      { name: 'a port number or name the Service lacks', objects: [svc('reviews'), ingress(paths(to('reviews', 80), to('reviews', 'grpc')))], expect: [`Error IST0101 ${P}[0].backend.service.port.number`, `Error IST0101 ${P}[1].backend.service.port.name`] },
      { name: 'a resource backend, a service without a port', objects: [svc('reviews'), ingress(paths({ resource: { kind: 'Bucket', name: 'b' } }, { service: { name: 'reviews' } }))], expect: [`Warning MZ0023 ${P}[0].backend`, `Warning MZ0023 ${P}[1].backend.service.port`] },
    ],
    'left out': [
      { name: 'the default backend, a rule without http, a tls entry without secretName', objects: [svc('reviews'), ingress({ defaultBackend: to('reviews', 9080), rules: [{ host: 'a.example.com' }], tls: [{ hosts: ['a.example.com'] }] })], expect: ['Warning MZ0023 Ingress default/web spec.defaultBackend', 'Warning MZ0023 Ingress default/web spec.rules[0]', 'Warning MZ0023 Ingress default/web spec.tls[0]'] },
      { name: "a tls Secret beside the Ingress but not in istio-system, where the gateway reads it", objects: [ingress({ tls: [{ secretName: 'cert' }] }), secret('cert', 'default')], expect: ['Warning MZ0023 Ingress default/web spec.tls[0].secretName'] },
      { name: 'a tls Secret in istio-system: clean; none in the input: not checked', objects: [ingress({ tls: [{ secretName: 'cert' }] }), ingress({ tls: [{ secretName: 'other' }] }, { name: 'web2' }), secret('cert', 'default'), secret('cert', 'istio-system')], expect: [] },
    ],
    'other classes': [
      { name: 'an Ingress of another class is not checked', objects: [svc('reviews'), ingress({ ...paths(to('gone', 80)), defaultBackend: to('gone', 80) }, { className: 'nginx' })], expect: [] },
      { name: 'garbage never throws', objects: [ingress({ rules: 'x', tls: [null, 5], defaultBackend: null } as any), ingress({ rules: [null, { http: { paths: [null, { backend: 5 }, { backend: { service: 'x' } }] } }] }, { name: 'w2' })], expect: ['Warning MZ0023 Ingress default/web spec.defaultBackend', 'Warning MZ0023 Ingress default/web spec.tls[0]', 'Warning MZ0023 Ingress default/web spec.tls[1]', 'Warning MZ0023 Ingress default/w2 spec.rules[0]', 'Warning MZ0023 Ingress default/w2 spec.rules[1].http.paths[0].backend', 'Warning MZ0023 Ingress default/w2 spec.rules[1].http.paths[1].backend'] },
    ],
  },
  leveled,
);

describe('analysis: which Ingresses are checked follows the mesh config', () => {
  const unclassed = { ...ingress(paths(to('gone', 80))), metadata: { name: 'web', namespace: 'default' } } as KubeObject;
  it('STRICT (the default) leaves an Ingress without class alone; DEFAULT checks it; an IngressClass with the istio controller counts', () => {
    expect(analyze([svc('reviews'), unclassed]).map((f) => f.code)).to.deep.equal([]);
    expect(analyze([svc('reviews'), unclassed], { ingress: { ...DEFAULT_INGRESS_SETTINGS, mode: 'DEFAULT' } }).map((f) => f.code)).to.deep.equal(['IST0101']);
    const classed = { ...unclassed, spec: { ...(unclassed.spec as object), ingressClassName: 'mesh' } } as KubeObject;
    const cls = { apiVersion: 'networking.k8s.io/v1', kind: 'IngressClass', metadata: { name: 'mesh' }, spec: { controller: 'istio.io/ingress-controller' } } as KubeObject;
    expect(analyze([svc('reviews'), classed, cls]).map((f) => f.code)).to.deep.equal(['IST0101']);
  });
});
