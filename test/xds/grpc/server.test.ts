import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import { kubePod, kubeService } from '../../../src/demo/objects.js';
import { hello, startXdsBackend, type Backend } from '../../../src/demo/echo.js';
import { GrpcXds } from '../../../src/core/constants.js';
import { startMesh, tally, type Mesh } from '../../support/mesh.js';
import { freePort } from '../../support/ports.js';


const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> =>
  Promise.race([p, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out: ${what}`)), ms).unref())]);

describe('real xDS-enabled gRPC servers configured by mizzen', function () {
  this.timeout(30_000);
  let mesh: Mesh;
  const servers: Backend[] = [];
  before(async () => {
    mesh = await startMesh([{ service: 'plain', version: 'v1', ip: '127.0.0.81' }]);
  });
  after(async () => {
    await Promise.all(servers.map((s) => s.close()));
    await mesh?.close();
  });

  it(`serve once mizzen sends their inbound listener (${GrpcXds.serverListenerTemplate}), and clients reach them through xDS`, async () => {
    const ports = [await freePort(), await freePort()];
    const specs = [
      { service: 'xsrv', version: 'v1', ip: '127.0.0.82', port: ports[0]! },
      { service: 'xsrv', version: 'v2', ip: '127.0.0.83', port: ports[1]! },
    ];
    // Each pod listens on its own port (a port per server): one Service per pod keeps targetPort simple.
    await mesh.apply(specs.flatMap((s, i) => [kubeService({ name: `xsrv-${i}`, port: 9080, targetPort: s.port }), kubePod({ name: `xsrv-${i}`, ip: s.ip, app: `xsrv-${i}`, version: s.version })]), 'servers');
    // bindAsync's callback fires only when the server is serving, i.e. after it accepted mizzen's listener.
    for (const s of specs) servers.push(await withTimeout(startXdsBackend(s, s.port, mesh.bootstrap('default', { app: s.service })), 15_000, `${s.ip}:${s.port} serving`));
    for (const [i, s] of specs.entries()) {
      const client = mesh.client(`xsrv-${i}.default.svc.cluster.local:9080`);
      const t = await tally(client, 50);
      expect(t.errors).to.deep.equal({});
      expect(t.backends).to.deep.equal({ [`${s.ip}:${s.port}`]: 50 });
    }
    // The server's connection manager routes everything on (non_forwarding_action): plain clients work too.
    const direct = await hello(new (await import('../../../src/demo/echo.js')).EchoClient(`${specs[0]!.ip}:${specs[0]!.port}`, grpc.credentials.createInsecure()));
    expect(direct.code).to.equal(grpc.status.OK);
  });
});
