/**
 * EnvoyFilters nobody should write, as the Kubernetes source may still hold them (admitted before mizzen's webhook,
 * or past another one): malformed shapes never make a generator throw, and the other proxies' output is untouched.
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { envoyFilterStatus, generate } from '../../../src/xds/gen/index.js';
import { ENVOY_TYPES, GATEWAY, PRODUCTPAGE, REVIEWS_V1, bookinfo, proxy } from './helpers.js';
import type { KubeObject } from '../../../src/core/kube.js';

const HCM = 'envoy.filters.network.http_connection_manager';
const ef = (name: string, spec: unknown): KubeObject => ({ apiVersion: 'networking.istio.io/v1alpha3', kind: 'EnvoyFilter', metadata: { name, namespace: 'default' }, spec: spec as Record<string, unknown> });

const GARBAGE: KubeObject[] = [
  ef('g1', { configPatches: 'x', workloadSelector: 5, priority: 'high' }),
  ef('g2', { configPatches: [null, 5, 'x', [], { applyTo: 5 }, { applyTo: 'LISTENER', patch: 5 }, { applyTo: 'LISTENER', patch: { operation: 'MERGE', value: 'x' } }] }),
  ef('g3', {
    configPatches: [
      { applyTo: 'HTTP_FILTER', match: { listener: 'x' }, patch: { operation: 'INSERT_BEFORE', value: { name: 'x', typed_config: { '@type': 'type.googleapis.com/envoy.extensions.filters.http.router.v3.Router' } } } },
      { applyTo: 'HTTP_FILTER', match: { listener: { filterChain: 7 } }, patch: { operation: 'REMOVE' } },
      { applyTo: 'HTTP_FILTER', match: { listener: { portNumber: 'x', filterChain: { filter: { name: 5, subFilter: 'y' } } } }, patch: { operation: 'REPLACE', value: { name: 'r' } } },
      { applyTo: 'NETWORK_FILTER', match: { context: 'NOPE', listener: { filterChain: { filter: { name: HCM } } } }, patch: { operation: 'MERGE', value: { typed_config: {} } } },
      { applyTo: 'NETWORK_FILTER', match: { listener: { filterChain: { filter: { name: HCM } } } }, patch: { operation: 'MERGE', value: { name: 'renamed' } } },
      { applyTo: 'ROUTE_CONFIGURATION', match: { routeConfiguration: { vhost: 'x', portNumber: [] } }, patch: { operation: 'MERGE', value: { virtual_hosts: [] } } },
      { applyTo: 'HTTP_ROUTE', match: { routeConfiguration: { vhost: { route: { action: 9 } } } }, patch: { operation: 'INSERT_AFTER', value: { name: 'r', match: { prefix: '/' }, direct_response: { status: 200 } } } },
      { applyTo: 'VIRTUAL_HOST', patch: { operation: 'REPLACE', value: {} } },
      { applyTo: 'CLUSTER', match: { cluster: { name: 5, service: [] } }, patch: { operation: 'MERGE', value: { transport_socket: { name: 'x' } } } },
      { applyTo: 'CLUSTER', patch: { operation: 'ADD', value: { name: '' } } },
      { applyTo: 'LISTENER', patch: { operation: 'ADD', value: { address: {} } } },
      { applyTo: 'LISTENER_FILTER', match: { listener: { listenerFilter: 5 } }, patch: { operation: 'MERGE', value: { name: 'l' } } },
      { applyTo: 'FILTER_CHAIN', match: { listener: { filterChain: { sni: 5, applicationProtocols: 7, destinationPort: 'x' } } }, patch: { operation: 'MERGE', value: { transport_socket: { name: 'envoy.transport_sockets.tls' } } } },
    ],
  }),
  ef('g4', { targetRefs: 'x', configPatches: [{ applyTo: 'CLUSTER', match: { proxy: { proxyVersion: '(', metadata: 5 } }, patch: { operation: 'REMOVE' } }] }),
];

describe('EnvoyFilter: garbage never makes a generator throw', () => {
  it('every type for a sidecar, a gateway and a gRPC client; the debug view too', () => {
    const snap = buildSnapshot([...bookinfo('bookinfo-gateway.yaml'), ...GARBAGE]);
    for (const id of [PRODUCTPAGE, REVIEWS_V1, GATEWAY]) {
      for (const t of ENVOY_TYPES) expect(() => generate(snap, proxy(id), t), `${id} ${t}`).to.not.throw();
      expect(() => envoyFilterStatus(snap, proxy(id))).to.not.throw();
    }
    expect(() => generate(snap, proxy(PRODUCTPAGE, { GENERATOR: 'grpc' }), ENVOY_TYPES[2]!, [])).to.not.throw();
    // The gateway (istio-system) is not selected by filters of namespace default: its output is as without them.
    const clean = buildSnapshot(bookinfo('bookinfo-gateway.yaml'));
    const byName = (s: typeof snap) => new Map(generate(s, proxy(GATEWAY), ENVOY_TYPES[0]!).map((r) => [r.name, r.resource]));
    const before = byName(clean);
    const after = byName(snap);
    expect(after.get('outbound|9080||reviews.default.svc.cluster.local')).to.deep.equal(before.get('outbound|9080||reviews.default.svc.cluster.local'));
  });
});
