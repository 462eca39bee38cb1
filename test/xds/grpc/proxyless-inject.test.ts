/**
 * Proxyless gRPC injection, end to end: pods annotated with Istio's grpc-agent template go through mizzen's
 * injector, and the bootstrap it puts in their environment (with the pod's name and IP expanded as the kubelet
 * expands `$(VAR)`) is all a real grpc-js-xds server and client need to find each other through mizzen.
 */
import { expect } from 'chai';
import * as grpc from '@grpc/grpc-js';
import type { KubeObject } from '../../../src/core/kube.js';
import { DEFAULT_MESH_CONFIG } from '../../../src/config/mesh.js';
import { injectPod } from '../../../src/inject/index.js';
import { kubePod, kubeService } from '../../../src/demo/objects.js';
import { hello, startXdsBackend, xdsClient, type Backend } from '../../../src/demo/echo.js';
import { eventually, startMesh, type Mesh } from '../../support/mesh.js';
import { freePort } from '../../support/ports.js';

/** A pod as a Deployment creates it, asking for the proxyless template. */
const proxylessPod = (name: string, app: string): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { generateName: `${name}-`, namespace: 'default', labels: { app, version: 'v1' }, annotations: { 'inject.istio.io/templates': 'grpc-agent' } },
  spec: { containers: [{ name: app, image: `${app}:1` }] },
});

/** The bootstrap the injector gave the pod's first container, as the kubelet hands it to the process. */
function bootstrapOf(injected: KubeObject, podName: string, podIp: string): string {
  const env = (injected.spec.containers[0].env as Array<{ name: string; value?: string }>) ?? [];
  const vars: Record<string, string> = { MIZZEN_POD_NAME: podName, MIZZEN_INSTANCE_IP: podIp };
  const raw = env.find((e) => e.name === 'GRPC_XDS_BOOTSTRAP_CONFIG')?.value;
  expect(raw, 'GRPC_XDS_BOOTSTRAP_CONFIG').to.be.a('string');
  return raw!.replace(/\$\(([A-Z_]+)\)/g, (m, v: string) => vars[v] ?? m);
}

describe('proxyless gRPC injection (inject.istio.io/templates: grpc-agent), for real', function () {
  this.timeout(40_000);
  let mesh: Mesh;
  let server: Backend | undefined;

  before(async () => {
    mesh = await startMesh([{ service: 'plain', version: 'v1', ip: '127.0.0.71' }]);
  });
  after(async () => {
    await server?.close();
    await mesh?.close();
  });

  it('the injected bootstrap lets a server get its listener and a client reach it through mizzen', async () => {
    const opts = { namespace: 'default', mesh: { ...DEFAULT_MESH_CONFIG, xdsAddress: mesh.xdsAddress } };
    const injectedServer = injectPod(proxylessPod('echo', 'echo'), opts);
    const injectedClient = injectPod(proxylessPod('caller', 'caller'), opts);
    if (!injectedServer.ok || !injectedClient.ok) throw new Error('injection failed');
    expect(injectedServer.value.pod.spec.containers.map((c: { name: string }) => c.name)).to.deep.equal(['echo']); // no istio-proxy
    expect(injectedServer.value.pod.spec.initContainers).to.equal(undefined); // no istio-init

    const port = await freePort();
    await mesh.apply([kubeService({ name: 'echo', port: 9080, targetPort: port }), kubePod({ name: 'echo-x1', ip: '127.0.0.72', app: 'echo', version: 'v1' })], 'servers');
    server = await startXdsBackend({ service: 'echo', version: 'v1', ip: '127.0.0.72' }, port, bootstrapOf(injectedServer.value.pod, 'echo-x1', '127.0.0.72'));
    const client = xdsClient('echo.default.svc.cluster.local:9080', bootstrapOf(injectedClient.value.pod, 'caller-y2', '127.0.0.73'));
    try {
      const r = await eventually('a reply from echo', async () => {
        const x = await hello(client, { deadlineMs: 3000 });
        return x.code === grpc.status.OK ? x : undefined;
      });
      expect(r.reply).to.include({ service: 'echo', version: 'v1', backend: `127.0.0.72:${port}` });
      // mizzen knows both by their pod names, from the node ids the kubelet filled in.
      const ids = mesh.server.connections().map((c) => c.proxy?.id ?? '');
      expect(ids).to.include.members(['sidecar~127.0.0.72~echo-x1.default~default.svc.cluster.local', 'sidecar~127.0.0.73~caller-y2.default~default.svc.cluster.local']);
    } finally {
      client.close();
    }
  });

  it('injecting an injected pod again changes nothing', () => {
    const opts = { namespace: 'default', mesh: DEFAULT_MESH_CONFIG };
    const once = injectPod(proxylessPod('echo', 'echo'), opts);
    if (!once.ok) throw new Error('injection failed');
    const twice = injectPod(once.value.pod, opts);
    expect(twice.ok && twice.value.patch).to.equal(undefined);
    expect(twice.ok && twice.value.pod).to.equal(once.value.pod);
  });
});
