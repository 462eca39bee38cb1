import { expect } from 'chai';
import { checkDocuments, location, schemaFindings } from '../../src/analysis/documents.js';
import { parseDocuments } from '../../src/core/documents.js';

const check = (text: string) => checkDocuments(parseDocuments(text, 'in.yaml'));

describe('analysis: checkDocuments', () => {
  /** Expected errors are prefixes: the wording after the field path belongs to the validators. */
  const table: Array<{ name: string; text: string; expect: Array<[string, string, string[]]> }> = [
    { name: 'a valid Istio resource', text: 'apiVersion: networking.istio.io/v1\nkind: Gateway\nmetadata: {name: g}\nspec: {selector: {istio: ingressgateway}, servers: [{port: {number: 80, name: http, protocol: HTTP}, hosts: ["*"]}]}\n', expect: [['in.yaml#0', 'valid', []]] },
    { name: 'a Telemetry is checked, not skipped', text: 'apiVersion: telemetry.istio.io/v1\nkind: Telemetry\nmetadata: {name: t, namespace: istio-system}\nspec: {tracing: [{randomSamplingPercentage: 200}]}\n', expect: [['in.yaml#0', 'invalid', ['spec.tracing[0].randomSamplingPercentage: ']]] },
    { name: 'an EnvoyFilter is checked, not skipped', text: 'apiVersion: networking.istio.io/v1alpha3\nkind: EnvoyFilter\nmetadata: {name: ef, namespace: default}\nspec: {configPatches: [{applyTo: LISTENER, match: {cluster: {service: a}}, patch: {operation: REMOVE}}]}\n', expect: [['in.yaml#0', 'invalid', ['spec.configPatches[0].match.cluster: ']]] },
    { name: 'an EnvoyFilter as networking.istio.io/v1 is invalid', text: 'apiVersion: networking.istio.io/v1\nkind: EnvoyFilter\nmetadata: {name: ef}\nspec: {}\n', expect: [['in.yaml#0', 'invalid', ['unsupported kind EnvoyFilter in networking.istio.io/v1']]] },
    { name: 'a non-Istio object is skipped', text: 'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n', expect: [['in.yaml#0', 'skipped', []]] },
    { name: 'an unknown Istio kind is invalid', text: 'apiVersion: networking.istio.io/v1\nkind: Nope\nmetadata: {name: n}\n', expect: [['in.yaml#0', 'invalid', ['unsupported kind Nope']]] },
    { name: 'no kind', text: 'apiVersion: v1\nmetadata: {name: n}\n', expect: [['in.yaml#0', 'invalid', ['not a Kubernetes object: kind is required']]] },
    { name: 'a scalar', text: '42\n', expect: [['in.yaml#0', 'invalid', ['not a Kubernetes object: got number']]] },
    {
      name: 'List items are checked one by one',
      text: 'apiVersion: v1\nkind: List\nitems:\n- apiVersion: v1\n  kind: Service\n  metadata: {name: s}\n- apiVersion: security.istio.io/v1\n  kind: AuthorizationPolicy\n  metadata: {name: a}\n  spec: {action: MAYBE}\n',
      expect: [
        ['in.yaml#0.items[0]', 'skipped', []],
        ['in.yaml#0.items[1]', 'invalid', ['spec.action: ']],
      ],
    },
    { name: 'empty documents are dropped, indexes kept', text: '---\n---\napiVersion: v1\nkind: Pod\nmetadata: {name: p}\n', expect: [['in.yaml#1', 'skipped', []]] },
  ];
  for (const c of table) {
    it(c.name, async () => {
      const got = check(c.text);
      expect(got.map((r) => [location(r), r.status])).to.deep.equal(c.expect.map(([l, s]) => [l, s]));
      got.forEach((r, i) => {
        const want = c.expect[i]![2];
        expect(r.errors).to.have.length(want.length);
        want.forEach((prefix, j) => expect(r.errors[j]!.startsWith(prefix), r.errors[j]).to.equal(true));
      });
    });
  }

  it('an unparsable document is invalid and becomes an IST0106 about the document', async () => {
    const [r] = check('a: [b\n');
    expect(r!.status).to.equal('invalid');
    expect(r!.errors[0]).to.match(/^does not parse: /);
    const [f] = schemaFindings(r!);
    expect(f).to.deep.include({ code: 'IST0106', level: 'Error', resource: { kind: 'Document', namespace: '', name: 'in.yaml#0' } });
  });

  it('schema errors and warnings of a resource become IST0106 and IST0133 about it', async () => {
    const [r] = check('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: x}\nspec: {hosts: [a], http: [{timeout: abc, route: [{destination: {host: a}}]}]}\n');
    const fs = schemaFindings(r!);
    expect(fs.map((f) => [f.code, f.resource])).to.deep.equal([['IST0106', { kind: 'VirtualService', namespace: 'x', name: 'v' }]]);
  });

  it('unreachable VirtualService rules and matches are IST0130 and IST0131 with their paths, not IST0133', async () => {
    const [r] = check(
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v, namespace: x}\nspec: {hosts: [a], http: [' +
        '{match: [{uri: {prefix: /api}}], route: [{destination: {host: a}}]}, ' +
        '{match: [{uri: {prefix: /api/v1}}, {uri: {prefix: /web}}], route: [{destination: {host: a}}]}, ' +
        '{route: [{destination: {host: a}}]}, ' +
        '{match: [{uri: {prefix: /other}}], route: [{destination: {host: a}}]}]}\n',
    );
    const fs = schemaFindings(r!);
    expect(fs.map((f) => [f.level, f.code, f.path])).to.deep.equal([
      ['Info', 'IST0131', 'spec.http[1].match[0]'],
      ['Warning', 'IST0130', 'spec.http[3]'],
    ]);
    expect(fs[0]!.message).to.equal('match #0 of rule #1 is never used: match #0 of rule #0 comes first and takes every request it matches');
  });

  it('other warnings of a VirtualService stay IST0133', async () => {
    const [r] = check('apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: [a], tcp: [{match: [{destinationSubnets: [10.0.0.0/8]}], route: [{destination: {host: a}}]}]}\n');
    expect(schemaFindings(r!).map((f) => f.code)).to.deep.equal(['IST0133']);
  });
});
