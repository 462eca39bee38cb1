/** Tracing from the mesh config: on every connection manager of sidecars and gateways that have the collector's cluster. */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { TypeUrls } from '../../../src/core/constants.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { GATEWAY, PRODUCTPAGE, bookinfo, expectValid, proxy, yamlObjects, ZIPKIN_SERVICE } from './helpers.js';

const HCM = 'envoy.filters.network.http_connection_manager';

function connectionManagers(listeners: Array<{ resource: unknown }>): any[] {
  const chains = listeners.flatMap((l: any) => [...(l.resource.filter_chains ?? []), ...(l.resource.default_filter_chain ? [l.resource.default_filter_chain] : [])]);
  return chains.flatMap((c: any) => c.filters).filter((f: any) => f.name === HCM);
}

function listenersWith(mesh: Record<string, unknown>, extra: KubeObject[] = yamlObjects(ZIPKIN_SERVICE), id = PRODUCTPAGE) {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join());
  const snap = buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...extra], snapshotOptions(r.value));
  const listeners = generate(snap, proxy(id), TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  return listeners;
}

const tracingOf = (mesh: Record<string, unknown>, extra?: KubeObject[], id?: string) => connectionManagers(listenersWith(mesh, extra, id)).map((f) => f.typed_config.tracing);

describe('tracing (mesh config enableTracing, tracing)', () => {
  it('by default, as Istio: 1 % of requests to zipkin.istio-system:9411, on every inbound and outbound connection manager', () => {
    const all = tracingOf({});
    expect(all.length).to.be.greaterThan(1);
    for (const t of all) {
      expect(t).to.deep.equal({
        random_sampling: { value: 1 },
        // istiod's span tags, sorted by tag as istiod sorts them; this test proxy's node says nothing of its
        // canonical name, mesh or cluster.
        custom_tags: [
          { tag: 'istio.canonical_revision', literal: { value: 'latest' } },
          { tag: 'istio.canonical_service', literal: { value: 'unknown' } },
          { tag: 'istio.cluster_id', literal: { value: 'unknown' } },
          { tag: 'istio.mesh_id', literal: { value: 'unknown' } },
          { tag: 'istio.namespace', literal: { value: 'default' } },
        ],
        provider: {
          name: 'envoy.tracers.zipkin',
          typed_config: {
            '@type': 'type.googleapis.com/envoy.config.trace.v3.ZipkinConfig',
            collector_cluster: 'outbound|9411||zipkin.istio-system.svc.cluster.local',
            collector_hostname: 'zipkin.istio-system.svc.cluster.local',
            collector_endpoint: '/api/v2/spans',
            collector_endpoint_version: 'HTTP_JSON',
            trace_id_128bit: true,
            shared_span_context: { value: false },
          },
        },
      });
    }
  });

  it('on gateways too, with the configured collector and sampling', () => {
    const jaeger = yamlObjects(`
apiVersion: v1
kind: Service
metadata: { name: jaeger-collector, namespace: observability }
spec: { ports: [{ name: http-zipkin, port: 9411 }] }`);
    const all = tracingOf({ tracing: { zipkin: { address: 'jaeger-collector.observability:9411' }, sampling: 100 } }, jaeger, GATEWAY);
    expect(all.length).to.be.greaterThan(0);
    for (const t of all) {
      expect(t.random_sampling).to.deep.equal({ value: 100 });
      expect(t.provider.typed_config.collector_cluster).to.equal('outbound|9411||jaeger-collector.observability.svc.cluster.local');
    }
  });

  it('none when the collector is not in the registry, has not that port, or tracing is off: Envoy would refuse a tracer without its cluster', () => {
    expect(tracingOf({}, []).every((t) => t === undefined)).to.equal(true);
    expect(tracingOf({ tracing: { zipkin: { address: 'zipkin.istio-system:9999' } } }).every((t) => t === undefined)).to.equal(true);
    expect(tracingOf({ enableTracing: false }).every((t) => t === undefined)).to.equal(true);
  });

  it('none for a proxy whose Sidecar scope hides the collector', () => {
    const scoped = yamlObjects(`
apiVersion: networking.istio.io/v1
kind: Sidecar
metadata: { name: default, namespace: default }
spec: { egress: [{ hosts: ["./*"] }] }`);
    expect(tracingOf({}, [...yamlObjects(ZIPKIN_SERVICE), ...scoped]).every((t) => t === undefined)).to.equal(true);
  });

  it('the mesh config names a bad sampling or address', () => {
    expect(resolveMeshConfig({ tracing: { sampling: 120 } })).to.deep.equal({ ok: false, errors: ['tracing.sampling: 120 must be a percentage, 0 to 100'] });
    expect(resolveMeshConfig({ tracing: { zipkin: { address: 'zipkin' } } })).to.deep.equal({ ok: false, errors: ['tracing.zipkin.address: "zipkin" must be host:port'] });
  });
});
