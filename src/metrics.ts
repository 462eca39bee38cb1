/**
 * One prom-client registry per process (serve.ts creates it and hands it to every component), and the
 * webhook's metrics on it. Getting a metric twice returns the registered one, so apps can be built repeatedly.
 */
import { Registry, Counter, Histogram, collectDefaultMetrics, type Metric } from 'prom-client';

export { Registry };

/** A fresh registry; `defaults` adds Node's process metrics (memory, event loop lag, GC). */
export function createRegistry(opts: { defaults?: boolean } = {}): Registry {
  const registry = new Registry();
  if (opts.defaults ?? true) collectDefaultMetrics({ register: registry });
  return registry;
}

/** Returns the metric named `name` in `registry`, creating it with `make` the first time. */
export function metric<M extends Metric>(registry: Registry, name: string, make: () => M): M {
  return (registry.getSingleMetric(name) as M | undefined) ?? make();
}

export type ReviewRoute = 'inject' | 'validate';
/** How a review ended: patched / allowed / denied are verdicts; the rest mean the webhook could not decide. */
export type ReviewOutcome = 'patched' | 'allowed' | 'denied' | 'malformed' | 'unsupported_media_type' | 'too_large' | 'error';

export interface WebhookMetrics {
  requests: Counter<'route' | 'outcome'>;
  latency: Histogram<'route'>;
  injections: Counter<string>;
  skips: Counter<'reason'>;
  validations: Counter<'kind' | 'verdict'>;
}

export function webhookMetrics(registry: Registry): WebhookMetrics {
  const registers = [registry];
  return {
    requests: metric(registry, 'mizzen_webhook_requests_total', () =>
      new Counter({ name: 'mizzen_webhook_requests_total', help: 'Admission reviews by route and outcome.', labelNames: ['route', 'outcome'] as const, registers }),
    ),
    latency: metric(registry, 'mizzen_webhook_request_duration_seconds', () =>
      new Histogram({
        name: 'mizzen_webhook_request_duration_seconds',
        help: 'Time to answer an admission review, from request to response.',
        labelNames: ['route'] as const,
        buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
        registers,
      }),
    ),
    injections: metric(registry, 'mizzen_sidecar_injections_total', () =>
      new Counter({ name: 'mizzen_sidecar_injections_total', help: 'Pods given a sidecar by the webhook (dry runs not counted).', registers }),
    ),
    skips: metric(registry, 'mizzen_sidecar_injection_skips_total', () =>
      new Counter({ name: 'mizzen_sidecar_injection_skips_total', help: 'Pods the webhook saw and left without a sidecar, by reason.', labelNames: ['reason'] as const, registers }),
    ),
    validations: metric(registry, 'mizzen_validation_reviews_total', () =>
      new Counter({ name: 'mizzen_validation_reviews_total', help: 'Validation reviews by resource kind and verdict.', labelNames: ['kind', 'verdict'] as const, registers }),
    ),
  };
}
