/** `mizzen analyze` over policies attached to Gateway API Gateways by targetRefs: a Gateway the namespace lacks (IST0101, MZ0003). */
import { expect } from 'chai';
import { analyze } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';

const GW = 'gateway.networking.k8s.io';
const gateway = (name: string, ns = 'web'): KubeObject => ({ apiVersion: `${GW}/v1`, kind: 'Gateway', metadata: { name, namespace: ns }, spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] } }) as KubeObject;
const policy = (kind: string, apiVersion: string, spec: Record<string, unknown>, ns = 'web'): KubeObject => ({ apiVersion, kind, metadata: { name: 'p', namespace: ns }, spec }) as KubeObject;
const ref = (name: string) => ({ group: GW, kind: 'Gateway', name });
const brief = (found: ReturnType<typeof analyze>) => found.filter((f) => f.code === 'IST0101' || f.code === 'MZ0003').map((f) => `${f.code} ${f.path} ${f.message}`);

describe('analysis: policy targetRefs to Gateway API Gateways (IST0101, MZ0003)', () => {
  it('a Gateway of the namespace: nothing to say; a missing one beside others: IST0101 naming the reference', () => {
    const authz = policy('AuthorizationPolicy', 'security.istio.io/v1', { targetRefs: [ref('edge'), ref('gone')], action: 'DENY', rules: [{}] });
    expect(brief(analyze([gateway('edge'), authz]))).to.deep.equal(['IST0101 spec.targetRefs[1].name Referenced Gateway not found: "web/gone": this reference attaches the AuthorizationPolicy to nothing']);
  });

  it('each attachable kind is checked, the older targetRef too; a Gateway of another namespace does not count', () => {
    const found = brief(
      analyze([
        gateway('edge', 'other'),
        gateway('front'),
        policy('RequestAuthentication', 'security.istio.io/v1', { targetRef: ref('edge'), jwtRules: [{ issuer: 'https://i', jwks: '{"keys":[]}' }] }),
        policy('Telemetry', 'telemetry.istio.io/v1', { targetRefs: [ref('edge')] }),
        policy('WasmPlugin', 'extensions.istio.io/v1alpha1', { targetRefs: [ref('edge')], url: 'file:///a.wasm' }),
        policy('EnvoyFilter', 'networking.istio.io/v1alpha3', { targetRefs: [ref('edge')], configPatches: [] }),
      ]),
    );
    // Findings come sorted by the analysis, not in input order.
    expect(found).to.have.deep.members([
      'IST0101 spec.targetRef.name Referenced Gateway not found: "web/edge": this reference attaches the RequestAuthentication to nothing',
      'IST0101 spec.targetRefs[0].name Referenced Gateway not found: "web/edge": this reference attaches the Telemetry to nothing',
      'IST0101 spec.targetRefs[0].name Referenced Gateway not found: "web/edge": this reference attaches the WasmPlugin to nothing',
      'IST0101 spec.targetRefs[0].name Referenced Gateway not found: "web/edge": this reference attaches the EnvoyFilter to nothing',
    ]);
  });

  it('no Gateway API Gateways in the namespace: MZ0003 (the input may just not hold them); waypoint references are not this check', () => {
    const telemetry = policy('Telemetry', 'telemetry.istio.io/v1', { targetRefs: [ref('edge'), { group: '', kind: 'Service', name: 'reviews' }] });
    expect(brief(analyze([telemetry]))).to.deep.equal(['MZ0003 spec.targetRefs[0].name Gateway "web/edge" is not in the input, which has no Gateway API Gateways in namespace "web" to check it against']);
  });

  it('malformed targetRefs give no finding and no throw', () => {
    const odd = policy('AuthorizationPolicy', 'security.istio.io/v1', { targetRefs: [null, 5, { group: GW, kind: 'Gateway' }], rules: [{}] });
    expect(() => analyze([gateway('edge'), odd])).to.not.throw();
    expect(brief(analyze([gateway('edge'), odd]))).to.deep.equal([]);
  });
});
