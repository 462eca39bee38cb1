import { expect } from 'chai';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveMeshConfig, loadMeshConfig, DEFAULT_MESH_CONFIG } from '../../src/config/mesh.js';

const meshFile = (text: string): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'mizzen-mesh-')), 'mesh.yaml');
  writeFileSync(file, text);
  return file;
};

describe('mesh config', () => {
  it('returns the defaults for an empty file', () => {
    const r = resolveMeshConfig(null);
    expect(r).to.deep.equal({ ok: true, value: DEFAULT_MESH_CONFIG });
  });
  it('overrides nested keys and keeps the rest', () => {
    const r = resolveMeshConfig({ proxyResources: { requests: { cpu: '50m' } }, nativeSidecar: true });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.value.proxyResources.requests).to.deep.equal({ cpu: '50m', memory: '128Mi' });
    expect(r.value.proxyResources.limits).to.deep.equal(DEFAULT_MESH_CONFIG.proxyResources.limits);
    expect(r.value.nativeSidecar).to.equal(true);
  });
  it('names unknown and mistyped fields', () => {
    const r = resolveMeshConfig({ proxyImagee: 'x', nativeSidecar: 'yes', debounce: { quietMs: '1' } });
    expect(r.ok).to.equal(false);
    if (r.ok) return;
    expect(r.errors).to.have.members(['proxyImagee: unknown field', 'nativeSidecar: must be a boolean', 'debounce.quietMs: must be a number']);
  });
  it('loadMeshConfig reads the file as kubectl reads YAML (1.1 booleans, 0-led octal, no sexagesimal)', () => {
    const r = loadMeshConfig(meshFile('nativeSidecar: yes\nholdApplicationUntilProxyStarts: on\ndebounce: {quietMs: 0144}\nproxyLogLevel: 1:20\n'));
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.value.nativeSidecar).to.equal(true);
    expect(r.value.holdApplicationUntilProxyStarts).to.equal(true);
    expect(r.value.debounce.quietMs).to.equal(100);
    expect(r.value.proxyLogLevel).to.equal('1:20');
  });
});
