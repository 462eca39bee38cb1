/**
 * The mesh config's rootNamespace in the xDS generators: a resource without a selector in the root namespace is the
 * mesh's, for every workload of every namespace. Unset, the roots are istio-system and mizzen-system; set, the one
 * it names alone, as in Istio. Each consumer is checked for a sidecar of Bookinfo (default) and one of another
 * namespace (shop), with the mesh config unset and set, and with a snapshot whose lists the unset one shares (so
 * that a memo keyed without the root namespaces would answer wrong).
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import type { Snapshot } from '../../../src/model/types.js';
import type { Proxy } from '../../../src/model/proxy.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { mtlsMode } from '../../../src/xds/gen/peer-auth.js';
import { inboundAuthz } from '../../../src/xds/gen/authz.js';
import { inboundJwt } from '../../../src/xds/gen/jwt.js';
import { WASM_FILTER_PREFIX } from '../../../src/xds/gen/wasm.js';
import { selectedFilters } from '../../../src/xds/gen/envoyfilter/patches.js';
import { proxySidecar } from '../../../src/xds/gen/sidecar-scope.js';
import { destinationRuleFor, proxyLabels } from '../../../src/xds/gen/context.js';
import { GATEWAY, REVIEWS_V1, bookinfo, expectValid, proxy } from './helpers.js';

const ROOT = 'mesh-admin';
const REVIEWS = 'reviews.default.svc.cluster.local';
const JWKS = '{"keys":[{"kty":"RSA","e":"AQAB","n":"abc","kid":"k1"}]}';

/** A sidecar of Bookinfo's reviews (default), and one of another namespace whose labels come from its node. */
const SIDECARS: Array<{ at: string; proxy: Proxy }> = [
  { at: 'default', proxy: proxy(REVIEWS_V1) },
  { at: 'shop', proxy: proxy('sidecar~10.244.9.9~cart-v1-abc.shop~shop.svc.cluster.local', { LABELS: { app: 'cart' } }) },
];

let age = 0;
function obj(apiVersion: string, kind: string, namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  age++;
  return { apiVersion, kind, metadata: { name, namespace, creationTimestamp: `2026-01-01T00:${String(Math.floor(age / 60)).padStart(2, '0')}:${String(age % 60).padStart(2, '0')}Z` }, spec };
}

function snapshotOf(objects: KubeObject[], mesh: Record<string, unknown> = {}): Snapshot {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return buildSnapshot([...bookinfo(), ...objects], snapshotOptions(r.value));
}

/** The snapshot with its lists as they are, under another root namespace (what a memo keyed on a list must tell apart). */
const rerooted = (snap: Snapshot, rootNamespace: string): Snapshot => ({ ...snap, mesh: { ...snap.mesh, rootNamespace } });

const listenerText = (snap: Snapshot, p: Proxy): string => {
  const listeners = generate(snap, p, TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  return JSON.stringify(listeners);
};

/** Each consumer: a mesh-wide resource of the kind in a namespace, and whether it took effect for a proxy. */
const CONSUMERS: Array<{ kind: string; make: (ns: string) => KubeObject; applies: (snap: Snapshot, p: Proxy) => boolean }> = [
  {
    kind: 'PeerAuthentication',
    make: (ns) => obj('security.istio.io/v1', 'PeerAuthentication', ns, 'mesh', { mtls: { mode: 'STRICT' } }),
    applies: (snap, p) => mtlsMode(snap, p.namespace, proxyLabels(snap, p), 9080) === 'STRICT',
  },
  {
    kind: 'AuthorizationPolicy',
    make: (ns) => obj('security.istio.io/v1', 'AuthorizationPolicy', ns, 'mesh', { action: 'DENY', rules: [{ to: [{ operation: { paths: ['/admin'] } }] }] }),
    applies: (snap, p) => inboundAuthz(snap, p).rbac.length > 0,
  },
  {
    kind: 'RequestAuthentication',
    make: (ns) => obj('security.istio.io/v1', 'RequestAuthentication', ns, 'mesh', { jwtRules: [{ issuer: 'https://issuer.example', jwks: JWKS }] }),
    applies: (snap, p) => inboundJwt(snap, p).length > 0,
  },
  {
    kind: 'Telemetry',
    make: (ns) => obj('telemetry.istio.io/v1', 'Telemetry', ns, 'mesh', { accessLogging: [{ providers: [{ name: 'envoy' }] }] }),
    applies: (snap, p) => listenerText(snap, p).includes('"access_log"'),
  },
  {
    kind: 'WasmPlugin',
    make: (ns) => obj('extensions.istio.io/v1alpha1', 'WasmPlugin', ns, 'mesh', { url: 'file:///opt/filters/mesh.wasm' }),
    applies: (snap, p) => listenerText(snap, p).includes(WASM_FILTER_PREFIX),
  },
  {
    kind: 'EnvoyFilter',
    make: (ns) => obj('networking.istio.io/v1alpha3', 'EnvoyFilter', ns, 'mesh', { configPatches: [{ applyTo: 'CLUSTER', patch: { operation: 'ADD', value: { name: 'mesh-extra', type: 'STATIC', connect_timeout: '1s' } } }] }),
    applies: (snap, p) => generate(snap, p, TypeUrls.cluster).some((c) => c.name === 'mesh-extra'),
  },
  {
    kind: 'Sidecar',
    make: (ns) => obj('networking.istio.io/v1', 'Sidecar', ns, 'mesh', { egress: [{ hosts: ['./*'] }] }),
    applies: (snap, p) => proxySidecar(snap, p, () => proxyLabels(snap, p))?.name === 'mesh',
  },
  {
    kind: 'DestinationRule',
    make: (ns) => obj('networking.istio.io/v1', 'DestinationRule', ns, 'mesh', { host: REVIEWS, trafficPolicy: { connectionPool: { tcp: { maxConnections: 7 } } } }),
    applies: (snap, p) => destinationRuleFor(snap, p.namespace, snap.services.get(REVIEWS)!, proxyLabels(snap, p))?.name === 'mesh',
  },
];

/** Whether it applied to each sidecar (default, shop). */
const where = (applies: (snap: Snapshot, p: Proxy) => boolean, snap: Snapshot): boolean[] => SIDECARS.map((s) => applies(snap, s.proxy));

describe('mesh config rootNamespace: mesh-wide resources in the xDS generators', () => {
  for (const { kind, make, applies } of CONSUMERS) {
    describe(kind, () => {
      it('unset: one in istio-system or mizzen-system applies to every workload; one in another namespace to none of another', () => {
        expect(where(applies, snapshotOf([])), 'without one').to.deep.equal([false, false]);
        expect(where(applies, snapshotOf([make('istio-system')]))).to.deep.equal([true, true]);
        expect(where(applies, snapshotOf([make('mizzen-system')]))).to.deep.equal([true, true]);
        expect(where(applies, snapshotOf([make(ROOT)]))).to.deep.equal([false, false]);
      });

      it(`set to ${ROOT}: one there applies to every workload; one in istio-system or mizzen-system no longer does`, () => {
        const mesh = { rootNamespace: ROOT };
        expect(where(applies, snapshotOf([make(ROOT)], mesh))).to.deep.equal([true, true]);
        expect(where(applies, snapshotOf([make('istio-system')], mesh))).to.deep.equal([false, false]);
        expect(where(applies, snapshotOf([make('mizzen-system')], mesh))).to.deep.equal([false, false]);
      });

      it('a snapshot of the same lists under another root namespace gets its own answer, not the one remembered', () => {
        for (const [ns, before] of [[ROOT, false], ['istio-system', true]] as const) {
          const snap = snapshotOf([make(ns)]);
          expect(where(applies, snap), `${ns}, unset`).to.deep.equal([before, before]);
          expect(where(applies, rerooted(snap, ROOT)), `${ns}, set`).to.deep.equal([!before, !before]);
          expect(where(applies, snap), `${ns}, unset again`).to.deep.equal([before, before]);
        }
      });
    });
  }

  it('EnvoyFilter: those of the root namespace set come first among equal priorities, as the root namespaces do', () => {
    const own = obj('networking.istio.io/v1alpha3', 'EnvoyFilter', 'default', 'own', { configPatches: [] });
    const root = obj('networking.istio.io/v1alpha3', 'EnvoyFilter', ROOT, 'root', { configPatches: [] });
    const order = (mesh: Record<string, unknown>) => selectedFilters(snapshotOf([own, root], mesh), SIDECARS[0]!.proxy).map((f) => `${f.namespace}/${f.name}`);
    expect(order({})).to.deep.equal(['default/own']);
    expect(order({ rootNamespace: ROOT })).to.deep.equal([`${ROOT}/root`, 'default/own']);
  });
});

describe('DestinationRule lookup and the root namespace, as istiod orders it', () => {
  const dr = (ns: string, name: string, spec: Record<string, unknown> = {}) => obj('networking.istio.io/v1', 'DestinationRule', ns, name, { host: REVIEWS, ...spec });
  const ruleFor = (objects: KubeObject[], proxyNamespace: string, mesh: Record<string, unknown> = {}) => {
    const snap = snapshotOf(objects, mesh);
    return destinationRuleFor(snap, proxyNamespace, snap.services.get(REVIEWS)!)?.name;
  };

  it("consults the proxy's namespace, the service's, then the root namespace; a rule anywhere else is not consulted", () => {
    expect(ruleFor([dr('team', 'elsewhere')], 'shop'), 'another namespace').to.equal(undefined);
    expect(ruleFor([dr('team', 'elsewhere'), dr('istio-system', 'root')], 'shop')).to.equal('root');
    expect(ruleFor([dr('istio-system', 'root'), dr('default', 'service')], 'shop')).to.equal('service');
    expect(ruleFor([dr('istio-system', 'root'), dr('default', 'service'), dr('shop', 'own')], 'shop')).to.equal('own');
    expect(ruleFor([dr('team', 'elsewhere'), dr(ROOT, 'root')], 'shop', { rootNamespace: ROOT })).to.equal('root');
    expect(ruleFor([dr('istio-system', 'istio')], 'shop', { rootNamespace: ROOT }), 'istio-system is no root when another is set').to.equal(undefined);
  });

  it("within a namespace, the most specific host: a wildcard in the proxy's namespace beats the exact host in the service's, the longest wildcard the oldest", () => {
    const wild = (ns: string, name: string, host: string, created: string) => ({ ...obj('networking.istio.io/v1', 'DestinationRule', ns, name, { host }), metadata: { name, namespace: ns, creationTimestamp: created } });
    expect(ruleFor([dr('default', 'exact'), wild('shop', 'shop-wide', '*.svc.cluster.local', '2026-01-01T00:00:00Z')], 'shop')).to.equal('shop-wide');
    const wildcards = [wild('shop', 'broad', '*.cluster.local', '2025-01-01T00:00:00Z'), wild('shop', 'narrow', '*.default.svc.cluster.local', '2026-06-01T00:00:00Z')];
    expect(ruleFor(wildcards, 'shop')).to.equal('narrow');
    expect(ruleFor([...wildcards, dr('shop', 'exact-in-shop')], 'shop')).to.equal('exact-in-shop');
  });

  it('unset, istio-system before mizzen-system', () => {
    expect(ruleFor([dr('mizzen-system', 'mizzen'), dr('istio-system', 'istio')], 'shop')).to.equal('istio');
  });

  it("a proxy in the root namespace takes that namespace's own rules first only when they are exported to it alone", () => {
    // A catch-all rule exported from the root does not shadow the service's own for a gateway there.
    expect(ruleFor([dr(ROOT, 'catch-all'), dr('default', 'service')], ROOT, { rootNamespace: ROOT })).to.equal('service');
    expect(ruleFor([dr(ROOT, 'private', { exportTo: ['.'] }), dr('default', 'service')], ROOT, { rootNamespace: ROOT })).to.equal('private');
    expect(ruleFor([dr(ROOT, 'by-name', { exportTo: [ROOT] }), dr('default', 'service')], ROOT, { rootNamespace: ROOT })).to.equal('by-name');
    expect(ruleFor([dr(ROOT, 'catch-all')], ROOT, { rootNamespace: ROOT }), 'with nothing else, the root rule').to.equal('catch-all');
    // With the default export '.', a rule that sets none is the root's own too.
    expect(ruleFor([dr(ROOT, 'unset'), dr('default', 'service')], ROOT, { rootNamespace: ROOT, defaultDestinationRuleExportTo: ['.'] })).to.equal('unset');
    // Not a root namespace: its own rules come first whatever they export.
    expect(ruleFor([dr(ROOT, 'catch-all'), dr('default', 'service')], ROOT)).to.equal('catch-all');
    expect(ruleFor([dr('istio-system', 'catch-all'), dr('default', 'service')], 'istio-system')).to.equal('service');
  });

  it('the ingress gateway of istio-system: the clusters carry the rule the lookup gives', () => {
    const objects = [dr('istio-system', 'catch-all', { trafficPolicy: { connectionPool: { tcp: { maxConnections: 3 } } } }), dr('default', 'service', { trafficPolicy: { connectionPool: { tcp: { maxConnections: 5 } } } })];
    const maxConnections = (mesh: Record<string, unknown>) => {
      const clusters = generate(snapshotOf(objects, mesh), proxy(GATEWAY), TypeUrls.cluster);
      const c = clusters.find((r) => r.name === `outbound|9080||${REVIEWS}`)!.resource as any;
      return c.circuit_breakers.thresholds[0].max_connections.value;
    };
    expect(maxConnections({})).to.equal(5);
    // istio-system is no root then: the gateway's own namespace comes first.
    expect(maxConnections({ rootNamespace: ROOT })).to.equal(3);
  });
});
