/**
 * The uninjected-pod watchdog: the pure finder (policy table), then the runner against the stand-in API server:
 * Events by the leader only and once per pod, --heal restarting Deployments (through their ReplicaSet) and
 * StatefulSets with the restartedAt annotation, bare pods and Jobs left alone, rate limits, the gauge.
 */
import { expect } from 'chai';
import { Registry } from 'prom-client';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { createKubeClient, loadKubeConfig, type KubeClient } from '../../../src/sources/kube/client.js';
import { findUninjected, RESTARTED_AT, Watchdog, type WatchdogOptions } from '../../../src/sources/kube/watchdog.js';
import { DEFAULT_MESH_CONFIG } from '../../../src/config/mesh.js';
import type { KubeObject } from '../../../src/core/kube.js';

type Owner = { kind: string; name: string };

const pod = (name: string, ns: string, o: { owner?: Owner; sidecar?: boolean; labels?: Record<string, string>; annotations?: Record<string, string>; hostNetwork?: boolean; phase?: string; deleting?: boolean } = {}): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: {
    name,
    namespace: ns,
    uid: `uid-${ns}-${name}`,
    labels: o.labels ?? { app: name },
    ...(o.annotations ? { annotations: o.annotations } : {}),
    ...(o.owner ? { ownerReferences: [{ apiVersion: 'apps/v1', kind: o.owner.kind, name: o.owner.name, controller: true }] } : {}),
    ...(o.deleting ? { deletionTimestamp: '2024-01-01T00:00:00Z' } : {}),
  },
  spec: { containers: [{ name: 'app', image: 'app' }, ...(o.sidecar ? [{ name: 'istio-proxy', image: 'proxy' }] : [])], ...(o.hostNetwork ? { hostNetwork: true } : {}) },
  status: { phase: o.phase ?? 'Running', podIP: '10.0.0.1' },
});

const NS_LABELS: Record<string, Record<string, string>> = {
  apps: { 'istio-injection': 'enabled' },
  plain: {},
  'kube-system': { 'istio-injection': 'enabled' },
  'mizzen-system': { 'istio-injection': 'enabled' },
  disabled: { 'istio-injection': 'disabled' },
  revision: { 'istio.io/rev': 'default' },
  'other-revision': { 'istio.io/rev': 'canary' },
};

describe('kube uninjected-pod watchdog', () => {
  describe('findUninjected', () => {
    const cases: Array<{ name: string; pod: KubeObject; found: boolean }> = [
      { name: 'labelled namespace, no sidecar', pod: pod('a', 'apps'), found: true },
      { name: 'labelled namespace, sidecar present', pod: pod('a', 'apps', { sidecar: true }), found: false },
      { name: 'status annotation (already injected)', pod: pod('a', 'apps', { annotations: { 'sidecar.istio.io/status': '{}' } }), found: false },
      { name: 'namespace not labelled', pod: pod('a', 'plain'), found: false },
      { name: 'namespace labelled disabled', pod: pod('a', 'disabled'), found: false },
      { name: 'unknown namespace', pod: pod('a', 'nowhere'), found: false },
      { name: 'opted out by label', pod: pod('a', 'apps', { labels: { 'sidecar.istio.io/inject': 'false' } }), found: false },
      { name: 'opted out by annotation', pod: pod('a', 'apps', { annotations: { 'sidecar.istio.io/inject': 'false' } }), found: false },
      { name: 'hostNetwork', pod: pod('a', 'apps', { hostNetwork: true }), found: false },
      { name: 'system namespace even if labelled', pod: pod('a', 'kube-system'), found: false },
      { name: 'the control plane namespace', pod: pod('a', 'mizzen-system'), found: false },
      { name: 'finished pod', pod: pod('a', 'apps', { phase: 'Succeeded' }), found: false },
      { name: 'pod being deleted', pod: pod('a', 'apps', { deleting: true }), found: false },
      { name: 'namespace labelled istio.io/rev with the mesh revision', pod: pod('a', 'revision'), found: true },
      { name: 'namespace labelled istio.io/rev with another revision', pod: pod('a', 'other-revision'), found: false },
      { name: 'pod labelled sidecar.istio.io/inject=true in a plain namespace', pod: pod('a', 'plain', { labels: { 'sidecar.istio.io/inject': 'true' } }), found: true },
      { name: 'pod labelled sidecar.istio.io/inject=true in a disabled namespace', pod: pod('a', 'disabled', { labels: { 'sidecar.istio.io/inject': 'true' } }), found: false },
      { name: 'pod labelled istio.io/rev with the mesh revision in a plain namespace', pod: pod('a', 'plain', { labels: { 'istio.io/rev': 'default' } }), found: true },
      { name: 'pod labelled istio.io/rev but opted out', pod: pod('a', 'plain', { labels: { 'istio.io/rev': 'default', 'sidecar.istio.io/inject': 'false' } }), found: false },
    ];
    for (const c of cases) {
      it(c.name, () => {
        const got = findUninjected([c.pod], (ns) => NS_LABELS[ns], DEFAULT_MESH_CONFIG);
        expect(got.length).to.equal(c.found ? 1 : 0);
      });
    }

    it('names the controller owner and sorts by namespace/name', () => {
      const got = findUninjected([pod('b', 'apps', { owner: { kind: 'ReplicaSet', name: 'web-abc' } }), pod('a', 'apps')], (ns) => NS_LABELS[ns], DEFAULT_MESH_CONFIG);
      expect(got.map((p) => p.name)).to.deep.equal(['a', 'b']);
      expect(got[1]!.owner).to.deep.equal({ kind: 'ReplicaSet', name: 'web-abc' });
      expect(got[0]!.owner).to.equal(undefined);
      expect(got[1]!.reason).to.equal('default');
      expect(got[1]!.selectedBecause).to.equal('namespace apps has istio-injection=enabled');
    });
  });

  describe('runner against the API server', function () {
    this.timeout(20_000);
    let api: FakeApiServer;
    let client: KubeClient;
    let leader = true;

    before(async () => {
      api = await startFakeApiServer();
      client = createKubeClient(await loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
    });
    after(async () => api?.close());
    beforeEach(() => {
      leader = true;
      for (const kind of ['Pod', 'Event', 'Deployment', 'ReplicaSet', 'StatefulSet', 'Namespace']) for (const o of api.list(kind)) api.delete(kind, o.metadata.namespace, o.metadata.name!);
      api.apply({ apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'apps', labels: { 'istio-injection': 'enabled' } } });
      api.apply({ apiVersion: 'apps/v1', kind: 'Deployment', metadata: { name: 'web', namespace: 'apps' }, spec: { template: { metadata: { labels: { app: 'web' } } } } });
      api.apply({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'web-6d4f', namespace: 'apps', ownerReferences: [{ apiVersion: 'apps/v1', kind: 'Deployment', name: 'web', controller: true }] } });
      api.apply({ apiVersion: 'apps/v1', kind: 'ReplicaSet', metadata: { name: 'orphan-rs', namespace: 'apps' } });
      api.apply({ apiVersion: 'apps/v1', kind: 'StatefulSet', metadata: { name: 'db', namespace: 'apps' }, spec: { template: { metadata: {} } } });
      api.apply(pod('web-6d4f-x1', 'apps', { owner: { kind: 'ReplicaSet', name: 'web-6d4f' } }));
      api.apply(pod('web-6d4f-x2', 'apps', { owner: { kind: 'ReplicaSet', name: 'web-6d4f' } }));
      api.apply(pod('db-0', 'apps', { owner: { kind: 'StatefulSet', name: 'db' } }));
      api.apply(pod('lonely', 'apps'));
      api.apply(pod('job-x', 'apps', { owner: { kind: 'Job', name: 'job' } }));
      api.apply(pod('orphan-rs-1', 'apps', { owner: { kind: 'ReplicaSet', name: 'orphan-rs' } }));
      api.apply(pod('fine', 'apps', { sidecar: true }));
      api.requests.length = 0;
    });

    const watchdog = (o: Partial<WatchdogOptions> = {}): Watchdog =>
      new Watchdog({
        client,
        mesh: () => DEFAULT_MESH_CONFIG,
        pods: () => api.list('Pod'),
        namespaceLabels: (ns) => api.get('Namespace', undefined, ns)?.metadata.labels,
        isLeader: () => leader,
        identity: 'replica-1',
        ...o,
      });
    const restartedAt = (kind: string, name: string): string | undefined => api.get(kind, 'apps', name)?.spec?.template?.metadata?.annotations?.[RESTARTED_AT];

    it('reports every uninjected pod, with an Event on each (leader), once', async () => {
      const registry = new Registry();
      const w = watchdog({ registry });
      await w.scan();
      const names = w.report().pods.map((p) => p.name);
      expect(names).to.deep.equal(['db-0', 'job-x', 'lonely', 'orphan-rs-1', 'web-6d4f-x1', 'web-6d4f-x2']);
      const events = api.list('Event') as any[];
      expect(events.map((e) => e.involvedObject.name).sort()).to.deep.equal(names);
      const e = events.find((x) => x.involvedObject.name === 'lonely')!;
      expect(e).to.include({ reason: 'SidecarMissing', type: 'Warning', reportingComponent: 'mizzen', reportingInstance: 'replica-1' });
      expect(e.involvedObject).to.deep.include({ kind: 'Pod', namespace: 'apps', uid: 'uid-apps-lonely' });
      expect(e.message).to.match(/without the istio-proxy sidecar.*istio-injection=enabled/);
      expect(w.report().pods.every((p) => p.evented)).to.equal(true);
      expect(await registry.getSingleMetricAsString('mizzen_uninjected_pods')).to.match(/mizzen_uninjected_pods 6/);
      await w.scan();
      expect(api.list('Event')).to.have.length(6);
      // Without --heal nothing is restarted.
      expect(restartedAt('Deployment', 'web')).to.equal(undefined);
    });

    it('a follower reports but sends no Event and heals nothing', async () => {
      leader = false;
      const w = watchdog({ heal: true });
      await w.scan();
      expect(w.report().pods).to.have.length(6);
      expect(w.report().leader).to.equal(false);
      expect(api.list('Event')).to.have.length(0);
      expect(restartedAt('Deployment', 'web')).to.equal(undefined);
      leader = true;
      await w.scan();
      expect(api.list('Event')).to.have.length(6);
    });

    it('--heal restarts the Deployment (via its ReplicaSet) and the StatefulSet once, leaves the rest alone', async () => {
      const w = watchdog({ heal: true });
      await w.scan();
      expect(restartedAt('Deployment', 'web')).to.match(/^\d{4}-\d\d-\d\dT/);
      expect(restartedAt('StatefulSet', 'db')).to.match(/^\d{4}-\d\d-\d\dT/);
      const patches = api.requests.filter((r) => r.method === 'PATCH');
      expect(patches.map((r) => r.path).sort()).to.deep.equal(['/apis/apps/v1/namespaces/apps/deployments/web', '/apis/apps/v1/namespaces/apps/statefulsets/db']);
      expect(api.requests.some((r) => r.method === 'DELETE')).to.equal(false);
      const byName = Object.fromEntries(w.report().pods.map((p) => [p.name, p.heal]));
      expect(byName.lonely).to.match(/no owner/);
      expect(byName['job-x']).to.match(/owner Job job cannot be restarted/);
      expect(byName['orphan-rs-1']).to.match(/ReplicaSet orphan-rs has no Deployment owner/);
      expect(byName['web-6d4f-x2']).to.match(/Deployment web: restarted at .* \(attempt 1\)/);
      expect((api.list('Event') as any[]).find((e) => e.involvedObject.name === 'db-0')!.message).to.match(/StatefulSet db: restarted at/);
      // Within the cooldown a rescan restarts nothing.
      const before = api.requests.filter((r) => r.method === 'PATCH').length;
      await w.scan();
      expect(api.requests.filter((r) => r.method === 'PATCH').length).to.equal(before);
    });

    it('--heal gives up on an owner after the maximum attempts', async () => {
      const w = watchdog({ heal: true, healCooldownMs: 0, maxHealAttempts: 2 });
      for (let i = 0; i < 4; i++) await w.scan();
      const web = w.report().owners.find((o) => o.owner === 'Deployment/apps/web')!;
      expect(web.attempts).to.equal(2);
      expect(web.result).to.match(/gave up after 2 restarts/);
    });

    it('a failing patch is reported, not thrown', async () => {
      api.fail('PATCH', '/apis/apps/v1/namespaces/apps/deployments/web', 403, 1);
      const w = watchdog({ heal: true });
      await w.scan();
      expect(w.report().owners.find((o) => o.owner === 'Deployment/apps/web')!.result).to.match(/restart failed: 403/);
    });
  });
});
