import { expect } from 'chai';
import { parseNode, proxyConfigOf } from '../../src/model/proxy.js';
import type { MeshSettings } from '../../src/model/types.js';

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
    { name: 'its node cluster', node: { id: 'sidecar~10.1.2.3~r.default~default.svc.cluster.local', cluster: 'reviews.default' }, want: { cluster: 'reviews.default' } },
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

describe("proxyConfigOf: the proxy's ProxyConfig", () => {
  const mesh: MeshSettings = { registryOnly: false, trustDomain: 'cluster.local', proxyHeaders: { requestId: { disabled: true } }, proxyTracing: { maxPathTagLength: 9 } };
  const node = (metadata: Record<string, unknown>) => {
    const r = parseNode({ id: 'sidecar~10.1.2.3~r.default~default.svc.cluster.local', metadata });
    if (!r.ok) throw new Error(r.errors.join());
    return r.value;
  };

  it("is the node's PROXY_CONFIG, whole, when it sent one; else the mesh's defaultConfig (the same object each time)", () => {
    expect(proxyConfigOf(mesh, node({ PROXY_CONFIG: { tracing: { maxPathTagLength: 3 } } }))).to.deep.equal({ tracing: { maxPathTagLength: 3 } });
    expect(proxyConfigOf(mesh, node({}))).to.deep.equal({ proxyHeaders: { requestId: { disabled: true } }, tracing: { maxPathTagLength: 9 } });
    expect(proxyConfigOf(mesh, node({}))).to.equal(proxyConfigOf(mesh, node({})));
    // One that does not read is ignored: the mesh's then.
    expect(proxyConfigOf(mesh, node({ PROXY_CONFIG: { tracing: 'x' } }))).to.deep.equal(proxyConfigOf(mesh, node({})));
  });
});
