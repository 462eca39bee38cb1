/**
 * `mizzen analyze` over Gateway API BackendTLSPolicies (MZ0022, MZ0003): targets that get no TLS from a policy and CA
 * references that do not resolve, as the conversion mizzen serves them decides (model/gateway-api-backendtls.ts).
 */
import { expect } from 'chai';
import { analyze } from '../../src/analysis/index.js';
import type { KubeObject } from '../../src/core/kube.js';
import { describeTable, leveled, svc } from './fixtures.js';

const GW = 'gateway.networking.k8s.io';
const policy = (name: string, targetRefs: unknown[], validation: Record<string, unknown> = { hostname: 'backend.example.com', wellKnownCACertificates: 'System' }, ns = 'default'): KubeObject =>
  ({ apiVersion: `${GW}/v1`, kind: 'BackendTLSPolicy', metadata: { name, namespace: ns }, spec: { targetRefs, validation } }) as KubeObject;
const service = (name: string) => ({ group: '', kind: 'Service', name });
const configMap = (name: string, ca: string): KubeObject => ({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name, namespace: 'default' }, data: { 'ca.crt': ca } }) as KubeObject;
const byConfigMap = (name: string) => ({ hostname: 'backend.example.com', caCertificateRefs: [{ group: '', kind: 'ConfigMap', name }] });

describeTable(
  'analysis: BackendTLSPolicies (MZ0022, MZ0003)',
  {
    'targets': [
      { name: 'a Service of its namespace, with the system CAs: clean', objects: [svc('backend'), policy('p', [service('backend')])], expect: [] },
      { name: 'no such Service where the input has Services', objects: [svc('backend'), policy('p', [service('gone')])], expect: ['Warning MZ0022 BackendTLSPolicy default/p spec.targetRefs[0]'] },
      { name: 'no such Service, and no Services in its namespace to check against', objects: [policy('p', [service('gone')], undefined, 'empty')], expect: ['Warning MZ0003 BackendTLSPolicy empty/p spec.targetRefs[0]'] },
      { name: 'another kind', objects: [svc('backend'), policy('p', [{ group: 'apps', kind: 'Deployment', name: 'backend' }])], expect: ['Warning MZ0022 BackendTLSPolicy default/p spec.targetRefs[0]'] },
      { name: 'a sectionName the Service has no port of', objects: [svc('backend'), policy('p', [{ ...service('backend'), sectionName: 'nope' }])], expect: ['Warning MZ0022 BackendTLSPolicy default/p spec.targetRefs[0]'] },
    ],
    'CA references': [
      { name: 'a ConfigMap the input lacks, where it has others', objects: [svc('backend'), configMap('other', 'x'), policy('p', [service('backend')], byConfigMap('ca'))], expect: ['Warning MZ0022 BackendTLSPolicy default/p spec.validation.caCertificateRefs[0]'] },
      { name: 'a ConfigMap the input lacks, and no ConfigMaps to check against', objects: [svc('backend'), policy('p', [service('backend')], byConfigMap('ca'))], expect: ['Warning MZ0003 BackendTLSPolicy default/p spec.validation.caCertificateRefs[0]'] },
      { name: 'a ConfigMap whose ca.crt is no certificate', objects: [svc('backend'), configMap('ca', 'not a certificate'), policy('p', [service('backend')], byConfigMap('ca'))], expect: ['Warning MZ0022 BackendTLSPolicy default/p spec.validation.caCertificateRefs[0]'] },
      { name: 'an unknown wellKnownCACertificates', objects: [svc('backend'), policy('p', [service('backend')], { hostname: 'b', wellKnownCACertificates: 'Mine' })], expect: ['Warning MZ0022 BackendTLSPolicy default/p spec.validation.wellKnownCACertificates'] },
    ],
  },
  leveled,
);

describe('analysis: BackendTLSPolicy messages', () => {
  it('say what befalls the traffic', () => {
    const found = analyze([svc('backend'), configMap('other', 'x'), policy('p', [service('gone')], byConfigMap('ca'))]);
    expect(found.filter((f) => f.code === 'MZ0022').map((f) => f.message)).to.deep.equal([
      'This target gets no TLS from the policy: targetRefs invalid: Service default/gone not found',
      'The traffic this policy configures fails (mizzen never falls back to no check): Certificate reference not found: ConfigMap default/ca with a ca.crt',
    ]);
  });

  it('garbage gives no finding and no throw', () => {
    const junk = [{ apiVersion: `${GW}/v1`, kind: 'BackendTLSPolicy', metadata: { name: 'j', namespace: 'default' }, spec: 7 }, { apiVersion: `${GW}/v1`, kind: 'BackendTLSPolicy', metadata: { name: 'k', namespace: 'default' }, spec: { targetRefs: 'x', validation: [] } }] as unknown as KubeObject[];
    expect(analyze([svc('backend'), ...junk]).filter((f) => f.code === 'MZ0022')).to.deep.equal([]);
  });
});
