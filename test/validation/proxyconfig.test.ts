import { runTable, type Case } from './table.js';

runTable('ProxyConfig', [
  { name: 'mesh-wide: concurrency and image type (Istio doc example)', in: { concurrency: 0, image: { imageType: 'distroless' } }, meta: { namespace: 'istio-system' }, valid: true, warning: "spec.image.imageType: not applied by mizzen: sidecars run the mesh config's Envoy image" },
  { name: 'workload: selector, concurrency, environment', in: { selector: { matchLabels: { app: 'ratings' } }, concurrency: 2, environmentVariables: { ISTIO_META_TEAM: 'books', LOG_FORMAT: 'json' } }, valid: true },
  { name: 'negative concurrency', in: { concurrency: -1 }, valid: false, error: 'spec.concurrency: must be greater than or equal to 0, got -1' },
  { name: 'concurrency as text', in: { concurrency: 'two' }, valid: false, error: 'spec.concurrency' },
  { name: 'concurrency beyond int32', in: { concurrency: 2 ** 31 }, valid: false, error: 'spec.concurrency' },
  { name: 'environment variable name the API server refuses', in: { environmentVariables: { 'MY VAR': 'x' } }, valid: false, error: 'spec.environmentVariables[MY VAR]: "MY VAR" is not an environment variable name' },
  { name: 'environment value that is not a string', in: { environmentVariables: { N: 3 } }, valid: false, error: 'spec.environmentVariables[N]' },
  { name: 'selector and targetRef together', in: { selector: { matchLabels: { app: 'a' } }, targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' } }, valid: false, error: 'spec: only one of selector or targetRef may be set' },
  { name: 'targetRef (a waypoint) applies to nothing here', in: { targetRef: { kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }, concurrency: 1 }, valid: true, warning: 'spec.targetRef: attaches this ProxyConfig to nothing: mizzen applies it by selector only' },
  { name: 'selector without labels', in: { selector: {}, concurrency: 1 }, valid: true, warning: 'spec.selector: workload selector specified without labels' },
  { name: 'nothing mizzen applies', in: {}, valid: true, warning: 'spec: sets nothing that mizzen applies' },
  { name: 'unknown field', in: { concurrency: 1, proxyMetadata: { A: 'b' } }, valid: false, error: 'spec.proxyMetadata: unknown field' },
] satisfies Case[]);
