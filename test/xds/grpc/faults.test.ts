import { expect } from 'chai';
import { startMesh, tally, until, type Mesh } from '../../support/mesh.js';
import { BOOKINFO, RATINGS, sample } from './bookinfo.js';

const JASON = { 'end-user': 'jason' };

describe('real gRPC clients: fault injection (Bookinfo samples, unchanged)', function () {
  this.timeout(30_000);
  let mesh: Mesh;
  before(async () => {
    mesh = await startMesh(BOOKINFO, sample('destination-rule-all.yaml'));
  });
  after(async () => mesh?.close());

  it('virtual-service-ratings-test-abort: jason gets HTTP 500 as gRPC UNKNOWN on every call, others are served', async () => {
    await mesh.apply(sample('destination-rule-all.yaml', 'virtual-service-ratings-test-abort.yaml'));
    const client = mesh.client(RATINGS);
    await until(client, 'the abort in force', (r) => r.code === 2, { metadata: JASON });
    const jason = await tally(client, 200, { metadata: JASON });
    const others = await tally(client, 200, { metadata: { 'end-user': 'alice' } });
    expect(jason.errors).to.deep.equal({ UNKNOWN: 200 });
    expect(others.versions).to.deep.equal({ v1: 200 });
  });

  it('virtual-service-ratings-test-delay: jason is held 7 s, so a 1 s deadline expires; others are served', async () => {
    await mesh.apply(sample('destination-rule-all.yaml', 'virtual-service-ratings-test-delay.yaml'));
    const client = mesh.client(RATINGS);
    await until(client, 'the delay in force', (r) => r.code === 4, { metadata: JASON });
    const [jason, others] = await Promise.all([
      tally(client, 20, { metadata: JASON, deadlineMs: 1000 }),
      tally(client, 200, { metadata: { 'end-user': 'alice' }, deadlineMs: 5000 }),
    ]);
    expect(jason.errors).to.deep.equal({ DEADLINE_EXCEEDED: 20 });
    expect(others.versions).to.deep.equal({ v1: 200 });
  });

  it('abort by gRPC status for a percentage of calls', async () => {
    await mesh.apply([
      ...sample('destination-rule-all.yaml'),
      {
        apiVersion: 'networking.istio.io/v1',
        kind: 'VirtualService',
        metadata: { name: 'ratings', namespace: 'default' },
        spec: { hosts: ['ratings'], http: [{ fault: { abort: { grpcStatus: 'RESOURCE_EXHAUSTED', percentage: { value: 50 } } }, route: [{ destination: { host: 'ratings', subset: 'v1' } }] }] },
      },
    ]);
    const client = mesh.client(RATINGS);
    await until(client, 'the abort in force', (r) => r.code === 8);
    const t = await tally(client, 1000);
    expect(Object.keys(t.errors)).to.deep.equal(['RESOURCE_EXHAUSTED']);
    expect((t.errors.RESOURCE_EXHAUSTED! * 100) / t.total).to.be.closeTo(50, 6);
  });
});
