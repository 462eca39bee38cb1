import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { KubeObject } from '../../../src/core/kube.js';
import { hello } from '../../../src/demo/echo.js';
import { eventually, startMesh, tally, until, type Mesh } from '../../support/mesh.js';

const vs = (host: string, http: unknown[]): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'VirtualService',
  metadata: { name: host, namespace: 'default' },
  spec: { hosts: [host], http },
});
const dr = (host: string, trafficPolicy: unknown): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'DestinationRule',
  metadata: { name: host, namespace: 'default' },
  spec: { host, trafficPolicy },
});
const target = (svc: string) => `${svc}.default.svc.cluster.local:9080`;

describe('real gRPC clients: retries, timeouts, outlier detection, ring hash', function () {
  this.timeout(40_000);
  let mesh: Mesh;
  const backend = (ip: string) => mesh.backends.find((b) => b.ip === ip)!;
  before(async () => {
    mesh = await startMesh([
      { service: 'flaky', version: 'v1', ip: '127.0.0.61' },
      { service: 'flaky', version: 'v1', ip: '127.0.0.62' },
      { service: 'slow', version: 'v1', ip: '127.0.0.63' },
      { service: 'outlier', version: 'v1', ip: '127.0.0.64' },
      { service: 'outlier', version: 'v1', ip: '127.0.0.65' },
      { service: 'sticky', version: 'v1', ip: '127.0.0.66' },
      { service: 'sticky', version: 'v1', ip: '127.0.0.67' },
      { service: 'sticky', version: 'v1', ip: '127.0.0.68' },
    ]);
  });
  after(async () => mesh?.close());

  it('retries recover from a failing endpoint; without retries its failures reach the caller', async () => {
    backend('127.0.0.62').behaviour.failWith = grpc.status.UNAVAILABLE;
    await mesh.apply([vs('flaky', [{ retries: { attempts: 0 }, route: [{ destination: { host: 'flaky' } }] }])]);
    const client = mesh.client(target('flaky'));
    await until(client, 'a failure from the bad endpoint', (r) => r.code === grpc.status.UNAVAILABLE);
    const without = await tally(client, 100, { concurrency: 1 });
    expect(without.errors.UNAVAILABLE, JSON.stringify(without)).to.be.greaterThan(20);

    await mesh.apply([vs('flaky', [{ retries: { attempts: 3, retryOn: 'unavailable' }, route: [{ destination: { host: 'flaky' } }] }])]);
    // The new route is in force once a run of calls all succeed (each alternate attempt hits the bad endpoint).
    await eventually('retries in force', async () => ((await tally(client, 10, { concurrency: 1 })).versions.v1 === 10 ? true : undefined));
    const before = backend('127.0.0.62').calls;
    const withRetries = await tally(client, 100, { concurrency: 1 });
    expect(withRetries.errors).to.deep.equal({});
    expect(withRetries.backends).to.deep.equal({ [`127.0.0.61:${mesh.port}`]: 100 });
    expect(backend('127.0.0.62').calls - before, 'the bad endpoint was still tried').to.be.greaterThan(20);
    backend('127.0.0.62').behaviour.failWith = undefined;
  });

  it('per-route timeout: the route with a 100 ms timeout ends slow calls with DEADLINE_EXCEEDED; the other route lets them finish', async () => {
    await mesh.apply([
      vs('slow', [
        { match: [{ headers: { 'x-budget': { exact: 'short' } } }], timeout: '100ms', route: [{ destination: { host: 'slow' } }] },
        { route: [{ destination: { host: 'slow' } }] },
      ]),
    ]);
    const client = mesh.client(target('slow'));
    const slow = { sleepMs: 1500 };
    await until(client, 'the route timeout in force', (r) => r.code === grpc.status.DEADLINE_EXCEEDED, { metadata: { 'x-budget': 'short' }, request: slow });
    const [short, long] = await Promise.all([
      tally(client, 10, { metadata: { 'x-budget': 'short' }, request: slow, deadlineMs: 10_000 }),
      tally(client, 10, { request: slow, deadlineMs: 10_000 }),
    ]);
    expect(short.errors).to.deep.equal({ DEADLINE_EXCEEDED: 10 });
    expect(long.versions).to.deep.equal({ v1: 10 });
  });

  it('outlier detection ejects the endpoint that keeps failing', async () => {
    const bad = backend('127.0.0.65');
    bad.behaviour.failWith = grpc.status.INTERNAL;
    await mesh.apply([dr('outlier', { outlierDetection: { consecutive5xxErrors: 5, interval: '0.5s', baseEjectionTime: '60s', maxEjectionPercent: 100 } })]);
    const client = mesh.client(target('outlier'));
    await until(client, 'a failure from the bad endpoint', (r) => r.code === grpc.status.INTERNAL);
    // Calls keep flowing; once an interval has passed with the bad endpoint failing, it is ejected.
    await eventually(
      'the bad endpoint ejected',
      async () => {
        const t = await tally(client, 40, { concurrency: 4 });
        return t.versions.v1 === 40 ? t : undefined;
      },
      15_000,
      0,
    );
    const before = bad.calls;
    const t = await tally(client, 200);
    expect(t.errors).to.deep.equal({});
    expect(t.backends).to.deep.equal({ [`127.0.0.64:${mesh.port}`]: 200 });
    expect(bad.calls).to.equal(before);
    bad.behaviour.failWith = undefined;
  });

  it('ring hash: the same x-user always reaches the same backend, and users spread over backends', async () => {
    await mesh.apply([dr('sticky', { loadBalancer: { consistentHash: { httpHeaderName: 'x-user' } } })]);
    const client = mesh.client(target('sticky'));
    // Ring hash is in force when one user sticks to one backend across a run of calls.
    await eventually('ring hash in force', async () => {
      const t = await tally(client, 12, { metadata: { 'x-user': 'probe' } });
      return Object.keys(t.backends).length === 1 ? true : undefined;
    });
    const seen = new Set<string>();
    for (let u = 0; u < 20; u++) {
      const t = await tally(client, 15, { metadata: { 'x-user': `user-${u}` }, concurrency: 5 });
      expect(Object.keys(t.backends), `user-${u}: ${JSON.stringify(t.backends)}`).to.have.length(1);
      seen.add(Object.keys(t.backends)[0]!);
    }
    expect(seen.size).to.be.greaterThan(1);
    // Without the header, gRPC hashes randomly: calls spread.
    const anon = await tally(client, 60);
    expect(Object.keys(anon.backends).length).to.be.greaterThan(1);
  });

  // gRPC waits for a cluster that is not (yet) sent: the call fails at its deadline, or UNAVAILABLE once the
  // client has decided the cluster does not exist.
  it('a route to an undefined subset gives no reply', async () => {
    await mesh.apply([vs('slow', [{ route: [{ destination: { host: 'slow', subset: 'nope' } }] }])]);
    const client = mesh.client(target('slow'));
    const r = await hello(client, { deadlineMs: 1000 });
    expect(r.code).to.be.oneOf([grpc.status.UNAVAILABLE, grpc.status.DEADLINE_EXCEEDED]);
  });
});
