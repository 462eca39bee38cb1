import { expect } from 'chai';
import { analyze, analyzeObject } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { deploy, describeTable, dr, gw, pod, se, svc, vs } from './fixtures.js';

const ra = (name: string, matchLabels: Record<string, string> | undefined, namespace = 'default', extra: Record<string, unknown> = {}): KubeObject => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'RequestAuthentication',
  metadata: { name, namespace },
  spec: { ...(matchLabels ? { selector: { matchLabels } } : {}), jwtRules: [{ issuer: 'i', jwks: '{"keys":[]}' }], ...extra },
});

/** A VirtualService through gateway `gateway` routing on a claim (in headers or withoutHeaders). */
const claimRoute = (gateway: string, field: 'headers' | 'withoutHeaders' = 'headers', key = '@request.auth.claims.group'): KubeObject =>
  vs('claims', {
    hosts: ['*'],
    gateways: [gateway],
    http: [
      { match: [{ uri: { prefix: '/x' } }], route: [{ destination: { host: 'web' } }] },
      { match: [{ [field]: { [key]: { exact: 'admin' } } }], route: [{ destination: { host: 'web' } }] },
    ],
  });

const gwPod = (namespace = 'default') => pod('ingress-1', { istio: 'ingressgateway' }, namespace);
const web = () => [svc('web'), deploy('web', { app: 'web' })];

const tlsDr = (name: string, tls: Record<string, unknown> | undefined, ports: Array<Record<string, unknown>> = []): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name, namespace: 'default' },
  spec: { host: 'api.example.com', trafficPolicy: { ...(tls ? { tls } : {}), ...(ports.length ? { portLevelSettings: ports } : {}) } },
});
const apiSe = () => se('api', ['api.example.com']);
const withExportTo = (o: KubeObject, exportTo: string[]): KubeObject => ({ ...o, spec: { ...(o.spec as object), exportTo } });
const exportAnnotated = (o: KubeObject, exportTo: string): KubeObject => ({ ...o, metadata: { ...o.metadata, annotations: { 'networking.istio.io/exportTo': exportTo } } });

describeTable('analysis: routes and TLS', {
  'IST0149 JWT claim routing without RequestAuthentication': [
    { name: 'a gateway pod no RequestAuthentication applies to', objects: [...web(), gw('gw'), gwPod(), claimRoute('gw')], expect: ['IST0149 VirtualService default/claims spec.http[1].match[0].headers[@request.auth.claims.group]'] },
    { name: 'withoutHeaders too', objects: [...web(), gw('gw'), gwPod(), claimRoute('gw', 'withoutHeaders')], expect: ['IST0149 VirtualService default/claims spec.http[1].match[0].withoutHeaders[@request.auth.claims.group]'] },
    { name: 'the bracket form of a claim', objects: [...web(), gw('gw'), gwPod(), claimRoute('gw', 'headers', '@request.auth.claims[groups]')], expect: ['IST0149 VirtualService default/claims spec.http[1].match[0].headers[@request.auth.claims[groups]]'] },
    { name: 'one per gateway workload', objects: [...web(), gw('gw'), gwPod(), deploy('ingress', { istio: 'ingressgateway' }), claimRoute('gw')], expect: ['IST0149 VirtualService default/claims spec.http[1].match[0].headers[@request.auth.claims.group]', 'IST0149 VirtualService default/claims spec.http[1].match[0].headers[@request.auth.claims.group]'] },
    { name: 'a RequestAuthentication selecting the gateway pod', objects: [...web(), gw('gw'), gwPod(), claimRoute('gw'), ra('jwt', { istio: 'ingressgateway' })], expect: [] },
    { name: 'a namespace-wide RequestAuthentication', objects: [...web(), gw('gw'), gwPod(), claimRoute('gw'), ra('jwt', undefined)], expect: [] },
    { name: 'a mesh-wide one in the root namespace', objects: [...web(), gw('gw', { istio: 'ingressgateway' }, 'istio-system'), gwPod('istio-system'), vs('claims', { ...(claimRoute('istio-system/gw').spec as object) }), ra('jwt', undefined, 'istio-system')], expect: [] },
    { name: 'a RequestAuthentication of another namespace does not apply', objects: [...web(), gw('gw'), gwPod(), claimRoute('gw'), ra('jwt', undefined, 'other')], expect: ['IST0149 VirtualService default/claims spec.http[1].match[0].headers[@request.auth.claims.group]'] },
    { name: 'one selecting other pods does not apply', objects: [...web(), gw('gw'), gwPod(), claimRoute('gw'), ra('jwt', { app: 'web' })], expect: ['IST0149 VirtualService default/claims spec.http[1].match[0].headers[@request.auth.claims.group]'] },
    { name: 'one attached by targetRef does not select the pod', objects: [...web(), gw('gw'), gwPod(), claimRoute('gw'), ra('jwt', undefined, 'default', { targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'x' }] })], expect: ['IST0149 VirtualService default/claims spec.http[1].match[0].headers[@request.auth.claims.group]', 'MZ0003 RequestAuthentication default/jwt spec.targetRefs[0].name'] },
    { name: 'no claim: nothing', objects: [...web(), gw('gw'), gwPod(), vs('plain', { hosts: ['*'], gateways: ['gw'], http: [{ match: [{ headers: { 'x-group': { exact: 'a' } } }], route: [{ destination: { host: 'web' } }] }] })], expect: [] },
    { name: 'no gateway pod in the input: not judged', objects: [...web(), gw('gw'), claimRoute('gw')], expect: ['MZ0005 Gateway default/gw spec.selector'] },
  ],
  'IST0128 / IST0129 TLS origination without a CA': [
    { name: 'SIMPLE without caCertificates', objects: [apiSe(), tlsDr('d', { mode: 'SIMPLE' })], expect: ['IST0128 DestinationRule default/d spec.trafficPolicy.tls'] },
    { name: 'MUTUAL with files but no CA', objects: [apiSe(), tlsDr('d', { mode: 'MUTUAL', clientCertificate: '/c.pem', privateKey: '/k.pem' })], expect: ['IST0128 DestinationRule default/d spec.trafficPolicy.tls'] },
    { name: 'a port of several', objects: [apiSe(), tlsDr('d', undefined, [{ port: { number: 80 } }, { port: { number: 443 }, tls: { mode: 'SIMPLE' } }])], expect: ['IST0129 DestinationRule default/d spec.trafficPolicy.portLevelSettings[1].tls'] },
    { name: 'caCertificates set', objects: [apiSe(), tlsDr('d', { mode: 'SIMPLE', caCertificates: '/ca.pem' }, [{ port: { number: 443 }, tls: { mode: 'MUTUAL', caCertificates: '/ca.pem', clientCertificate: '/c', privateKey: '/k' } }])], expect: [] },
    { name: 'a credentialName brings its CA', objects: [apiSe(), tlsDr('d', { mode: 'SIMPLE', credentialName: 'api-ca' })], expect: [] },
    { name: 'ISTIO_MUTUAL and DISABLE are not origination to check', objects: [apiSe(), tlsDr('d', { mode: 'ISTIO_MUTUAL' }, [{ port: { number: 80 }, tls: { mode: 'DISABLE' } }])], expect: [] },
  ],
  'IST0174 DestinationRule host': [
    { name: 'no Service of that name where the input has Services', objects: [svc('web'), dr('d', 'nope', {})], expect: ['IST0174 DestinationRule default/d spec.host'] },
    { name: 'an external host without ServiceEntry', objects: [dr('d', 'api.example.com', {})], expect: ['IST0174 DestinationRule default/d spec.host'] },
    { name: 'a Service', objects: [svc('web'), dr('d', 'web', {})], expect: [] },
    { name: 'a Service of another namespace by FQDN', objects: [svc('web', { ns: 'b' }), dr('d', 'web.b.svc.cluster.local', {})], expect: [] },
    { name: 'a ServiceEntry host, a wildcard ServiceEntry covering it', objects: [apiSe(), se('wild', ['*.corp.com']), dr('d', 'api.example.com', {}), dr('e', 'x.corp.com', {})], expect: [] },
    { name: 'a wildcard host is not judged', objects: [svc('web'), dr('d', '*.example.com', {})], expect: [] },
    { name: 'a namespace the input has no Services in: MZ0003', objects: [svc('web'), dr('d', 'web.b.svc.cluster.local', {})], expect: ['MZ0003 DestinationRule default/d spec.host'] },
    { name: 'a ServiceEntry exported to no one (~)', objects: [se('api', ['api.example.com'], { exportTo: ['~'] }), dr('d', 'api.example.com', {})], expect: ['IST0174 DestinationRule default/d spec.host'] },
    { name: 'a ServiceEntry exported to the rule’s namespace by name', objects: [se('api', ['api.example.com'], { exportTo: ['a'] }, 'b'), dr('d', 'api.example.com', {}, 'a')], expect: [] },
    { name: 'a rule that says nothing is visible everywhere: it meets a ServiceEntry private to another namespace there', objects: [se('api', ['api.example.com'], { exportTo: ['.'] }, 'b'), dr('d', 'api.example.com', {}, 'a')], expect: [] },
    { name: 'a private rule and a ServiceEntry private elsewhere', objects: [se('api', ['api.example.com'], { exportTo: ['.'] }, 'b'), withExportTo(dr('d', 'api.example.com', {}), ['.'])], expect: ['IST0174 DestinationRule default/d spec.host'] },
    { name: 'a rule exported to the ServiceEntry’s namespace', objects: [se('api', ['api.example.com'], { exportTo: ['.'] }, 'b'), withExportTo(dr('d', 'api.example.com', {}), ['.', 'b'])], expect: [] },
    { name: 'a wildcard ServiceEntry private elsewhere', objects: [se('wild', ['*.corp.com'], { exportTo: ['.'] }, 'b'), withExportTo(dr('d', 'x.corp.com', {}), ['.'])], expect: ['IST0174 DestinationRule default/d spec.host'] },
    { name: 'a Service whose exportTo annotation keeps it in its namespace', objects: [exportAnnotated(svc('web', { ns: 'b' }), '.'), withExportTo(dr('d', 'web.b.svc.cluster.local', {}), ['.'])], expect: ['IST0174 DestinationRule default/d spec.host'] },
    { name: 'a Service exported to the rule’s namespace by its annotation', objects: [exportAnnotated(svc('web', { ns: 'b' }), ' ., default '), withExportTo(dr('d', 'web.b.svc.cluster.local', {}), ['.'])], expect: [] },
  ],
});

describe('analysis: routes and TLS messages', () => {
  it('IST0174 names the services the rule cannot see', () => {
    const [f] = analyze([se('api', ['api.example.com'], { exportTo: ['.'] }, 'b'), withExportTo(dr('d', 'api.example.com', {}), ['.'])]);
    expect(f!.code).to.equal('IST0174');
    expect(f!.message).to.include('ServiceEntry b/api').and.include('exportTo');
  });

  it('IST0128 says what mizzen checks the server against', async () => {
    const [f] = analyze([apiSe(), tlsDr('d', { mode: 'SIMPLE' })]);
    expect(f!.level).to.equal('Warning');
    expect(f!.message).to.include("system CA bundle (/etc/ssl/certs/ca-certificates.crt) only").and.include('host api.example.com');
    const [g] = analyze([apiSe(), tlsDr('d', undefined, [{ port: { number: 443 }, tls: { mode: 'SIMPLE', insecureSkipVerify: true } }])]);
    expect(g!.message).to.include('not checked at all').and.include('port 443');
  });

  it('IST0149 is an Error naming the claim, the gateway and the workload; the webhook gives it for the VirtualService', async () => {
    const world = [...web(), gw('gw'), gwPod()];
    const [f] = analyzeObject(claimRoute('gw'), world);
    expect(f!.level).to.equal('Error');
    expect(f!.message).to.include('"@request.auth.claims.group"').and.include('gateway default/gw').and.include('Pod default/ingress-1');
    expect(analyzeObject(ra('jwt', undefined), [...world, claimRoute('gw')])).to.deep.equal([]);
  });
});
