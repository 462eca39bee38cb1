/** Telemetry (telemetry.istio.io): targets, tracing, access logging, metrics; Istio's docs examples; wrong types. */
import { expect } from 'chai';
import { validateObject } from '../../src/validation/index.js';
import { runTable, wrap, type Case } from './table.js';

const sel = { selector: { matchLabels: { app: 'reviews' } } };
const tracing = (t: Record<string, unknown>) => ({ tracing: [t] });
const tag = (t: unknown) => tracing({ customTags: { my_tag: t } });
const logging = (l: Record<string, unknown>) => ({ accessLogging: [l] });
const override = (o: Record<string, unknown>) => ({ metrics: [{ overrides: [o] }] });
const tagOverride = (t: unknown) => override({ tagOverrides: { request_protocol: t } });
const ref = { kind: 'Service', name: 'reviews' };

runTable('Telemetry', [
  // Istio's docs examples
  { name: 'mesh-wide access logging to envoy (istio-system)', in: { accessLogging: [{ providers: [{ name: 'envoy' }] }] }, meta: { namespace: 'istio-system' }, valid: true },
  { name: 'sampling with a literal custom tag', in: { tracing: [{ randomSamplingPercentage: 10, customTags: { my_tag: { literal: { value: 'x' } } } }] }, valid: true },
  { name: 'workload selector disabling access logs', in: { ...sel, accessLogging: [{ disabled: true }] }, valid: true },
  { name: 'empty spec', in: {}, valid: true },
  { name: 'disableContextPropagation: warned, not applied', in: { tracing: [{ disableContextPropagation: true }] }, valid: true, warning: 'spec.tracing[0].disableContextPropagation: not applied by mizzen' },
  { name: 'no spec at all', in: { apiVersion: 'telemetry.istio.io/v1', kind: 'Telemetry', metadata: { name: 'mesh-default', namespace: 'istio-system' } }, whole: true, valid: true },
  { name: 'v1alpha1 is served', in: { apiVersion: 'telemetry.istio.io/v1alpha1', kind: 'Telemetry', metadata: { name: 't' }, spec: {} }, whole: true, valid: true },
  { name: 'v1beta1 does not exist', in: { apiVersion: 'telemetry.istio.io/v1beta1', kind: 'Telemetry', metadata: { name: 't' }, spec: {} }, whole: true, valid: false, error: 'unsupported kind Telemetry in telemetry.istio.io/v1beta1' },
  {
    name: 'every tracing field',
    in: tracing({
      match: { mode: 'SERVER' },
      providers: [{ name: 'zipkin' }],
      randomSamplingPercentage: 0.5,
      disableSpanReporting: false,
      customTags: { lit: { literal: { value: 'v' } }, env: { environment: { name: 'POD_NAME', defaultValue: 'unknown' } }, hdr: { header: { name: 'x-user', defaultValue: '-' } } },
      useRequestIdForTraceSampling: true,
      enableIstioTags: true,
      disableContextPropagation: false,
    }),
    valid: true,
  },
  { name: 'sampling 0 and 100 are the bounds', in: { tracing: [{ randomSamplingPercentage: 0 }, { match: { mode: 'CLIENT' }, randomSamplingPercentage: 100 }] }, valid: true },
  { name: 'every access logging field', in: logging({ match: { mode: 'CLIENT' }, providers: [{ name: 'otel' }], disabled: false, filter: { expression: 'response.code >= 400' } }), valid: true },
  {
    name: 'every metrics field',
    in: {
      metrics: [{
        providers: [{ name: 'prometheus' }],
        reportingInterval: '10s',
        overrides: [
          { match: { metric: 'REQUEST_COUNT', mode: 'CLIENT_AND_SERVER' }, disabled: false, tagOverrides: { request_host: { operation: 'UPSERT', value: 'request.host' }, request_protocol: { operation: 'REMOVE' } } },
          { match: { customMetric: 'my_metric' }, disabled: true },
        ],
      }],
    },
    valid: true,
  },

  // targets
  { name: 'selector with targetRef', in: { ...sel, targetRef: ref }, valid: false, error: 'spec: only one of selector, targetRef or targetRefs may be set' },
  { name: 'selector with targetRefs', in: { ...sel, targetRefs: [ref] }, valid: false, error: 'only one of selector, targetRef or targetRefs' },
  { name: 'targetRef to a Service: accepted, warns it applies to nothing', in: { targetRef: ref, tracing: [{ randomSamplingPercentage: 1 }] }, valid: true, warning: 'spec.targetRef: attaches this Telemetry to nothing: a Service target is for waypoints' },
  { name: 'targetRefs to a Gateway: attached to its gateways', in: { targetRefs: [{ group: 'gateway.networking.k8s.io', kind: 'Gateway', name: 'gw' }] }, valid: true },
  { name: 'targetRef to an unsupported kind', in: { targetRef: { kind: 'Pod', name: 'p' } }, valid: false, error: 'spec.targetRef: targetRef must be to one of' },
  { name: 'targetRef without a name', in: { targetRef: { kind: 'Service' } }, valid: false, error: 'spec.targetRef.name: is required' },
  { name: 'targetRef across namespaces', in: { targetRef: { ...ref, namespace: 'other' } }, valid: false, error: 'spec.targetRef.namespace: cross namespace referencing is not supported' },
  { name: 'selector wildcard value', in: { selector: { matchLabels: { app: 'r*' } } }, valid: false, error: 'spec.selector.matchLabels[app]: wildcard not allowed' },
  { name: 'selector without labels warns', in: { selector: {}, accessLogging: [{ disabled: true }] }, valid: true, warning: 'spec.selector: workload selector specified without labels' },

  // tracing
  { name: 'sampling above 100', in: tracing({ randomSamplingPercentage: 150 }), valid: false, error: 'spec.tracing[0].randomSamplingPercentage: 150 is out of range' },
  { name: 'sampling below 0', in: tracing({ randomSamplingPercentage: -1 }), valid: false, error: 'spec.tracing[0].randomSamplingPercentage' },
  { name: 'sampling as a string', in: tracing({ randomSamplingPercentage: '10' }), valid: false, error: 'spec.tracing[0].randomSamplingPercentage: must be a number, not a string' },
  { name: 'bad mode', in: tracing({ match: { mode: 'BOTH' } }), valid: false, error: 'spec.tracing[0].match.mode: unsupported value "BOTH"' },
  { name: 'empty provider name', in: tracing({ providers: [{ name: '' }] }), valid: false, error: 'spec.tracing[0].providers[0].name: must not be empty' },
  { name: 'provider without a name', in: tracing({ providers: [{}] }), valid: false, error: 'spec.tracing[0].providers[0].name: is required' },
  { name: 'two providers: warns only the first is used', in: tracing({ providers: [{ name: 'zipkin' }, { name: 'otel' }] }), valid: true, warning: 'spec.tracing[0].providers: only one provider per tracing entry is supported: the first one is used' },
  { name: 'disableSpanReporting not a boolean', in: tracing({ disableSpanReporting: 'yes' }), valid: false, error: 'spec.tracing[0].disableSpanReporting: must be a boolean' },
  { name: 'custom tag with no source', in: tag({}), valid: false, error: 'spec.tracing[0].customTags[my_tag]: one of literal, environment, header, formatter is required' },
  { name: 'custom tag with two sources', in: tag({ literal: { value: 'x' }, environment: { name: 'E' } }), valid: false, error: 'spec.tracing[0].customTags[my_tag]: only one of literal, environment, header, formatter may be set' },
  { name: 'empty literal', in: tag({ literal: { value: '' } }), valid: false, error: 'spec.tracing[0].customTags[my_tag].literal.value: must not be empty' },
  { name: 'literal without a value', in: tag({ literal: {} }), valid: false, error: 'spec.tracing[0].customTags[my_tag].literal.value: is required' },
  { name: 'empty environment name', in: tag({ environment: { name: '', defaultValue: 'x' } }), valid: false, error: 'customTags[my_tag].environment.name: must not be empty' },
  { name: 'empty header name', in: tag({ header: { name: '' } }), valid: false, error: 'customTags[my_tag].header.name: header name cannot be empty' },
  { name: 'invalid header name', in: tag({ header: { name: 'x user' } }), valid: false, error: 'customTags[my_tag].header.name: header name "x user" is not a valid header name' },
  { name: 'empty formatter', in: tag({ formatter: { value: '' } }), valid: false, error: 'customTags[my_tag].formatter.value: must not be empty' },
  { name: 'formatter: accepted, warns it is ignored', in: tag({ formatter: { value: '%REQ(x-user)%' } }), valid: true, warning: 'spec.tracing[0].customTags[my_tag].formatter: formatter custom tags are ignored by mizzen' },
  { name: 'empty tag name', in: tracing({ customTags: { '': { literal: { value: 'x' } } } }), valid: false, error: 'spec.tracing[0].customTags[]: tag name must not be empty' },
  { name: 'custom tag not an object', in: tag('x'), valid: false, error: 'spec.tracing[0].customTags[my_tag]: must be an object, not a string' },
  { name: 'unknown tracing field', in: tracing({ sampling: 10 }), valid: false, error: 'spec.tracing[0].sampling: unknown field' },
  { name: 'unknown custom tag source', in: tag({ cookie: { name: 'c' } }), valid: false, error: 'spec.tracing[0].customTags[my_tag].cookie: unknown field' },

  // access logging
  { name: 'empty filter expression', in: logging({ filter: { expression: '' } }), valid: false, error: 'spec.accessLogging[0].filter.expression: must not be empty' },
  { name: 'filter without expression', in: logging({ filter: {} }), valid: false, error: 'spec.accessLogging[0].filter.expression: is required' },
  { name: 'filter expression not a string', in: logging({ filter: { expression: 400 } }), valid: false, error: 'spec.accessLogging[0].filter.expression: must be a string' },
  { name: 'access logging empty provider', in: logging({ providers: [{ name: '' }] }), valid: false, error: 'spec.accessLogging[0].providers[0].name: must not be empty' },
  { name: 'access logging bad mode', in: logging({ match: { mode: 'CLIENTS' } }), valid: false, error: 'spec.accessLogging[0].match.mode: unsupported value' },
  { name: 'disabled not a boolean', in: logging({ disabled: 'true' }), valid: false, error: 'spec.accessLogging[0].disabled: must be a boolean, not a string' },
  { name: 'unknown access logging field', in: logging({ format: 'json' }), valid: false, error: 'spec.accessLogging[0].format: unknown field' },

  // metrics
  { name: 'metrics: accepted, warns they are ignored', in: { metrics: [{ providers: [{ name: 'prometheus' }] }] }, valid: true, warning: 'spec.metrics: mizzen generates no Istio standard metrics' },
  { name: 'unknown metric', in: override({ match: { metric: 'REQUEST_BYTES' } }), valid: false, error: 'spec.metrics[0].overrides[0].match.metric: unsupported value "REQUEST_BYTES"' },
  { name: 'metric and customMetric', in: override({ match: { metric: 'REQUEST_COUNT', customMetric: 'mine' } }), valid: false, error: 'spec.metrics[0].overrides[0].match: only one of metric, customMetric may be set' },
  { name: 'empty customMetric', in: override({ match: { customMetric: '' } }), valid: false, error: 'spec.metrics[0].overrides[0].match.customMetric: must not be empty' },
  { name: 'metrics bad mode', in: override({ match: { mode: 'ALL' } }), valid: false, error: 'spec.metrics[0].overrides[0].match.mode: unsupported value' },
  { name: 'UPSERT without a value', in: tagOverride({ operation: 'UPSERT' }), valid: false, error: 'spec.metrics[0].overrides[0].tagOverrides[request_protocol].value: must be set when operation is UPSERT' },
  { name: 'no operation means UPSERT: needs a value', in: tagOverride({}), valid: false, error: 'tagOverrides[request_protocol].value: must be set when operation is UPSERT' },
  { name: 'no operation with a value', in: tagOverride({ value: 'request.protocol' }), valid: true },
  { name: 'REMOVE with a value', in: tagOverride({ operation: 'REMOVE', value: 'x' }), valid: false, error: 'spec.metrics[0].overrides[0].tagOverrides[request_protocol].value: must not be set when operation is REMOVE' },
  { name: 'bad operation', in: tagOverride({ operation: 'DELETE' }), valid: false, error: 'tagOverrides[request_protocol].operation: unsupported value "DELETE"' },
  { name: 'empty tag override name warns, as Istio does', in: override({ tagOverrides: { '': { operation: 'REMOVE' } } }), valid: true, warning: 'spec.metrics[0].overrides[0].tagOverrides[]: tag name is empty' },
  { name: 'bad reportingInterval', in: { metrics: [{ reportingInterval: '10 seconds' }] }, valid: false, error: 'spec.metrics[0].reportingInterval: invalid duration "10 seconds"' },
  { name: 'reportingInterval under 1ms', in: { metrics: [{ reportingInterval: '100us' }] }, valid: false, error: 'spec.metrics[0].reportingInterval: duration must be at least 1ms' },
  { name: 'metrics empty provider', in: { metrics: [{ providers: [{ name: '' }] }] }, valid: false, error: 'spec.metrics[0].providers[0].name: must not be empty' },
  { name: 'unknown metrics field', in: { metrics: [{ overrides: [{ tags: {} }] }] }, valid: false, error: 'spec.metrics[0].overrides[0].tags: unknown field' },

  // wrong shapes
  { name: 'tracing as an object', in: { tracing: { randomSamplingPercentage: 10 } }, valid: false, error: 'spec.tracing: must be a list, not an object' },
  { name: 'accessLogging as a string', in: { accessLogging: 'envoy' }, valid: false, error: 'spec.accessLogging: must be a list, not a string' },
  { name: 'metrics as a number', in: { metrics: 1 }, valid: false, error: 'spec.metrics: must be a list, not an integer' },
  { name: 'providers as a string', in: tracing({ providers: 'zipkin' }), valid: false, error: 'spec.tracing[0].providers: must be a list, not a string' },
  { name: 'provider as a string', in: logging({ providers: ['envoy'] }), valid: false, error: 'spec.accessLogging[0].providers[0]: must be an object, not a string' },
  { name: 'null list item', in: { tracing: [null] }, valid: false, error: 'spec.tracing[0]: must be an object, not null' },
  { name: 'customTags as a list', in: tracing({ customTags: [{ literal: { value: 'x' } }] }), valid: false, error: 'spec.tracing[0].customTags: must be an object (map), not a list' },
  { name: 'tagOverrides as a list', in: override({ tagOverrides: [] }), valid: false, error: 'spec.metrics[0].overrides[0].tagOverrides: must be an object (map), not a list' },
  { name: 'selector as a list', in: { selector: [] }, valid: false, error: 'spec.selector: must be an object, not a list' },
  { name: 'unknown top-level field', in: { logging: [] }, valid: false, error: 'spec.logging: unknown field' },
] satisfies Case[]);

describe('Telemetry validation: warnings', () => {
  it('a valid Telemetry that mizzen fully understands has no warnings', async () => {
    const r = validateObject(wrap('Telemetry', { tracing: [{ providers: [{ name: 'zipkin' }], randomSamplingPercentage: 10, customTags: { my_tag: { literal: { value: 'x' } } } }], accessLogging: [{ providers: [{ name: 'envoy' }] }] }));
    expect(r).to.deep.equal({ errors: [], warnings: [] });
    // One entry per direction composes (xds/gen/telemetry.ts): nothing to warn about.
    expect(validateObject(wrap('Telemetry', { tracing: [{ match: { mode: 'CLIENT' }, randomSamplingPercentage: 5 }, { match: { mode: 'SERVER' }, disableSpanReporting: true }] }))).to.deep.equal({ errors: [], warnings: [] });
  });

  it('says every ignored part once, each under its path', async () => {
    const r = validateObject(
      wrap('Telemetry', {
        targetRefs: [{ kind: 'Service', name: 'a' }],
        tracing: [{ providers: [{ name: 'a' }, { name: 'b' }], customTags: { f: { formatter: { value: '%START_TIME%' } } } }],
        metrics: [{ providers: [{ name: 'prometheus' }] }, { overrides: [{ disabled: true }] }],
      }),
    );
    expect(r.errors).to.deep.equal([]);
    expect(r.warnings.map((w) => w.slice(0, w.indexOf(':')))).to.deep.equal(['spec.targetRefs[0]', 'spec.tracing[0].providers', 'spec.tracing[0].customTags[f].formatter', 'spec.metrics']);
  });

  it('rejects every wrong-typed field without throwing', async () => {
    const spec = {
      selector: { matchLabels: { app: 'a' } },
      tracing: [{ match: { mode: 'CLIENT' }, providers: [{ name: 'z' }], randomSamplingPercentage: 1, customTags: { t: { header: { name: 'h', defaultValue: 'd' } } } }],
      accessLogging: [{ providers: [{ name: 'envoy' }], disabled: false, filter: { expression: 'true' } }],
      metrics: [{ providers: [{ name: 'p' }], reportingInterval: '1s', overrides: [{ match: { metric: 'ALL_METRICS' }, tagOverrides: { t: { operation: 'REMOVE' } } }] }],
    };
    for (const field of ['selector', 'tracing', 'accessLogging', 'metrics'] as const) {
      for (const bad of [42, 'x', true, [], {}, [42], ['x'], [[]]]) {
        const r = validateObject(wrap('Telemetry', { ...spec, [field]: bad }));
        for (const e of r.errors) expect(e).not.to.include('internal validation error');
        const okShape = (field === 'selector' && typeof bad === 'object' && !Array.isArray(bad)) || (field !== 'selector' && Array.isArray(bad) && bad.length === 0);
        if (!okShape) expect(r.errors.some((e) => e.startsWith(`spec.${field}`)), `${field} = ${JSON.stringify(bad)}: ${JSON.stringify(r)}`).to.equal(true);
      }
    }
  });
});
