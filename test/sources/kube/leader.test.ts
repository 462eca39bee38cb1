/**
 * Leader election on a Lease of the stand-in API server: one leader among candidates (concurrent creates end in
 * a 409 for all but one), takeover after the holder stops renewing, release on shutdown, stepping down when
 * renewals fail or another replica took the Lease.
 */
import { expect } from 'chai';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { eventually } from '../../support/mesh.js';
import { createKubeClient, loadKubeConfig, type KubeClient } from '../../../src/sources/kube/client.js';
import { LeaderElector } from '../../../src/sources/kube/leader.js';

const LEASE_PATH = '/apis/coordination.k8s.io/v1/namespaces/mizzen-system/leases/mizzen-leader';

describe('kube leader election', function () {
  this.timeout(20_000);
  let api: FakeApiServer;
  let client: KubeClient;
  let electors: LeaderElector[] = [];
  const transitions: string[] = [];

  before(async () => {
    api = await startFakeApiServer();
    client = createKubeClient(await loadKubeConfig({ kubeconfig: api.kubeconfigPath }));
  });
  after(async () => api?.close());
  afterEach(async () => {
    await Promise.all(electors.map((e) => e.stop({ release: false })));
    electors = [];
    transitions.length = 0;
    api.delete('Lease', 'mizzen-system', 'mizzen-leader');
    api.clearFaults();
  });

  const elector = (identity: string): LeaderElector => {
    const e = new LeaderElector({
      client,
      namespace: 'mizzen-system',
      identity,
      leaseDurationMs: 1000,
      renewDeadlineMs: 600,
      retryPeriodMs: 50,
      onStartedLeading: () => transitions.push(`${identity}+`),
      onStoppedLeading: () => transitions.push(`${identity}-`),
    });
    electors.push(e);
    return e;
  };
  const holder = (): string | undefined => api.get('Lease', 'mizzen-system', 'mizzen-leader')?.spec?.holderIdentity;
  const leaders = (): string[] => electors.filter((e) => e.isLeader()).map((e) => e.identity);
  const until = (what: string, cond: () => boolean): Promise<true> => eventually(what, async () => (cond() ? true : undefined), 10_000, 10);

  it('two candidates starting together: exactly one leads, and it holds the Lease', async () => {
    const a = elector('a');
    const b = elector('b');
    a.start();
    b.start();
    await until('a leader', () => leaders().length === 1);
    const leader = leaders()[0]!;
    expect(holder()).to.equal(leader);
    // Many renewals later, still the same single leader.
    const renewsBefore = api.requests.filter((r) => r.method === 'PUT' && r.path === LEASE_PATH).length;
    await until('renewals', () => api.requests.filter((r) => r.method === 'PUT' && r.path === LEASE_PATH).length >= renewsBefore + 10);
    expect(leaders()).to.deep.equal([leader]);
    expect(holder()).to.equal(leader);
    const lease = api.get('Lease', 'mizzen-system', 'mizzen-leader')!;
    expect(lease.spec.leaseDurationSeconds).to.equal(1);
    expect(lease.spec.renewTime).to.match(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}Z$/);
    expect(lease.spec.leaseTransitions).to.equal(0);
  });

  it('takes over once the holder stops renewing (crash: no release)', async () => {
    const a = elector('a');
    a.start();
    await until('a leads', () => a.isLeader());
    const b = elector('b');
    b.start();
    await until('b follows', () => b.status().holder === 'a');
    expect(b.isLeader()).to.equal(false);
    await a.stop({ release: false });
    await until('b takes over', () => b.isLeader());
    expect(holder()).to.equal('b');
    expect(api.get('Lease', 'mizzen-system', 'mizzen-leader')!.spec.leaseTransitions).to.equal(1);
    expect(transitions).to.deep.equal(['a+', 'a-', 'b+']);
  });

  it('releases the Lease on shutdown, so a candidate takes it without waiting for expiry', async () => {
    const a = elector('a');
    a.start();
    await until('a leads', () => a.isLeader());
    await a.stop();
    expect(holder()).to.equal('');
    const c = elector('c');
    c.start();
    await until('c leads', () => c.isLeader());
    expect(c.status().transitions).to.equal(1);
  });

  it('steps down when it cannot renew for the renew deadline', async () => {
    const a = elector('a');
    a.start();
    await until('a leads', () => a.isLeader());
    api.fail('PUT', LEASE_PATH, 500, 1_000_000);
    await until('a steps down', () => !a.isLeader());
    expect(a.status().lastError).to.match(/update Lease: 500/);
    api.clearFaults();
    await until('a leads again', () => a.isLeader());
  });

  it('steps down when another replica holds a live Lease', async () => {
    const a = elector('a');
    a.start();
    await until('a leads', () => a.isLeader());
    const lease = api.get('Lease', 'mizzen-system', 'mizzen-leader')!;
    // Another replica keeps renewing it under its own name.
    const stop = setInterval(() => {
      const cur = api.get('Lease', 'mizzen-system', 'mizzen-leader')!;
      api.apply({ ...cur, spec: { ...lease.spec, holderIdentity: 'intruder', renewTime: new Date().toISOString() } });
    }, 20);
    try {
      await until('a steps down', () => !a.isLeader());
      expect(a.status().holder).to.equal('intruder');
    } finally {
      clearInterval(stop);
    }
  });
});
