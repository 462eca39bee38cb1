/**
 * The mesh config's trustDomain and trustDomainAliases in AuthorizationPolicies, as istiod migrates them: a principal
 * of the trust domain, an alias or cluster.local matches the identity under each; source.trustDomain values expand.
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { REVIEWS_V1, bookinfo, byName, expectValid, proxy, yamlObjects } from './helpers.js';

const POLICY = yamlObjects(`
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: only-productpage, namespace: default }
spec:
  selector: { matchLabels: { app: reviews } }
  action: ALLOW
  rules:
  - from: [{ source: { principals: [cluster.local/ns/default/sa/bookinfo-productpage] } }]
  - from: [{ source: { trustDomains: [old.example] } }]
`);

/** The exact principal names and the trust domain patterns the ALLOW filter of reviews' inbound HTTP chain matches. */
function allowed(mesh: Record<string, unknown>): string[] {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join('; '));
  const listeners = generate(buildSnapshot([...bookinfo(), ...POLICY], snapshotOptions(r.value)), proxy(REVIEWS_V1), TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  const chain = byName(listeners, 'virtualInbound').filter_chains.find((c: any) => JSON.stringify(c).includes('envoy.filters.http.rbac.allow'));
  const text = JSON.stringify(chain);
  return [...text.matchAll(/"(?:exact|prefix|regex)":"([^"]*)"/g)].map((m) => m[1]!).filter((v) => v.startsWith('spiffe://') || v.includes('example'));
}

describe("mesh config: Istio's trustDomainAliases in authorization", () => {
  it('the default trust domain: policies as written', () => {
    expect(allowed({})).to.include('spiffe://cluster.local/ns/default/sa/bookinfo-productpage');
  });

  it('another trust domain: cluster.local principals stand for it; with aliases, for each of them too', () => {
    expect(allowed({ trustDomain: 'new.example' })).to.include('spiffe://new.example/ns/default/sa/bookinfo-productpage').and.not.include('spiffe://cluster.local/ns/default/sa/bookinfo-productpage');
    const both = allowed({ trustDomain: 'new.example', trustDomainAliases: ['old.example'] });
    expect(both).to.include.members(['spiffe://new.example/ns/default/sa/bookinfo-productpage', 'spiffe://old.example/ns/default/sa/bookinfo-productpage']);
    // The trustDomains rule naming the alias now admits the trust domain as well (prefix matchers).
    expect(both).to.include.members(['spiffe://old.example/', 'spiffe://new.example/']);
    expect(allowed({ trustDomain: 'new.example' }), 'without the alias, only what it names').to.include('spiffe://old.example/').and.not.include('spiffe://new.example/');
  });

  it('aliases are checked: not a trust domain is an error naming the entry', () => {
    const bad = resolveMeshConfig({ trustDomainAliases: ['ok.example', 'Not A Domain'] });
    expect(!bad.ok && bad.errors).to.deep.equal(['trustDomainAliases[1]: "Not A Domain" must be a trust domain (a leading or trailing * allowed)']);
  });
});
