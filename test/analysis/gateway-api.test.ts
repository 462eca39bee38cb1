/**
 * `mizzen analyze` over Gateway API routes for mesh traffic (HTTPRoute / GRPCRoute / TLSRoute / TCPRoute attached to
 * a Service):
 * IST0101 / MZ0003 for missing Services and ports, MZ0016 unserved parents, MZ0017 invalid backends,
 * MZ0018 filters not applied. Each row: these objects analyzed together give exactly these findings
 * (`Level CODE Kind ns/name path`), then the same through analyzeObject and through the CLI over a file.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { analyze, analyzeObject, CODES } from '../../src/analysis/index.js';
import { run } from '../../src/cmd/analyze.js';
import type { KubeObject } from '../../src/core/kube.js';
import { captureOutput } from '../support/cli.js';
import { scratchDir } from '../support/tmp.js';
import { describeTable, leveled, se, svc, type Case } from './fixtures.js';

const GW = 'gateway.networking.k8s.io';

const gwRoute = (kind: 'HTTPRoute' | 'GRPCRoute' | 'TLSRoute' | 'TCPRoute', name: string, spec: unknown, opts: { ns?: string; version?: string } = {}): KubeObject =>
  ({ apiVersion: `${GW}/${opts.version ?? 'v1'}`, kind, metadata: { name, namespace: opts.ns ?? 'default' }, spec }) as KubeObject;
const http = (name: string, spec: unknown, opts: { ns?: string; version?: string } = {}): KubeObject => gwRoute('HTTPRoute', name, spec, opts);
const grpc = (name: string, spec: unknown, opts: { ns?: string; version?: string } = {}): KubeObject => gwRoute('GRPCRoute', name, spec, opts);
const tls = (name: string, spec: unknown, opts: { ns?: string; version?: string } = {}): KubeObject => gwRoute('TLSRoute', name, spec, opts);
/** TCPRoutes are served in the experimental channel only, at v1alpha2. */
const tcp = (name: string, spec: unknown, opts: { ns?: string; version?: string } = {}): KubeObject => gwRoute('TCPRoute', name, spec, { version: 'v1alpha2', ...opts });

/** A parentRef to a core Service. */
const parent = (name: string, extra: Record<string, unknown> = {}): Record<string, unknown> => ({ group: '', kind: 'Service', name, ...extra });
/** A route spec: one Service parent (reviews), one rule with these backendRefs and filters. */
const rule = (backendRefs: unknown[], filters?: unknown[], parents: unknown[] = [parent('reviews')]): Record<string, unknown> => ({
  parentRefs: parents,
  rules: [{ backendRefs, ...(filters ? { filters } : {}) }],
});

const grant = (namespace: string, from: Array<{ kind: string; namespace: string }>, to: Array<Record<string, unknown>> = [{ group: '', kind: 'Service' }], version = 'v1beta1'): KubeObject => ({
  apiVersion: `${GW}/${version}`,
  kind: 'ReferenceGrant',
  metadata: { name: 'allow', namespace },
  spec: { from: from.map((f) => ({ group: GW, ...f })), to },
});

/** reviews (9080) and ratings (9080, 9090) in default, db (5432) in data. */
const base = (): KubeObject[] => [svc('reviews'), svc('ratings', { ports: [9080, 9090] }), svc('db', { ns: 'data', ports: [5432] })];

const mirror = (backendRef: unknown): Record<string, unknown> => ({ type: 'RequestMirror', requestMirror: { backendRef } });
const header = { type: 'RequestHeaderModifier', requestHeaderModifier: { set: [{ name: 'x-a', value: '1' }] } };

const B0 = 'spec.rules[0].backendRefs[0]';
const B1 = 'spec.rules[0].backendRefs[1]';

const table: Record<string, Case[]> = {
  'clean routes': [
    { name: 'Service parent and backend with port, same namespace', objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080 }]))], expect: [] },
    { name: 'explicit group "" and kind Service on the backend, weights', objects: [...base(), http('r', rule([{ group: '', kind: 'Service', name: 'reviews', port: 9080, weight: 90 }, { name: 'ratings', port: 9090, weight: 10 }]))], expect: [] },
    { name: 'GRPCRoute v1', objects: [...base(), grpc('g', rule([{ name: 'ratings', port: 9090 }]))], expect: [] },
    { name: 'HTTPRoute v1beta1 and GRPCRoute v1alpha2', objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080 }]), { version: 'v1beta1' }), grpc('g', rule([{ name: 'reviews', port: 9080 }]), { version: 'v1alpha2' })], expect: [] },
    { name: 'parent Service in another namespace (a consumer route), with a port', objects: [...base(), http('r', rule([{ name: 'db', namespace: 'data', port: 5432 }], undefined, [parent('db', { namespace: 'data', port: 5432 })]), { ns: 'data' })], expect: [] },
    { name: 'a port written as a numeric string', objects: [...base(), http('r', rule([{ name: 'reviews', port: '9080' }]))], expect: [] },
    { name: 'a backend whose host a ServiceEntry serves', objects: [...base(), se('legacy', ['legacy.default.svc.cluster.local'], { ports: [{ number: 8080, name: 'http', protocol: 'HTTP' }] }), http('r', rule([{ name: 'legacy', port: 8080 }]))], expect: [] },
    { name: 'a TCPRoute (v1alpha2) to a Service port', objects: [...base(), tcp('c', rule([{ name: 'db', namespace: 'data', port: 5432 }], undefined, [parent('db', { namespace: 'data', port: 5432 })]), { ns: 'data' })], expect: [] },
    {
      name: 'a TLSRoute with hostnames (by SNI) and one without (tcp routes), weights',
      objects: [...base(), tls('t', { ...rule([{ name: 'reviews', port: 9080, weight: 3 }, { name: 'ratings', port: 9090, weight: 1 }]), hostnames: ['reviews.example.com'] }), tls('u', rule([{ name: 'ratings', port: 9090 }]), { version: 'v1alpha2' })],
      expect: [],
    },
    { name: 'a route of another API group named HTTPRoute is not read', objects: [{ apiVersion: 'example.com/v1', kind: 'HTTPRoute', metadata: { name: 'x', namespace: 'default' }, spec: rule([{ kind: 'Bucket', name: 'b' }], undefined, [{ name: 'gw' }]) }], expect: [] },
  ],
  'parentRefs (MZ0016, IST0101, MZ0003)': [
    { name: 'a Service parent port or sectionName the Service has not attaches nowhere (its rules are not checked)', objects: [...base(), http('p', rule([{ name: 'nope', port: 9080 }], undefined, [parent('reviews', { port: 1234 })])), http('s', rule([{ name: 'reviews', port: 9080 }], undefined, [parent('ratings', { sectionName: 'grpc' })]))], expect: ['Warning MZ0016 HTTPRoute default/p spec.parentRefs[0]', 'Warning MZ0016 HTTPRoute default/s spec.parentRefs[0]'] },
    { name: 'a Service parent port or sectionName the Service has: attached', objects: [...base(), http('p', rule([{ name: 'reviews', port: 9080 }], undefined, [parent('ratings', { port: 9090 }), parent('reviews', { sectionName: 'http' })]))], expect: [] },
    {
      name: 'default parent is a Gateway API Gateway the input lacks, with no Gateways in that namespace: unverified, its rules not checked',
      objects: [...base(), http('r', { parentRefs: [{ name: 'edge' }], rules: [{ backendRefs: [{ kind: 'Bucket', name: 'nope' }], filters: [{ type: 'ExtensionRef' }] }] })],
      expect: ['Warning MZ0003 HTTPRoute default/r spec.parentRefs[0].name'],
    },
    { name: 'Service parent missing where the namespace has Services', objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080 }], undefined, [parent('reveiws')]))], expect: ['Error IST0101 HTTPRoute default/r spec.parentRefs[0].name'] },
    { name: 'a TCPRoute\'s Service parent missing', objects: [...base(), tcp('c', rule([{ name: 'reviews', port: 9080 }], undefined, [parent('reveiws')]))], expect: ['Error IST0101 TCPRoute default/c spec.parentRefs[0].name'] },
    { name: 'a TLSRoute of another API group is not read', objects: [{ apiVersion: 'example.com/v1', kind: 'TLSRoute', metadata: { name: 'x', namespace: 'default' }, spec: rule([{ name: 'nope', port: 1 }]) } as KubeObject], expect: [] },
    { name: 'Service parent in a namespace the input does not describe: unverified', objects: [...base(), grpc('g', rule([{ name: 'reviews', port: 9080 }], undefined, [parent('api', { namespace: 'elsewhere' })]))], expect: ['Warning MZ0003 GRPCRoute default/g spec.parentRefs[0].name'] },
    {
      name: 'a Service and a Gateway parent: the Service one is served, the Gateway one is unverified',
      objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080 }], undefined, [parent('reviews'), { group: GW, kind: 'Gateway', name: 'edge', namespace: 'infra' }]))],
      expect: ['Warning MZ0003 HTTPRoute default/r spec.parentRefs[1].name'],
    },
    { name: 'kind Service without group "" is not a core Service', objects: [...base(), http('r', rule([], undefined, [{ kind: 'Service', name: 'reviews' }]))], expect: ['Warning MZ0016 HTTPRoute default/r spec.parentRefs[0]'] },
    { name: 'an Istio ServiceEntry parent the input lacks, with no ServiceEntries in its namespace', objects: [...base(), http('r', rule([], undefined, [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'ext' }]))], expect: ['Warning MZ0003 HTTPRoute default/r spec.parentRefs[0].name'] },
    {
      name: 'an Istio ServiceEntry parent: attached when the input has it, IST0101 when its namespace has others',
      objects: [
        ...base(),
        { apiVersion: 'networking.istio.io/v1', kind: 'ServiceEntry', metadata: { name: 'ext', namespace: 'default' }, spec: { hosts: ['api.example.com'], ports: [{ number: 443, name: 'https', protocol: 'TLS' }], resolution: 'DNS' } },
        http('r', rule([], undefined, [{ group: 'networking.istio.io', kind: 'ServiceEntry', name: 'ext' }, { group: 'networking.istio.io', kind: 'ServiceEntry', name: 'gone' }])),
      ],
      expect: ['Error IST0101 HTTPRoute default/r spec.parentRefs[1].name'],
    },
    {
      name: 'an Istio Gateway does not stand in for a Gateway API Gateway of its name',
      objects: [...base(), { apiVersion: 'networking.istio.io/v1', kind: 'Gateway', metadata: { name: 'edge', namespace: 'default' }, spec: { selector: { istio: 'ingressgateway' } } }, http('r', rule([], undefined, [{ name: 'edge' }]))],
      expect: ['Warning MZ0003 HTTPRoute default/r spec.parentRefs[0].name', 'Info MZ0005 Gateway default/edge spec.selector'],
    },
  ],
  'backendRefs (MZ0017, IST0101, MZ0003)': [
    { name: 'a backend of another kind', objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080 }, { group: 'networking.istio.io', kind: 'ServiceEntry', name: 'ext', port: 443 }]))], expect: [`Warning MZ0017 HTTPRoute default/r ${B1}`] },
    { name: 'a backend without a port (and one whose port is not a port)', objects: [...base(), grpc('g', rule([{ name: 'reviews' }, { name: 'ratings', port: 'http' }]))], expect: [`Warning MZ0017 GRPCRoute default/g ${B0}`, `Warning MZ0017 GRPCRoute default/g ${B1}`] },
    { name: 'a port the Service does not expose', objects: [...base(), http('r', rule([{ name: 'ratings', port: 9091 }]))], expect: [`Error IST0101 HTTPRoute default/r ${B0}.port`] },
    { name: 'a Service whose ports are not numbers exposes none', objects: [{ apiVersion: 'v1', kind: 'Service', metadata: { name: 'bare', namespace: 'default' }, spec: { ports: [{ port: 'http', name: 'http' }] } }, http('r', rule([{ name: 'bare', port: 80 }], undefined, [parent('bare')]))], expect: [`Error IST0101 HTTPRoute default/r ${B0}.port`] },
    {
      name: 'a wildcard ServiceEntry host does not serve a Service name; a Service\'s ports win over a ServiceEntry of its host',
      objects: [...base(), se('wild', ['*.default.svc.cluster.local'], { ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] }), se('shadow', ['reviews.default.svc.cluster.local'], { ports: [{ number: 80, name: 'http', protocol: 'HTTP' }] }), http('r', rule([{ name: 'ghost', port: 80 }, { name: 'reviews', port: 80 }]))],
      expect: [`Error IST0101 HTTPRoute default/r ${B0}.name`, `Error IST0101 HTTPRoute default/r ${B1}.port`],
    },
    {
      name: 'a backend that gets no traffic (weight 0) is not MZ0017, but a missing Service still is IST0101',
      objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080 }, { name: 'gone', weight: 0 }, { kind: 'Bucket', name: 'b', weight: 0, filters: [{ type: 'CORS' }] }]))],
      expect: [`Error IST0101 HTTPRoute default/r ${B1}.name`],
    },
    {
      name: 'the backends of a redirecting rule get no traffic: not MZ0017',
      objects: [...base(), http('r', rule([{ name: 'db', namespace: 'data' }, { name: 'gone', port: 1 }], [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }]))],
      expect: [`Error IST0101 HTTPRoute default/r ${B1}.name`],
    },
    { name: 'a Service the input lacks', objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080 }, { name: 'ratingz', port: 9080 }]))], expect: [`Error IST0101 HTTPRoute default/r ${B1}.name`] },
    { name: 'a TLSRoute attached to a Service, to a backend Service the input lacks', objects: [...base(), tls('t', { ...rule([{ name: 'ratingz', port: 9080 }]), hostnames: ['reviews.example.com'] })], expect: [`Error IST0101 TLSRoute default/t ${B0}.name`] },
    { name: 'a TCPRoute to a port the Service does not expose, and to a backend of another kind', objects: [...base(), tcp('c', rule([{ name: 'ratings', port: 5432 }, { kind: 'Bucket', name: 'b', port: 1 }]))], expect: [`Error IST0101 TCPRoute default/c ${B0}.port`, `Warning MZ0017 TCPRoute default/c ${B1}`] },
    { name: 'a TCPRoute backend that gets no traffic (weight 0) is not MZ0017', objects: [...base(), tcp('c', rule([{ name: 'reviews', port: 9080 }, { name: 'ratings', weight: 0 }]))], expect: [] },
    { name: 'a missing Service without a port: both said', objects: [...base(), http('r', rule([{ name: 'ratingz' }]))], expect: [`Warning MZ0017 HTTPRoute default/r ${B0}`, `Error IST0101 HTTPRoute default/r ${B0}.name`] },
    { name: 'cross-namespace backend allowed by a ReferenceGrant', objects: [...base(), grant('data', [{ kind: 'HTTPRoute', namespace: 'default' }]), http('r', rule([{ name: 'db', namespace: 'data', port: 5432 }]))], expect: [] },
    { name: 'the same backend without the ReferenceGrant', objects: [...base(), http('r', rule([{ name: 'db', namespace: 'data', port: 5432 }]))], expect: [`Warning MZ0017 HTTPRoute default/r ${B0}`] },
    { name: 'a cross-namespace TCPRoute backend: MZ0017 without a ReferenceGrant', objects: [...base(), tcp('c', rule([{ name: 'db', namespace: 'data', port: 5432 }]))], expect: [`Warning MZ0017 TCPRoute default/c ${B0}`] },
    { name: 'a ReferenceGrant from TCPRoutes allows a TCPRoute', objects: [...base(), grant('data', [{ kind: 'TCPRoute', namespace: 'default' }]), tcp('c', rule([{ name: 'db', namespace: 'data', port: 5432 }]))], expect: [] },
    { name: 'a ReferenceGrant from TLSRoutes does not allow a TCPRoute', objects: [...base(), grant('data', [{ kind: 'TLSRoute', namespace: 'default' }]), tcp('c', rule([{ name: 'db', namespace: 'data', port: 5432 }])), tls('t', rule([{ name: 'db', namespace: 'data', port: 5432 }]))], expect: [`Warning MZ0017 TCPRoute default/c ${B0}`] },
    { name: 'a ReferenceGrant (v1) for the named Service', objects: [...base(), grant('data', [{ kind: 'GRPCRoute', namespace: 'default' }], [{ group: '', kind: 'Service', name: 'db' }], 'v1'), grpc('g', rule([{ name: 'db', namespace: 'data', port: 5432 }]))], expect: [] },
    {
      name: 'ReferenceGrants that do not allow it: another route kind, another Service name, the route namespace instead of the target\'s',
      objects: [
        ...base(),
        grant('data', [{ kind: 'GRPCRoute', namespace: 'default' }]),
        { ...grant('data', [{ kind: 'HTTPRoute', namespace: 'default' }], [{ group: '', kind: 'Service', name: 'cache' }]), metadata: { name: 'cache-only', namespace: 'data' } },
        grant('default', [{ kind: 'HTTPRoute', namespace: 'default' }]),
        http('r', rule([{ name: 'db', namespace: 'data', port: 5432 }])),
      ],
      expect: [`Warning MZ0017 HTTPRoute default/r ${B0}`],
    },
    {
      name: 'a granted backend in a namespace the input has no Services in: unverified',
      objects: [...base(), grant('cache', [{ kind: 'HTTPRoute', namespace: 'default' }]), http('r', rule([{ name: 'redis', namespace: 'cache', port: 6379 }]))],
      expect: [`Warning MZ0003 HTTPRoute default/r ${B0}.name`],
    },
  ],
  'RequestMirror backendRefs': [
    { name: 'a mirror to a Service with a port', objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080 }], [mirror({ name: 'ratings', port: 9080 })]))], expect: [] },
    { name: 'a mirror to a Service the input lacks', objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080 }], [header, mirror({ name: 'shadow', port: 9080 })]))], expect: ['Error IST0101 HTTPRoute default/r spec.rules[0].filters[1].requestMirror.backendRef.name'] },
    { name: 'a mirror of another kind, and one without a port (GRPCRoute)', objects: [...base(), grpc('g', rule([{ name: 'reviews', port: 9080 }], [mirror({ kind: 'Bucket', name: 'x' }), mirror({ name: 'ratings' })]))], expect: ['Warning MZ0017 GRPCRoute default/g spec.rules[0].filters[0].requestMirror.backendRef', 'Warning MZ0017 GRPCRoute default/g spec.rules[0].filters[1].requestMirror.backendRef'] },
    { name: 'a mirror to a port the Service does not expose', objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080 }], [mirror({ name: 'reviews', port: 1 })]))], expect: ['Error IST0101 HTTPRoute default/r spec.rules[0].filters[0].requestMirror.backendRef.port'] },
  ],
  'filters (MZ0018)': [
    {
      name: 'every HTTPRoute filter mizzen applies',
      objects: [
        ...base(),
        http(
          'r',
          rule(
            [{ name: 'reviews', port: 9080, filters: [header, { type: 'ResponseHeaderModifier', responseHeaderModifier: { remove: ['x-b'] } }] }],
            [header, { type: 'ResponseHeaderModifier' }, { type: 'URLRewrite', urlRewrite: { path: { type: 'ReplacePrefixMatch', replacePrefixMatch: '/' } } }, mirror({ name: 'ratings', port: 9080 })],
          ),
        ),
        http('redirect', rule([], [{ type: 'RequestRedirect', requestRedirect: { scheme: 'https' } }])),
      ],
      expect: [],
    },
    { name: 'ExtensionRef on an HTTPRoute rule (CORS is applied)', objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080 }], [header, { type: 'ExtensionRef', extensionRef: { group: 'x', kind: 'Y', name: 'z' } }, { type: 'CORS' }]))], expect: ['Warning MZ0018 HTTPRoute default/r spec.rules[0].filters[1]'] },
    { name: 'CORS on a GRPCRoute rule', objects: [...base(), grpc('g', rule([{ name: 'reviews', port: 9080 }], [{ type: 'CORS' }]))], expect: ['Warning MZ0018 GRPCRoute default/g spec.rules[0].filters[0]'] },
    { name: 'URLRewrite and RequestRedirect are not applied on a GRPCRoute', objects: [...base(), grpc('g', rule([{ name: 'reviews', port: 9080 }], [{ type: 'URLRewrite' }, { type: 'RequestRedirect' }, header]))], expect: ['Warning MZ0018 GRPCRoute default/g spec.rules[0].filters[0]', 'Warning MZ0018 GRPCRoute default/g spec.rules[0].filters[1]'] },
    {
      name: 'TLSRoutes and TCPRoutes take no filters: any on a rule (a mirror\'s backend not checked), any on a backendRef',
      objects: [
        ...base(),
        tcp('c', rule([{ name: 'reviews', port: 9080, filters: [header, { type: 'CORS' }] }], [header, mirror({ name: 'shadow', port: 1 })])),
        tls('t', rule([{ name: 'reviews', port: 9080, weight: 0, filters: [{ type: 'CORS' }] }], [{ type: 'ExtensionRef' }])),
      ],
      expect: [
        'Warning MZ0018 TCPRoute default/c spec.rules[0].filters[0]',
        'Warning MZ0018 TCPRoute default/c spec.rules[0].filters[1]',
        `Warning MZ0018 TCPRoute default/c ${B0}.filters[0]`,
        `Warning MZ0018 TCPRoute default/c ${B0}.filters[1]`,
        'Warning MZ0018 TLSRoute default/t spec.rules[0].filters[0]',
      ],
    },
    {
      name: 'a backendRef filter other than the header modifiers (its mirror is not checked)',
      objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080, filters: [header, mirror({ name: 'shadow', port: 1 })] }]))],
      expect: [`Warning MZ0018 HTTPRoute default/r ${B0}.filters[1]`],
    },
  ],
  'malformed shapes: no throw, fewer findings': [
    { name: 'spec null, spec a string, no spec', objects: [...base(), http('a', null), grpc('b', 'routes'), http('c', undefined)], expect: [] },
    { name: 'parentRefs not a list: not served, nothing checked', objects: [...base(), http('a', { parentRefs: parent('reviews'), rules: [{ backendRefs: [{ name: 'nope' }] }] }), http('b', { parentRefs: 'reviews' })], expect: [] },
    {
      name: 'numbers where strings belong: a nameless parent is skipped but the next keeps its index',
      objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080 }], undefined, [{ group: '', kind: 'Service', name: 42 }, null, 'x', parent('gone')]))],
      expect: ['Error IST0101 HTTPRoute default/r spec.parentRefs[3].name'],
    },
    {
      name: 'rules, backendRefs and filters of the wrong shapes',
      objects: [
        ...base(),
        http('a', { parentRefs: [parent('reviews')], rules: { backendRefs: [{ name: 'nope' }] } }),
        http('b', { parentRefs: [parent('reviews')], rules: [null, 3, 'x', { backendRefs: { name: 'nope' }, filters: 'ExtensionRef' }] }),
        http('c', rule([null, 7, { name: 99, port: 9080 }, { name: 'reviews', port: 9080, filters: { type: 'CORS' } }], [{ type: 'RequestMirror' }, { type: 'RequestMirror', requestMirror: null }, mirror(null), mirror({ name: 7, port: 1 })])),
      ],
      expect: [],
    },
    {
      // The conversion finds no such type among those it applies: the rule (or the backend's share) answers 500.
      name: 'filters without a type, or with a number for one, are not applied',
      objects: [...base(), http('r', rule([{ name: 'reviews', port: 9080, filters: [{ type: 7 }] }], [null, { type: 5 }, header]))],
      expect: ['Warning MZ0018 HTTPRoute default/r spec.rules[0].filters[0]', 'Warning MZ0018 HTTPRoute default/r spec.rules[0].filters[1]', `Warning MZ0018 HTTPRoute default/r ${B0}.filters[0]`],
    },
    { name: 'group and kind as numbers read as their defaults (core Service)', objects: [...base(), http('r', rule([{ group: 1, kind: 2, name: 'reviews', port: 9080 }]))], expect: [] },
    {
      name: 'a ReferenceGrant of the wrong shape allows nothing',
      objects: [...base(), { apiVersion: `${GW}/v1beta1`, kind: 'ReferenceGrant', metadata: { name: 'g', namespace: 'data' }, spec: { from: 3, to: null } } as KubeObject, { ...grant('data', []), spec: null } as KubeObject, http('r', rule([{ name: 'db', namespace: 'data', port: 5432 }]))],
      expect: [`Warning MZ0017 HTTPRoute default/r ${B0}`],
    },
    { name: 'a route without metadata is not analyzed', objects: [...base(), { apiVersion: `${GW}/v1`, kind: 'HTTPRoute', spec: rule([{ name: 'nope' }]) } as unknown as KubeObject], expect: [] },
  ],
};

describeTable('analysis: Gateway API routes (IST0101, MZ0003, MZ0016, MZ0017, MZ0018): the table', table, leveled);

describe('analysis: Gateway API routes (IST0101, MZ0003, MZ0016, MZ0017, MZ0018)', () => {

  it('the new codes are in the table with their levels and names', async () => {
    expect([CODES.MZ0016.name, CODES.MZ0016.level]).to.deep.equal(['GatewayRouteParentNotServed', 'Warning']);
    expect([CODES.MZ0017.name, CODES.MZ0017.level]).to.deep.equal(['GatewayRouteBackendInvalid', 'Warning']);
    expect([CODES.MZ0018.name, CODES.MZ0018.level]).to.deep.equal(['GatewayRouteFilterNotApplied', 'Warning']);
  });

  it('messages name what is wrong and what follows', async () => {
    const found = analyze([...base(), http('r', rule([{ name: 'db', namespace: 'data' }, { name: 'ratings', port: 1, filters: [mirror({ name: 'ratings', port: 9080 })] }], [{ type: 'ExtensionRef' }, mirror({ kind: 'Bucket', name: 'b' })], [parent('reviews'), { name: 'edge' }]))]);
    const messages = Object.fromEntries(found.map((f) => [f.path, f.message]));
    expect(messages).to.deep.equal({
      'spec.parentRefs[1].name': 'Referenced parent Gateway not found: "default/edge"; the input has no Gateway API Gateways in namespace "default" to check it against',
      [B0]: 'backendRef Service "data/db" has no port and is in namespace "data", where no ReferenceGrant allows HTTPRoutes of namespace "default" to refer to it: its share of the traffic answers 500',
      [`${B1}.port`]: 'Referenced backend Service port not found: "default/ratings:1"',
      'spec.rules[0].filters[0]': 'HTTPRoute rule filter of type ExtensionRef is not applied by mizzen (it applies RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, CORS): the requests this rule matches answer 500',
      'spec.rules[0].filters[1].requestMirror.backendRef': 'mirror backend Bucket "default/b" is not a core Service or an Istio Hostname without a namespace: nothing is mirrored to it',
      [`${B1}.filters[0]`]: 'backendRef filter of type RequestMirror is not applied by mizzen (it applies RequestHeaderModifier, ResponseHeaderModifier there): its share of the traffic answers 500',
    });
  });

  it('messages on TLSRoutes and TCPRoutes say what happens to their connections', async () => {
    const found = analyze([...base(), tcp('c', rule([{ name: 'db', namespace: 'data', port: 5432, filters: [header, { type: 'CORS' }] }], [{ type: 'ExtensionRef' }]))]);
    const messages = Object.fromEntries(found.map((f) => [f.path, f.message]));
    expect(messages).to.deep.equal({
      [B0]: 'backendRef Service "data/db" is in namespace "data", where no ReferenceGrant allows TCPRoutes of namespace "default" to refer to it: its share of the connections fails',
      'spec.rules[0].filters[0]': 'TCPRoute rule filter of type ExtensionRef is not applied by mizzen (it applies none on TCPRoutes): the rule routes as if it had no filters',
      [`${B0}.filters[0]`]: 'backendRef filter of type RequestHeaderModifier is not applied by mizzen (it applies none on TCPRoutes): it is ignored',
      [`${B0}.filters[1]`]: 'backendRef filter of type CORS is not applied by mizzen (it applies none on TCPRoutes): its share of the connections fails',
    });
  });

  it('analyzeObject (the webhook) reports on the route applied, against the world', async () => {
    const world = [...base(), grant('data', [{ kind: 'HTTPRoute', namespace: 'default' }]), http('old', rule([{ name: 'nope', port: 1 }]))];
    expect(analyzeObject(http('r', rule([{ name: 'db', namespace: 'data', port: 5432 }])), world).map(leveled)).to.deep.equal([]);
    expect(analyzeObject(grpc('g', rule([{ name: 'db', namespace: 'data', port: 5432 }])), world).map(leveled)).to.deep.equal([`Warning MZ0017 GRPCRoute default/g ${B0}`]);
    expect(analyzeObject(tcp('c', rule([{ name: 'db', namespace: 'data', port: 5432 }])), world).map(leveled)).to.deep.equal([`Warning MZ0017 TCPRoute default/c ${B0}`]);
    expect(analyzeObject(tls('t', rule([{ name: 'nope', port: 1 }])), world).map(leveled)).to.deep.equal([`Error IST0101 TLSRoute default/t ${B0}.name`]);
    expect(analyzeObject(svc('other'), world).map(leveled)).to.deep.equal([]);
  });
});

describe('mizzen analyze over a file with Gateway API routes', () => {
  const ROUTES = `apiVersion: v1
kind: Service
metadata: {name: reviews, namespace: default}
spec: {selector: {app: reviews}, ports: [{port: 9080, name: http}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: ok, namespace: default}
spec:
  parentRefs: [{group: "", kind: Service, name: reviews, port: 9080}]
  rules: [{backendRefs: [{name: reviews, port: 9080}]}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: GRPCRoute
metadata: {name: edge, namespace: default}
spec:
  parentRefs: [{name: ingress}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: {name: ingress, namespace: default}
spec: {gatewayClassName: other-vendor, listeners: [{name: http, port: 80, protocol: HTTP}]}
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: bad, namespace: default}
spec:
  parentRefs: [{group: "", kind: Service, name: reviews}]
  rules:
  - filters: [{type: ExtensionRef, extensionRef: {group: x, kind: Y, name: z}}]
    backendRefs: [{name: reviews}]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: {name: broken, namespace: default}
spec: null
---
apiVersion: gateway.networking.k8s.io/v1alpha2
kind: TCPRoute
metadata: {name: raw, namespace: default}
spec:
  parentRefs: [{group: "", kind: Service, name: reviews}]
  rules: [{backendRefs: [{name: reviews}]}]
---
apiVersion: gateway.networking.k8s.io/v1beta1
kind: ReferenceGrant
metadata: {name: grant, namespace: default}
spec: {from: 3, to: [{kind: 7}]}
`;

  it('reports the findings of the routes, nothing about the documents themselves, and does not fail on Warnings', async () => {
    const dir = scratchDir('mizzen-gateway-api-');
    const file = join(dir, 'routes.yaml');
    writeFileSync(file, ROUTES);
    const r = await captureOutput(() => run([file]));
    expect(r.err).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.out.trim().split('\n')).to.deep.equal([
      `Warning [MZ0016] (GRPCRoute default/edge ${file}#2) spec.parentRefs[0]: parentRef Gateway.gateway.networking.k8s.io "default/ingress" is not served: its gatewayClassName is "other-vendor"; mizzen serves Gateways of class istio only`,
      `Warning [MZ0017] (HTTPRoute default/bad ${file}#4) spec.rules[0].backendRefs[0]: backendRef Service "default/reviews" has no port: its share of the traffic answers 500`,
      `Warning [MZ0018] (HTTPRoute default/bad ${file}#4) spec.rules[0].filters[0]: HTTPRoute rule filter of type ExtensionRef is not applied by mizzen (it applies RequestHeaderModifier, ResponseHeaderModifier, RequestRedirect, URLRewrite, RequestMirror, CORS): the requests this rule matches answer 500`,
      `Warning [MZ0017] (TCPRoute default/raw ${file}#6) spec.rules[0].backendRefs[0]: backendRef Service "default/reviews" has no port: its share of the connections fails`,
      '0 error(s), 4 warning(s), 0 info in 8 document(s) in 1 file(s)',
    ]);
  });
});
