/**
 * Tracing on HTTP connection managers, as istiod sets it: the Zipkin tracer reports spans in Zipkin's JSON, the
 * OpenTelemetry one in OTLP (gRPC, or HTTP), to the collector's outbound cluster, and samples a percentage of the
 * requests that arrive without a trace decision.
 * Envoy refuses a tracer whose cluster it does not have, and would then refuse the whole listener: so the
 * collector must be a registry service with that port that the proxy sees (its Sidecar scope included), or the
 * proxy gets no tracer. Where the collector comes from: the mesh config (enableTracing, tracing.zipkin.address,
 * tracing.sampling) unless a Telemetry resource or defaultProviders say otherwise (telemetry.ts). The span tags and
 * the path tag's length are span-tags.ts's. Pure.
 */
import type { Snapshot, TelemetryProvider } from '../../model/types.js';
import type { Proxy } from '../../model/proxy.js';
import { resolveHost, serviceCluster } from './context.js';
import { type Json, any } from './common.js';
import { maxPathTagLength } from './span-tags.js';
import { duration } from '../proto.js';

type Zipkin = Extract<TelemetryProvider, { kind: 'zipkin' }>;
type OpenTelemetry = Extract<TelemetryProvider, { kind: 'opentelemetry' }>;
/** The providers that trace. */
export type Tracer = Zipkin | OpenTelemetry;
export const isTracer = (p: TelemetryProvider | undefined): p is Tracer => p?.kind === 'zipkin' || p?.kind === 'opentelemetry';


/** The mesh config's collector as a provider (Istio's default Zipkin settings). */
export const meshZipkin = (collector: { host: string; port: number }): Zipkin => ({ kind: 'zipkin', host: collector.host, port: collector.port, path: '/api/v2/spans', traceId128: true });

/** What a connection manager's tracing says besides its provider. */
export interface TraceOptions {
  /** Percentage of undecided requests to sample. */
  sampling: number;
  /** Envoy CustomTags, sorted by tag. */
  customTags?: Json[];
}


/**
 * HttpConnectionManager.Tracing reporting to `tracer`; undefined when the proxy has not the collector's cluster.
 * `serviceName`: what OpenTelemetry spans name the proxy's service (istiod's node cluster, `<service>.<namespace>`).
 */
export function tracerTracing(snap: Snapshot, proxy: Proxy, tracer: Tracer, opts: TraceOptions & { serviceName: string }): Json | undefined {
  const collector = serviceCluster(snap, proxy, resolveHost(tracer.host, proxy.namespace, snap.domainSuffix), tracer.port);
  if (!collector) return undefined;
  // The provider's maxTagLength, else the proxy's ProxyConfig tracing.maxPathTagLength (0 is unset in both).
  const maxPath = maxPathTagLength(snap, proxy, tracer.maxTagLength);
  return {
    random_sampling: { value: opts.sampling },
    ...(opts.customTags?.length ? { custom_tags: opts.customTags } : {}),
    ...(maxPath !== undefined ? { max_path_tag_length: { value: maxPath } } : {}),
    provider: tracer.kind === 'zipkin' ? zipkinProvider(tracer, collector) : otelProvider(tracer, collector, opts.serviceName),
  };
}

function zipkinProvider(zipkin: Zipkin, collector: { cluster: string; host: string }): Json {
  return {
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
  };
}

function otelProvider(otel: OpenTelemetry, collector: { cluster: string; host: string }, serviceName: string): Json {
  const exporter = otel.http
    ? {
        http_service: {
          http_uri: { uri: `${collector.host}${otel.http.path.startsWith('/') || otel.http.path === '' ? '' : '/'}${otel.http.path}`, cluster: collector.cluster, timeout: duration(otel.http.timeoutMs) },
          ...(otel.http.headers.length ? { request_headers_to_add: otel.http.headers.map(({ name, value }) => ({ header: { key: name, value } })) } : {}),
        },
      }
    : {
        grpc_service: {
          envoy_grpc: { cluster_name: collector.cluster, authority: collector.host },
          ...(otel.grpc?.timeoutMs !== undefined ? { timeout: duration(otel.grpc.timeoutMs) } : {}),
          ...(otel.grpc?.metadata.length ? { initial_metadata: otel.grpc.metadata.map(({ name, value }) => ({ key: name, value })) } : {}),
        },
      };
  return {
    name: 'envoy.tracers.opentelemetry',
    typed_config: any('envoy.config.trace.v3.OpenTelemetryConfig', {
      ...exporter,
      service_name: serviceName,
      ...(otel.environment
        ? {
            resource_detectors: [
              {
                name: 'envoy.tracers.opentelemetry.resource_detectors.environment',
                typed_config: any('envoy.extensions.tracers.opentelemetry.resource_detectors.v3.EnvironmentResourceDetectorConfig'),
              },
            ],
          }
        : {}),
    }),
  };
}
