/**
 * AuthorizationPolicy enforced for real: xDS-enabled gRPC servers get mizzen's RBAC filters on their inbound
 * listener (grpc-js-xds evaluates them, with GRPC_XDS_EXPERIMENTAL_RBAC=true from test/support/env.cjs), and
 * clients reaching them through xDS are let through or refused as Istio's semantics say.
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { KubeObject } from '../../../src/core/kube.js';
import { kubePod, kubeService } from '../../../src/demo/objects.js';
import { hello, startXdsBackend, type Backend } from '../../../src/demo/echo.js';
import { ECHO_PATH } from '../../../src/demo/echo.js';
import { eventually, startMesh, type Mesh } from '../../support/mesh.js';
import { freePort } from '../../support/ports.js';

const policy = (name: string, spec: Record<string, unknown>, namespace = 'default'): KubeObject => ({
  apiVersion: 'security.istio.io/v1',
  kind: 'AuthorizationPolicy',
  metadata: { name, namespace },
  spec,
});

describe('real gRPC servers: AuthorizationPolicy as RBAC', function () {
  this.timeout(40_000);
  let mesh: Mesh;
  let server: Backend;
  let other: Backend;
  const TARGET = 'guarded.default.svc.cluster.local:9080';
  const OTHER = 'open.default.svc.cluster.local:9080';

  before(async () => {
    mesh = await startMesh([{ service: 'plain', version: 'v1', ip: '127.0.0.91' }]);
    const [p1, p2] = [await freePort(), await freePort()];
    await mesh.apply(
      [
        kubeService({ name: 'guarded', port: 9080, targetPort: p1 }),
        kubePod({ name: 'guarded-1', ip: '127.0.0.92', app: 'guarded', version: 'v1' }),
        kubeService({ name: 'open', port: 9080, targetPort: p2 }),
        kubePod({ name: 'open-1', ip: '127.0.0.93', app: 'open', version: 'v1' }),
      ],
      'servers',
    );
    server = await startXdsBackend({ service: 'guarded', version: 'v1', ip: '127.0.0.92' }, p1, mesh.bootstrap('default', { app: 'guarded' }));
    other = await startXdsBackend({ service: 'open', version: 'v1', ip: '127.0.0.93' }, p2, mesh.bootstrap('default', { app: 'open' }));
  });
  after(async () => {
    await server?.close();
    await other?.close();
    await mesh?.close();
  });

  /** Waits until calls with these headers get `code` (the servers take the new listener asynchronously). */
  const settles = (target: string, code: grpc.status, metadata?: Record<string, string>) =>
    eventually(`${target} answering ${grpc.status[code]} for ${JSON.stringify(metadata ?? {})}`, async () => {
      const r = await hello(mesh.client(target), { metadata, deadlineMs: 3000 });
      return r.code === code ? r : undefined;
    });

  it('serves everyone while no policy applies', async () => {
    await settles(TARGET, grpc.status.OK);
  });

  it('a DENY policy on a header refuses those requests only, on the selected workload only', async () => {
    await mesh.apply([policy('deny-mallory', { selector: { matchLabels: { app: 'guarded' } }, action: 'DENY', rules: [{ when: [{ key: 'request.headers[x-user]', values: ['mallory'] }] }] })]);
    const denied = await settles(TARGET, grpc.status.PERMISSION_DENIED, { 'x-user': 'mallory' });
    expect(denied.reply).to.equal(undefined);
    expect((await hello(mesh.client(TARGET), { metadata: { 'x-user': 'alice' } })).code).to.equal(grpc.status.OK);
    expect((await hello(mesh.client(OTHER), { metadata: { 'x-user': 'mallory' } })).code).to.equal(grpc.status.OK);
  });

  it('an ALLOW policy lets through what it matches (the Echo method, by POST) and refuses the rest', async () => {
    await mesh.apply([
      policy('allow-echo', { selector: { matchLabels: { app: 'guarded' } }, rules: [{ to: [{ operation: { paths: [ECHO_PATH], methods: ['POST'] } }] }] }),
      policy('allow-other-path', { selector: { matchLabels: { app: 'open' } }, rules: [{ to: [{ operation: { paths: ['/mizzen.demo.Other/*'] } }] }] }),
    ]);
    // mallory is no longer denied on guarded (the DENY policy is gone) and the Echo method is allowed there;
    // open allows only another service's methods now.
    await settles(TARGET, grpc.status.OK, { 'x-user': 'mallory' });
    await settles(OTHER, grpc.status.PERMISSION_DENIED);
  });

  it('DENY wins over ALLOW; a namespace-wide ALLOW with no rules allows nothing', async () => {
    await mesh.apply([
      policy('allow-all', { rules: [{}] }),
      policy('deny-mallory', { action: 'DENY', rules: [{ when: [{ key: 'request.headers[x-user]', values: ['mallory'] }] }] }),
    ]);
    await settles(OTHER, grpc.status.OK);
    await settles(TARGET, grpc.status.PERMISSION_DENIED, { 'x-user': 'mallory' });
    await settles(OTHER, grpc.status.PERMISSION_DENIED, { 'x-user': 'mallory' });
    await mesh.apply([policy('allow-nothing', {})]);
    await settles(TARGET, grpc.status.PERMISSION_DENIED);
    await settles(OTHER, grpc.status.PERMISSION_DENIED);
  });

  it('a root-namespace policy applies to every namespace; without mTLS, a source namespace matches no one', async () => {
    await mesh.apply([]);
    await settles(TARGET, grpc.status.OK);
    await settles(OTHER, grpc.status.OK);
    await mesh.apply([policy('only-from-frontend', { rules: [{ from: [{ source: { namespaces: ['frontend'] } }] }] }, 'istio-system')]);
    await settles(TARGET, grpc.status.PERMISSION_DENIED);
    await settles(OTHER, grpc.status.PERMISSION_DENIED);
  });
});
