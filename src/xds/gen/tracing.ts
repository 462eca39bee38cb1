/**
 * Tracing from the mesh config (enableTracing, tracing.zipkin.address, tracing.sampling), as istiod sets it for
 * its default Zipkin provider: every HTTP connection manager of a sidecar (inbound and outbound) and of a gateway
 * samples that percentage of the requests that arrive without a trace decision, and reports spans in Zipkin's
 * JSON to the collector's outbound cluster. Envoy refuses a tracer whose cluster it does not have, and would
 * then refuse the whole listener: so the collector must be a registry service with that port that the proxy
 * sees (its Sidecar scope included), or the proxy gets no tracing at all. Applied to the listeners once they are
 * generated, as the access logs are. Pure.
 */
import type { Snapshot } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import type { NamedResource } from './types.js';
import { HCM_FILTER, mapNetworkFilters } from './filters.js';
import { resolveHost, visibleService } from './context.js';
import { type Json, any, outboundClusterName } from './common.js';

/** The collector's outbound cluster as this proxy has it, and its hostname; undefined when the proxy has no such cluster. */
export function collectorCluster(snap: Snapshot, proxy: Proxy): { cluster: string; host: string } | undefined {
  const collector = snap.mesh.tracing?.collector;
  if (!collector) return undefined;
  const host = resolveHost(collector.host, proxy.namespace, snap.domainSuffix);
  const svc = visibleService(snap, proxy, host);
  return svc?.ports.some((p) => p.port === collector.port && p.protocol !== 'UDP') ? { cluster: outboundClusterName(collector.port, '', host), host } : undefined;
}

function tracing({ cluster, host }: { cluster: string; host: string }, sampling: number): Json {
  return {
    random_sampling: { value: sampling },
    provider: {
      name: 'envoy.tracers.zipkin',
      typed_config: any('envoy.config.trace.v3.ZipkinConfig', {
        collector_cluster: cluster,
        // The Host of the span reports: the service's name, not the cluster's.
        collector_hostname: host,
        collector_endpoint: '/api/v2/spans',
        collector_endpoint_version: 'HTTP_JSON',
        trace_id_128bit: true,
        shared_span_context: { value: false },
      }),
    },
  };
}

/** The listeners with tracing on each HTTP connection manager; as they were when tracing is off or impossible. */
export function withTracing(snap: Snapshot, proxy: Proxy, listeners: NamedResource[]): NamedResource[] {
  const collector = collectorCluster(snap, proxy);
  if (!collector) return listeners;
  const config = tracing(collector, snap.mesh.tracing!.sampling);
  return mapNetworkFilters(listeners, (f) => (f?.name === HCM_FILTER && typeof f.typed_config === 'object' ? { ...f, typed_config: { ...f.typed_config, tracing: config } } : f));
}
