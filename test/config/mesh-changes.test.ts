import { expect } from 'chai';
import { DEFAULT_MESH_CONFIG, resolveMeshConfig, type MeshConfig } from '../../src/config/mesh.js';
import { meshChanges, RESTART_ONLY } from '../../src/config/mesh-changes.js';

const load = (doc: object): MeshConfig => {
  const r = resolveMeshConfig(doc);
  if (!r.ok) throw new Error(r.errors.join('; '));
  return r.value;
};

describe('meshChanges: what a reloaded mesh config changes in a running control plane', () => {
  it('applies a changed field at once and names it', () => {
    const running = load({});
    const c = meshChanges(running, load({ outboundTrafficPolicy: { mode: 'REGISTRY_ONLY' }, proxyImage: 'envoyproxy/envoy:v1.33.0' }));
    expect(c.changed).to.deep.equal(['outboundTrafficPolicy', 'proxyImage']);
    expect(c.pendingRestart).to.deep.equal([]);
    expect(c.next.outboundTrafficPolicy.mode).to.equal('REGISTRY_ONLY');
    expect(c.next.proxyImage).to.equal('envoyproxy/envoy:v1.33.0');
  });

  it('keeps the running value of each field read only at start, and names it as waiting for a restart', () => {
    const running = load({});
    const loaded = load({ trustDomain: 'example.org', xdsTlsAddress: 'istiod.istio-system.svc:15012', debounce: { quietMs: 5, maxMs: 50 } });
    const c = meshChanges(running, loaded);
    expect(c.pendingRestart).to.deep.equal(['trustDomain', 'xdsTlsAddress']);
    expect(c.changed).to.deep.equal(['debounce']);
    expect(c.next.trustDomain).to.equal(running.trustDomain);
    expect(c.next.xdsTlsAddress).to.equal(running.xdsTlsAddress);
    expect(c.next.debounce).to.deep.equal({ quietMs: 5, maxMs: 50 });
  });

  it('changes nothing when the loaded config equals the running one', () => {
    const running = load({ accessLogFile: '/dev/stdout' });
    const c = meshChanges(running, load({ accessLogFile: '/dev/stdout' }));
    expect(c).to.deep.include({ changed: [], pendingRestart: [] });
  });

  it('notices a field the loaded config no longer has, and one it adds', () => {
    const running = { ...DEFAULT_MESH_CONFIG, extraField: 1 } as unknown as MeshConfig;
    const loaded = { ...DEFAULT_MESH_CONFIG, otherField: 2 } as unknown as MeshConfig;
    expect(meshChanges(running, loaded).changed).to.deep.equal(['extraField', 'otherField']);
  });

  it('names a reason for every restart-only field, each a real mesh config field', () => {
    for (const [field, why] of Object.entries(RESTART_ONLY)) {
      expect(DEFAULT_MESH_CONFIG, field).to.have.property(field);
      expect(why, field).to.be.a('string').that.is.not.empty;
    }
  });
});
