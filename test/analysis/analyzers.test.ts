import { expect } from 'chai';
import { analyze, analyzeObject } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { composeValidator } from '../../src/cmd/serve.js';
import { WITHOUT_SIDECAR_CERTIFICATES } from '../../src/validation/index.js';
import { analysisOptions, DEFAULT_MESH_CONFIG, resolveMeshConfig } from '../../src/config/mesh.js';
import { type Case, authz, brief, deploy, describeTable, dr, gw, ingressPod, ns, peer, pod, reviewsBase, route, se, sidecar, svc, vs, we } from './fixtures.js';


const R0 = 'spec.http[0].route[0].destination';

const reqAuth = (name: string, rule: Record<string, unknown>): KubeObject => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'RequestAuthentication',
  metadata: { name, namespace: 'default' },
  spec: { jwtRules: [{ issuer: 'https://idp.example.com', ...rule }] },
});

const telemetry = (name: string, spec: Record<string, unknown>, namespace = 'default', created?: string): KubeObject => ({
  apiVersion: 'telemetry.istio.io/v1',
  kind: 'Telemetry',
  metadata: { name, namespace, ...(created ? { creationTimestamp: created } : {}) },
  spec,
});
const LOGS = { accessLogging: [{ providers: [{ name: 'envoy' }] }] };

const wasm = (name: string, labels: Record<string, string> | undefined, namespace = 'default'): KubeObject => ({
  apiVersion: 'extensions.istio.io/v1alpha1',
  kind: 'WasmPlugin',
  metadata: { name, namespace },
  spec: { url: 'file:///opt/filters/a.wasm', ...(labels ? { selector: { matchLabels: labels } } : {}) },
});

const table: Record<string, Case[]> = {
  'destination host': [
    { name: 'short name of a Service in the namespace', objects: [...reviewsBase(), route('r', 'reviews')], expect: [] },
    { name: 'FQDN of a Service', objects: [...reviewsBase(), route('r', 'reviews.default.svc.cluster.local')], expect: [] },
    { name: 'unknown short name', objects: [...reviewsBase(), route('r', 'reveiws', { hosts: ['reviews'] })], expect: [`IST0101 VirtualService default/r ${R0}.host`] },
    { name: 'short name resolves in the referrer namespace', objects: [...reviewsBase(), svc('x', { ns: 'other' }), route('r', 'reviews', { ns: 'other' })], expect: [`IST0101 VirtualService other/r ${R0}.host`] },
    { name: 'namespace the input does not describe: unverified', objects: [...reviewsBase(), route('r', 'foo.elsewhere.svc.cluster.local')], expect: [`MZ0003 VirtualService default/r ${R0}.host`] },
    { name: 'ServiceEntry host', objects: [se('g', ['api.example.com']), route('r', 'api.example.com', { port: 443 })], expect: [] },
    { name: 'wildcard ServiceEntry host', objects: [se('g', ['*.example.com']), route('r', 'api.example.com', { port: 443 })], expect: [] },
    { name: 'external host without ServiceEntry', objects: [route('r', 'api.example.com')], expect: [`IST0101 VirtualService default/r ${R0}.host`] },
    { name: 'port the host does not expose', objects: [...reviewsBase(), route('r', 'reviews', { port: 9090 })], expect: [`IST0101 VirtualService default/r ${R0}.port.number`] },
    { name: 'port the host exposes', objects: [...reviewsBase(), route('r', 'reviews', { port: 9080 })], expect: [] },
    { name: 'several ports and no port chosen', objects: [svc('multi', { ports: [80, 8080] }), pod('m', { app: 'multi' }), route('r', 'multi')], expect: [`IST0112 VirtualService default/r ${R0}`] },
    {
      name: 'mirror host',
      objects: [...reviewsBase(), vs('r', { hosts: ['reviews'], http: [{ route: [{ destination: { host: 'reviews' } }], mirror: { host: 'shadow' }, mirrors: [{ destination: { host: 'reviews' } }] }] })],
      expect: ['IST0101 VirtualService default/r spec.http[0].mirror.host'],
    },
    {
      name: 'tcp and tls routes',
      objects: [...reviewsBase(), vs('r', { hosts: ['reviews'], tcp: [{ route: [{ destination: { host: 'nope' } }] }], tls: [{ match: [{ sniHosts: ['reviews'] }], route: [{ destination: { host: 'reviews' } }] }] })],
      expect: ['IST0101 VirtualService default/r spec.tcp[0].route[0].destination.host'],
    },
  ],
  'sidecar egressProxy': [
    { name: 'a ServiceEntry host and port', objects: [se('proxy', ['egress.example.com'], { addresses: ['240.0.0.10'], ports: [{ number: 3128, name: 'tcp', protocol: 'TCP' }], resolution: 'DNS' }), sidecar('s', undefined, { outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'egress.example.com', port: { number: 3128 } } } })], expect: [] },
    { name: 'a host nothing serves', objects: [sidecar('s', undefined, { outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'egress.example.com', port: { number: 3128 } } } })], expect: ['IST0101 Sidecar default/s spec.outboundTrafficPolicy.egressProxy.host'] },
    { name: 'a port the host does not expose, a subset no rule defines', objects: [...reviewsBase(), sidecar('s', undefined, { outboundTrafficPolicy: { mode: 'ALLOW_ANY', egressProxy: { host: 'reviews.default.svc.cluster.local', subset: 'v9', port: { number: 3128 } } } })], expect: ['IST0101 Sidecar default/s spec.outboundTrafficPolicy.egressProxy.port.number', 'IST0101 Sidecar default/s spec.outboundTrafficPolicy.egressProxy.subset'] },
  ],
  subsets: [
    { name: 'subset defined', objects: [...reviewsBase(), route('r', 'reviews', { subset: 'v2' })], expect: [] },
    { name: 'subset not defined', objects: [...reviewsBase(), route('r', 'reviews', { subset: 'v3' })], expect: [`IST0101 VirtualService default/r ${R0}.subset`] },
    { name: 'no DestinationRule for the host', objects: [svc('ratings'), pod('p', { app: 'ratings' }), route('r', 'ratings', { subset: 'v1' })], expect: [`IST0101 VirtualService default/r ${R0}.subset`] },
    {
      name: 'DestinationRule by FQDN in another namespace',
      objects: [svc('reviews'), pod('p', { app: 'reviews', version: 'v1' }), dr('d', 'reviews.default.svc.cluster.local', { v1: { version: 'v1' } }, 'istio-system'), route('r', 'reviews', { subset: 'v1' })],
      expect: [],
    },
  ],
  gateways: [
    { name: 'gateway in the namespace', objects: [...reviewsBase(), gw('g'), ingressPod(), route('r', 'reviews', { gateways: ['g'], hosts: ['*'] })], expect: [] },
    { name: 'gateway by ns/name', objects: [...reviewsBase(), ingressPod(), gw('g', undefined, 'edge'), route('r', 'reviews', { gateways: ['edge/g'], hosts: ['*'] })], expect: [] },
    { name: 'mesh is special', objects: [...reviewsBase(), route('r', 'reviews', { gateways: ['mesh'] })], expect: [] },
    { name: 'missing gateway in the namespace', objects: [...reviewsBase(), route('r', 'reviews', { gateways: ['nope'], hosts: ['*'] })], expect: ['IST0101 VirtualService default/r spec.gateways[0]'] },
    { name: 'missing gateway where other gateways live', objects: [...reviewsBase(), ingressPod(), gw('g', undefined, 'edge'), route('r', 'reviews', { gateways: ['edge/h'], hosts: ['*'] })], expect: ['IST0101 VirtualService default/r spec.gateways[0]'] },
    { name: 'gateway in a namespace the input does not describe', objects: [...reviewsBase(), route('r', 'reviews', { gateways: ['istio-system/ingress'], hosts: ['*'] })], expect: ['MZ0003 VirtualService default/r spec.gateways[0]'] },
    {
      name: 'per-match gateways',
      objects: [...reviewsBase(), vs('r', { hosts: ['reviews'], gateways: ['mesh'], http: [{ match: [{ gateways: ['nope'] }], route: [{ destination: { host: 'reviews' } }] }] })],
      expect: ['IST0101 VirtualService default/r spec.http[0].match[0].gateways[0]'],
    },
  ],
  delegation: [
    {
      name: 'delegate exists, delegate has no hosts and does not conflict',
      objects: [...reviewsBase(), gw('g'), ingressPod(), vs('root', { hosts: ['*'], gateways: ['g'], http: [{ delegate: { name: 'leaf' } }] }), vs('leaf', { http: [{ route: [{ destination: { host: 'reviews' } }] }] })],
      expect: [],
    },
    { name: 'missing delegate', objects: [...reviewsBase(), gw('g'), ingressPod(), vs('root', { hosts: ['*'], gateways: ['g'], http: [{ delegate: { name: 'leaf', namespace: 'x' } }] })], expect: ['IST0101 VirtualService default/root spec.http[0].delegate'] },
  ],
  conflicts: [
    { name: 'two mesh VirtualServices for one host', objects: [...reviewsBase(), route('a', 'reviews'), route('b', 'reviews.default.svc.cluster.local')], expect: ['IST0109 VirtualService default/a spec.hosts', 'IST0109 VirtualService default/b spec.hosts'] },
    { name: 'same host, different gateways', objects: [...reviewsBase(), gw('g1'), gw('g2'), ingressPod(), route('a', 'reviews', { gateways: ['g1'] }), route('b', 'reviews', { gateways: ['g2'] })], expect: [] },
    { name: 'same gateway, same host: merged, and the second default route is never reached', objects: [...reviewsBase(), gw('g1'), ingressPod(), route('a', 'reviews', { gateways: ['g1'], hosts: ['*'] }), route('b', 'reviews', { gateways: ['default/g1'], hosts: ['*'] })], expect: ['MZ0004 VirtualService default/b spec.http[0]'] },
    { name: 'same short name in different namespaces', objects: [...reviewsBase(), svc('reviews', { ns: 'b' }), route('a', 'reviews'), route('a', 'reviews', { ns: 'b' })], expect: [] },
    {
      name: 'exportTo keeps them apart',
      objects: [...reviewsBase(), { ...route('a', 'reviews'), spec: { ...route('a', 'reviews').spec, exportTo: ['.'] } }, { ...route('b', 'reviews.default.svc.cluster.local', { ns: 'other' }), spec: { ...route('b', 'reviews.default.svc.cluster.local').spec, exportTo: ['other'] } }],
      expect: [],
    },
    {
      name: 'exportTo overlapping in one namespace',
      objects: [...reviewsBase(), { ...route('a', 'reviews'), spec: { ...route('a', 'reviews').spec, exportTo: ['.', 'other'] } }, { ...route('b', 'reviews.default.svc.cluster.local', { ns: 'other' }), spec: { ...route('b', 'reviews.default.svc.cluster.local').spec, exportTo: ['.'] } }],
      expect: ['IST0109 VirtualService default/a spec.hosts', 'IST0109 VirtualService other/b spec.hosts'],
    },
    { name: 'one resource in two documents is not a conflict', objects: [...reviewsBase(), route('a', 'reviews'), route('a', 'reviews', { subset: 'v1' })], expect: ['MZ0001 VirtualService default/a'] },
  ],
  'subset workloads': [
    { name: 'every subset selects a Deployment', objects: reviewsBase(), expect: [] },
    { name: 'subset selects nothing', objects: [...reviewsBase(), dr('reviews', 'reviews', { v1: { version: 'v1' }, v9: { version: 'v9' } })], expect: ['MZ0001 DestinationRule default/reviews', 'IST0173 DestinationRule default/reviews spec.subsets[1]'] },
    { name: 'labels must also match the Service selector', objects: [svc('reviews'), pod('p', { app: 'other', version: 'v1' }), dr('d', 'reviews', { v1: { version: 'v1' } })], expect: ['IST0173 DestinationRule default/d spec.subsets[0]'] },
    { name: 'WorkloadEntry counts', objects: [svc('reviews'), we('vm', { app: 'reviews', version: 'vm' }), dr('d', 'reviews', { vm: { version: 'vm' } })], expect: [] },
    { name: 'no workloads in the namespace: not judged', objects: [svc('reviews'), dr('d', 'reviews', { v1: { version: 'v1' } })], expect: [] },
    { name: 'ServiceEntry endpoints', objects: [se('db', ['db.example.com'], { endpoints: [{ address: '1.2.3.4', labels: { version: 'a' } }] }), dr('d', 'db.example.com', { a: { version: 'a' }, b: { version: 'b' } })], expect: ['IST0173 DestinationRule default/d spec.subsets[1]'] },
    { name: 'ServiceEntry with DNS and no endpoints: not judged', objects: [se('g', ['api.example.com']), dr('d', 'api.example.com', { a: { version: 'a' } })], expect: [] },
  ],
  'policy selectors': [
    { name: 'Sidecar selects a pod', objects: [pod('p', { app: 'a' }), sidecar('s', { app: 'a' })], expect: [] },
    { name: 'Sidecar selects nothing', objects: [pod('p', { app: 'a' }), sidecar('s', { app: 'b' })], expect: ['IST0127 Sidecar default/s spec.workloadSelector.labels'] },
    { name: 'Sidecar without selector', objects: [pod('p', { app: 'a' }), sidecar('s', undefined)], expect: [] },
    { name: 'AuthorizationPolicy selects nothing', objects: [pod('p', { app: 'a' }), authz('z', { app: 'b' })], expect: ['IST0127 AuthorizationPolicy default/z spec.selector.matchLabels'] },
    { name: 'AuthorizationPolicy selects a Deployment', objects: [deploy('d', { app: 'a' }), authz('z', { app: 'a' })], expect: [] },
    { name: 'PeerAuthentication selects nothing', objects: [pod('p', { app: 'a' }), peer('pa', { app: 'b' })], expect: ['IST0127 PeerAuthentication default/pa spec.selector.matchLabels'] },
    { name: 'only pods of the same namespace count', objects: [pod('p', { app: 'a' }, 'other'), pod('q', { app: 'x' }), authz('z', { app: 'a' })], expect: ['IST0127 AuthorizationPolicy default/z spec.selector.matchLabels'] },
    { name: 'root namespace policies select mesh-wide', objects: [pod('p', { app: 'a' }, 'other'), authz('z', { app: 'a' }, {}, 'istio-system')], expect: [] },
    { name: 'namespace without workloads: not judged', objects: [authz('z', { app: 'b' })], expect: [] },
    { name: 'WasmPlugin selects a pod', objects: [pod('p', { app: 'a' }), wasm('w', { app: 'a' })], expect: [] },
    { name: 'WasmPlugin selects nothing', objects: [pod('p', { app: 'a' }), wasm('w', { app: 'b' })], expect: ['IST0127 WasmPlugin default/w spec.selector.matchLabels'] },
    { name: 'WasmPlugin without selector', objects: [pod('p', { app: 'a' }), wasm('w', undefined)], expect: [] },
    { name: 'WasmPlugin in a root namespace selects mesh-wide', objects: [pod('p', { app: 'a' }, 'other'), wasm('w', { app: 'a' }, 'istio-system')], expect: [] },
    { name: 'WasmPlugin in a root namespace selecting nothing anywhere', objects: [pod('p', { app: 'a' }, 'other'), wasm('w', { app: 'b' }, 'istio-system')], expect: ['IST0127 WasmPlugin istio-system/w spec.selector.matchLabels'] },
  ],
  'gateway selectors': [
    { name: 'gateway workload in the input', objects: [pod('ingress', { istio: 'ingressgateway' }, 'istio-system'), gw('g')], expect: [] },
    { name: 'gateway workload not in the input', objects: [gw('g')], expect: ['MZ0005 Gateway default/g spec.selector'] },
  ],
  'port names': [
    { name: 'http, http-web, grpc-api, mongo, tcp', objects: [svc('s', { ports: [{ port: 1, name: 'http' }, { port: 2, name: 'http-web' }, { port: 3, name: 'grpc-api' }, { port: 4, name: 'mongo' }, { port: 5, name: 'TCP-x' }] })], expect: [] },
    { name: 'appProtocol instead of a prefix', objects: [svc('s', { ports: [{ port: 1, name: 'web', appProtocol: 'http' }] })], expect: [] },
    { name: 'UDP ports are not judged', objects: [svc('s', { ports: [{ port: 53, name: 'dns', protocol: 'UDP' }] })], expect: [] },
    { name: 'no protocol prefix', objects: [svc('s', { ports: [{ port: 1, name: 'web' }, { port: 2, name: 'httpx' }, { port: 3 }] })], expect: ['IST0118 Service default/s spec.ports[0].name', 'IST0118 Service default/s spec.ports[1].name', 'IST0118 Service default/s spec.ports[2].name'] },
    { name: 'system namespaces are skipped', objects: [svc('s', { ns: 'kube-system', ports: [{ port: 1, name: 'web' }] })], expect: [] },
  ],
  namespaces: [
    { name: 'no Namespace objects: not judged', objects: [sidecar('s', undefined, { egress: [{ hosts: ['nope/*'] }] })], expect: [] },
    { name: 'declared, used and default namespaces exist', objects: [ns('a'), svc('x', { ns: 'b' }), sidecar('s', undefined, { egress: [{ hosts: ['a/*', 'b/*', 'default/*', './*', '*/*', '~/*'] }] })], expect: [] },
    {
      name: 'missing namespaces everywhere',
      objects: [
        ns('a'),
        sidecar('s', undefined, { egress: [{ hosts: ['nope/*'] }] }, 'a'),
        gw('g', {}, 'a', ['gone/*']),
        authz('z', undefined, { rules: [{ from: [{ source: { namespaces: ['ghost', 'pre*'] } }] }] }, 'a'),
        dr('d', 'x.lost.svc.cluster.local', {}, 'a'),
        { ...route('r', 'reviews', { ns: 'a' }), spec: { hosts: ['reviews'], exportTo: ['.', 'away'], http: [{ route: [{ destination: { host: 'reviews' } }] }] } },
      ],
      expect: [
        'MZ0002 AuthorizationPolicy a/z spec.rules[0].from[0].source.namespaces[0]',
        'MZ0002 DestinationRule a/d spec.host',
        'MZ0003 DestinationRule a/d spec.host',
        'MZ0002 Gateway a/g spec.servers[0].hosts[0]',
        'MZ0002 Sidecar a/s spec.egress[0].hosts[0]',
        'MZ0002 VirtualService a/r spec.exportTo[1]',
        'MZ0003 VirtualService a/r spec.http[0].route[0].destination.host',
      ],
    },
  ],
  'RequestAuthentication keys': [
    { name: 'jwksUri served by a ServiceEntry (https, 443)', objects: [se('idp', ['idp.example.com']), reqAuth('r', { jwksUri: 'https://idp.example.com/keys' })], expect: [] },
    { name: 'jwksUri on a Service, explicit port', objects: [svc('keys', { ports: [8080] }), reqAuth('r', { jwksUri: 'http://keys.default.svc.cluster.local:8080/jwks' })], expect: [] },
    { name: 'jwksUri outside the mesh', objects: [reqAuth('r', { jwksUri: 'https://idp.example.com/keys' })], expect: ['MZ0006 RequestAuthentication default/r spec.jwtRules[0].jwksUri'] },
    { name: 'the host is served, not on that port', objects: [se('idp', ['idp.example.com']), reqAuth('r', { jwksUri: 'http://idp.example.com/keys' })], expect: ['MZ0006 RequestAuthentication default/r spec.jwtRules[0].jwksUri'] },
    { name: 'a wildcard ServiceEntry does not serve it (Envoy needs the exact host)', objects: [se('idp', ['*.example.com']), reqAuth('r', { jwks_uri: 'https://idp.example.com/keys' })], expect: ['MZ0006 RequestAuthentication default/r spec.jwtRules[0].jwks_uri'] },
    { name: 'inline jwks and malformed URIs are not its business', objects: [reqAuth('r', { jwks: '{"keys":[]}' }), reqAuth('s', { jwksUri: 'not a url' })], expect: [] },
  ],
  Telemetry: [
    { name: 'one namespace-wide Telemetry per namespace, others with selectors', objects: [pod('p', { app: 'a' }), telemetry('ns', LOGS), telemetry('wl', { ...LOGS, selector: { matchLabels: { app: 'a' } } }), telemetry('mesh', LOGS, 'istio-system')], expect: [] },
    {
      name: 'a second namespace-wide Telemetry: the younger one is reported',
      objects: [telemetry('young', LOGS, 'default', '2026-02-01T00:00:00Z'), telemetry('old', LOGS, 'default', '2026-01-01T00:00:00Z'), telemetry('waypoint', { ...LOGS, targetRefs: [{ kind: 'Service', name: 'x' }] })],
      expect: ['IST0160 Telemetry default/young'],
    },
    { name: 'a selector that matches no workload', objects: [pod('p', { app: 'a' }), telemetry('wl', { ...LOGS, selector: { matchLabels: { app: 'b' } } })], expect: ['IST0127 Telemetry default/wl spec.selector.matchLabels'] },
    {
      name: 'a selector in a root namespace picks workloads of that namespace only',
      objects: [pod('p', { app: 'a' }, 'other'), pod('gw', { app: 'gw' }, 'istio-system'), telemetry('wl', { ...LOGS, selector: { matchLabels: { app: 'a' } } }, 'istio-system')],
      expect: ['IST0127 Telemetry istio-system/wl spec.selector.matchLabels'],
    },
  ],
  robustness: [
    {
      name: 'malformed specs never throw',
      objects: [
        { apiVersion: 'networking.istio.io/v1', kind: 'VirtualService', metadata: { name: 'x' }, spec: { hosts: 'reviews', http: [null, 3, { route: 'x' }, { route: [{ destination: null }] }], gateways: [1] } },
        { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'y' }, spec: { host: 7, subsets: [{ labels: 'x' }] } },
        { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'z' }, spec: null },
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 's' }, spec: { ports: [null, { port: 'x' }] } },
        { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'a' }, spec: { selector: [], rules: [{ from: 'x' }] } },
        { apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 't1' }, spec: { selector: 'all', tracing: 'x' } },
        { apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 't2' }, spec: null },
        null as unknown as KubeObject,
        { kind: 'Pod' } as unknown as KubeObject,
      ],
      // t1's selector is no mapping, so both Telemetries are namespace-wide: the younger by name is reported.
      expect: ['IST0118 Service default/s spec.ports[0].name', 'IST0118 Service default/s spec.ports[1].name', 'IST0160 Telemetry default/t2'],
    },
  ],
};

describeTable('analysis: analyzers', table);

describe('analysis: Telemetry provider names (MZ0007)', () => {
  const named = (names: string[]) => telemetry('t', { tracing: [{ providers: names.map((name) => ({ name })) }], accessLogging: [{ providers: [{ name: 'envoy' }] }] });

  it('only when the mesh config is known: each unknown name, at its path', () => {
    expect(analyze([named(['zipkn'])])).to.deep.equal([]);
    const got = analyze([named(['zipkin', 'otel'])], { telemetryProviders: ['Zipkin', 'envoy'] }).map(brief);
    expect(got).to.deep.equal(['MZ0007 Telemetry default/t spec.tracing[0].providers[1].name']);
  });

  it("at apply time, with the mesh config mizzen serve runs with (Istio's default providers included)", async () => {
    const validate = composeValidator(() => [svc('reviews')], analysisOptions(DEFAULT_MESH_CONFIG));
    const report = await validate(named(['zipkin']) as any, { namespace: 'default' } as any);
    expect(report.errors).to.deep.equal([]);
    expect(report.warnings.some((w: string) => w.startsWith('MZ0007 spec.tracing[0].providers[0].name: The mesh config has no extensionProviders entry named "zipkin"'))).to.equal(true);
    expect((await validate(named(['envoy']) as any, { namespace: 'default' } as any)).warnings).to.deep.equal([]);
  });
});

describe('apply-time warnings about sidecar certificates', () => {
  const strict = { apiVersion: 'security.istio.io/v1', kind: 'PeerAuthentication', metadata: { name: 'default', namespace: 'default' }, spec: { mtls: { mode: 'STRICT' } } };
  const mutual = { apiVersion: 'networking.istio.io/v1', kind: 'DestinationRule', metadata: { name: 'r', namespace: 'default' }, spec: { host: 'reviews', trafficPolicy: { tls: { mode: 'ISTIO_MUTUAL' } } } };
  const warned = async (certs: boolean, o: object) => (await composeValidator(() => [svc('reviews')], analysisOptions(DEFAULT_MESH_CONFIG), certs)(o as any, { namespace: 'default' } as any)).warnings;

  it('says sidecars need mesh certificates only where the mesh config gives them none', async () => {
    expect(await warned(false, strict)).to.deep.equal([`spec.mtls.mode: ${WITHOUT_SIDECAR_CERTIFICATES.strict}`]);
    expect(await warned(true, strict)).to.deep.equal([]);
    expect(await warned(false, mutual)).to.deep.equal([`spec.trafficPolicy.tls.mode: ${WITHOUT_SIDECAR_CERTIFICATES.istioMutual}`]);
    expect(await warned(true, mutual)).to.deep.equal([]);
  });
});

describe('analysis: Telemetry entries without providers (IST0157, MZ0008)', () => {
  const mesh = { telemetryProviders: ['envoy', 'zipkin'], defaultProviders: { tracing: [], accessLogging: [] } };
  const sampling = (name: string, namespace = 'default', selector?: Record<string, string>) =>
    telemetry(name, { tracing: [{ randomSamplingPercentage: 10 }], accessLogging: [{ filter: { expression: 'response.code >= 400' } }], ...(selector ? { selector: { matchLabels: selector } } : {}) }, namespace);

  it('reported where nothing gives the entry a provider: neither the mesh config nor a Telemetry above', () => {
    expect(analyze([sampling('t')], mesh).map(brief)).to.deep.equal(['IST0157 Telemetry default/t spec.accessLogging[0]', 'MZ0008 Telemetry default/t spec.tracing[0]']);
    // Without the mesh config, nothing is known: nothing is said.
    expect(analyze([sampling('t')])).to.deep.equal([]);
  });

  it('not reported when the mesh config has defaults, a Telemetry above names providers, or an earlier entry of its own does', () => {
    expect(analyze([sampling('t')], { ...mesh, defaultProviders: { tracing: ['zipkin'], accessLogging: ['envoy'] } })).to.deep.equal([]);
    const meshWide = telemetry('mesh', { tracing: [{ providers: [{ name: 'zipkin' }] }], accessLogging: [{ providers: [{ name: 'envoy' }] }] }, 'istio-system');
    expect(analyze([meshWide, sampling('ns-level'), sampling('wl', 'default', { app: 'a' })], mesh).map(brief)).to.deep.equal([]);
    const nsWide = telemetry('ns', { tracing: [{ providers: [{ name: 'zipkin' }] }], accessLogging: [{ providers: [{ name: 'envoy' }] }] });
    expect(analyze([nsWide, sampling('wl', 'default', { app: 'a' })], mesh).map(brief)).to.deep.equal([]);
    const own = telemetry('own', { tracing: [{ providers: [{ name: 'zipkin' }] }, { match: { mode: 'SERVER' }, randomSamplingPercentage: 50 }], accessLogging: [{ disabled: true }] });
    expect(analyze([own], mesh)).to.deep.equal([]);
    // The stored version of the resource being applied is not "above" it.
    const storedWide = telemetry('ns', { tracing: [{ providers: [{ name: 'zipkin' }] }] });
    const narrowed = telemetry('ns', { selector: { matchLabels: { app: 'a' } }, tracing: [{ randomSamplingPercentage: 5 }] });
    expect(analyzeObject(narrowed, [storedWide, svc('x')], mesh).map(brief)).to.deep.equal(['MZ0008 Telemetry default/ns spec.tracing[0]']);
    // A namespace-level Telemetry elsewhere gives nothing to this namespace.
    expect(analyze([telemetry('other', { tracing: [{ providers: [{ name: 'zipkin' }] }] }, 'other'), sampling('wl', 'default', { app: 'a' })], mesh).map(brief)).to.include('MZ0008 Telemetry default/wl spec.tracing[0]');
  });
});

describe('analysis: IST0160 at apply time', () => {
  const logs = { accessLogging: [{ providers: [{ name: 'envoy' }] }] };
  const stored = telemetry('mesh-default', logs, 'istio-system', '2026-01-01T00:00:00Z');

  it('an update of the only namespace-wide Telemetry is not a second one', () => {
    const update = telemetry('mesh-default', { accessLogging: [{ disabled: true }] }, 'istio-system', '2026-01-01T00:00:00Z');
    expect(analyzeObject(update, [stored, svc('reviews')])).to.deep.equal([]);
  });

  it('a new one (no creation time yet) is the younger, whatever its name, and is reported', () => {
    const added = telemetry('a-first-by-name', logs, 'istio-system');
    expect(analyzeObject(added, [stored, svc('reviews')]).map(brief)).to.deep.equal(['IST0160 Telemetry istio-system/a-first-by-name']);
    // Applying the older one again says nothing: it is the one that applies.
    expect(analyzeObject(stored, [stored, telemetry('young', logs, 'istio-system', '2026-02-01T00:00:00Z')])).to.deep.equal([]);
  });
});

describe('analysis: the collector of a tracing provider a Telemetry traces with (MZ0009)', () => {
  const mesh = { telemetryProviders: ['zipkin', 'otel'], tracingCollectors: { Zipkin: { host: 'zipkin.istio-system', port: 9411 } } };
  const tracing = telemetry('t', { tracing: [{ providers: [{ name: 'zipkin' }], randomSamplingPercentage: 10 }] });

  it('reported when no Service or ServiceEntry serves its host and port', () => {
    expect(analyze([tracing], mesh).map(brief)).to.deep.equal(['MZ0009 Telemetry default/t spec.tracing[0].providers[0].name']);
    expect(analyze([tracing, svc('zipkin', { ns: 'istio-system', ports: [9412] })], mesh).map(brief)).to.deep.equal(['MZ0009 Telemetry default/t spec.tracing[0].providers[0].name']);
  });

  it('not reported when the collector is served, for other providers, or without the mesh config', () => {
    expect(analyze([tracing, svc('zipkin', { ns: 'istio-system', ports: [9411] })], mesh)).to.deep.equal([]);
    expect(analyze([telemetry('t', { tracing: [{ providers: [{ name: 'otel' }] }] })], mesh)).to.deep.equal([]);
    expect(analyze([tracing])).to.deep.equal([]);
  });

  it("an opentelemetry provider's collector too, from the mesh config mizzen serve runs with", () => {
    const m = resolveMeshConfig({ extensionProviders: [{ name: 'otel', opentelemetry: { service: 'otel-collector.observability.svc.cluster.local', port: 4317 } }] });
    if (!m.ok) throw new Error(m.errors.join());
    const otel = telemetry('t', { tracing: [{ providers: [{ name: 'otel' }] }] });
    const found = analyze([otel], analysisOptions(m.value));
    expect(found.map(brief)).to.deep.equal(['MZ0009 Telemetry default/t spec.tracing[0].providers[0].name']);
    expect(found[0]!.message).to.contain('otel-collector.observability.svc.cluster.local:4317, the collector of the tracing provider "otel"');
    expect(analyze([otel, svc('otel-collector', { ns: 'observability', ports: [{ port: 4317, name: 'grpc-otlp' }] })], analysisOptions(m.value))).to.deep.equal([]);
  });
});

describe('analysis: the gRPC access log service an accessLogging entry names (MZ0012)', () => {
  const m = resolveMeshConfig({
    extensionProviders: [
      { name: 'http-als', envoyHttpAls: { service: 'observability/als.observability.svc.cluster.local', port: 9001 } },
      { name: 'tcp-als', envoyTcpAls: { service: 'als', port: 9002 } },
    ],
  });
  if (!m.ok) throw new Error(m.errors.join());
  const logs = telemetry('t', { accessLogging: [{ providers: [{ name: 'envoy' }, { name: 'HTTP-als' }] }, { providers: [{ name: 'tcp-als' }] }] });

  it('reported, naming the provider entry, when no Service or ServiceEntry serves its host and port', () => {
    const found = analyze([logs], analysisOptions(m.value));
    expect(found.map(brief)).to.deep.equal(['MZ0012 Telemetry default/t spec.accessLogging[0].providers[1].name', 'MZ0012 Telemetry default/t spec.accessLogging[1].providers[0].name']);
    expect(found[0]!.message).to.contain('als.observability.svc.cluster.local:9001, the access log service of provider "HTTP-als"');
    // A short name resolves in the Telemetry's namespace, as the generator resolves it in the workload's.
    expect(found[1]!.message).to.contain('als.default.svc.cluster.local:9002');
  });

  it('not reported when the services are served, or without the mesh config', () => {
    const served = [svc('als', { ns: 'observability', ports: [9001] }), svc('als', { ports: [9002] })];
    expect(analyze([logs, ...served], analysisOptions(m.value))).to.deep.equal([]);
    expect(analyze([logs])).to.deep.equal([]);
  });
});

describe('analysis: gateway credentials (MZ0013, MZ0014)', () => {
  const tlsGateway = (tls: Record<string, unknown>): KubeObject => ({
    apiVersion: 'networking.istio.io/v1',
    kind: 'Gateway',
    metadata: { name: 'web', namespace: 'default' },
    spec: { selector: { istio: 'ingressgateway' }, servers: [{ port: { number: 443, name: 'https', protocol: 'HTTPS' }, hosts: ['a.example.com'], tls }] },
  });
  const secret = (name: string, data: Record<string, string>, namespace = 'istio-system'): KubeObject => ({ apiVersion: 'v1', kind: 'Secret', metadata: { name, namespace }, data }) as KubeObject;
  const gatewayPod = pod('istio-ingressgateway-1', { istio: 'ingressgateway' }, 'istio-system');
  const served = resolveMeshConfig({ workloadCertificateSecrets: true });
  if (!served.ok) throw new Error(served.errors.join());

  it('without workloadCertificateSecrets in the mesh config, every credentialName is reported: no gateway can be served it', () => {
    const found = analyze([tlsGateway({ mode: 'OPTIONAL_MUTUAL', credentialNames: ['rsa', 'ecdsa'] }), gatewayPod], analysisOptions(DEFAULT_MESH_CONFIG));
    expect(found.map(brief)).to.deep.equal(['MZ0013 Gateway default/web spec.servers[0].tls.credentialNames[0]', 'MZ0013 Gateway default/web spec.servers[0].tls.credentialNames[1]']);
    expect(found[0]!.message).to.contain('workloadCertificateSecrets');
    // Files in the gateway pod need nothing of that; nor is anything said without the mesh config.
    expect(analyze([tlsGateway({ mode: 'SIMPLE', serverCertificate: '/c', privateKey: '/k' }), gatewayPod], analysisOptions(DEFAULT_MESH_CONFIG))).to.deep.equal([]);
    expect(analyze([tlsGateway({ mode: 'SIMPLE', credentialName: 'web-cert' }), gatewayPod])).to.deep.equal([]);
  });

  it('a Secret missing where the gateway workloads run (a namespace whose Secrets the input has) is reported', () => {
    const gw = tlsGateway({ mode: 'SIMPLE', credentialName: 'web-cert' });
    const opts = analysisOptions(served.value);
    const other = secret('other-cert', { 'tls.crt': 'Yw==', 'tls.key': 'aw==' });
    expect(analyze([gw, gatewayPod, other], opts).map(brief)).to.deep.equal(['MZ0014 Gateway default/web spec.servers[0].tls.credentialName']);
    // Same name in the Gateway's own namespace does not count: the workloads' namespace does.
    expect(analyze([gw, gatewayPod, other, secret('web-cert', { 'tls.crt': 'Yw==', 'tls.key': 'aw==' }, 'default')], opts).map(brief)).to.have.length(1);
    // A Secret without a key is no credential.
    expect(analyze([gw, gatewayPod, secret('web-cert', { 'tls.crt': 'Yw==' })], opts).map(brief)).to.have.length(1);
    expect(analyze([gw, gatewayPod, secret('web-cert', { cert: 'Yw==', key: 'aw==' })], opts)).to.deep.equal([]);
    // No Secrets of that namespace in the input (offline YAML): nothing to judge.
    expect(analyze([gw, gatewayPod], opts)).to.deep.equal([]);
  });

  it("builtin:// is the gateway's own certificate: it needs workloadCertificateSecrets, and no Secret is looked for", () => {
    const gw = tlsGateway({ mode: 'SIMPLE', credentialName: 'builtin://' });
    const without = analyze([gw, gatewayPod], analysisOptions(DEFAULT_MESH_CONFIG));
    expect(without.map(brief)).to.deep.equal(['MZ0013 Gateway default/web spec.servers[0].tls.credentialName']);
    expect(without[0]!.message).to.contain("the gateway's own workload certificate");
    const other = secret('other-cert', { 'tls.crt': 'Yw==', 'tls.key': 'aw==' });
    expect(analyze([gw, gatewayPod, other], analysisOptions(served.value))).to.deep.equal([]);
  });
});

describe('analysis: ProxyConfig resources (MZ0015, IST0127)', () => {
  const pc = (name: string, spec: Record<string, unknown>, namespace = 'default', created?: string): KubeObject => ({
    apiVersion: 'networking.istio.io/v1beta1',
    kind: 'ProxyConfig',
    metadata: { name, namespace, ...(created && { creationTimestamp: created }) },
    spec,
  });
  const ratings = deploy('ratings-v1', { app: 'ratings', version: 'v1' });

  it('a second ProxyConfig without a selector in a namespace changes nothing: the younger is reported', () => {
    const old = pc('a-old', { concurrency: 2 }, 'default', '2025-01-01T00:00:00Z');
    const young = pc('b-young', { concurrency: 4 }, 'default', '2026-01-01T00:00:00Z');
    const found = analyze([old, young, ratings]);
    expect(found.map(brief)).to.deep.equal(['MZ0015 ProxyConfig default/b-young']);
    expect(found[0]!.message).to.contain('only the oldest, "a-old", applies');
    // Other namespaces, a selector or a targetRef make no pair.
    expect(analyze([old, pc('b', { concurrency: 4 }, 'shop')])).to.deep.equal([]);
    expect(analyze([old, pc('wp', { targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' } })])).to.deep.equal([]);
  });

  it('a ProxyConfig whose selector picks a workload an older one picks does not apply to it; disjoint selectors are fine', () => {
    const old = pc('ratings', { selector: { matchLabels: { app: 'ratings' } }, concurrency: 1 }, 'default', '2025-01-01T00:00:00Z');
    const young = pc('ratings-v1', { selector: { matchLabels: { version: 'v1' } }, concurrency: 3 }, 'default', '2026-01-01T00:00:00Z');
    const found = analyze([old, young, ratings]);
    expect(found.map(brief)).to.deep.equal(['MZ0015 ProxyConfig default/ratings-v1 spec.selector']);
    expect(found[0]!.message).to.contain('"ratings" also selects Deployment ratings-v1');
    const reviews = pc('reviews', { selector: { matchLabels: { app: 'reviews' } } }, 'default', '2026-01-01T00:00:00Z');
    expect(analyze([old, reviews, ratings, deploy('reviews-v1', { app: 'reviews' })])).to.deep.equal([]);
  });

  it('at apply time, the object applied is the youngest and replaces its stored version', () => {
    const stored = pc('mesh', { concurrency: 2 }, 'default', '2025-01-01T00:00:00Z');
    expect(analyzeObject(pc('mesh', { concurrency: 3 }), [stored, ratings])).to.deep.equal([]);
    expect(analyzeObject(pc('another', { concurrency: 3 }), [stored, ratings]).map(brief)).to.deep.equal(['MZ0015 ProxyConfig default/another']);
  });

  it('a selector that picks no workload of its namespace is IST0127, in a root namespace too', () => {
    expect(analyze([pc('nothing', { selector: { matchLabels: { app: 'gone' } } }), ratings]).map(brief)).to.deep.equal(['IST0127 ProxyConfig default/nothing spec.selector.matchLabels']);
    const root = pc('gw', { selector: { matchLabels: { app: 'ratings' } } }, 'istio-system');
    expect(analyze([root, ratings, pod('istio-ingressgateway', { istio: 'ingressgateway' }, 'istio-system')]).map(brief)).to.deep.equal(['IST0127 ProxyConfig istio-system/gw spec.selector.matchLabels']);
  });
});

describe('IST0118 says what mizzen does with the port', () => {
  it('a service with a cluster IP is sniffed; a headless one is proxied as TCP by its clients', () => {
    const [vip] = analyze([svc('s', { ports: [{ port: 8080 }] })]);
    expect(vip!.message).to.match(/the protocol will be sniffed$/);
    const headless = svc('h', { ports: [{ port: 8080 }] });
    (headless.spec as Record<string, unknown>).clusterIP = 'None';
    const [h] = analyze([headless]);
    expect(h!.code).to.equal('IST0118');
    expect(h!.message).to.match(/headless, so its clients proxy the port as TCP/);
  });
});

describe('analysis: CUSTOM AuthorizationPolicy providers (MZ0010, MZ0011)', () => {
  const policy = (provider: string) => authz('ext', { app: 'productpage' }, { action: 'CUSTOM', provider: { name: provider }, rules: [{ to: [{ operation: { paths: ['/x'] } }] }] });
  const authzService = svc('ext-authz', { ns: 'foo', ports: [{ name: 'http', port: 8000 }] });
  const providers = { 'ext-http': { service: 'ext-authz.foo.svc.cluster.local', port: 8000 }, 'ext-ns': { service: 'foo/ext-authz', port: 8000 }, 'ext-far': { service: 'ext-authz.foo.svc.cluster.local', port: 9999 } };

  it('only when the mesh config is known: an unknown provider, and a provider whose service:port nothing serves', () => {
    expect(analyze([policy('opa')])).to.deep.equal([]);
    expect(analyze([authzService, policy('ext-http'), policy('ext-ns')].map((o, i) => (i === 2 ? { ...o, metadata: { ...o.metadata, name: 'ext2' } } : o)), { authzProviders: providers })).to.deep.equal([]);
    expect(analyze([authzService, policy('opa')], { authzProviders: providers }).map(brief)).to.deep.equal(['MZ0010 AuthorizationPolicy default/ext spec.provider.name']);
    const far = analyze([authzService, policy('ext-far')], { authzProviders: providers });
    expect(far.map(brief)).to.deep.equal(['MZ0011 AuthorizationPolicy default/ext spec.provider.name']);
    expect(far[0]!.message).to.contain('ext-authz.foo.svc.cluster.local:9999');
  });

  it('at apply time, with the providers of the mesh config mizzen serve runs with', async () => {
    const mesh = resolveMeshConfig({ extensionProviders: [{ name: 'ext-http', envoyExtAuthzHttp: { service: 'ext-authz.foo.svc.cluster.local', port: 8000 } }] });
    if (!mesh.ok) throw new Error(mesh.errors.join());
    const validate = composeValidator(() => [authzService], analysisOptions(mesh.value));
    expect((await validate(policy('ext-http') as any, { namespace: 'default' } as any)).warnings.filter((w: string) => w.startsWith('MZ'))).to.deep.equal([]);
    const unknown = await validate(policy('opa') as any, { namespace: 'default' } as any);
    expect(unknown.warnings.some((w: string) => w.startsWith('MZ0010 spec.provider.name: The mesh config has no envoyExtAuthzHttp or envoyExtAuthzGrpc provider named "opa" (it has ext-http)'))).to.equal(true);
  });
});
