/**
 * Prometheus metrics of the xDS server, named as Istio names them where one exists so dashboards carry over.
 * Metrics live in the registry the caller passes (a fresh one otherwise); creating a second server on the same
 * registry reuses the metrics instead of failing on duplicate names.
 */
import { Counter, Gauge, Histogram, Registry, type Metric } from 'prom-client';
import { TypeUrls } from '../../core/constants.js';

/** Istio's pilot_proxy_convergence_time buckets (seconds). */
export const CONVERGENCE_BUCKETS = [0.1, 0.5, 1, 3, 5, 10, 20, 30];

const SHORT: Record<string, string> = {
  [TypeUrls.cluster]: 'cds',
  [TypeUrls.endpoint]: 'eds',
  [TypeUrls.listener]: 'lds',
  [TypeUrls.route]: 'rds',
  [TypeUrls.secret]: 'sds',
};

/** `cds`, `eds`, `lds`, `rds`, `sds`, else `other`: bounded label values even for junk type URLs. */
export const shortType = (typeUrl: string): string => SHORT[typeUrl] ?? 'other';

export function reuse<T extends Metric>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

export interface XdsMetrics {
  connected: Gauge;
  pushes: Counter;
  pushTime: Histogram;
  convergence: Histogram;
  nacks: Counter;
  generateTime: Histogram;
}

export function createXdsMetrics(registry: Registry = new Registry()): XdsMetrics {
  const registers = [registry];
  return {
    connected: reuse(registry, 'pilot_xds', () => new Gauge({ name: 'pilot_xds', help: 'Number of proxies connected to this control plane (ADS streams).', registers })),
    pushes: reuse(registry, 'pilot_xds_pushes', () => new Counter({ name: 'pilot_xds_pushes', help: 'xDS responses sent, by type.', labelNames: ['type'], registers })),
    pushTime: reuse(
      registry,
      'pilot_xds_push_time',
      () => new Histogram({ name: 'pilot_xds_push_time', help: 'Time to build and write one xDS response, by type (seconds).', labelNames: ['type'], buckets: [0.001, 0.01, 0.1, 0.5, 1, 3, 5, 10], registers }),
    ),
    convergence: reuse(
      registry,
      'pilot_proxy_convergence_time',
      () => new Histogram({ name: 'pilot_proxy_convergence_time', help: 'Delay between a config change and a proxy acknowledging it (seconds).', buckets: CONVERGENCE_BUCKETS, registers }),
    ),
    nacks: reuse(registry, 'pilot_total_xds_rejects', () => new Counter({ name: 'pilot_total_xds_rejects', help: 'xDS responses rejected by proxies (NACK), by type.', labelNames: ['type'], registers })),
    generateTime: reuse(
      registry,
      'mizzen_xds_generate_time',
      () => new Histogram({ name: 'mizzen_xds_generate_time', help: 'Time to generate one type for one proxy scope (seconds).', labelNames: ['type'], buckets: [0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5], registers }),
    ),
  };
}
