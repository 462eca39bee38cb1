import { expect } from 'chai';
import { runInjectDemo, podFromTemplate, resourceOf, createReview } from '../../src/demo/inject.js';
import { silentLogger } from '../../src/core/log.js';

describe('demo: injection half', function () {
  this.timeout(30_000);

  it('starts serve, sends a Bookinfo pod as the API server would, prints the patch and the injected pod', async () => {
    let printed = '';
    const r = await runInjectDemo({ out: (s) => (printed += s), log: silentLogger });
    expect(r.original.metadata.name).to.equal(undefined);
    expect(r.original.metadata.generateName).to.match(/^productpage-v1-/);
    expect(r.patch.length).to.be.greaterThan(0);
    expect(r.injected.spec.containers.map((c: { name: string }) => c.name)).to.include('istio-proxy');
    expect(printed).to.match(/# the JSON patch \(JSONPatch, \d+ operations\)/).and.match(/# the injected pod/).and.match(/containers: productpage, istio-proxy/);
  });

  it('builds pods as controllers do and names resources as the API server does', async () => {
    const pod = podFromTemplate({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web' }, spec: { template: { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'web', image: 'nginx' }] } } } }, 'ns', false);
    expect(pod.metadata).to.include({ generateName: 'web-5d9c8b7f6c-' });
    expect(pod.metadata.namespace).to.equal(undefined);
    expect(pod.metadata.labels).to.deep.equal({ app: 'web', 'pod-template-hash': '5d9c8b7f6c' });
    const table: Array<[string, string]> = [
      ['Pod', 'pods'],
      ['VirtualService', 'virtualservices'],
      ['AuthorizationPolicy', 'authorizationpolicies'],
      ['ServiceEntry', 'serviceentries'],
      ['Gateway', 'gateways'],
      ['Ingress', 'ingresses'],
    ];
    for (const [kind, plural] of table) expect(resourceOf(kind)).to.equal(plural);
    expect(createReview(pod, 'ns').request).to.deep.include({ namespace: 'ns', operation: 'CREATE', resource: { group: '', version: 'v1', resource: 'pods' } });
  });
});
