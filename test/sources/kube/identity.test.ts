/**
 * Node-to-pod identity: the pure verdict table, and the xDS server's hook closing a refused stream with
 * PERMISSION_DENIED (or UNAVAILABLE before sync) and a clear message, while an accepted proxy gets its labels
 * from the pod.
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { checkProxyIdentity, podIPs, type PodLookup } from '../../../src/sources/kube/identity.js';
import { parseNode, type Proxy } from '../../../src/model/proxy.js';
import type { KubeObject } from '../../../src/core/kube.js';
import { startServer, struct, type Harness } from '../../xds/server/harness.js';
import { TypeUrls } from '../../../src/core/constants.js';

const pod = (name: string, ip: string | undefined, o: { ns?: string; labels?: Record<string, string>; sa?: string; phase?: string; ips?: string[] } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace: o.ns ?? 'default', labels: o.labels ?? { app: name.split('-')[0]! } },
  spec: { containers: [{ name: 'app' }], ...(o.sa ? { serviceAccountName: o.sa } : {}) },
  status: { phase: o.phase ?? 'Running', ...(ip ? { podIP: ip } : {}), ...(o.ips ? { podIPs: o.ips.map((x) => ({ ip: x })) } : {}) },
});

const lookup = (pods: KubeObject[], synced = true): PodLookup => ({
  synced: () => synced,
  pod: (ns, name) => pods.find((p) => p.metadata.namespace === ns && p.metadata.name === name),
});

const proxy = (id: string, metadata: Record<string, unknown> = {}): Proxy => {
  const r = parseNode({ id, metadata });
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
};

const id = (podName: string, ip: string, ns = 'default'): string => `sidecar~${ip}~${podName}.${ns}~${ns}.svc.cluster.local`;

describe('kube node identity', () => {
  const pods = [
    pod('reviews-v1-abc', '10.0.0.5', { labels: { app: 'reviews', version: 'v1' }, sa: 'bookinfo-reviews' }),
    pod('dual-1', '10.0.0.6', { ips: ['10.0.0.6', 'fd00::6'] }),
    pod('pending-1', undefined, { phase: 'Pending' }),
    pod('done-1', '10.0.0.7', { phase: 'Succeeded' }),
    pod('other-1', '10.0.1.1', { ns: 'other' }),
  ];
  const cases: Array<{ name: string; id: string; meta?: Record<string, unknown>; synced?: boolean; want: 'ok' | 'denied' | 'unavailable'; message?: RegExp }> = [
    { name: 'matching pod and IP', id: id('reviews-v1-abc', '10.0.0.5'), want: 'ok' },
    { name: 'matching service account', id: id('reviews-v1-abc', '10.0.0.5'), meta: { SERVICE_ACCOUNT: 'bookinfo-reviews' }, want: 'ok' },
    { name: 'second IP of a dual-stack pod', id: id('dual-1', 'FD00::6'), want: 'ok' },
    { name: 'missing pod', id: id('ghost-1', '10.0.0.5'), want: 'denied', message: /claims pod default\/ghost-1, which does not exist/ },
    { name: 'pod of the same name in another namespace', id: id('other-1', '10.0.1.1'), want: 'denied', message: /does not exist/ },
    { name: 'wrong IP', id: id('reviews-v1-abc', '10.0.0.99'), want: 'denied', message: /with IP 10\.0\.0\.99, but the pod's IP is 10\.0\.0\.5/ },
    { name: 'wrong service account', id: id('reviews-v1-abc', '10.0.0.5'), meta: { SERVICE_ACCOUNT: 'admin' }, want: 'denied', message: /claims service account admin, but pod default\/reviews-v1-abc runs as bookinfo-reviews/ },
    { name: 'finished pod', id: id('done-1', '10.0.0.7'), want: 'denied', message: /has finished \(phase Succeeded\)/ },
    { name: 'pod without an IP yet', id: id('pending-1', '10.0.0.8'), want: 'unavailable', message: /no IP yet/ },
    { name: 'not synced yet', id: id('reviews-v1-abc', '10.0.0.5'), synced: false, want: 'unavailable', message: /not synced/ },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const v = checkProxyIdentity(proxy(c.id, c.meta), lookup(pods, c.synced ?? true));
      if (c.want === 'ok') expect(v.ok, JSON.stringify(v)).to.equal(true);
      else {
        expect(v.ok).to.equal(false);
        if (!v.ok) {
          expect(v.code).to.equal(c.want);
          expect(v.message).to.match(c.message!);
        }
      }
    });
  }

  it('takes labels from the pod, not from the node metadata', () => {
    const v = checkProxyIdentity(proxy(id('reviews-v1-abc', '10.0.0.5'), { LABELS: { app: 'productpage', version: 'admin' } }), lookup(pods));
    expect(v.ok && v.proxy.labels).to.deep.equal({ app: 'reviews', version: 'v1' });
  });

  it('reads podIPs and podIP', () => {
    expect(podIPs(pods[1]!)).to.deep.equal(['10.0.0.6', 'fd00::6']);
    expect(podIPs(pod('x', undefined))).to.deep.equal([]);
    expect(podIPs({ apiVersion: 'v1', kind: 'Pod', metadata: {}, status: { podIPs: [null, { ip: 3 }] } })).to.deep.equal([]);
  });

  describe('through the xDS server hook', () => {
    let h: Harness | undefined;
    let synced = true;
    const seen: Proxy[] = [];
    afterEach(async () => {
      await h?.close();
      h = undefined;
    });
    const start = async (): Promise<Harness> =>
      startServer([], {
        authorizeProxy: (p) => {
          const v = checkProxyIdentity(p, lookup(pods, synced));
          if (v.ok) seen.push(v.proxy);
          return v;
        },
      });
    const request = (nodeId: string, labels?: Record<string, string>) => ({
      node: { id: nodeId, metadata: struct({ GENERATOR: 'grpc', ...(labels ? { LABELS: labels } : {}) }) },
      type_url: TypeUrls.listener,
      resource_names: ['reviews.default.svc.cluster.local:9080'],
    });

    it('refuses a node claiming a missing pod with PERMISSION_DENIED and says why', async () => {
      h = await start();
      const c = h.connect();
      c.send(request(id('ghost-1', '10.0.0.5')));
      const s = await c.ended();
      expect(s.code).to.equal(grpc.status.PERMISSION_DENIED);
      expect(s.details).to.match(/claims pod default\/ghost-1, which does not exist/);
      expect(h.server.connections()).to.have.length(0);
    });

    it('refuses a wrong IP, and answers UNAVAILABLE before the pods are synced', async () => {
      h = await start();
      const c = h.connect();
      c.send(request(id('reviews-v1-abc', '10.9.9.9')));
      expect((await c.ended()).code).to.equal(grpc.status.PERMISSION_DENIED);
      synced = false;
      const d = h.connect();
      d.send(request(id('reviews-v1-abc', '10.0.0.5')));
      const s = await d.ended();
      synced = true;
      expect(s.code).to.equal(grpc.status.UNAVAILABLE);
    });

    it('serves an accepted proxy with the pod labels', async () => {
      h = await start();
      const c = h.connect();
      c.send(request(id('reviews-v1-abc', '10.0.0.5'), { app: 'spoofed' }));
      const r = await c.next();
      expect(r.type_url).to.equal(TypeUrls.listener);
      const conn = h.server.connections()[0]!;
      expect(conn.proxy!.labels).to.deep.equal({ app: 'reviews', version: 'v1' });
      expect(seen.at(-1)!.labels).to.deep.equal({ app: 'reviews', version: 'v1' });
    });
  });
});
