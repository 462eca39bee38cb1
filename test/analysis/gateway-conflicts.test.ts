import { expect } from 'chai';
import { analyze, analyzeObject } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { type Case, brief, describeTable, ingressPod, leveled, ns, pod, route, vs } from './fixtures.js';

/** Istio Gateways against each other and their Service (IST0138, IST0145, IST0162), and the VirtualServices bound to them (IST0132). */
const NET = 'networking.istio.io/v1';
const DAY1 = '2026-01-01T00:00:00Z';

const created = <T extends KubeObject>(o: T, at: string): T => ({ ...o, metadata: { ...o.metadata, creationTimestamp: at } });

type ServerSpec = { port: number; protocol?: string; hosts?: string[]; tls?: Record<string, unknown> };
const gateway = (name: string, servers: ServerSpec[], selector: Record<string, string> = { istio: 'ingressgateway' }, namespace = 'default'): KubeObject => ({
  apiVersion: NET,
  kind: 'Gateway',
  metadata: { name, namespace },
  spec: {
    selector,
    servers: servers.map((s, i) => ({ port: { number: s.port, name: `p${i}`, protocol: s.protocol ?? 'HTTP' }, hosts: s.hosts ?? ['*'], ...(s.tls ? { tls: s.tls } : {}) })),
  },
});
const https = (hosts: string[], credentialName: string, port = 443): ServerSpec => ({ port, protocol: 'HTTPS', hosts, tls: { mode: 'SIMPLE', credentialName } });

/** The ingress gateway's Service: 80 → 8080, 443 → 8443, and the status port. */
const ingressService = (ports: Array<Record<string, unknown>> = [{ name: 'http2', port: 80, targetPort: 8080 }, { name: 'https', port: 443, targetPort: 8443 }, { name: 'status-port', port: 15021, appProtocol: 'tcp' }]): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'istio-ingressgateway', namespace: 'istio-system' },
  spec: { selector: { istio: 'ingressgateway' }, ports: ports.map((p) => ({ protocol: 'TCP', ...p })) },
});

const table: Record<string, Case[]> = {
  'IST0132 VirtualServiceHostNotFoundInGateway': [
    { name: 'no host of the VirtualService on the Gateway', objects: [ingressPod(), gateway('g', [{ port: 80, hosts: ['a.example.com'] }]), vs('r', { hosts: ['b.example.com'], gateways: ['g'] })], expect: ['Warning IST0132 VirtualService default/r spec.gateways[0]'] },
    { name: 'a wildcard server host covers it', objects: [ingressPod(), gateway('g', [{ port: 80, hosts: ['*.example.com'] }]), vs('r', { hosts: ['shop.example.com'], gateways: ['g'] })], expect: [] },
    { name: 'a wildcard VirtualService host meets the server host', objects: [ingressPod(), gateway('g', [{ port: 80, hosts: ['shop.example.com'] }]), vs('r', { hosts: ['*.example.com'], gateways: ['g'] })], expect: [] },
    { name: 'one host of several is enough, on any server', objects: [ingressPod(), gateway('g', [{ port: 80, hosts: ['a.example.com'] }, { port: 81, hosts: ['b.example.com'] }]), vs('r', { hosts: ['c.example.com', 'b.example.com'], gateways: ['g'] })], expect: [] },
    { name: 'a short name is resolved in the VirtualService namespace', objects: [ingressPod(), gateway('g', [{ port: 80, hosts: ['reviews.default.svc.cluster.local'] }]), vs('r', { hosts: ['reviews'], gateways: ['g'] })], expect: [] },
    {
      name: 'a server host of another namespace is not open to it',
      objects: [ingressPod(), ns('edge'), gateway('g', [{ port: 80, hosts: ['edge/a.example.com', './b.example.com'] }], undefined, 'edge'), vs('r', { hosts: ['a.example.com', 'b.example.com'], gateways: ['edge/g'] })],
      expect: ['Warning IST0132 VirtualService default/r spec.gateways[0]'],
    },
    { name: "./host is the Gateway's namespace", objects: [ingressPod(), gateway('g', [{ port: 80, hosts: ['./a.example.com'] }]), vs('r', { hosts: ['a.example.com'], gateways: ['g'] })], expect: [] },
    { name: 'the mesh gateway is not checked', objects: [ingressPod(), gateway('g', [{ port: 80, hosts: ['a.example.com'] }]), vs('r', { hosts: ['b.example.com'], gateways: ['mesh', 'g'] })], expect: ['Warning IST0132 VirtualService default/r spec.gateways[1]'] },
    { name: 'a Gateway the input lacks is IST0101 only', objects: [ingressPod(), gateway('g', [{ port: 80, hosts: ['a.example.com'] }]), vs('r', { hosts: ['b.example.com'], gateways: ['h'] })], expect: ['Error IST0101 VirtualService default/r spec.gateways[0]'] },
  ],
  'IST0138 GatewayDuplicateCertificate': [
    { name: 'one credentialName on two Gateways of the same workloads', objects: [ingressPod(), gateway('g1', [https(['a.example.com'], 'cert')]), gateway('g2', [https(['b.example.com'], 'cert')])], expect: ['Warning IST0138 Gateway default/g1 spec.servers[0].tls', 'Warning IST0138 Gateway default/g2 spec.servers[0].tls'] },
    { name: 'different credentialNames', objects: [ingressPod(), gateway('g1', [https(['a.example.com'], 'cert-a')]), gateway('g2', [https(['b.example.com'], 'cert-b')])], expect: [] },
    {
      name: "as Istio: reported on the Gateway whose selector is within the other's",
      objects: [ingressPod(), pod('x', { istio: 'ingressgateway', app: 'x' }, 'istio-system'), gateway('g1', [https(['a.example.com'], 'cert')]), gateway('g2', [https(['b.example.com'], 'cert')], { istio: 'ingressgateway', app: 'x' })],
      expect: ['Warning IST0138 Gateway default/g1 spec.servers[0].tls'],
    },
    { name: 'other workloads', objects: [ingressPod(), pod('x', { istio: 'other' }, 'istio-system'), gateway('g1', [https(['a.example.com'], 'cert')]), gateway('g2', [https(['b.example.com'], 'cert')], { istio: 'other' })], expect: [] },
    {
      name: 'the same certificate and key files; not the same certificate with another key',
      objects: [
        ingressPod(),
        gateway('g1', [{ port: 443, protocol: 'HTTPS', hosts: ['a.example.com'], tls: { mode: 'SIMPLE', serverCertificate: '/etc/c.pem', privateKey: '/etc/k.pem' } }]),
        gateway('g2', [{ port: 443, protocol: 'HTTPS', hosts: ['b.example.com'], tls: { mode: 'SIMPLE', serverCertificate: '/etc/c.pem', privateKey: '/etc/k.pem' } }]),
        gateway('g3', [{ port: 443, protocol: 'HTTPS', hosts: ['c.example.com'], tls: { mode: 'SIMPLE', serverCertificate: '/etc/c.pem', privateKey: '/etc/other.pem' } }]),
      ],
      expect: ['Warning IST0138 Gateway default/g1 spec.servers[0].tls', 'Warning IST0138 Gateway default/g2 spec.servers[0].tls'],
    },
  ],
  'IST0145 ConflictingGateways': [
    { name: 'one TLS host on one port of the same workloads', objects: [ingressPod(), gateway('g1', [https(['a.example.com'], 'c1')]), gateway('g2', [https(['a.example.com', 'b.example.com'], 'c2')])], expect: ['Error IST0145 Gateway default/g1 spec.servers[0].hosts', 'Error IST0145 Gateway default/g2 spec.servers[0].hosts'] },
    { name: 'a namespace-qualified host is the same server name', objects: [ingressPod(), gateway('g1', [https(['default/a.example.com'], 'c1')]), gateway('g2', [https(['*/a.example.com'], 'c2')])], expect: ['Error IST0145 Gateway default/g1 spec.servers[0].hosts', 'Error IST0145 Gateway default/g2 spec.servers[0].hosts'] },
    { name: 'plain HTTP servers merge: not reported', objects: [ingressPod(), gateway('g1', [{ port: 80, hosts: ['a.example.com'] }]), gateway('g2', [{ port: 80, hosts: ['a.example.com'] }])], expect: [] },
    { name: 'different ports', objects: [ingressPod(), gateway('g1', [https(['a.example.com'], 'c1')]), gateway('g2', [https(['a.example.com'], 'c2', 8443)])], expect: [] },
    { name: 'different hosts', objects: [ingressPod(), gateway('g1', [https(['a.example.com'], 'c1')]), gateway('g2', [https(['b.example.com'], 'c2')])], expect: [] },
    { name: 'different workloads', objects: [ingressPod(), pod('x', { istio: 'other' }, 'istio-system'), gateway('g1', [https(['a.example.com'], 'c1')]), gateway('g2', [https(['a.example.com'], 'c2')], { istio: 'other' })], expect: [] },
    {
      name: 'different selectors, and a workload of the input has both',
      objects: [pod('gw', { istio: 'ingressgateway', zone: 'eu' }, 'istio-system'), gateway('g1', [https(['a.example.com'], 'c1')]), gateway('g2', [https(['a.example.com'], 'c2')], { zone: 'eu' })],
      expect: ['Error IST0145 Gateway default/g1 spec.servers[0].hosts', 'Error IST0145 Gateway default/g2 spec.servers[0].hosts'],
    },
  ],
  'IST0162 GatewayPortNotDefinedOnService': [
    { name: 'a port the Service exposes neither as port nor targetPort', objects: [ingressPod(), ingressService(), gateway('g', [{ port: 80 }, { port: 8443, protocol: 'HTTPS', tls: { mode: 'SIMPLE', credentialName: 'c' } }, { port: 9000, protocol: 'TCP' }])], expect: ['Warning IST0162 Gateway default/g spec.servers[2].port.number'] },
    { name: 'a UDP port does not count', objects: [ingressPod(), ingressService([{ name: 'udp', port: 9000, protocol: 'UDP' }]), gateway('g', [{ port: 9000, protocol: 'TCP' }])], expect: ['Warning IST0162 Gateway default/g spec.servers[0].port.number'] },
    { name: 'a named targetPort counts as its port', objects: [ingressPod(), ingressService([{ name: 'tcp', port: 9000, targetPort: 'tcp-port' }]), gateway('g', [{ port: 9000, protocol: 'TCP' }])], expect: [] },
    { name: "the input has no Service of the gateway's workloads: nothing said", objects: [ingressPod(), gateway('g', [{ port: 9000, protocol: 'TCP' }])], expect: [] },
    { name: 'a Service of another namespace does not select the pod', objects: [ingressPod(), { ...ingressService(), metadata: { name: 'istio-ingressgateway', namespace: 'default' } }, gateway('g', [{ port: 9000, protocol: 'TCP' }])], expect: [] },
  ],
};

describeTable('analysis: Gateways (IST0132, IST0138, IST0145, IST0162)', table, leveled);

describe('analysis: IST0132, IST0145, IST0162 messages and apply time', () => {
  it('IST0145 names the Gateway whose filter chain is kept; at apply time the Gateway applied is the youngest', () => {
    const g1 = created(gateway('g1', [https(['a.example.com'], 'c1')]), DAY1);
    const found = analyzeObject(gateway('g2', [https(['a.example.com'], 'c2')]), [ingressPod(), g1]);
    expect(found.map(brief)).to.deep.equal(['IST0145 Gateway default/g2 spec.servers[0].hosts']);
    expect(found[0]!.message).to.include('Gateway default/g1 also serves a.example.com with TLS on port 443').and.include('the oldest: default/g1').and.include('dropped whole');
  });

  it('IST0162 names the port and the Services of the workloads', () => {
    const [f] = analyze([ingressPod(), ingressService(), gateway('g', [{ port: 9000, protocol: 'TCP' }])]);
    expect(f!.message).to.include('port 9000').and.include('istio-system/istio-ingressgateway');
  });

  it('IST0132 names the hosts on both sides', () => {
    const [f] = analyze([ingressPod(), gateway('g', [{ port: 80, hosts: ['a.example.com'] }]), vs('r', { hosts: ['b.example.com'], gateways: ['g'] })]);
    expect(f!.message).to.include('(b.example.com)').and.include('Gateway default/g').and.include('(a.example.com)');
  });

  it('malformed Gateways are read defensively: no exception, nothing made up', () => {
    const bad = (name: string, spec: unknown): KubeObject => ({ apiVersion: NET, kind: 'Gateway', metadata: { name, namespace: 'default' }, spec }) as KubeObject;
    const objects = [
      ingressPod(),
      ingressService(),
      bad('g1', { selector: 'x', servers: [null, 7, { port: { number: '443' }, hosts: 'a', tls: 3 }] }),
      bad('g2', { servers: { port: 1 } }),
      bad('g3', { servers: [{ port: { number: 443, protocol: 7 }, hosts: [1, 'a.example.com'], tls: { credentialName: 5, tlsCertificates: 'x' } }] }),
      route('r', 'reviews', { gateways: ['g2'], hosts: ['x.example.com'] }),
    ];
    expect(() => analyze(objects)).not.to.throw();
    const found = analyze(objects);
    // A Gateway whose servers are not a list has none: the VirtualService bound to it is served nowhere there.
    expect(found.filter((f) => f.code === 'IST0132').map(brief)).to.deep.equal(['IST0132 VirtualService default/r spec.gateways[0]']);
    for (const c of ['IST0138', 'IST0145', 'IST0162']) expect(found.map((f) => f.code)).not.to.include(c);
    for (const o of objects) expect(() => analyzeObject(o, objects)).not.to.throw();
  });
});
