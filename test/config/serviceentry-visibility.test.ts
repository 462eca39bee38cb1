/**
 * The mesh config's serviceEntryVisibility as config/serviceentry-visibility.ts reads it: good input (JSON and proto
 * names) and what a snapshot carries of it, bad input (visibilities, selectors, types, unknown fields) as errors
 * naming the path, and the warnings: applyToSidecars not true, rules without a matcher mizzen knows, policies never
 * reached.
 */
import { expect } from 'chai';
import { resolveMeshConfig, snapshotOptions } from '../../src/config/mesh.js';
import { ISTIO_MESH_FIELDS } from '../../src/config/istio-fields.js';

const NOT_APPLIED = 'serviceEntryVisibility: not applied: applyToSidecars is not true, so istiod leaves it to ambient proxies, which mizzen does not have; sidecars see ServiceEntries as their exportTo says';

function resolved(input: Record<string, unknown>) {
  const r = resolveMeshConfig(input);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r;
}
const errorsOf = (input: Record<string, unknown>): string[] => {
  const r = resolveMeshConfig(input);
  return r.ok ? [] : r.errors;
};

describe('mesh config: serviceEntryVisibility', () => {
  it('is a field mizzen applies now, no longer listed as not applied', () => {
    expect(ISTIO_MESH_FIELDS).to.not.have.property('serviceEntryVisibility');
  });

  it('unset: absent from the config and the snapshot options, no warning', () => {
    const r = resolved({});
    expect(r.value).to.not.have.property('serviceEntryVisibility');
    expect(r.warnings ?? []).to.deep.equal([]);
    expect(snapshotOptions(r.value)).to.not.have.property('serviceEntryVisibility');
  });

  it('reads every field, resolving VISIBILITY_UNSPECIFIED to PUBLIC in the snapshot options', () => {
    const r = resolved({
      serviceEntryVisibility: {
        applyToSidecars: true,
        defaultVisibility: 'NAMESPACE',
        policies: [
          { visibility: 'NONE', matchingRules: [{ namespaceSelector: { matchLabels: { tier: 'sandbox' } } }, { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } }] },
          { matchingRules: [{ namespaceSelector: {} }] },
        ],
      },
    });
    expect(r.warnings ?? []).to.deep.equal([]);
    expect(r.value.serviceEntryVisibility?.policies[1]?.visibility).to.equal('VISIBILITY_UNSPECIFIED');
    expect(snapshotOptions(r.value).serviceEntryVisibility).to.deep.equal({
      defaultVisibility: 'NAMESPACE',
      policies: [
        { visibility: 'NONE', rules: [{ namespaceSelector: { matchLabels: { tier: 'sandbox' } } }, { namespaceSelector: { matchExpressions: [{ key: 'team', operator: 'Exists' }] } }] },
        { visibility: 'PUBLIC', rules: [{ namespaceSelector: {} }] },
      ],
    });
  });

  it('takes the proto names (service_entry_visibility, apply_to_sidecars, default_visibility, matching_rules, namespace_selector)', () => {
    const r = resolved({ service_entry_visibility: { apply_to_sidecars: true, default_visibility: 'NONE', policies: [{ visibility: 'PUBLIC', matching_rules: [{ namespace_selector: { matchLabels: { a: 'b' } } }] }] } });
    expect(snapshotOptions(r.value).serviceEntryVisibility).to.deep.equal({ defaultVisibility: 'NONE', policies: [{ visibility: 'PUBLIC', rules: [{ namespaceSelector: { matchLabels: { a: 'b' } } }] }] });
  });

  it('without applyToSidecars: warned as changing nothing, and carried to no snapshot', () => {
    for (const sev of [{}, { applyToSidecars: false, defaultVisibility: 'NONE' }]) {
      const r = resolved({ serviceEntryVisibility: sev });
      expect(r.warnings).to.deep.equal([NOT_APPLIED]);
      expect(snapshotOptions(r.value)).to.not.have.property('serviceEntryVisibility');
    }
  });

  it('null is unset', () => {
    const r = resolved({ serviceEntryVisibility: null });
    expect(r.value).to.not.have.property('serviceEntryVisibility');
    expect(r.warnings ?? []).to.deep.equal([]);
  });

  const bad: Array<[string, unknown, string[]]> = [
    ['not a mapping', 'NONE', ['serviceEntryVisibility: must be a mapping, got "NONE"']],
    ['an unknown visibility', { applyToSidecars: true, defaultVisibility: 'PRIVATE' }, ['serviceEntryVisibility.defaultVisibility: "PRIVATE" must be one of VISIBILITY_UNSPECIFIED, NONE, NAMESPACE, PUBLIC']],
    ['a visibility of the wrong type', { applyToSidecars: true, policies: [{ visibility: 2 }] }, ['serviceEntryVisibility.policies[0].visibility: 2 must be one of VISIBILITY_UNSPECIFIED, NONE, NAMESPACE, PUBLIC']],
    ['applyToSidecars not a boolean', { applyToSidecars: 'yes' }, ['serviceEntryVisibility.applyToSidecars: must be a boolean, got "yes"']],
    ['an unknown field', { applyToSidecars: true, visibility: 'NONE' }, ['serviceEntryVisibility.visibility: unknown field']],
    ['policies not a list', { applyToSidecars: true, policies: { visibility: 'NONE' } }, ['serviceEntryVisibility.policies: must be a list, got a mapping']],
    ['a policy not a mapping', { applyToSidecars: true, policies: ['NONE'] }, ['serviceEntryVisibility.policies[0]: must be a mapping, got "NONE"']],
    ['an unknown policy field', { applyToSidecars: true, policies: [{ visibility: 'NONE', rules: [] }] }, ['serviceEntryVisibility.policies[0].rules: unknown field']],
    ['matchingRules not a list', { applyToSidecars: true, policies: [{ matchingRules: 'x' }] }, ['serviceEntryVisibility.policies[0].matchingRules: must be a list, got "x"']],
    ['a rule not a mapping', { applyToSidecars: true, policies: [{ matchingRules: [3] }] }, ['serviceEntryVisibility.policies[0].matchingRules[0]: must be a mapping, got 3']],
  ];
  for (const [name, sev, want] of bad) {
    it(`refuses ${name}, naming the field`, () => expect(errorsOf({ serviceEntryVisibility: sev })).to.deep.equal(want));
  }

  it('checks namespace selectors as discoverySelectors are checked (operator, values, types)', () => {
    const errors = errorsOf({
      serviceEntryVisibility: {
        applyToSidecars: true,
        policies: [
          {
            visibility: 'NONE',
            matchingRules: [
              { namespaceSelector: { matchExpressions: [{ key: 'tier', operator: 'Equals', values: ['a'] }] } },
              { namespaceSelector: { matchExpressions: [{ key: 'tier', operator: 'In' }] } },
              { namespaceSelector: 'tier=a' },
            ],
          },
        ],
      },
    });
    expect(errors).to.have.length(3);
    expect(errors[0]).to.match(/^serviceEntryVisibility\.policies\[0\]\.matchingRules\[0\]\.namespaceSelector\.matchExpressions\[0\]\.operator: /);
    expect(errors[1]).to.equal('serviceEntryVisibility.policies[0].matchingRules[1].namespaceSelector.matchExpressions[0].values: must be non-empty for In and NotIn');
    expect(errors[2]).to.match(/^serviceEntryVisibility\.policies\[0\]\.matchingRules\[2\]\.namespaceSelector: /);
  });

  it('warns of rules without a matcher mizzen knows (they never match, as in istiod) and of policies never reached', () => {
    const r = resolved({
      serviceEntryVisibility: {
        applyToSidecars: true,
        policies: [
          { visibility: 'NONE', matchingRules: [{}] },
          { visibility: 'NONE', matchingRules: [{ hostnameSuffix: '.example.com' }] },
          { visibility: 'NAMESPACE', matchingRules: [{ namespaceSelector: { matchLabels: { a: 'b' } }, addressInCidr: '10.0.0.0/8' }] },
          { visibility: 'PUBLIC' },
          { visibility: 'NONE', matchingRules: [{ namespaceSelector: {} }] },
        ],
      },
    });
    expect(r.warnings).to.deep.equal([
      'serviceEntryVisibility.policies[0].matchingRules[0]: no matcher (namespaceSelector): the rule never matches, so its policy never applies',
      'serviceEntryVisibility.policies[1].matchingRules[0]: hostnameSuffix: not a matcher mizzen knows (namespaceSelector is): the rule never matches, as istiod treats a matcher it does not know',
      'serviceEntryVisibility.policies[2].matchingRules[0]: addressInCidr: not a matcher mizzen knows (namespaceSelector is): ignored',
      'serviceEntryVisibility.policies[4]: never applies: policies[3] has no matchingRules and matches every ServiceEntry',
    ]);
    expect(snapshotOptions(r.value).serviceEntryVisibility?.policies.map((p) => p.rules)).to.deep.equal([[{}], [{}], [{ namespaceSelector: { matchLabels: { a: 'b' } } }], [], [{ namespaceSelector: {} }]]);
  });
});
