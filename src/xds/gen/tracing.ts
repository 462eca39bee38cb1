/**
 * Zipkin tracing on HTTP connection managers, as istiod sets it: the tracer reports spans in Zipkin's JSON to the
 * collector's outbound cluster and samples a percentage of the requests that arrive without a trace decision.
 * Envoy refuses a tracer whose cluster it does not have, and would then refuse the whole listener: so the
 * collector must be a registry service with that port that the proxy sees (its Sidecar scope included), or the
 * proxy gets no tracer. Where the collector comes from: the mesh config (enableTracing, tracing.zipkin.address,
 * tracing.sampling) unless a Telemetry resource or defaultProviders say otherwise (telemetry.ts). Pure.
 */
import type { Snapshot, TelemetryProvider } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { resolveHost, visibleService } from './context.js';
import { type Json, any, outboundClusterName } from './common.js';

type Zipkin = Extract<TelemetryProvider, { kind: 'zipkin' }>;

/** The collector's outbound cluster as this proxy has it, and its hostname; undefined when the proxy has no such cluster. */
export function collectorCluster(snap: Snapshot, proxy: Proxy, collector: { host: string; port: number }): { cluster: string; host: string } | undefined {
  const host = resolveHost(collector.host, proxy.namespace, snap.domainSuffix);
  const svc = visibleService(snap, proxy, host);
  return svc?.ports.some((p) => p.port === collector.port && p.protocol !== 'UDP') ? { cluster: outboundClusterName(collector.port, '', host), host } : undefined;
}

/** The mesh config's collector as a provider (Istio's default Zipkin settings). */
export const meshZipkin = (collector: { host: string; port: number }): Zipkin => ({ kind: 'zipkin', host: collector.host, port: collector.port, path: '/api/v2/spans', traceId128: true });

/** What a connection manager's tracing says besides its provider. */
export interface TraceOptions {
  /** Percentage of undecided requests to sample. */
  sampling: number;
  /** Envoy CustomTags, sorted by tag. */
  customTags?: Json[];
}

/** HttpConnectionManager.Tracing reporting to `zipkin`; undefined when the proxy has not the collector's cluster. */
export function zipkinTracing(snap: Snapshot, proxy: Proxy, zipkin: Zipkin, opts: TraceOptions): Json | undefined {
  const collector = collectorCluster(snap, proxy, zipkin);
  if (!collector) return undefined;
  return {
    random_sampling: { value: opts.sampling },
    ...(opts.customTags?.length ? { custom_tags: opts.customTags } : {}),
    ...(zipkin.maxTagLength !== undefined ? { max_path_tag_length: { value: zipkin.maxTagLength } } : {}),
    provider: {
      name: 'envoy.tracers.zipkin',
      typed_config: any('envoy.config.trace.v3.ZipkinConfig', {
        collector_cluster: collector.cluster,
        // The Host of the span reports: the service's name, not the cluster's.
        collector_hostname: collector.host,
        collector_endpoint: zipkin.path,
        collector_endpoint_version: 'HTTP_JSON',
        trace_id_128bit: zipkin.traceId128,
        shared_span_context: { value: false },
      }),
    },
  };
}
