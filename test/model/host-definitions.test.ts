/** Hosts defined more than once: the snapshot keeps the first definition as the host's service and the others beside it. */
import { expect } from 'chai';
import type { KubeObject } from '../../src/core/kube.js';
import { buildSnapshot, updateSnapshot } from '../../src/model/snapshot.js';
import { objectKey } from '../../src/core/kube.js';

const entry = (name: string, namespace: string, created: string, spec: Record<string, unknown>): KubeObject => ({
  apiVersion: 'networking.istio.io/v1',
  kind: 'ServiceEntry',
  metadata: { name, namespace, creationTimestamp: created },
  spec: { hosts: ['api.example.com'], resolution: 'DNS', ports: [{ number: 443, name: 'https', protocol: 'HTTPS' }], ...spec },
});
const DAY1 = '2026-01-01T00:00:00Z';
const DAY2 = '2026-01-02T00:00:00Z';
const DAY3 = '2026-01-03T00:00:00Z';
const pod = (name: string, namespace: string, ip: string, labels: Record<string, string>): KubeObject => ({
  apiVersion: 'v1',
  kind: 'Pod',
  metadata: { name, namespace, labels },
  spec: { containers: [{ name: 'app' }] },
  status: { phase: 'Running', podIP: ip, conditions: [{ type: 'Ready', status: 'True' }] },
});

const ports = (s: { ports: Array<{ port: number }> } | undefined): number[] => (s?.ports ?? []).map((p) => p.port);

describe('model: hosts defined more than once', () => {
  it('keeps the oldest definition as the service and the others, in order, beside it', () => {
    const snap = buildSnapshot([
      entry('api', 'b', DAY2, { exportTo: ['.'], ports: [{ number: 8443, name: 'https', protocol: 'HTTPS' }] }),
      entry('api', 'a', DAY1, { exportTo: ['.'] }),
      entry('api', 'c', DAY3, {}),
    ]);
    expect(snap.services.get('api.example.com')?.namespace).to.equal('a');
    expect(snap.alternatives.get('api.example.com')?.map((d) => d.service.namespace)).to.deep.equal(['b', 'c']);
    expect(snap.alternatives.get('api.example.com')?.[0]?.endpoints.map((e) => `${e.address}:${e.port}`)).to.deep.equal(['api.example.com:8443']);
  });

  it('a host defined once has no alternatives', () => {
    const snap = buildSnapshot([entry('api', 'a', DAY1, {})]);
    expect(snap.alternatives.size).to.equal(0);
  });

  it('a Kubernetes Service comes first; a ServiceEntry of its host is an alternative', () => {
    const snap = buildSnapshot([
      entry('shadow', 'x', DAY1, { hosts: ['web.default.svc.cluster.local'], ports: [{ number: 9999, name: 'http', protocol: 'HTTP' }] }),
      { apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', namespace: 'default' }, spec: { ports: [{ name: 'http', port: 80 }] } },
    ]);
    expect(snap.services.get('web.default.svc.cluster.local')?.source).to.equal('kubernetes');
    expect(snap.alternatives.get('web.default.svc.cluster.local')?.map((d) => d.service.name)).to.deep.equal(['shadow']);
  });

  it('merges ServiceEntries of one namespace that define a host alike: the first one’s ports, then the new port numbers, every endpoint once', () => {
    const snap = buildSnapshot([
      entry('api-https', 'a', DAY1, {}),
      entry('api-http', 'a', DAY2, { ports: [{ number: 80, name: 'http', protocol: 'HTTP' }, { number: 443, name: 'https', protocol: 'HTTPS' }] }),
    ]);
    const svc = snap.services.get('api.example.com');
    expect(svc?.name).to.equal('api-https');
    expect(ports(svc)).to.deep.equal([443, 80]);
    expect(snap.alternatives.size).to.equal(0);
    expect(snap.endpoints.get('api.example.com')?.map((e) => `${e.servicePortName}:${e.port}`)).to.deep.equal(['http:80', 'https:443']);
  });

  const unlike: Array<[string, Record<string, unknown>]> = [
    ['another resolution', { resolution: 'STATIC', endpoints: [{ address: '10.0.0.1' }] }],
    ['another exportTo', { exportTo: ['.'] }],
    ['other labels', {}],
    ['a workload selector', { workloadSelector: { labels: { app: 'api' } } }],
  ];
  for (const [name, spec] of unlike) {
    it(`does not merge ServiceEntries of one namespace with ${name}`, () => {
      const second = entry('api-http', 'a', DAY2, { ports: [{ number: 80, name: 'http', protocol: 'HTTP' }], ...spec });
      if (name === 'other labels') second.metadata.labels = { team: 'x' };
      const snap = buildSnapshot([entry('api-https', 'a', DAY1, {}), second]);
      expect(ports(snap.services.get('api.example.com'))).to.deep.equal([443]);
      expect(snap.alternatives.get('api.example.com')?.map((d) => d.service.name)).to.deep.equal(['api-http']);
    });
  }

  it('an endpoint change reaches the second definition; its service object stays', () => {
    const objects = [
      entry('vms', 'a', DAY1, { hosts: ['vm.internal'], resolution: 'STATIC', workloadSelector: { labels: { app: 'vm' } } }),
      entry('vms', 'b', DAY2, { hosts: ['vm.internal'], resolution: 'STATIC', exportTo: ['.'], workloadSelector: { labels: { app: 'vm' } } }),
    ];
    const prev = buildSnapshot(objects);
    const added = pod('vm-1', 'b', '10.2.0.1', { app: 'vm' });
    const next = updateSnapshot(prev, [...objects, added], [objectKey(added)]);
    const [before] = prev.alternatives.get('vm.internal')!;
    const [after] = next.alternatives.get('vm.internal')!;
    expect(before!.endpoints).to.deep.equal([]);
    expect(after!.endpoints.map((e) => e.address)).to.deep.equal(['10.2.0.1']);
    expect(after!.service).to.equal(before!.service);
    expect(next.services).to.equal(prev.services);
    expect(next.endpoints.get('vm.internal')).to.deep.equal([]);
    expect(next.version).to.not.equal(prev.version);
    expect(next).to.deep.equal(buildSnapshot([...objects, added]));
  });
});
