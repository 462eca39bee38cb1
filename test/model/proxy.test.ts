import { expect } from 'chai';
import { parseNode } from '../../src/model/proxy.js';

describe('parseNode', () => {
  const table: Array<{ name: string; node: any; want?: object; error?: string }> = [
    {
      name: 'sidecar',
      node: { id: 'sidecar~10.1.2.3~reviews-v1-abc.default~default.svc.cluster.local', metadata: { LABELS: { app: 'reviews', version: 'v1' } } },
      want: { type: 'sidecar', generator: 'envoy', ip: '10.1.2.3', podName: 'reviews-v1-abc', namespace: 'default', labels: { app: 'reviews', version: 'v1' } },
    },
    {
      name: 'proxyless gRPC with a namespace in metadata',
      node: { id: 'sidecar~127.0.0.1~client.x~x.svc.cluster.local', metadata: { GENERATOR: 'grpc', NAMESPACE: 'bookinfo' } },
      want: { generator: 'grpc', namespace: 'bookinfo', podName: 'client' },
    },
    { name: 'gateway', node: { id: 'router~10.0.0.9~gw-1.istio-system~istio-system.svc.cluster.local' }, want: { type: 'router', namespace: 'istio-system' } },
    { name: 'no id', node: {}, error: 'node.id: required' },
    { name: 'too few parts', node: { id: 'sidecar~1.2.3.4' }, error: 'not of the form' },
    { name: 'unknown type', node: { id: 'waypoint~1~a.b~b.svc.cluster.local' }, error: 'must be sidecar or router' },
  ];
  for (const t of table) {
    it(t.name, () => {
      const r = parseNode(t.node);
      if (t.error) {
        expect(r.ok).to.equal(false);
        if (!r.ok) expect(r.errors[0]).to.contain(t.error);
      } else {
        if (!r.ok) throw new Error(r.errors.join());
        expect(r.value).to.include(Object.fromEntries(Object.entries(t.want!).filter(([, v]) => typeof v !== 'object')));
        for (const [k, v] of Object.entries(t.want!)) if (typeof v === 'object') expect((r.value as any)[k]).to.deep.equal(v);
      }
    });
  }
});
