/**
 * ProxyConfig tracing.customTags and maxPathTagLength on connection managers, as istiod applies them: with the mesh
 * config's tracing and with a Telemetry's (whose own customTags replace the ProxyConfig's whole, whose provider's
 * maxTagLength goes first), on sidecars and gateways, from the proxy's PROXY_CONFIG (deciding whole) or the mesh's
 * defaultConfig; and the service name spans carry, the proxy's node cluster.
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate, proxyScope } from '../../../src/xds/gen/index.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { TypeUrls } from '../../../src/core/constants.js';
import type { KubeObject } from '../../../src/core/kube.js';
import type { Snapshot } from '../../../src/model/types.js';
import { parseNode, type Proxy } from '../../../src/model/proxy.js';
import { GATEWAY, PRODUCTPAGE, bookinfo, expectValid, proxy, yamlObjects, ZIPKIN_SERVICE } from './helpers.js';

const HCM = 'envoy.filters.network.http_connection_manager';

const TAGS = {
  team: { literal: { value: 'shop' } },
  zone: { environment: { name: 'ZONE', defaultValue: 'unknown' } },
  user: { header: { name: 'x-user' } },
};
/** The tags above as Envoy gets them, by name. */
const ENVOY_TAGS = {
  team: { tag: 'team', literal: { value: 'shop' } },
  user: { tag: 'user', request_header: { name: 'x-user', default_value: '' } },
  zone: { tag: 'zone', environment: { name: 'ZONE', default_value: 'unknown' } },
};

function snapshot(mesh: Record<string, unknown>, extra: KubeObject[] = []): Snapshot {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...yamlObjects(ZIPKIN_SERVICE), ...extra], snapshotOptions(r.value));
}

/** Every connection manager's tracing (checked against Envoy's protos and rules); never none. */
function tracings(snap: Snapshot, p: Proxy): any[] {
  const listeners = generate(snap, p, TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  const out = listeners
    .flatMap((l: any) => [...(l.resource.filter_chains ?? []), ...(l.resource.default_filter_chain ? [l.resource.default_filter_chain] : [])])
    .flatMap((c: any) => c.filters)
    .filter((f: any) => f.name === HCM)
    .map((f: any) => f.typed_config.tracing);
  expect(out, 'no connection manager').to.not.be.empty;
  return out;
}

/** The custom tags (Istio's own left out) of every connection manager: one list when they all agree. */
function customOf(snap: Snapshot, p: Proxy): unknown[] {
  const all = tracings(snap, p).map((t) => JSON.stringify((t?.custom_tags ?? []).filter((x: any) => !x.tag.startsWith('istio.'))));
  expect(new Set(all).size, 'connection managers disagree').to.equal(1);
  return JSON.parse(all[0]!);
}
const maxOf = (snap: Snapshot, p: Proxy): unknown[] => [...new Set(tracings(snap, p).map((t) => t?.max_path_tag_length?.value))];

let created = 0;
function telemetry(namespace: string, name: string, spec: Record<string, unknown>): KubeObject {
  created++;
  return { apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name, namespace, creationTimestamp: `2026-02-01T00:00:${String(created).padStart(2, '0')}Z` }, spec };
}

const withTags = { defaultConfig: { tracing: { customTags: TAGS, maxPathTagLength: 512 } } };
const ZIPKIN_PROVIDER = { extensionProviders: [{ name: 'zipkin', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411 } }] };

describe('ProxyConfig tracing: customTags and maxPathTagLength on connection managers', () => {
  it("with the mesh config's tracing: defaultConfig's tags after Istio's, sorted, and the path tag length, on sidecars and gateways", () => {
    for (const id of [PRODUCTPAGE, GATEWAY]) {
      const snap = snapshot(withTags);
      expect(customOf(snap, proxy(id)), id).to.deep.equal([ENVOY_TAGS.team, ENVOY_TAGS.user, ENVOY_TAGS.zone]);
      expect(maxOf(snap, proxy(id)), id).to.deep.equal([512]);
      const tags = tracings(snap, proxy(id))[0].custom_tags.map((t: any) => t.tag);
      expect(tags).to.deep.equal([...tags].sort()).and.include('istio.namespace');
    }
  });

  it("enableIstioTags false leaves Istio's own tags out, and keeps the custom ones", () => {
    const snap = snapshot({ defaultConfig: { tracing: { customTags: TAGS, enableIstioTags: false } } });
    for (const id of [PRODUCTPAGE, GATEWAY]) {
      const tags = tracings(snap, proxy(id)).map((t) => (t?.custom_tags ?? []).map((x: any) => x.tag));
      for (const list of tags) expect(list, id).to.deep.equal(['team', 'user', 'zone']);
    }
    const on = tracings(snapshot(withTags), proxy(PRODUCTPAGE))[0].custom_tags.map((t: any) => t.tag);
    expect(on).to.include('istio.canonical_service');
  });

  it('nothing of it without the settings, or when tracing is off', () => {
    const snap = snapshot({});
    expect(customOf(snap, proxy(PRODUCTPAGE))).to.deep.equal([]);
    expect(maxOf(snap, proxy(PRODUCTPAGE))).to.deep.equal([undefined]);
    expect(tracings(snapshot({ ...withTags, enableTracing: false }), proxy(PRODUCTPAGE)).every((t) => t === undefined)).to.equal(true);
  });

  const cases: Array<{ name: string; telemetry: Record<string, unknown>; mesh?: Record<string, unknown>; custom: unknown[]; max: unknown[] }> = [
    { name: 'a Telemetry that names no tags: the ProxyConfig tags', telemetry: { providers: [{ name: 'zipkin' }] }, custom: [ENVOY_TAGS.team, ENVOY_TAGS.user, ENVOY_TAGS.zone], max: [512] },
    { name: "a Telemetry's own tags replace the ProxyConfig's whole", telemetry: { providers: [{ name: 'zipkin' }], customTags: { owner: { literal: { value: 'ops' } } } }, custom: [{ tag: 'owner', literal: { value: 'ops' } }], max: [512] },
    { name: 'an empty customTags names none: the ProxyConfig tags', telemetry: { providers: [{ name: 'zipkin' }], customTags: {} }, custom: [ENVOY_TAGS.team, ENVOY_TAGS.user, ENVOY_TAGS.zone], max: [512] },
    { name: 'enableIstioTags false keeps the ProxyConfig tags', telemetry: { providers: [{ name: 'zipkin' }], enableIstioTags: false }, custom: [ENVOY_TAGS.team, ENVOY_TAGS.user, ENVOY_TAGS.zone], max: [512] },
    {
      name: "the provider's maxTagLength goes before the ProxyConfig's",
      telemetry: { providers: [{ name: 'short' }] },
      mesh: { extensionProviders: [{ name: 'short', zipkin: { service: 'zipkin.istio-system.svc.cluster.local', port: 9411, maxTagLength: 64 } }] },
      custom: [ENVOY_TAGS.team, ENVOY_TAGS.user, ENVOY_TAGS.zone],
      max: [64],
    },
  ];
  for (const c of cases) {
    it(`with a Telemetry's tracing: ${c.name}`, () => {
      const snap = snapshot({ ...withTags, ...(c.mesh ?? ZIPKIN_PROVIDER) }, [telemetry('istio-system', 'mesh-tracing', { tracing: [c.telemetry] })]);
      for (const id of [PRODUCTPAGE, GATEWAY]) {
        expect(customOf(snap, proxy(id)), id).to.deep.equal(c.custom);
        expect(maxOf(snap, proxy(id)), id).to.deep.equal(c.max);
      }
    });
  }

  it("a custom tag named as one of Istio's own: Istio's stays (Envoy keeps a name's first tag), and Envoy gets the name once", () => {
    const snap = snapshot({ defaultConfig: { tracing: { customTags: { 'istio.namespace': { literal: { value: 'mine' } }, team: TAGS.team } } } });
    const tags = tracings(snap, proxy(PRODUCTPAGE))[0].custom_tags;
    expect(tags.filter((t: any) => t.tag === 'istio.namespace')).to.deep.equal([{ tag: 'istio.namespace', literal: { value: 'default' } }]);
    expect(tags.map((t: any) => t.tag)).to.include('team');
  });

  describe("the proxy's own PROXY_CONFIG", () => {
    const own = (tracing: unknown) => proxy(PRODUCTPAGE, { PROXY_CONFIG: { tracing } });

    it("decides whole: its tags, and none of the mesh's when it says nothing of tracing", () => {
      const snap = snapshot(withTags);
      expect(customOf(snap, own({ customTags: { team: { literal: { value: 'pod' } } }, max_path_tag_length: '128' }))).to.deep.equal([{ tag: 'team', literal: { value: 'pod' } }]);
      expect(maxOf(snap, own({ maxPathTagLength: 128 }))).to.deep.equal([128]);
      const headersOnly = proxy(PRODUCTPAGE, { PROXY_CONFIG: { proxyHeaders: { requestId: { disabled: true } } } });
      expect(customOf(snap, headersOnly)).to.deep.equal([]);
      expect(maxOf(snap, headersOnly)).to.deep.equal([undefined]);
    });

    it("is part of the proxy's scope when it differs from the mesh's", () => {
      const snap = snapshot(withTags);
      const a = own({ customTags: { team: { literal: { value: 'a' } } } });
      const b = own({ customTags: { team: { literal: { value: 'b' } } } });
      expect(proxyScope(snap, a)).to.not.equal(proxyScope(snap, b));
      expect(proxyScope(snap, own(withTags.defaultConfig.tracing))).to.equal(proxyScope(snap, proxy(PRODUCTPAGE)));
    });

    it("one that does not read is ignored with a warning (the mesh's applies), never a refused stream", () => {
      const bad = own({ customTags: { team: { literal: { value: 3 } } } });
      expect(bad.proxyConfig).to.equal(undefined);
      expect(bad.warnings).to.deep.equal([
        "node.metadata.PROXY_CONFIG.tracing.customTags.team.literal.value: must be a string, got 3; PROXY_CONFIG ignored, the mesh config's defaultConfig applies",
      ]);
      expect(customOf(snapshot(withTags), bad)).to.deep.equal([ENVOY_TAGS.team, ENVOY_TAGS.user, ENVOY_TAGS.zone]);
      const odd = own({ sampling: 10, zipkin: { address: 'z:9411' }, customTags: { t: { literal: { value: 'v' }, formater: {} } }, extra: 1 });
      expect(odd.warnings).to.deep.equal(['node.metadata.PROXY_CONFIG.tracing: customTags.t.formater, extra: unknown field, ignored']);
      expect(customOf(snapshot({}), odd)).to.deep.equal([{ tag: 't', literal: { value: 'v' } }]);
    });
  });
});

describe('the service name spans carry', () => {
  const collector = yamlObjects(`
apiVersion: v1
kind: Service
metadata: { name: otel-collector, namespace: observability }
spec: { ports: [{ name: grpc-otlp, port: 4317 }] }`);
  const mesh = { extensionProviders: [{ name: 'otel', opentelemetry: { service: 'otel-collector.observability.svc.cluster.local', port: 4317 } }] };
  const serviceName = (p: Proxy): unknown => {
    const snap = snapshot(mesh, [...collector, telemetry('istio-system', 'otel', { tracing: [{ providers: [{ name: 'otel' }] }] })]);
    return [...new Set(tracings(snap, p).map((t) => t.provider.typed_config.service_name))];
  };

  it("is the node's cluster, as istiod passes it to OpenTelemetry; without one, the default scheme's name from the labels", () => {
    const node = (cluster?: string) => {
      const r = parseNode({ id: PRODUCTPAGE, ...(cluster !== undefined && { cluster }), metadata: { LABELS: { app: 'productpage', 'service.istio.io/canonical-name': 'pp' } } });
      if (!r.ok) throw new Error(r.errors.join());
      return r.value;
    };
    expect(serviceName(node('pp'))).to.deep.equal(['pp']);
    // The app label first, as Istio's agent names a cluster by default.
    expect(serviceName(node())).to.deep.equal(['productpage.default']);
    expect(serviceName(node(''))).to.deep.equal(['productpage.default']);
    // Two proxies of one workload that name their cluster otherwise are not served alike.
    const snap = snapshot(mesh);
    expect(proxyScope(snap, node('pp'))).to.not.equal(proxyScope(snap, node('productpage.default')));
  });
});
