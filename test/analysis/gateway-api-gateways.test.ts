/**
 * `mizzen analyze` over Gateway API Gateways of class istio and the routes attached to them (HTTPRoutes and
 * GRPCRoutes on HTTP(S) listeners, TLSRoutes on TLS ones, TCPRoutes on TCP and terminated TLS ones): where a route's
 * Gateway parentRef attaches it (IST0101 / MZ0003 for a missing Gateway, MZ0016 with each reason it attaches
 * nowhere), listeners mizzen leaves out (MZ0019), Gateways no workload of the input would serve (MZ0020). Each row:
 * these objects analyzed together give exactly these findings (`Level CODE Kind ns/name path`); then exact
 * messages, analyzeObject (the webhook) and the CLI over the Bookinfo sample's shape.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, analyzeObject, CODES } from '../../src/analysis/index.js';
import { run } from '../../src/cmd/analyze.js';
import type { KubeObject } from '../../src/core/kube.js';
import { GATEWAY_NAME_LABEL } from '../../src/model/gateway-api-gateways.js';
import { captureOutput } from '../support/cli.js';
import { scratchDir } from '../support/tmp.js';
import { deploy, describeTable, leveled, pod, svc, type Case } from './fixtures.js';

const GW = 'gateway.networking.k8s.io';
type Json = Record<string, unknown>;

const gateway = (name: string, listeners: unknown, opts: { ns?: string; className?: unknown; addresses?: unknown; version?: string } = {}): KubeObject =>
  ({
    apiVersion: `${GW}/${opts.version ?? 'v1'}`,
    kind: 'Gateway',
    metadata: { name, namespace: opts.ns ?? 'default' },
    spec: { gatewayClassName: 'className' in opts ? opts.className : 'istio', listeners, ...(opts.addresses !== undefined ? { addresses: opts.addresses } : {}) },
  }) as KubeObject;
const gwRoute = (kind: 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute' | 'TCPRoute', name: string, spec: unknown, ns = 'default', version = 'v1'): KubeObject => ({ apiVersion: `${GW}/${version}`, kind, metadata: { name, namespace: ns }, spec }) as KubeObject;
const http = (name: string, spec: unknown, ns = 'default'): KubeObject => gwRoute('HTTPRoute', name, spec, ns);
const grpc = (name: string, spec: unknown, ns = 'default'): KubeObject => gwRoute('GRPCRoute', name, spec, ns);
const tlsRoute = (name: string, spec: unknown, ns = 'default'): KubeObject => gwRoute('TLSRoute', name, spec, ns);
/** TCPRoutes are served in the experimental channel only, at v1alpha2. */
const tcpRoute = (name: string, spec: unknown, ns = 'default'): KubeObject => gwRoute('TCPRoute', name, spec, ns, 'v1alpha2');
const namespace = (name: string, labels: Record<string, string> = {}): KubeObject => ({ apiVersion: 'v1', kind: 'Namespace', metadata: { name, labels } });

/** A route spec: these parentRefs (and hostnames), one rule to reviews:9080. */
const toReviews = (parentRefs: unknown[], hostnames?: unknown): Json => ({ parentRefs, ...(hostnames !== undefined ? { hostnames } : {}), rules: [{ backendRefs: [{ name: 'reviews', port: 9080 }] }] });

const HTTP = { name: 'http', port: 80, protocol: 'HTTP' };
const HTTPS = { name: 'https', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'edge-cert' }] } };
const listener = (extra: Json): Json => ({ ...HTTP, ...extra });
const PASSTHROUGH = { name: 'tls', port: 443, protocol: 'TLS', tls: { mode: 'Passthrough' } };
const TLS_TERMINATED = { name: 'tls-term', port: 8443, protocol: 'TLS', tls: { certificateRefs: [{ name: 'edge-cert' }] } };
const TCP = { name: 'tcp', port: 9000, protocol: 'TCP' };
const UDP = { name: 'udp', port: 53, protocol: 'UDP' };

/** reviews (9080) in default and shop; no workloads (so MZ0020 is not judged unless a case adds some). */
const base = (): KubeObject[] => [svc('reviews'), svc('reviews', { ns: 'shop' })];

/** The Istio Bookinfo Gateway API sample's shape: one Gateway (HTTP 80, routes of its namespace), one HTTPRoute to productpage. */
const bookinfo = (): KubeObject[] => [
  svc('productpage'),
  gateway('bookinfo-gateway', [{ ...HTTP, allowedRoutes: { namespaces: { from: 'Same' } } }]),
  http('bookinfo', {
    parentRefs: [{ name: 'bookinfo-gateway' }],
    rules: [{ matches: [{ path: { type: 'Exact', value: '/productpage' } }, { path: { type: 'PathPrefix', value: '/static' } }], backendRefs: [{ name: 'productpage', port: 9080 }] }],
  }),
];
const productpage = deploy('productpage-v1', { app: 'productpage', version: 'v1' });
const gatewayPod = (gw: string, ns = 'default'): KubeObject => pod(`${gw}-istio`, { [GATEWAY_NAME_LABEL]: gw }, ns);

const table: Record<string, Case[]> = {
  'the Bookinfo sample (MZ0020)': [
    { name: 'without workloads in the input: clean (the gateway workloads are not judged)', objects: bookinfo(), expect: [] },
    { name: 'with workloads, none labelled with the Gateway name: MZ0020 only', objects: [...bookinfo(), productpage], expect: ['Info MZ0020 Gateway default/bookinfo-gateway'] },
    { name: 'with a workload labelled gateway-name: bookinfo-gateway: clean', objects: [...bookinfo(), productpage, deploy('bookinfo-gateway-istio', { [GATEWAY_NAME_LABEL]: 'bookinfo-gateway' })], expect: [] },
    { name: 'a labelled workload in another namespace serves it too (gateway selectors match any namespace)', objects: [...bookinfo(), productpage, gatewayPod('bookinfo-gateway', 'ingress')], expect: [] },
    { name: 'a workload labelled for another Gateway does not', objects: [...bookinfo(), productpage, gatewayPod('other')], expect: ['Info MZ0020 Gateway default/bookinfo-gateway'] },
    { name: 'a ServiceEntry endpoint with the label is not a proxy', objects: [...bookinfo(), productpage, { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'e', namespace: 'default' }, spec: { hosts: ['e.example.com'], endpoints: [{ address: '10.0.0.1', labels: { [GATEWAY_NAME_LABEL]: 'bookinfo-gateway' } }] } } as KubeObject], expect: ['Info MZ0020 Gateway default/bookinfo-gateway'] },
    { name: 'the route, v1beta1 Gateway: attached and its rules checked (a missing backend)', objects: [svc('productpage'), gateway('bookinfo-gateway', [HTTP], { version: 'v1beta1' }), http('bookinfo', { parentRefs: [{ name: 'bookinfo-gateway' }], rules: [{ backendRefs: [{ name: 'productpage', port: 9081 }] }] })], expect: ['Error IST0101 HTTPRoute default/bookinfo spec.rules[0].backendRefs[0].port'] },
  ],
  'Hostname addresses (MZ0020)': [
    {
      name: 'a Service named by its full host, with a selector no workload matches: MZ0020 at the address',
      objects: [...base(), productpage, svc('ingress', { ns: 'istio-system', selector: { istio: 'ingressgateway' } }), gateway('edge', [HTTP], { addresses: [{ type: 'IPAddress', value: '10.0.0.1' }, { type: 'Hostname', value: 'ingress.istio-system.svc.cluster.local' }] })],
      expect: ['Info MZ0020 Gateway default/edge spec.addresses[1]'],
    },
    {
      name: 'the same with the gateway workload in its own namespace: clean (the label is not needed then)',
      objects: [...base(), productpage, svc('ingress', { ns: 'istio-system', selector: { istio: 'ingressgateway' } }), pod('ingress-1', { istio: 'ingressgateway' }, 'istio-system'), gateway('edge', [HTTP], { addresses: [{ type: 'Hostname', value: 'ingress.istio-system.svc.cluster.local' }] })],
      expect: [],
    },
    {
      name: 'a short name and a name.namespace resolve too',
      objects: [
        ...base(),
        productpage,
        svc('gw', { selector: { app: 'gw' } }),
        pod('gw-1', { app: 'gw' }),
        svc('ingress', { ns: 'istio-system', selector: { istio: 'ingressgateway' } }),
        pod('ingress-1', { istio: 'ingressgateway' }, 'istio-system'),
        gateway('short', [HTTP], { addresses: [{ type: 'Hostname', value: 'gw' }] }),
        gateway('dotted', [HTTP], { addresses: [{ type: 'Hostname', value: 'ingress.istio-system' }] }),
      ],
      expect: [],
    },
    {
      name: 'the labelled workload does not serve a Gateway whose address names a Service with a selector',
      objects: [...base(), productpage, svc('gw', { selector: { app: 'gw' } }), gatewayPod('edge'), gateway('edge', [HTTP], { addresses: [{ type: 'Hostname', value: 'gw' }] })],
      expect: ['Info MZ0020 Gateway default/edge spec.addresses[0]'],
    },
    {
      name: 'a Service without a selector, or one the input lacks: the label decides',
      objects: [
        ...base(),
        productpage,
        { apiVersion: 'v1', kind: 'Service', metadata: { name: 'bare', namespace: 'default' }, spec: { ports: [{ port: 80, name: 'http' }] } } as KubeObject,
        gateway('bare-gw', [HTTP], { addresses: [{ type: 'Hostname', value: 'bare' }] }),
        gateway('ghost-gw', [HTTP], { addresses: [{ type: 'Hostname', value: 'ghost' }] }),
        gatewayPod('ghost-gw'),
      ],
      expect: ['Info MZ0020 Gateway default/bare-gw'],
    },
  ],
  'missing Gateways (IST0101, MZ0003)': [
    { name: 'a Gateway the input lacks where it has Gateway API Gateways in that namespace', objects: [...base(), gateway('edge', [HTTP]), http('r', toReviews([{ name: 'egde' }]))], expect: ['Error IST0101 HTTPRoute default/r spec.parentRefs[0].name'] },
    { name: 'a Gateway in a namespace the input has no Gateway API Gateways in', objects: [...base(), gateway('edge', [HTTP]), grpc('g', toReviews([{ name: 'edge', namespace: 'infra' }]))], expect: ['Warning MZ0003 GRPCRoute default/g spec.parentRefs[0].name'] },
    { name: 'a Gateway of another group or kind named the same is not it', objects: [...base(), { ...gateway('edge', [HTTP]), apiVersion: 'example.com/v1' } as KubeObject, http('r', toReviews([{ name: 'edge' }]))], expect: ['Warning MZ0003 HTTPRoute default/r spec.parentRefs[0].name'] },
  ],
  'parentRefs that attach nowhere (MZ0016)': [
    { name: 'a Gateway of another class: MZ0016, rules not checked, the Gateway itself not judged', objects: [...base(), productpage, gateway('edge', [{ name: 'tcp', port: 9000, protocol: 'TCP' }], { className: 'other-vendor' }), http('r', { parentRefs: [{ name: 'edge' }], rules: [{ backendRefs: [{ name: 'nope', port: 1 }] }] })], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    { name: 'a Gateway without a class', objects: [...base(), gateway('edge', [HTTP], { className: undefined }), http('r', toReviews([{ name: 'edge' }]))], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    { name: 'no listener of that sectionName', objects: [...base(), gateway('edge', [HTTP]), http('r', toReviews([{ name: 'edge', sectionName: 'web' }]))], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    { name: 'no listener on that port', objects: [...base(), gateway('edge', [HTTP, HTTPS]), http('r', toReviews([{ name: 'edge', port: 8080 }]))], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    { name: 'sectionName and port of two different listeners', objects: [...base(), gateway('edge', [HTTP, HTTPS]), http('r', toReviews([{ name: 'edge', sectionName: 'http', port: 443 }]))], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    {
      name: 'the sectionName of a listener mizzen leaves out: MZ0016 on the route, MZ0019 on the Gateway',
      objects: [...base(), gateway('edge', [HTTP, UDP]), http('r', toReviews([{ name: 'edge', sectionName: 'udp' }]))],
      expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]', 'Warning MZ0019 Gateway default/edge spec.listeners[1]'],
    },
    { name: 'a Gateway with no listener mizzen serves', objects: [...base(), gateway('edge', [UDP]), grpc('g', toReviews([{ name: 'edge' }]))], expect: ['Warning MZ0016 GRPCRoute default/g spec.parentRefs[0]', 'Warning MZ0019 Gateway default/edge spec.listeners[0]'] },
    { name: 'an HTTPRoute on a TLS passthrough listener: its protocol does not carry HTTPRoutes', objects: [...base(), gateway('edge', [HTTP, PASSTHROUGH]), http('r', toReviews([{ name: 'edge', sectionName: 'tls' }]))], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    { name: 'a GRPCRoute on a TCP listener', objects: [...base(), gateway('edge', [TCP]), grpc('g', toReviews([{ name: 'edge' }]))], expect: ['Warning MZ0016 GRPCRoute default/g spec.parentRefs[0]'] },
    { name: 'a TCPRoute on an HTTP listener: its protocol does not carry TCPRoutes', objects: [...base(), gateway('edge', [HTTP]), tcpRoute('c', toReviews([{ name: 'edge' }]))], expect: ['Warning MZ0016 TCPRoute default/c spec.parentRefs[0]'] },
    {
      name: 'a TCPRoute on an HTTP listener whose allowedRoutes.kinds name TCPRoute: still not carried',
      objects: [...base(), gateway('edge', [listener({ allowedRoutes: { kinds: [{ kind: 'HTTPRoute' }, { kind: 'TCPRoute' }] } })]), tcpRoute('c', toReviews([{ name: 'edge' }]))],
      expect: ['Warning MZ0016 TCPRoute default/c spec.parentRefs[0]'],
    },
    { name: 'a TCPRoute on a TLS passthrough listener (TLSRoutes only)', objects: [...base(), gateway('edge', [PASSTHROUGH]), tcpRoute('c', toReviews([{ name: 'edge' }]))], expect: ['Warning MZ0016 TCPRoute default/c spec.parentRefs[0]'] },
    { name: 'a TLSRoute on an HTTPS listener', objects: [...base(), gateway('edge', [HTTPS]), tlsRoute('t', toReviews([{ name: 'edge' }], ['reviews.example.com']))], expect: ['Warning MZ0016 TLSRoute default/t spec.parentRefs[0]'] },
    { name: 'a TLSRoute on a TCP listener', objects: [...base(), gateway('edge', [TCP]), tlsRoute('t', toReviews([{ name: 'edge' }]))], expect: ['Warning MZ0016 TLSRoute default/t spec.parentRefs[0]'] },
    {
      name: 'a TCPRoute on a terminated TLS listener whose allowedRoutes.kinds name TLSRoute only',
      objects: [...base(), gateway('edge', [{ ...TLS_TERMINATED, allowedRoutes: { kinds: [{ kind: 'TLSRoute' }] } }]), tcpRoute('c', toReviews([{ name: 'edge' }]))],
      expect: ['Warning MZ0016 TCPRoute default/c spec.parentRefs[0]'],
    },
    {
      name: 'a TLSRoute whose hostnames do not overlap the passthrough listener\'s',
      objects: [...base(), gateway('edge', [{ ...PASSTHROUGH, hostname: '*.example.com' }]), tlsRoute('t', toReviews([{ name: 'edge' }], ['db.example.org']))],
      expect: ['Warning MZ0016 TLSRoute default/t spec.parentRefs[0]'],
    },
    { name: 'allowedRoutes.kinds without the route kind', objects: [...base(), gateway('edge', [listener({ allowedRoutes: { kinds: [{ kind: 'GRPCRoute' }] } })]), http('r', toReviews([{ name: 'edge' }]))], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    { name: 'allowedRoutes.kinds with the kind of another group', objects: [...base(), gateway('edge', [listener({ allowedRoutes: { kinds: [{ group: 'example.com', kind: 'HTTPRoute' }] } })]), http('r', toReviews([{ name: 'edge' }]))], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    { name: 'a route of another namespace, allowedRoutes by default (Same)', objects: [...base(), gateway('edge', [HTTP]), http('r', toReviews([{ name: 'edge', namespace: 'default' }]), 'shop')], expect: ['Warning MZ0016 HTTPRoute shop/r spec.parentRefs[0]'] },
    {
      name: 'a namespace selector the route namespace\'s labels do not match',
      objects: [...base(), namespace('shop', { team: 'shop' }), gateway('edge', [listener({ allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'web' } } } } })]), http('r', toReviews([{ name: 'edge', namespace: 'default' }]), 'shop')],
      expect: ['Warning MZ0016 HTTPRoute shop/r spec.parentRefs[0]'],
    },
    { name: 'allowedRoutes.namespaces.from of an unknown value admits nothing', objects: [...base(), gateway('edge', [listener({ allowedRoutes: { namespaces: { from: 'Nearby' } } })]), http('r', toReviews([{ name: 'edge' }]))], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    { name: 'no hostname of the route overlaps the listener\'s', objects: [...base(), gateway('edge', [listener({ hostname: 'bookinfo.example.com' })]), http('r', toReviews([{ name: 'edge' }], ['reviews.example.com', '*.example.org']))], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    {
      name: 'a Service parent and an unattached Gateway parent: the route is served, its rules checked',
      objects: [...base(), gateway('edge', [HTTP], { className: 'other' }), http('r', { parentRefs: [{ name: 'edge' }, { group: '', kind: 'Service', name: 'reviews' }], rules: [{ backendRefs: [{ name: 'gone', port: 1 }] }] })],
      expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]', 'Error IST0101 HTTPRoute default/r spec.rules[0].backendRefs[0].name'],
    },
    {
      name: 'a parent of another kind stays MZ0016 next to an attached Gateway',
      objects: [...base(), gateway('edge', [HTTP]), http('r', toReviews([{ group: 'example.com', kind: 'Mesh', name: 'x' }, { name: 'edge' }]))],
      expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'],
    },
  ],
  'parentRefs that attach (clean)': [
    { name: 'sectionName and port of one listener', objects: [...base(), gateway('edge', [HTTP, HTTPS]), http('r', toReviews([{ name: 'edge', sectionName: 'https', port: 443 }]))], expect: [] },
    { name: 'a GRPCRoute on an HTTP listener by default; explicit group and kind', objects: [...base(), gateway('edge', [HTTP]), grpc('g', toReviews([{ group: GW, kind: 'Gateway', name: 'edge', port: '80' }]))], expect: [] },
    { name: 'allowedRoutes.kinds naming the kind', objects: [...base(), gateway('edge', [listener({ allowedRoutes: { kinds: [{ group: GW, kind: 'GRPCRoute' }, { kind: 'HTTPRoute' }] } })]), http('r', toReviews([{ name: 'edge' }]))], expect: [] },
    { name: 'a route of another namespace where the listener admits All', objects: [...base(), gateway('edge', [listener({ allowedRoutes: { namespaces: { from: 'All' } } })], { ns: 'infra' }), http('r', toReviews([{ name: 'edge', namespace: 'infra' }]), 'shop')], expect: [] },
    {
      name: 'a namespace selector matching the route namespace\'s labels, or its name',
      objects: [
        ...base(),
        namespace('shop', { team: 'shop' }),
        gateway('edge', [listener({ allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'shop' } } } } })]),
        gateway('named', [listener({ allowedRoutes: { namespaces: { from: 'Selector', selector: { matchExpressions: [{ key: 'kubernetes.io/metadata.name', operator: 'In', values: ['shop'] }] } } } })]),
        http('r', toReviews([{ name: 'edge', namespace: 'default' }, { name: 'named', namespace: 'default' }]), 'shop'),
      ],
      expect: [],
    },
    {
      name: 'a namespace selector and a route namespace without a Namespace object: its labels are unknown, taken as admitted',
      objects: [...base(), gateway('edge', [listener({ allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'web' } } } } })]), http('r', toReviews([{ name: 'edge', namespace: 'default' }]), 'shop')],
      expect: [],
    },
    {
      name: 'hostnames that overlap: equal, a wildcard route, a wildcard listener; no route hostnames',
      objects: [
        ...base(),
        gateway('edge', [listener({ hostname: 'bookinfo.example.com' }), { ...HTTPS, hostname: '*.example.org' }]),
        http('a', toReviews([{ name: 'edge', sectionName: 'http' }], ['bookinfo.example.com'])),
        http('b', toReviews([{ name: 'edge', sectionName: 'http' }], ['*.example.com'])),
        http('c', toReviews([{ name: 'edge', sectionName: 'https' }], ['a.b.example.org'])),
        http('d', toReviews([{ name: 'edge' }])),
      ],
      expect: [],
    },
    { name: 'one listener of two takes the route', objects: [...base(), gateway('edge', [listener({ hostname: 'a.example.com' }), { ...HTTPS, hostname: 'b.example.com' }]), http('r', toReviews([{ name: 'edge' }], ['b.example.com']))], expect: [] },
    {
      name: 'a TLSRoute on a TLS passthrough listener, by SNI hostname',
      objects: [...base(), gateway('edge', [HTTP, { ...PASSTHROUGH, hostname: '*.example.com' }]), tlsRoute('t', toReviews([{ name: 'edge', sectionName: 'tls' }], ['reviews.example.com']))],
      expect: [],
    },
    { name: 'a TCPRoute on a TCP listener', objects: [...base(), gateway('edge', [HTTP, TCP]), tcpRoute('c', toReviews([{ name: 'edge', port: 9000 }]))], expect: [] },
    { name: 'a TCPRoute and a TLSRoute on a terminated TLS listener', objects: [...base(), gateway('edge', [TLS_TERMINATED]), tcpRoute('c', toReviews([{ name: 'edge' }])), tlsRoute('t', toReviews([{ name: 'edge' }]))], expect: [] },
    {
      name: 'a route naming no listener attaches to those that carry its kind: a TCPRoute on a Gateway with HTTP and TCP listeners',
      objects: [...base(), gateway('edge', [HTTP, HTTPS, TCP]), tcpRoute('c', toReviews([{ name: 'edge' }])), http('r', toReviews([{ name: 'edge' }]))],
      expect: [],
    },
    {
      name: 'a TCPRoute attached to a TCP listener: its rules checked (a missing backend, a filter)',
      objects: [...base(), gateway('edge', [TCP]), tcpRoute('c', { parentRefs: [{ name: 'edge' }], rules: [{ filters: [{ type: 'RequestHeaderModifier' }], backendRefs: [{ name: 'db', port: 5432 }] }] })],
      expect: ['Error IST0101 TCPRoute default/c spec.rules[0].backendRefs[0].name', 'Warning MZ0018 TCPRoute default/c spec.rules[0].filters[0]'],
    },
  ],
  'listeners mizzen leaves out (MZ0019)': [
    {
      name: 'TLS passthrough, TLS terminated with a Secret of the namespace and TCP are served; UDP is not',
      objects: [gateway('edge', [HTTP, PASSTHROUGH, TLS_TERMINATED, TCP, UDP])],
      expect: ['Warning MZ0019 Gateway default/edge spec.listeners[4]'],
    },
    {
      name: 'terminated TLS: certificate in another namespace, missing, of another kind; a mode neither Terminate nor Passthrough',
      objects: [
        gateway('edge', [
          { ...TLS_TERMINATED, name: 'a', tls: { certificateRefs: [{ name: 'cert', namespace: 'certs' }] } },
          { ...TLS_TERMINATED, name: 'b', tls: {} },
          { ...TLS_TERMINATED, name: 'c', tls: undefined },
          { ...TLS_TERMINATED, name: 'd', tls: { certificateRefs: [{ kind: 'ConfigMap', name: 'cert' }] } },
          { ...TLS_TERMINATED, name: 'e', tls: { mode: 'Sideways', certificateRefs: [{ name: 'cert' }] } },
          { ...TLS_TERMINATED, name: 'f', tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'cert', namespace: 'default' }] } },
          { ...PASSTHROUGH, name: 'g', tls: { mode: 'Passthrough', certificateRefs: [{ name: 'cert', namespace: 'certs' }] } },
        ]),
      ],
      expect: ['a', 'b', 'c', 'd', 'e'].map((_, i) => `Warning MZ0019 Gateway default/edge spec.listeners[${i}]`),
    },
    {
      name: 'HTTPS passthrough; certificate in another namespace, missing, of another kind',
      objects: [
        gateway('edge', [
          { ...HTTPS, name: 'a', tls: { mode: 'Passthrough' } },
          { ...HTTPS, name: 'b', tls: { certificateRefs: [{ name: 'cert', namespace: 'certs' }] } },
          { ...HTTPS, name: 'c', tls: {} },
          { ...HTTPS, name: 'd', tls: undefined },
          { ...HTTPS, name: 'e', tls: { certificateRefs: [{ group: 'example.com', kind: 'Vault', name: 'cert' }] } },
          { ...HTTPS, name: 'f', tls: { mode: 'Terminate', certificateRefs: [{ group: '', kind: 'Secret', name: 'cert', namespace: 'default' }] } },
        ]),
      ],
      expect: ['a', 'b', 'c', 'd', 'e'].map((_, i) => `Warning MZ0019 Gateway default/edge spec.listeners[${i}]`),
    },
    { name: 'a repeated listener name: the first is served', objects: [gateway('edge', [HTTP, { ...HTTP, port: 8080 }, HTTPS])], expect: ['Warning MZ0019 Gateway default/edge spec.listeners[1]'] },
    { name: 'a UDP listener does not take the name from the HTTP one after it', objects: [gateway('edge', [{ ...UDP, name: 'http' }, HTTP])], expect: ['Warning MZ0019 Gateway default/edge spec.listeners[0]'] },
    { name: 'nor does an HTTPS listener without a certificate', objects: [gateway('edge', [{ ...HTTPS, name: 'http', tls: {} }, HTTP])], expect: ['Warning MZ0019 Gateway default/edge spec.listeners[0]'] },
    { name: 'a TCP listener takes the name: the HTTP one after it is repeated', objects: [gateway('edge', [{ ...TCP, name: 'http' }, HTTP])], expect: ['Warning MZ0019 Gateway default/edge spec.listeners[1]'] },
    {
      name: 'another protocol, none, no name, a port that is not one',
      objects: [gateway('edge', [{ name: 'x', port: 80, protocol: 'example.com/custom' }, { name: 'y', port: 81 }, { port: 82, protocol: 'HTTP' }, { name: 'z', port: 70000, protocol: 'HTTP' }])],
      expect: [0, 1, 2, 3].map((i) => `Warning MZ0019 Gateway default/edge spec.listeners[${i}]`),
    },
    { name: 'a Gateway of another class is not judged', objects: [productpage, gateway('edge', [UDP], { className: 'cilium' })], expect: [] },
  ],
  'malformed shapes: no throw, fewer findings': [
    {
      name: 'Gateways with spec null, a string, listeners and addresses not lists, garbage entries',
      objects: [
        ...base(),
        productpage,
        gatewayPod('a'),
        gatewayPod('b'),
        gatewayPod('c'),
        { ...gateway('a', []), spec: null } as KubeObject,
        { ...gateway('b', []), spec: 'gateway' } as KubeObject,
        gateway('c', { name: 'http' }, { addresses: 'gw' }),
        gateway('d', [null, 7, 'x', { name: 5, port: 80, protocol: 'HTTP' }, { ...HTTPS, name: 'h', tls: { mode: 3, certificateRefs: 'cert' } }], { addresses: [null, { type: 'Hostname', value: 9 }], className: 'istio' }),
        http('r', toReviews([{ name: 'a' }, { name: 'b' }, { name: 'c' }])),
      ],
      expect: [
        'Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]',
        'Warning MZ0016 HTTPRoute default/r spec.parentRefs[1]',
        'Warning MZ0016 HTTPRoute default/r spec.parentRefs[2]',
        ...[0, 1, 2, 3, 4].map((i) => `Warning MZ0019 Gateway default/d spec.listeners[${i}]`),
        'Info MZ0020 Gateway default/d',
      ],
    },
    { name: 'a class that is not a string', objects: [...base(), gateway('edge', [HTTP], { className: 7 }), http('r', toReviews([{ name: 'edge' }]))], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    {
      name: 'allowedRoutes, kinds, namespaces and selectors of the wrong shapes',
      objects: [
        ...base(),
        namespace('default', { team: 'web' }),
        gateway('edge', [
          listener({ name: 'a', allowedRoutes: 'all' }),
          listener({ name: 'b', allowedRoutes: { kinds: 'HTTPRoute', namespaces: null } }),
          listener({ name: 'c', allowedRoutes: { kinds: [null, { kind: 7 }], namespaces: { from: 'Selector', selector: { matchExpressions: [null, { key: 1 }, { key: 'team', operator: 'Sideways' }] } } } }),
        ]),
        http('r', toReviews([{ name: 'edge', sectionName: 'a' }, { name: 'edge', sectionName: 'b' }])),
        http('s', toReviews([{ name: 'edge', sectionName: 'c' }])),
      ],
      expect: ['Warning MZ0016 HTTPRoute default/s spec.parentRefs[0]'],
    },
    { name: 'route hostnames of the wrong shape read as none', objects: [...base(), gateway('edge', [listener({ hostname: 'a.example.com' })]), http('r', toReviews([{ name: 'edge' }], 'a.example.com')), http('s', toReviews([{ name: 'edge' }], [7, null, '']))], expect: [] },
    { name: 'a Gateway without metadata is not analyzed', objects: [productpage, { apiVersion: `${GW}/v1`, kind: 'Gateway', spec: { gatewayClassName: 'istio', listeners: [UDP] } } as unknown as KubeObject], expect: [] },
  ],
};

describeTable('analysis: Gateway API Gateways (IST0101, MZ0003, MZ0016, MZ0019, MZ0020): the table', table, leveled);

describe('analysis: Gateway API Gateways (IST0101, MZ0003, MZ0016, MZ0019, MZ0020)', () => {

  it('the new codes are in the table with their levels and names', async () => {
    expect([CODES.MZ0016.name, CODES.MZ0016.level]).to.deep.equal(['GatewayRouteParentNotServed', 'Warning']);
    expect([CODES.MZ0019.name, CODES.MZ0019.level]).to.deep.equal(['GatewayListenerNotServed', 'Warning']);
    expect([CODES.MZ0020.name, CODES.MZ0020.level]).to.deep.equal(['GatewayWithoutWorkload', 'Info']);
  });

  it('MZ0016 messages give the reason a Gateway parentRef attaches the route nowhere', async () => {
    const found = analyze([
      ...base(),
      namespace('shop', { team: 'shop' }),
      gateway('other', [HTTP], { className: 'cilium' }),
      gateway('classless', [HTTP], { className: undefined }),
      gateway('tcp', [TCP]),
      gateway('udp', [UDP]),
      gateway('mixed', [listener({ allowedRoutes: { kinds: [{ kind: 'GRPCRoute' }] } }), TCP, PASSTHROUGH]),
      gateway('edge', [
        listener({ hostname: 'a.example.com' }),
        { ...HTTPS, hostname: 'b.example.com', allowedRoutes: { kinds: [{ kind: 'GRPCRoute' }] } },
        { name: 'grpc', port: 8080, protocol: 'HTTP', allowedRoutes: { namespaces: { from: 'Selector', selector: { matchLabels: { team: 'web' } } } } },
        { name: 'tls', port: 8443, protocol: 'TLS' },
      ]),
      http('r', toReviews([
        { name: 'other' },
        { name: 'classless' },
        { name: 'tcp' },
        { name: 'edge', sectionName: 'web' },
        { name: 'edge', sectionName: 'tls' },
        { name: 'edge', sectionName: 'http', port: 8080 },
        { name: 'edge', port: 443 },
        { name: 'edge', sectionName: 'http' },
        { group: GW, kind: 'Service', name: 'reviews' },
        { name: 'udp' },
        { name: 'mixed' },
        { name: 'mixed', sectionName: 'tls' },
      ], ['c.example.com'])),
      http('s', toReviews([{ name: 'edge', namespace: 'default' }]), 'shop'),
      tcpRoute('c', toReviews([{ name: 'edge', sectionName: 'http' }, { name: 'mixed', sectionName: 'tls' }, { name: 'edge' }])),
    ]);
    const messages = Object.fromEntries(found.filter((f) => f.code === 'MZ0016').map((f) => [`${f.resource.name} ${f.path}`, f.message]));
    const not = (ref: string): string => `parentRef Gateway.gateway.networking.k8s.io "${ref}" is not served: `;
    expect(messages).to.deep.equal({
      'r spec.parentRefs[0]': `${not('default/other')}its gatewayClassName is "cilium"; mizzen serves Gateways of class istio only`,
      'r spec.parentRefs[1]': `${not('default/classless')}it has no gatewayClassName; mizzen serves Gateways of class istio only`,
      'r spec.parentRefs[2]': `${not('default/tcp')}its listener "tcp" does not admit HTTPRoutes (a TCP listener carries TCPRoutes only)`,
      'r spec.parentRefs[3]': `${not('default/edge')}no listener mizzen serves is named "web"`,
      'r spec.parentRefs[4]': `${not('default/edge')}no listener mizzen serves is named "tls" (the Gateway has one, which mizzen leaves out: see MZ0019 on the Gateway)`,
      'r spec.parentRefs[5]': `${not('default/edge')}no listener mizzen serves is named "http" on port 8080`,
      'r spec.parentRefs[6]': `${not('default/edge')}its listener "https" does not admit HTTPRoutes (spec.listeners[].allowedRoutes.kinds)`,
      'r spec.parentRefs[7]': `${not('default/edge')}none of the route's hostnames (c.example.com) overlaps the hostname of its listener "http" (a.example.com)`,
      'r spec.parentRefs[8]': 'parentRef Service.gateway.networking.k8s.io "default/reviews" is not served: mizzen serves routes attached to core Services, Istio ServiceEntries, Gateway API Gateways (of class istio) and ListenerSets only',
      'r spec.parentRefs[9]': `${not('default/udp')}it has no listener mizzen serves (HTTP; HTTPS or TLS terminated with a Secret of its own namespace; TLS passthrough; TCP)`,
      'r spec.parentRefs[10]': `${not('default/mixed')}its listeners "http", "tcp", "tls" do not admit HTTPRoutes ("http": spec.listeners[].allowedRoutes.kinds; "tcp": a TCP listener carries TCPRoutes only; "tls": a TLS passthrough listener carries TLSRoutes only)`,
      'r spec.parentRefs[11]': `${not('default/mixed')}its listener "tls" does not admit HTTPRoutes (a TLS passthrough listener carries TLSRoutes only)`,
      's spec.parentRefs[0]': `${not('default/edge')}its listeners "http", "grpc" do not admit routes of namespace "shop" (spec.listeners[].allowedRoutes.namespaces)`,
      'c spec.parentRefs[0]': `${not('default/edge')}its listener "http" does not admit TCPRoutes (an HTTP listener carries HTTPRoutes and GRPCRoutes only)`,
      'c spec.parentRefs[1]': `${not('default/mixed')}its listener "tls" does not admit TCPRoutes (a TLS passthrough listener carries TLSRoutes only)`,
      'c spec.parentRefs[2]': `${not('default/edge')}its listeners "http", "https", "grpc" do not admit TCPRoutes ("http", "grpc": an HTTP listener carries HTTPRoutes and GRPCRoutes only; "https": an HTTPS listener carries HTTPRoutes and GRPCRoutes only)`,
    });
  });

  it('MZ0019 messages say why each listener is left out (TLS passthrough and TCP are served)', async () => {
    const found = analyze([
      gateway('edge', [
        HTTP,
        { name: 'tls', port: 443, protocol: 'TLS', tls: { mode: 'Passthrough' } },
        { name: 'tcp', port: 9000, protocol: 'TCP' },
        { name: 'udp', port: 53, protocol: 'UDP' },
        { name: 'custom', port: 1, protocol: 'example.com/x' },
        { name: 'none', port: 2 },
        { port: 3, protocol: 'HTTP' },
        { name: 'badport', port: 0, protocol: 'HTTP' },
        { ...HTTP, port: 8080 },
        { ...HTTPS, name: 'pass', tls: { mode: 'Passthrough' } },
        { ...HTTPS, name: 'nocert', tls: { certificateRefs: [] } },
        { ...HTTPS, name: 'vault', tls: { certificateRefs: [{ group: 'example.com', kind: 'Vault', name: 'c' }] } },
        { ...HTTPS, name: 'configmap', tls: { certificateRefs: [{ kind: 'ConfigMap', name: 'c' }] } },
        { ...HTTPS, name: 'away', tls: { certificateRefs: [{ name: 'c', namespace: 'certs' }] } },
        { ...TLS_TERMINATED, name: 'tls-nocert', tls: { mode: 'Terminate' } },
        { ...TLS_TERMINATED, name: 'tls-away', tls: { certificateRefs: [{ name: 'c', namespace: 'certs' }] } },
        { ...TLS_TERMINATED, name: 'tls-mode', tls: { mode: 'Sideways' } },
        { ...TCP, name: 'tls' },
      ]),
    ]);
    const messages = Object.fromEntries(found.map((f) => [f.path, f.message]));
    const serves = '(mizzen serves HTTP, HTTPS, TLS and TCP listeners)';
    expect(messages).to.deep.equal({
      'spec.listeners[3]': 'Listener "udp" is not served by mizzen: a UDP listener takes UDPRoutes, which mizzen does not serve',
      'spec.listeners[4]': `Listener "custom" is not served by mizzen: protocol "example.com/x" is not served ${serves}`,
      'spec.listeners[5]': `Listener "none" is not served by mizzen: a listener without a protocol is not served ${serves}`,
      'spec.listeners[6]': 'This listener is not served by mizzen: it has no name',
      'spec.listeners[7]': 'Listener "badport" is not served by mizzen: its port is not a port number',
      'spec.listeners[8]': 'Listener "http" is not served by mizzen: its name "http" is repeated: spec.listeners[0] of that name is the one mizzen reads',
      'spec.listeners[9]': 'Listener "pass" is not served by mizzen: tls.mode is "Passthrough": mizzen serves HTTPS only terminated at the gateway (to pass TLS through, use a TLS listener and TLSRoutes)',
      'spec.listeners[10]': 'Listener "nocert" is not served by mizzen: it names no certificate (tls.certificateRefs[0] with a name): mizzen cannot terminate its TLS',
      'spec.listeners[11]': 'Listener "vault" is not served by mizzen: its certificate is a Vault.example.com, not a core Secret: mizzen reads certificates from Secrets only',
      'spec.listeners[12]': 'Listener "configmap" is not served by mizzen: its certificate is a ConfigMap, not a core Secret: mizzen reads certificates from Secrets only',
      'spec.listeners[13]': 'Listener "away" is not served by mizzen: its certificate Secret "certs/c" is in another namespace than the Gateway\'s, where no ReferenceGrant lets Gateways of namespace "default" use it',
      'spec.listeners[14]': 'Listener "tls-nocert" is not served by mizzen: it names no certificate (tls.certificateRefs[0] with a name): mizzen cannot terminate its TLS',
      'spec.listeners[15]': 'Listener "tls-away" is not served by mizzen: its certificate Secret "certs/c" is in another namespace than the Gateway\'s, where no ReferenceGrant lets Gateways of namespace "default" use it',
      'spec.listeners[16]': 'Listener "tls-mode" is not served by mizzen: tls.mode is "Sideways": mizzen serves TLS listeners terminated at the gateway (Terminate) or passed through (Passthrough)',
      'spec.listeners[17]': 'Listener "tls" is not served by mizzen: its name "tls" is repeated: spec.listeners[1] of that name is the one mizzen reads',
    });
  });

  it('MZ0019 and tls-terminate-mode: ISTIO_MUTUAL, ISTIO_SIMPLE and two certificates are served; three certificates are not', async () => {
    const terminate = (m: string) => ({ options: { 'gateway.istio.io/tls-terminate-mode': m } });
    const found = analyze([
      ...base(),
      gateway('edge', [
        { name: 'mesh', port: 443, protocol: 'HTTPS', tls: terminate('ISTIO_MUTUAL') },
        { name: 'two', port: 444, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'rsa' }, { name: 'ecdsa' }] } },
        { name: 'builtin', port: 445, protocol: 'HTTPS', tls: terminate('ISTIO_SIMPLE') },
        { name: 'three', port: 446, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'a' }, { name: 'b' }, { name: 'c' }] } },
        { name: 'second', port: 447, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'a' }, { name: 'b', kind: 'ConfigMap' }] } },
      ]),
    ]).filter((f) => f.code === 'MZ0019');
    expect(found.map((f) => [f.path, f.message])).to.deep.equal([
      ['spec.listeners[3]', 'Listener "three" is not served by mizzen: it names 3 certificates (tls.certificateRefs): mizzen terminates TLS with one, or two (RSA and ECDSA)'],
      ['spec.listeners[4]', 'Listener "second" is not served by mizzen: its certificate is a ConfigMap, not a core Secret: mizzen reads certificates from Secrets only'],
    ]);
  });

  it("MZ0019: a certificate Secret of another namespace is served where a ReferenceGrant of the input allows the Gateway's namespace", async () => {
    const away = { name: 'away', port: 443, protocol: 'HTTPS', tls: { certificateRefs: [{ name: 'c', namespace: 'certs' }] } };
    const grant = (from: string): KubeObject => ({ apiVersion: `${GW}/v1beta1`, kind: 'ReferenceGrant', metadata: { name: 'certs', namespace: 'certs' }, spec: { from: [{ group: GW, kind: 'Gateway', namespace: from }], to: [{ group: '', kind: 'Secret' }] } }) as KubeObject;
    const notServed = (...objs: KubeObject[]) => analyze([...base(), gateway('edge', [away]), ...objs]).filter((f) => f.code === 'MZ0019').map((f) => f.path);
    expect(notServed()).to.deep.equal(['spec.listeners[0]']);
    expect(notServed(grant('default'))).to.deep.equal([]);
    expect(notServed(grant('shop')), 'a grant to another namespace').to.deep.equal(['spec.listeners[0]']);
  });

  it('MZ0021: a Gateway --deploy-gateways would deploy, but cannot: service type, name, gateway pod annotations', async () => {
    const annotated = (name: string, annotations: Record<string, string>, extra: Json = {}): KubeObject => {
      const gw = gateway(name, [HTTP], extra);
      return { ...gw, metadata: { ...gw.metadata, annotations }, spec: { ...(gw.spec as Json), ...('infrastructure' in extra ? { infrastructure: extra.infrastructure } : {}) } } as KubeObject;
    };
    const found = analyze([
      ...base(),
      annotated('ok', { 'networking.istio.io/service-type': 'ClusterIP' }),
      annotated('bad-type', { 'networking.istio.io/service-type': 'ExternalName' }),
      annotated('x'.repeat(60), {}),
      annotated('bad-cpu', {}, { infrastructure: { annotations: { 'sidecar.istio.io/proxyCPU': 'lots' } } }),
      annotated('manual', { 'networking.istio.io/service-type': 'Bogus' }, { addresses: [{ type: 'Hostname', value: 'ingress.istio-system' }] }),
      { ...annotated('other-class', { 'networking.istio.io/service-type': 'Bogus' }), spec: { gatewayClassName: 'vendor', listeners: [HTTP] } } as KubeObject,
    ]).filter((f) => f.code === 'MZ0021');
    // In the analysis's order of findings (by resource).
    expect(found.map((f) => [f.resource.name, f.path, f.message])).to.deep.equal([
      ['bad-cpu', undefined, 'mizzen serve --deploy-gateways would deploy no gateway for this Gateway: gateway pod: metadata.annotations["sidecar.istio.io/proxyCPU"]: "lots" is not a valid quantity'],
      ['bad-type', 'metadata.annotations["networking.istio.io/service-type"]', 'mizzen serve --deploy-gateways would deploy no gateway for this Gateway: metadata.annotations["networking.istio.io/service-type"]: "ExternalName" is not one of ClusterIP, NodePort, LoadBalancer'],
      ['x'.repeat(60), undefined, `mizzen serve --deploy-gateways would deploy no gateway for this Gateway: the Service name "${'x'.repeat(60)}-istio" is not a DNS label of at most 63 characters (shorten the Gateway's name or set gateway.istio.io/name-override)`],
    ]);
  });

  it('MZ0021: a customization the deployer would refuse, when the input holds the ConfigMaps (MZ0003 when it has none in that namespace)', async () => {
    const withRef = (name: string, ref: Json, ns = 'default'): KubeObject => {
      const gw = gateway(name, [HTTP], { ns });
      return { ...gw, spec: { ...(gw.spec as Json), infrastructure: { parametersRef: ref } } } as KubeObject;
    };
    const cm = (name: string, data: Record<string, string>, o: { ns?: string; labels?: Record<string, string> } = {}): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: o.ns ?? 'default', ...(o.labels ? { labels: o.labels } : {}) }, data }) as KubeObject;
    const ref = (name: string): Json => ({ group: '', kind: 'ConfigMap', name });
    const found = analyze([
      ...base(),
      cm('good', { deployment: 'spec:\n  replicas: 2', horizontalPodAutoscaler: 'spec:\n  maxReplicas: 3' }),
      cm('typo', { deploymnet: 'spec: {}' }),
      cm('renames', { service: 'metadata:\n  name: other' }),
      withRef('ok', ref('good')),
      withRef('typo', ref('typo')),
      withRef('renames', ref('renames')),
      withRef('missing', ref('nope')),
      withRef('secret', { group: '', kind: 'Secret', name: 'good' }),
      withRef('unchecked', ref('anything'), 'shop'),
    ]).filter((f) => f.code === 'MZ0021' || f.code === 'MZ0003');
    const prefix = 'mizzen serve --deploy-gateways would deploy no gateway for this Gateway: ';
    expect(found.map((f) => [f.code, f.resource.namespace, f.resource.name, f.path, f.message])).to.deep.equal([
      ['MZ0021', 'default', 'missing', 'spec.infrastructure.parametersRef', `${prefix}spec.infrastructure.parametersRef: ConfigMap default/nope not found`],
      ['MZ0021', 'default', 'renames', undefined, `${prefix}ConfigMap default/renames, key service: changes metadata.name, which the gateway controller sets`],
      ['MZ0021', 'default', 'secret', 'spec.infrastructure.parametersRef', `${prefix}spec.infrastructure.parametersRef: ""/Secret is not supported: a gateway is customized by a ConfigMap (group "", kind ConfigMap)`],
      ['MZ0021', 'default', 'typo', undefined, `${prefix}ConfigMap default/typo: unsupported overlay "deploymnet" (supported: deployment, horizontalPodAutoscaler, podDisruptionBudget, service, serviceAccount)`],
      ['MZ0003', 'shop', 'unchecked', 'spec.infrastructure.parametersRef', 'spec.infrastructure.parametersRef names ConfigMap shop/anything, but the input has no ConfigMap in namespace "shop" to check it against'],
    ]);
    // Class defaults live in mizzen's namespace: a bad one there speaks for every Gateway of the class.
    const defaults = cm('defaults', { service: 'spec:\n  ports: [{name: x}]' }, { ns: 'mizzen-system', labels: { 'gateway.istio.io/defaults-for-class': 'istio' } });
    const elsewhere = { ...defaults, metadata: { ...defaults.metadata, namespace: 'default' } } as KubeObject;
    const mz21 = (objs: KubeObject[]) => analyze([...base(), gateway('edge', [HTTP]), ...objs]).filter((f) => f.code === 'MZ0021').map((f) => f.message);
    expect(mz21([defaults])).to.deep.equal([`${prefix}ConfigMap mizzen-system/defaults, key service: spec.ports[0]: has no port, the key this list merges by`]);
    expect(mz21([elsewhere]), 'the label outside mizzen-system').to.deep.equal([]);
  });

  it('MZ0020 messages say what selects the gateway workloads and what to do', async () => {
    const found = analyze([...bookinfo(), productpage, svc('ingress', { ns: 'istio-system', selector: { istio: 'ingressgateway' } }), gateway('edge', [HTTP], { addresses: [{ type: 'Hostname', value: 'ingress.istio-system' }] })]);
    const todo = (name: string): string => `mizzen deploys none unless \`mizzen serve --deploy-gateways\` runs: deploy one with the label ${GATEWAY_NAME_LABEL}=${name}, or name an existing gateway Service in spec.addresses (type Hostname)`;
    expect(found.map((f) => [f.resource.name, f.path, f.message])).to.deep.equal([
      ['bookinfo-gateway', undefined, `No workload in the input would serve this Gateway: no workload has the label ${GATEWAY_NAME_LABEL}=bookinfo-gateway and spec.addresses names no Service with a selector. ${todo('bookinfo-gateway')}`],
      ['edge', 'spec.addresses[0]', `No workload in the input would serve this Gateway: no workload matches the selector istio=ingressgateway of Service "istio-system/ingress" that spec.addresses names. ${todo('edge')}`],
    ]);
  });

  it('analyzeObject (the webhook) reports on the object applied, against the world', async () => {
    const world = [...bookinfo(), productpage];
    expect(analyzeObject(http('r', toReviews([{ name: 'bookinfo-gateway', sectionName: 'https' }])), world).map(leveled)).to.deep.equal(['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]']);
    expect(analyzeObject(http('r', { parentRefs: [{ name: 'bookinfo-gateway' }], rules: [{ backendRefs: [{ name: 'productpage', port: 9080 }] }] }), world).map(leveled)).to.deep.equal([]);
    expect(analyzeObject(gateway('edge', [HTTP, TCP, UDP]), world).map(leveled)).to.deep.equal(['Warning MZ0019 Gateway default/edge spec.listeners[2]', 'Info MZ0020 Gateway default/edge']);
    expect(analyzeObject(tcpRoute('c', toReviews([{ name: 'bookinfo-gateway' }])), world).map(leveled)).to.deep.equal(['Warning MZ0016 TCPRoute default/c spec.parentRefs[0]']);
    expect(analyzeObject(gateway('edge', [HTTP]), [...world, gatewayPod('edge')]).map(leveled)).to.deep.equal([]);
  });
});

describe('mizzen analyze over the Bookinfo Gateway API sample', () => {
  const SAMPLE = `apiVersion: v1
kind: Service
metadata: {name: productpage, namespace: bookinfo}
spec: {selector: {app: productpage}, ports: [{port: 9080, name: http}]}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: productpage-v1, namespace: bookinfo}
spec:
  selector: {matchLabels: {app: productpage}}
  template: {metadata: {labels: {app: productpage}}, spec: {containers: [{name: productpage, image: productpage}]}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: bookinfo-gateway, namespace: bookinfo}
spec:
  gatewayClassName: istio
  listeners:
  - {name: http, port: 80, protocol: HTTP, allowedRoutes: {namespaces: {from: Same}}}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bookinfo, namespace: bookinfo}
spec:
  parentRefs: [{name: bookinfo-gateway}]
  rules:
  - matches: [{path: {type: Exact, value: /productpage}}, {path: {type: PathPrefix, value: /static}}]
    backendRefs: [{name: productpage, port: 9080}]
`;

  it('says only that no workload serves the Gateway, and exits 0', async () => {
    const dir = scratchDir('mizzen-gateway-api-gateways-');
    const file = join(dir, 'bookinfo.yaml');
    writeFileSync(file, SAMPLE);
    const r = await captureOutput(() => run([file]));
    expect(r.err).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.out.trim().split('\n')).to.deep.equal([
      `Info [MZ0020] (Gateway bookinfo/bookinfo-gateway ${file}#2) No workload in the input would serve this Gateway: no workload has the label ${GATEWAY_NAME_LABEL}=bookinfo-gateway and spec.addresses names no Service with a selector. mizzen deploys none unless \`mizzen serve --deploy-gateways\` runs: deploy one with the label ${GATEWAY_NAME_LABEL}=bookinfo-gateway, or name an existing gateway Service in spec.addresses (type Hostname)`,
      '0 error(s), 0 warning(s), 1 info in 4 document(s) in 1 file(s)',
    ]);
  });
});
