/**
 * A proxy follows its pod's labels while its stream lasts: `mizzen serve --kubeconfig` against the stand-in API
 * server, a sidecar connected over ADS (SotW and delta), its pod relabelled from one Service to another. The same
 * streams must get listeners for the new Service's inbound port, without the old one, and no reconnect.
 */
import { expect } from 'chai';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { eventually } from '../../support/mesh.js';
import { RawAds, struct, type Response } from '../../xds/server/harness.js';
import type { RunningServe } from '../../../src/cmd/serve.js';
import { startKubeServe } from '../../support/kube-serve.js';
import { TypeUrls } from '../../../src/core/constants.js';
import type { KubeObject } from '../../../src/core/kube.js';
import type { XdsComponent } from '../../../src/xds/server/component.js';

const IP = '10.0.0.7';
const NODE = `sidecar~${IP}~web-0.default~default.svc.cluster.local`;

const pod = (labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name: 'web-0', namespace: 'default', labels },
  spec: { containers: [{ name: 'app' }, { name: 'istio-proxy' }] },
  status: { phase: 'Running', podIP: IP, podIPs: [{ ip: IP }], conditions: [{ type: 'Ready', status: 'True' }] },
});

const service = (name: string, clusterIP: string, port: number): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name, namespace: 'default' },
  spec: { selector: { app: name }, clusterIP, ports: [{ name: 'http', port }] },
});

/** The destination ports of the virtualInbound listener's filter chains (the passthrough chains have none). */
const inboundPorts = (r: Response): number[] => {
  const vi = r.resources.find((l) => l.name === 'virtualInbound') as { filter_chains?: Array<{ filter_chain_match?: { destination_port?: { value?: number } } }> } | undefined;
  return [...new Set((vi?.filter_chains ?? []).map((fc) => fc.filter_chain_match?.destination_port?.value).filter((p): p is number => p !== undefined))].sort((a, b) => a - b);
};

describe('mizzen serve --kubeconfig: a relabelled pod moves its connected proxy', function () {
  this.timeout(30_000);
  let api: FakeApiServer;
  let running: RunningServe;
  let xds: XdsComponent;
  const clients: RawAds[] = [];

  before(async () => {
    api = await startFakeApiServer();
    api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'default' } });
    api.apply(service('web', '10.96.0.1', 8080));
    api.apply(service('api', '10.96.0.2', 9090));
    api.apply(pod({ app: 'web' }));
    running = await startKubeServe(api, { informer: { backoff: { initialMs: 20, maxMs: 200 } }, leader: { namespace: 'mizzen-system', identity: 'relabel-test' } });
    xds = running.components.find((c): c is XdsComponent => c.name === 'xds')!;
    await eventually('ready', async () => ((await running.webhook.inject({ method: 'GET', url: '/readyz' })).statusCode === 200 ? true : undefined));
  });

  after(async () => {
    for (const c of clients) c.close();
    await running?.shutdown();
    await api?.close();
  });

  it('the same SotW and delta streams get the new inbound port, the old one gone, and the pod labels', async () => {
    const sotw = new RawAds(xds.port());
    const delta = new RawAds(xds.port(), true);
    clients.push(sotw, delta);
    sotw.send({ node: { id: NODE, metadata: struct({}) }, type_url: TypeUrls.listener, resource_names: [] });
    delta.send({ node: { id: NODE, metadata: struct({}) }, type_url: TypeUrls.listener });
    const first = { sotw: await sotw.next(), delta: await delta.next() };
    expect(inboundPorts(first.sotw)).to.deep.equal([8080, 15006]);
    expect(inboundPorts(first.delta)).to.deep.equal([8080, 15006]);
    sotw.ack(first.sotw);
    delta.send({ type_url: TypeUrls.listener, response_nonce: first.delta.nonce });

    api.apply(pod({ app: 'api' }));

    for (const [kind, c] of [['sotw', sotw], ['delta', delta]] as const) {
      // Until the relabel arrives, pushes of other changes (the endpoints) may come first; each is ACKed.
      let r = await c.next(10_000);
      while (!inboundPorts(r).includes(9090)) {
        c.send({ type_url: r.type_url, response_nonce: r.nonce, ...(kind === 'sotw' ? { version_info: r.version_info, resource_names: [] } : {}) });
        r = await c.next(10_000);
      }
      expect(inboundPorts(r), kind).to.deep.equal([9090, 15006]);
    }
    const conns = xds.server()!.connections().filter((c) => c.proxy?.podName === 'web-0');
    expect(conns).to.have.length(2);
    for (const c of conns) expect(c.proxy!.labels).to.deep.equal({ app: 'api' });
  });
});
