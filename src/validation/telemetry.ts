/**
 * Telemetry (telemetry.istio.io): tracing, access logging and metrics for the workloads a policy selects. Targets
 * (selector / targetRef / targetRefs) are checked as the security kinds check them; each list entry as Istio's
 * webhook does (provider names, sampling range, one custom-tag source, tag-override operations, filter expressions).
 */
import { type Check, type Issues, type Obj, obj, str, bool, num, list, map, enumOf, each, entries, has } from './schema.js';
import { check, durationField, validateHeaderName } from './common.js';
import { targetFields, checkTargets, warnTargetRefs } from './security.js';
import type { KindValidator } from './kind.js';

const nonEmpty = str({ minLength: 1 });
const mode = enumOf('CLIENT_AND_SERVER', 'CLIENT', 'SERVER');
const providers = list(obj({ name: nonEmpty }, { required: ['name'] }));
const nonEmptyKey = (what: string): Check<string> => (k, p, issues) => {
  if (k === '') issues.error(p, `${what} must not be empty`);
};

/** The ways a custom tag gets its value: exactly one of them. */
const TAG_SOURCES = ['literal', 'environment', 'header', 'formatter'] as const;

const customTag = obj(
  {
    literal: obj({ value: nonEmpty }, { required: ['value'] }),
    environment: obj({ name: nonEmpty, defaultValue: str() }, { required: ['name'] }),
    header: obj({ name: str({ check: check(validateHeaderName) }), defaultValue: str() }, { required: ['name'] }),
    formatter: obj({ value: nonEmpty }, { required: ['value'] }),
  },
  { atMostOne: [TAG_SOURCES] },
);

const tracing = obj({
  match: obj({ mode }),
  providers,
  randomSamplingPercentage: num({ min: 0, max: 100 }),
  disableSpanReporting: bool,
  customTags: map(customTag, { key: nonEmptyKey('tag name') }),
  useRequestIdForTraceSampling: bool,
  enableIstioTags: bool,
  disableContextPropagation: bool,
});

const accessLogging = obj({
  match: obj({ mode }),
  providers,
  disabled: bool,
  // A CEL expression: mizzen parses no CEL, so only its presence is checked.
  filter: obj({ expression: nonEmpty }, { required: ['expression'] }),
});

/** Istio's standard metrics, as `overrides[].match.metric` names them. */
const ISTIO_METRICS = [
  'ALL_METRICS', 'REQUEST_COUNT', 'REQUEST_DURATION', 'REQUEST_SIZE', 'RESPONSE_SIZE', 'TCP_OPENED_CONNECTIONS', 'TCP_CLOSED_CONNECTIONS',
  'TCP_SENT_BYTES', 'TCP_RECEIVED_BYTES', 'GRPC_REQUEST_MESSAGES', 'GRPC_RESPONSE_MESSAGES',
] as const;

const metricsOverride = obj({
  match: obj({ metric: enumOf(...ISTIO_METRICS), customMetric: nonEmpty, mode }, { atMostOne: [['metric', 'customMetric']] }),
  disabled: bool,
  tagOverrides: map(obj({ operation: enumOf('UPSERT', 'REMOVE'), value: str() })),
});

const metrics = obj({ providers, overrides: list(metricsOverride), reportingInterval: durationField });

export const telemetrySpec = obj({
  ...targetFields,
  tracing: list(tracing),
  metrics: list(metrics),
  accessLogging: list(accessLogging),
});

// What mizzen does differently from istiod: stated where a rule depends on it.
const NO_METRICS = 'mizzen generates no Istio standard metrics: metrics configuration is accepted and ignored';
const NO_FORMATTER = 'formatter custom tags are ignored by mizzen: the tag is not added to spans';

function checkTracing(t: Obj, p: string, issues: Issues): void {
  if (t.disableContextPropagation === true) issues.warn(`${p}.disableContextPropagation`, 'not applied by mizzen: trace headers are still propagated');
  if (Array.isArray(t.providers) && t.providers.length > 1) {
    issues.warn(`${p}.providers`, 'only one provider per tracing entry is supported: the first one is used, the others are ignored');
  }
  for (const [name, tag] of entries<Obj>(t.customTags)) {
    const tp = `${p}.customTags[${name}]`;
    const set = TAG_SOURCES.filter((s) => has(tag, s));
    // Two or more: the schema's atMostOne has said so already.
    if (set.length === 0) issues.error(tp, `one of ${TAG_SOURCES.join(', ')} is required`);
    if (has(tag, 'formatter')) issues.warn(`${tp}.formatter`, NO_FORMATTER);
  }
}

function checkMetrics(m: Obj, p: string, issues: Issues): void {
  each(m.overrides, (o, j) => {
    for (const [name, to] of entries<Obj>(o.tagOverrides)) {
      const tp = `${p}.overrides[${j}].tagOverrides[${name}]`;
      // Istio only warns about an empty tag name.
      if (name === '') issues.warn(tp, 'tag name is empty');
      const op = to.operation ?? 'UPSERT';
      if (op === 'UPSERT' && (to.value === undefined || to.value === '')) issues.error(`${tp}.value`, 'must be set when operation is UPSERT (the default)');
      if (op === 'REMOVE' && to.value !== undefined) issues.error(`${tp}.value`, 'must not be set when operation is REMOVE');
    }
  });
}

export const validateTelemetry: KindValidator = (spec: Obj, _ctx, issues: Issues) => {
  checkTargets(spec, issues);
  warnTargetRefs(spec, 'this Telemetry', issues);
  each(spec.tracing, (t, i) => checkTracing(t, `spec.tracing[${i}]`, issues));
  each(spec.metrics, (m, i) => checkMetrics(m, `spec.metrics[${i}]`, issues));
  if (Array.isArray(spec.metrics) && spec.metrics.length > 0) issues.warn('spec.metrics', NO_METRICS);
};
