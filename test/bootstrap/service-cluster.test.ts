/** The service cluster (node.cluster) as Istio's agent names it from tracingServiceName, the labels and the workload. */
import { expect } from 'chai';
import { serviceCluster, serviceClusterName, type TracingServiceName } from '../../src/bootstrap/service-cluster.js';

const APP = 'app';
const K8S = 'app.kubernetes.io/name';
const CANONICAL = 'service.istio.io/canonical-name';

describe('the service cluster (tracingServiceName)', () => {
  const cases: Array<[string, TracingServiceName | undefined, Record<string, string>, string, string]> = [
    ['default: app first', undefined, { [APP]: 'a', [K8S]: 'k', [CANONICAL]: 'c' }, 'w', 'a.ns'],
    ['default: then app.kubernetes.io/name', 'APP_LABEL_AND_NAMESPACE', { [K8S]: 'k', [CANONICAL]: 'c' }, 'w', 'k.ns'],
    ['default: then the canonical name', 'APP_LABEL_AND_NAMESPACE', { [CANONICAL]: 'c' }, 'w', 'c.ns'],
    ['default: then the workload', undefined, {}, 'w', 'w.ns'],
    ['default: nothing names it', undefined, {}, '', 'istio-proxy.ns'],
    ['default: a label present but empty still counts, as in Istio', undefined, { [APP]: '', [K8S]: 'k' }, 'w', '.ns'],
    ['canonical only: the canonical name first', 'CANONICAL_NAME_ONLY', { [APP]: 'a', [K8S]: 'k', [CANONICAL]: 'c' }, 'w', 'c'],
    ['canonical only: app.kubernetes.io/name before app', 'CANONICAL_NAME_ONLY', { [APP]: 'a', [K8S]: 'k' }, 'w', 'k'],
    ['canonical only: the workload', 'CANONICAL_NAME_ONLY', {}, 'w', 'w'],
    ['canonical only: nothing names it, as the default', 'CANONICAL_NAME_ONLY', {}, '', 'istio-proxy.ns'],
    ['canonical only: an empty canonical name, as the default', 'CANONICAL_NAME_ONLY', { [CANONICAL]: '', [APP]: 'a' }, 'w', 'a.ns'],
    ['canonical and namespace', 'CANONICAL_NAME_AND_NAMESPACE', { [APP]: 'a', [CANONICAL]: 'c' }, 'w', 'c.ns'],
    ['canonical and namespace: nothing names it', 'CANONICAL_NAME_AND_NAMESPACE', {}, '', 'istio-proxy.ns'],
  ];
  for (const [name, mode, labels, workload, want] of cases) {
    it(name, () => {
      expect(serviceCluster(mode, labels, workload, 'ns')).to.equal(want);
    });
  }

  it('says whether the namespace follows, for a caller that writes it otherwise', () => {
    expect(serviceClusterName('CANONICAL_NAME_ONLY', { [CANONICAL]: 'c' }, 'w')).to.deep.equal({ name: 'c', namespaced: false });
    expect(serviceClusterName(undefined, { [APP]: 'a' }, 'w')).to.deep.equal({ name: 'a', namespaced: true });
  });
});
