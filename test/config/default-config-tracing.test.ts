/**
 * The mesh config's defaultConfig.tracing customTags and maxPathTagLength, and defaultConfig.tracingServiceName:
 * read strictly (an unknown key is an error), applied (no "not applied" warning), and apart from the zipkin address
 * and sampling that mizzen moves to its top-level `tracing`.
 */
import { expect } from 'chai';
import { resolveMeshConfig, snapshotOptions } from '../../src/config/mesh.js';

const TAGS = { team: { literal: { value: 'shop' } }, user: { header: { name: 'x-user', defaultValue: 'anon' } } };

describe('mesh config: defaultConfig.tracing customTags and maxPathTagLength, defaultConfig.tracingServiceName', () => {
  it('reads them without a warning, for injection and for the snapshot', () => {
    const r = resolveMeshConfig({ defaultConfig: { tracing: { customTags: TAGS, max_path_tag_length: 300, sampling: 5 }, tracingServiceName: 'CANONICAL_NAME_ONLY' } });
    if (!r.ok) throw new Error(r.errors.join('; '));
    expect(r.warnings).to.equal(undefined);
    expect(r.value.defaultConfig.tracing).to.deep.equal({ customTags: TAGS, maxPathTagLength: 300 });
    expect(r.value.defaultConfig.tracingServiceName).to.equal('CANONICAL_NAME_ONLY');
    expect(r.value.tracing.sampling).to.equal(5);
    expect(snapshotOptions(r.value).proxyTracing).to.deep.equal({ customTags: TAGS, maxPathTagLength: 300 });
    // By number too, as proto3 JSON writes an enum.
    const n = resolveMeshConfig({ defaultConfig: { tracing_service_name: 2 } });
    expect(n.ok && n.value.defaultConfig.tracingServiceName).to.equal('CANONICAL_NAME_AND_NAMESPACE');
  });

  it('beside a top-level tracing, as long as zipkin and sampling are said in one place only', () => {
    const r = resolveMeshConfig({ tracing: { sampling: 10 }, defaultConfig: { tracing: { customTags: TAGS } } });
    expect(r.ok && r.value.defaultConfig.tracing).to.deep.equal({ customTags: TAGS });
    expect(r.ok && r.value.tracing.sampling).to.equal(10);
  });

  const bad: Array<{ name: string; defaultConfig: unknown; errors: string[] }> = [
    { name: 'a bad tag, named by its path', defaultConfig: { tracing: { customTags: { team: { literal: { value: 1 } } } } }, errors: ['defaultConfig.tracing.customTags.team.literal.value: must be a string, got 1'] },
    { name: 'two sources', defaultConfig: { tracing: { customTags: { t: { literal: { value: 'v' }, environment: { name: 'E' } } } } }, errors: ['defaultConfig.tracing.customTags.t: literal and environment given: a tag takes its value from one of literal, environment, header'] },
    { name: 'an unknown key below a tag (strict, as the mesh config is)', defaultConfig: { tracing: { customTags: { t: { literal: { value: 'v' }, header2: {} } } } }, errors: ['defaultConfig.tracing.customTags.t.header2: unknown field'] },
    { name: 'a bad length', defaultConfig: { tracing: { maxPathTagLength: 1.5 } }, errors: ['defaultConfig.tracing.maxPathTagLength: must be a whole number from 0 to 4294967295, got 1.5'] },
    { name: 'tracing not a mapping', defaultConfig: { tracing: 'on' }, errors: ['defaultConfig.tracing: must be a mapping, got "on"'] },
    { name: 'an unknown tracingServiceName', defaultConfig: { tracingServiceName: 'APP_LABEL' }, errors: ['defaultConfig.tracingServiceName: "APP_LABEL" must be one of APP_LABEL_AND_NAMESPACE, CANONICAL_NAME_ONLY, CANONICAL_NAME_AND_NAMESPACE'] },
    { name: 'a tracingServiceName out of range', defaultConfig: { tracingServiceName: 3 }, errors: ['defaultConfig.tracingServiceName: 3 must be one of APP_LABEL_AND_NAMESPACE, CANONICAL_NAME_ONLY, CANONICAL_NAME_AND_NAMESPACE'] },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, () => {
      expect(resolveMeshConfig({ defaultConfig: c.defaultConfig })).to.deep.equal({ ok: false, errors: c.errors });
    });
  }

  it('warns about a tag that names no source (Istio adds none)', () => {
    const r = resolveMeshConfig({ defaultConfig: { tracing: { customTags: { t: {} } } } });
    expect(r.ok && r.warnings).to.deep.equal(['defaultConfig.tracing.customTags.t: names no literal, environment or header: no such tag is added']);
    expect(r.ok && r.value.defaultConfig).to.not.have.property('tracing');
  });
});
