/** reduceConfigMap(): what the Kubernetes source keeps of a ConfigMap (CA bundles, gateway customizations). */
import { expect } from 'chai';
import { isGatewayCustomization, reduceConfigMap } from '../../../src/sources/kube/configmaps.js';

const meta = { name: 'cm', namespace: 'ns', resourceVersion: '5', uid: 'u', annotations: { big: 'x'.repeat(100) } };
const reduced = { name: 'cm', namespace: 'ns', resourceVersion: '5', uid: 'u' };
const DEFAULTS = 'gateway.istio.io/defaults-for-class';

describe('ConfigMaps as the Kubernetes source keeps them', () => {
  const cases: Array<[string, unknown, unknown]> = [
    ['a CA bundle: ca.crt alone', { metadata: meta, data: { 'ca.crt': 'PEM', 'app.properties': 'a=1' } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: reduced, data: { 'ca.crt': 'PEM' } }],
    ['a customization: the overlays, the other keys by name only', { metadata: meta, data: { deployment: 'spec: {}', service: 'x', extra: 'secret-ish' } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: reduced, data: { deployment: 'spec: {}', service: 'x', extra: '' } }],
    ['every overlay key counts', { metadata: meta, data: { podDisruptionBudget: '' } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: reduced, data: { podDisruptionBudget: '' } }],
    ['class defaults by their label, even with no data', { metadata: { ...meta, labels: { [DEFAULTS]: 'istio' } } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: { ...reduced, labels: { [DEFAULTS]: 'istio' } }, data: {} }],
    ['both: a CA bundle that customizes', { metadata: meta, data: { 'ca.crt': 'PEM', deployment: 'd', other: 'o' } }, { apiVersion: 'v1', kind: 'ConfigMap', metadata: reduced, data: { 'ca.crt': 'PEM', deployment: 'd', other: '' } }],
    ['neither: not kept', { metadata: meta, data: { 'app.properties': 'a=1', Deployment: 'x' } }, undefined],
    ['no name: not kept', { metadata: { namespace: 'ns' }, data: { deployment: 'x' } }, undefined],
    ['not an object: not kept', 'cm', undefined],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => expect(reduceConfigMap(input)).to.deep.equal(want));
  }

  it('isGatewayCustomization reads a reduced or whole ConfigMap, and junk without throwing', () => {
    expect(isGatewayCustomization({ metadata: { name: 'a' }, data: { horizontalPodAutoscaler: 's' } })).to.equal(true);
    expect(isGatewayCustomization({ metadata: { name: 'a', labels: { [DEFAULTS]: 'istio' } } })).to.equal(true);
    expect(isGatewayCustomization({ metadata: { name: 'a' }, data: { 'ca.crt': 'x' } })).to.equal(false);
    expect(isGatewayCustomization({ metadata: { name: 'a', labels: 'x' as never }, data: 'y' })).to.equal(false);
  });
});
