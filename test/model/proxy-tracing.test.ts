/** ProxyConfig tracing's customTags and maxPathTagLength, read as proto3 JSON reads them; bad input named by its path. */
import { expect } from 'chai';
import { readProxyTracing, saysTracing } from '../../src/model/proxy-tracing.js';

describe('ProxyConfig tracing (customTags, maxPathTagLength)', () => {
  const good: Array<{ name: string; in: unknown; value: unknown; unknown?: string[]; others?: string[]; warnings?: string[] }> = [
    { name: 'nothing', in: {}, value: {} },
    {
      name: 'the three sources, defaults kept where given',
      in: { customTags: { a: { literal: { value: 'x' } }, b: { environment: { name: 'ZONE', defaultValue: 'z' } }, c: { header: { name: 'x-user' } } } },
      value: { customTags: { a: { literal: { value: 'x' } }, b: { environment: { name: 'ZONE', defaultValue: 'z' } }, c: { header: { name: 'x-user' } } } },
    },
    {
      name: 'proto names, and a uint32 as a string',
      in: { custom_tags: { b: { environment: { name: 'ZONE', default_value: 'z' } } }, max_path_tag_length: '300' },
      value: { customTags: { b: { environment: { name: 'ZONE', defaultValue: 'z' } } }, maxPathTagLength: 300 },
    },
    { name: 'null and 0 leave fields unset; an empty default is none', in: { customTags: null, maxPathTagLength: 0 }, value: {} },
    { name: 'an empty default value is as none', in: { customTags: { h: { header: { name: 'x', defaultValue: '' } } } }, value: { customTags: { h: { header: { name: 'x' } } } } },
    { name: "Istio's other tracing fields are named back", in: { zipkin: { address: 'z:9411' }, sampling: 5, tls_settings: {} }, value: {}, others: ['zipkin', 'sampling', 'tls_settings'] },
    { name: 'enableIstioTags false (or by its proto name); true is as unset', in: { enable_istio_tags: false }, value: { enableIstioTags: false } },
    { name: 'enableIstioTags true or null is as unset', in: { enableIstioTags: true }, value: {} },
    { name: 'unknown keys, at every level', in: { customTag: {}, customTags: { t: { literal: { value: 'v', extra: 1 }, formatter: {} } } }, value: { customTags: { t: { literal: { value: 'v' } } } }, unknown: ['customTag', 'customTags.t.formatter', 'customTags.t.literal.extra'] },
    { name: 'a tag that names no source adds nothing, with a warning (Istio adds none either)', in: { customTags: { t: {} } }, value: {}, warnings: ['customTags.t: names no literal, environment or header: no such tag is added'] },
  ];
  for (const c of good) {
    it(`reads ${c.name}`, () => {
      const r = readProxyTracing(c.in);
      if (!r.ok) throw new Error(r.errors.join('; '));
      expect(r.value).to.deep.equal(c.value);
      expect(r.unknown).to.deep.equal(c.unknown ?? []);
      expect(r.others).to.deep.equal(c.others ?? []);
      expect(r.warnings).to.deep.equal(c.warnings ?? []);
    });
  }

  const bad: Array<{ name: string; in: unknown; errors: string[] }> = [
    { name: 'not a mapping', in: 'tags', errors: ['must be a mapping, got "tags"'] },
    { name: 'customTags not a mapping', in: { customTags: ['a'] }, errors: ['customTags: must be a mapping of tag names to tags, got a list of 1'] },
    { name: 'an empty tag name', in: { customTags: { '': { literal: { value: 'v' } } } }, errors: ['customTags."": a tag needs a name (Envoy refuses an empty one)'] },
    { name: 'a null tag', in: { customTags: { t: null } }, errors: ['customTags.t: must be a tag (literal, environment or header), got null'] },
    { name: 'a tag that is no mapping', in: { customTags: { t: 'v' } }, errors: ['customTags.t: must be a mapping with one of literal, environment, header; got "v"'] },
    { name: 'two sources', in: { customTags: { t: { literal: { value: 'v' }, header: { name: 'x' } } } }, errors: ['customTags.t: literal and header given: a tag takes its value from one of literal, environment, header'] },
    { name: 'a source that is no mapping', in: { customTags: { t: { environment: 'ZONE' } } }, errors: ['customTags.t.environment: must be a mapping, got "ZONE"'] },
    { name: 'an empty literal', in: { customTags: { t: { literal: {} } } }, errors: ['customTags.t.literal.value: required, a non-empty string (Envoy refuses an empty literal)'] },
    { name: 'no variable name', in: { customTags: { t: { environment: { defaultValue: 'd' } } } }, errors: ['customTags.t.environment.name: required, the environment variable to read'] },
    { name: 'no header name', in: { customTags: { t: { header: { name: '' } } } }, errors: ['customTags.t.header.name: required, the request header to read'] },
    { name: 'a header name Envoy refuses', in: { customTags: { t: { header: { name: 'x\nbad' } } } }, errors: ['customTags.t.header.name: "x\\nbad" must be a header name (no NUL, CR or LF)'] },
    { name: 'a value of the wrong type', in: { customTags: { t: { header: { name: 'x', defaultValue: 7 } } } }, errors: ['customTags.t.header.defaultValue: must be a string, got 7'] },
    { name: 'a default under both names', in: { customTags: { t: { header: { name: 'x', defaultValue: 'a', default_value: 'b' } } } }, errors: ['customTags.t.header.default_value: given twice, under its JSON and its proto name (set one of them)'] },
    { name: 'enableIstioTags that is no boolean', in: { enableIstioTags: 'no' }, errors: ['enableIstioTags: must be true or false, got "no"'] },
    { name: 'a negative length', in: { maxPathTagLength: -1 }, errors: ['maxPathTagLength: must be a whole number from 0 to 4294967295, got -1'] },
    { name: 'a length that is not a number', in: { maxPathTagLength: 'long' }, errors: ['maxPathTagLength: must be a whole number from 0 to 4294967295, got "long"'] },
    { name: 'a field under both names', in: { maxPathTagLength: 1, max_path_tag_length: 2 }, errors: ['max_path_tag_length: given again as maxPathTagLength (set one of them)'] },
  ];
  for (const c of bad) {
    it(`refuses ${c.name}`, () => {
      expect(readProxyTracing(c.in)).to.deep.equal({ ok: false, errors: c.errors });
    });
  }

  it('says whether a tracing says anything', () => {
    expect([undefined, {}, { maxPathTagLength: 1 }, { customTags: {} }, { enableIstioTags: false as const }].map(saysTracing)).to.deep.equal([false, false, true, true, true]);
  });
});
