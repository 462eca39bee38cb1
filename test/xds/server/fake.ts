/** Minimal generators over the real snapshot, for protocol tests that must not depend on generator details. */
import { TypeUrls } from '../../../src/core/constants.js';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import type { Generators } from '../../../src/xds/server/cache.js';

export const clusterName = (host: string, port: number): string => `outbound|${port}||${host}`;

export const fakeGenerators: Generators = {
  buildSnapshot,
  proxyScope: (_snap, proxy) => `${proxy.generator}|${proxy.namespace}`,
  generate(snap, _proxy, typeUrl, names) {
    const services = [...snap.services.values()];
    switch (typeUrl) {
      case TypeUrls.cluster:
        return services.flatMap((s) => s.ports.map((p) => ({ name: clusterName(s.hostname, p.port), resource: { name: clusterName(s.hostname, p.port), type: 'EDS', eds_cluster_config: { eds_config: { ads: {} } } } })));
      case TypeUrls.endpoint:
        return services.flatMap((s) =>
          s.ports.map((p) => {
            const eps = (snap.endpoints.get(s.hostname) ?? []).filter((e) => e.servicePortName === p.name);
            return {
              name: clusterName(s.hostname, p.port),
              resource: {
                cluster_name: clusterName(s.hostname, p.port),
                endpoints: [{ locality: {}, load_balancing_weight: { value: 1 }, lb_endpoints: eps.map((e) => ({ endpoint: { address: { socket_address: { address: e.address, port_value: e.port } } } })) }],
              },
            };
          }),
        );
      case TypeUrls.listener: {
        const all = services.flatMap((s) => s.ports.map((p) => `${s.hostname}:${p.port}`));
        // Like gRPC LDS: short names resolve in the default namespace.
        const extra = (names ?? []).filter((n) => !all.includes(n) && all.includes(n.replace(':', '.default.svc.cluster.local:')));
        return [...all, ...extra].map((name) => ({ name, resource: { name, address: { socket_address: { address: '0.0.0.0', port_value: Number(name.split(':')[1]) } } } }));
      }
      case TypeUrls.route:
        return services.flatMap((s) => s.ports.map((p) => ({ name: `${s.name}-${p.port}`, resource: { name: `${s.name}-${p.port}`, virtual_hosts: [{ name: s.hostname, domains: [s.hostname] }] } })));
      default:
        return [];
    }
  },
};
