/**
 * A GRPCRoute attached to a Service, with real grpc-js-xds clients: a header sends every call to the canary,
 * weights split the rest, a backend in another namespace is used only once a ReferenceGrant allows it, a rule that
 * answers 500 fails its calls, and a backend the route may not use does not stall the channel.
 */
import { expect } from 'chai';
import type { KubeObject } from '../../../src/core/kube.js';
import { ECHO_SERVICE } from '../../../src/demo/echo.js';
import { startMesh, tally, eventually, type Mesh } from '../../support/mesh.js';

const TARGET = 'echo.default.svc.cluster.local:9080';

const route = (rules: unknown[], namespace = 'default'): KubeObject => ({
  apiVersion: 'gateway.networking.k8s.io/v1',
  kind: 'GRPCRoute',
  metadata: { name: 'echo', namespace },
  spec: { parentRefs: [{ group: '', kind: 'Service', name: 'echo', namespace: 'default' }], rules },
});

describe('real gRPC clients: a GRPCRoute (Gateway API) on a Service', function () {
  this.timeout(60_000);
  let mesh: Mesh;

  before(async () => {
    mesh = await startMesh([
      { service: 'echo', version: 'v1', ip: '127.0.0.111' },
      { service: 'echo-canary', version: 'v2', ip: '127.0.0.112' },
    ]);
  });
  after(async () => {
    await mesh?.close();
  });

  it('a header match takes every call to the canary; the weights split the others', async () => {
    await mesh.apply([
      route([
        { matches: [{ method: { service: ECHO_SERVICE, method: 'Hello' }, headers: [{ name: 'x-canary', value: 'yes' }] }], backendRefs: [{ name: 'echo-canary', port: 9080 }] },
        { backendRefs: [{ name: 'echo', port: 9080, weight: 80 }, { name: 'echo-canary', port: 9080, weight: 20 }] },
      ]),
    ]);
    const client = mesh.client(TARGET);
    const canary = await eventually('the header routes to the canary', async () => {
      const t = await tally(client, 40, { concurrency: 4, metadata: { 'x-canary': 'yes' } });
      return t.versions.v2 === 40 ? t : undefined;
    });
    expect(canary.errors).to.deep.equal({});
    await eventually('both versions answer', async () => {
      const t = await tally(client, 40, { concurrency: 4 });
      return t.versions.v1 && t.versions.v2 ? t : undefined;
    });
    const split = await tally(client, 300, { concurrency: 10 });
    expect(split.errors).to.deep.equal({});
    const share = (split.versions.v1 ?? 0) / split.total;
    expect(share, `v1 share of ${JSON.stringify(split.versions)}`).to.be.within(0.7, 0.9);
  });

  it('a consumer route in another namespace needs a ReferenceGrant to send to the Service', async () => {
    const consumer = route([{ backendRefs: [{ name: 'echo-canary', namespace: 'default', port: 9080 }] }], 'team-a');
    await mesh.apply([consumer]);
    const client = mesh.client(TARGET, 'team-a');
    // Refused: the rule has no backend it may use, so every call fails (HTTP 500, gRPC UNKNOWN).
    const refused = await eventually('calls fail without the grant', async () => {
      const t = await tally(client, 6, { concurrency: 6, deadlineMs: 2000 });
      return t.errors.UNKNOWN === 6 ? t : undefined;
    });
    expect(refused.versions).to.deep.equal({});
    const grant: KubeObject = {
      apiVersion: 'gateway.networking.k8s.io/v1beta1',
      kind: 'ReferenceGrant',
      metadata: { name: 'team-a', namespace: 'default' },
      spec: { from: [{ group: 'gateway.networking.k8s.io', kind: 'GRPCRoute', namespace: 'team-a' }], to: [{ group: '', kind: 'Service' }] },
    };
    await mesh.apply([consumer, grant]);
    const allowed = await eventually('the canary answers team-a', async () => {
      const t = await tally(client, 20, { concurrency: 4 });
      return t.versions.v2 === 20 ? t : undefined;
    });
    expect(allowed.errors).to.deep.equal({});
    // A client in default is not a consumer of team-a's route: the Service's own pods (v1) answer it.
    const other = mesh.client(TARGET);
    const own = await eventually('default sees the Service as it is', async () => {
      const t = await tally(other, 40, { concurrency: 4 });
      return t.total === 40 && t.versions.v1 === 40 ? t : undefined;
    });
    expect(own.errors).to.deep.equal({});
  });

  it('a rule that answers 500 (a filter mizzen does not apply) fails its calls rather than letting the next rule take them', async () => {
    await mesh.apply([
      route([
        { matches: [{ method: { service: ECHO_SERVICE, method: 'Hello' }, headers: [{ name: 'x-blocked', value: 'yes' }] }], filters: [{ type: 'ExtensionRef', extensionRef: { group: 'example.com', kind: 'Plugin', name: 'x' } }], backendRefs: [{ name: 'echo-canary', port: 9080 }] },
        { backendRefs: [{ name: 'echo', port: 9080 }] },
      ]),
    ]);
    const client = mesh.client(TARGET);
    await eventually('the other calls reach echo', async () => {
      const t = await tally(client, 10, { concurrency: 2 });
      return t.versions.v1 === 10 ? t : undefined;
    });
    const blocked = await tally(client, 6, { concurrency: 6, deadlineMs: 2000, metadata: { 'x-blocked': 'yes' } });
    // The fault's HTTP 500 reaches the caller as gRPC UNKNOWN, at once (no backend, no deadline).
    expect(blocked.errors).to.deep.equal({ UNKNOWN: 6 });
  });

  it('a backend the route may not use is left out of a split for gRPC clients (a missing cluster would stall the channel)', async () => {
    await mesh.apply([route([{ backendRefs: [{ name: 'echo', port: 9080, weight: 50 }, { name: 'echo-canary', namespace: 'elsewhere', port: 9080, weight: 50 }] }])]);
    const client = mesh.client(TARGET);
    const t = await eventually('every call answered by echo', async () => {
      const r = await tally(client, 20, { concurrency: 4, deadlineMs: 2000 });
      return r.versions.v1 === 20 ? r : undefined;
    });
    expect(t.errors).to.deep.equal({});
  });
});
