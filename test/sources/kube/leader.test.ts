/**
 * Leader election on a Lease of the stand-in API server: one leader among candidates (concurrent creates end in
 * a 409 for all but one), takeover after the holder stops renewing, release on shutdown, stepping down when
 * renewals fail, hang (an API server that stops answering, or a connection that goes dark) or another replica
 * took the Lease.
 */
import net from 'node:net';
import { expect } from 'chai';
import { startFakeApiServer, type FakeApiServer } from '../../support/fake-apiserver.js';
import { eventually } from '../../support/mesh.js';
import { createKubeClient, loadKubeConfig, type KubeClient } from '../../../src/sources/kube/client.js';
import { LeaderElector } from '../../../src/sources/kube/leader.js';

const LEASE_PATH = '/apis/coordination.k8s.io/v1/namespaces/mizzen-system/leases/mizzen-leader';
const RENEW_DEADLINE_MS = 600;
const RETRY_MS = 50;

/** A TCP proxy to `target` that, once dark, accepts connections and never answers (and drops the open ones). */
async function tcpHole(target: string): Promise<{ port: number; dark(on: boolean): void; close(): void }> {
  const port = Number(new URL(target).port);
  let dark = false;
  const sockets = new Set<net.Socket>();
  const track = (s: net.Socket): void => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
    s.on('error', () => {});
  };
  const server = net.createServer((c) => {
    track(c);
    if (dark) return;
    const up = net.connect(port, '127.0.0.1');
    track(up);
    c.pipe(up).pipe(c);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const dropAll = (): void => {
    for (const s of sockets) s.destroy();
  };
  return {
    port: (server.address() as net.AddressInfo).port,
    dark: (on) => {
      dark = on;
      dropAll();
    },
    close: () => {
      dropAll();
      server.close();
    },
  };
}

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

  const elector = (identity: string, via: KubeClient = client): LeaderElector => {
    const e = new LeaderElector({
      client: via,
      namespace: 'mizzen-system',
      identity,
      leaseDurationMs: 1000,
      renewDeadlineMs: RENEW_DEADLINE_MS,
      retryPeriodMs: RETRY_MS,
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
    // The attempt in flight at the deadline is aborted; the next one reports the 500 again.
    await until('the 500 is reported', () => /update Lease: 500/.test(a.status().lastError ?? ''));
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

  it('an API server that stops answering: not leader by the renew deadline, the hung attempts are aborted, leads again once it answers', async () => {
    const a = elector('a');
    a.start();
    await until('a leads', () => a.isLeader());
    api.hang('*', LEASE_PATH, 1_000_000);
    const cut = Date.now();
    await until('a is no longer leader', () => !a.isLeader());
    // The last renewal began before the cut, so this is at most the renew deadline (plus the polling).
    expect(Date.now() - cut).to.be.below(RENEW_DEADLINE_MS + RETRY_MS + 150);
    await until('the step-down callback ran', () => transitions.includes('a-'));
    expect(transitions).to.deep.equal(['a+', 'a-']);
    expect(a.status()).to.include({ leading: false });
    expect(a.status().lastError).to.match(/no answer within the renew deadline \(600 ms\)/);
    // The hung attempts were abandoned, not waited on: the next one after the API server recovers succeeds.
    api.clearFaults();
    await until('a leads again', () => a.isLeader());
    expect(transitions).to.deep.equal(['a+', 'a-', 'a+']);
  });

  it('isLeader() is false and the step-down callback runs at the renew deadline even while an attempt never returns', async () => {
    let stalled = false;
    const held: Array<() => void> = [];
    const stalling: KubeClient = {
      ...client,
      request: (method, path, body, opts) =>
        stalled ? new Promise((resolve) => held.push(() => resolve({ status: 0, body: undefined, message: 'released by the test' }))) : client.request(method, path, body, opts),
    };
    const a = elector('a', stalling);
    try {
      a.start();
      await until('a leads', () => a.isLeader());
      stalled = true;
      const cut = Date.now();
      await until('a is no longer leader', () => !a.isLeader());
      expect(Date.now() - cut).to.be.below(RENEW_DEADLINE_MS + RETRY_MS + 150);
      await until('the step-down callback ran', () => transitions.includes('a-'));
      expect(held.length, 'attempts still waiting').to.be.above(0);
    } finally {
      // Let the attempt return, or stop() would wait on it forever.
      for (const release of held) release();
    }
  });

  it('a leader whose connection goes dark steps down before another replica takes over, and takes the Lease back after it expires', async () => {
    const hole = await tcpHole(api.url);
    try {
      const kc = await loadKubeConfig({ kubeconfig: api.kubeconfigPath });
      kc.loadFromOptions({
        clusters: kc.clusters.map((c) => ({ ...c, server: `https://127.0.0.1:${hole.port}` })),
        users: kc.users,
        contexts: kc.contexts,
        currentContext: kc.currentContext,
      });
      const a = elector('a', createKubeClient(kc));
      a.start();
      await until('a leads', () => a.isLeader());
      const b = elector('b');
      b.start();
      await until('b follows', () => b.status().holder === 'a');
      hole.dark(true);
      let overlaps = 0;
      const sample = setInterval(() => (a.isLeader() && b.isLeader() ? overlaps++ : undefined), 5);
      try {
        await until('b takes over', () => b.isLeader());
      } finally {
        clearInterval(sample);
      }
      expect(overlaps, 'samples with two leaders').to.equal(0);
      expect(a.isLeader()).to.equal(false);
      expect(holder()).to.equal('b');
      // a reaches the API server again; b crashes without releasing, so a waits for its Lease to expire.
      hole.dark(false);
      await b.stop({ release: false });
      const crashed = Date.now();
      await until('a takes the Lease back', () => a.isLeader());
      expect(Date.now() - crashed).to.be.at.least(900);
      expect(holder()).to.equal('a');
      expect(transitions).to.deep.equal(['a+', 'a-', 'b+', 'b-', 'a+']);
    } finally {
      hole.close();
    }
  });
});
