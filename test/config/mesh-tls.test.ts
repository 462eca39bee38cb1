/**
 * Istio's meshMTLS and tlsDefaults in the mesh config (src/config/mesh-tls.ts): read into what the generators take,
 * with errors and warnings naming the field, as istiod checks them.
 */
import { expect } from 'chai';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadMeshConfig, resolveMeshConfig, snapshotOptions } from '../../src/config/mesh.js';
import { ISTIO_MESH_FIELDS } from '../../src/config/istio-fields.js';
import { scratchDir } from '../support/tmp.js';

const errorsOf = (input: Record<string, unknown>): string[] => {
  const r = resolveMeshConfig(input);
  return r.ok ? [] : r.errors;
};

describe("mesh config: Istio's meshMTLS and tlsDefaults", () => {
  it('unset: nothing reaches the snapshot (the generators use Istio\'s defaults)', () => {
    const r = resolveMeshConfig({});
    if (!r.ok) throw new Error(r.errors.join());
    expect([r.value.meshMTLS, r.value.tlsDefaults]).to.deep.equal([{}, {}]);
    const o = snapshotOptions(r.value);
    expect('meshMtls' in o || 'tlsDefaults' in o).to.equal(false);
  });

  it('applied, no longer warned about as not applied', () => {
    expect(Object.keys(ISTIO_MESH_FIELDS)).to.not.include.members(['meshMTLS', 'tlsDefaults']);
    const r = resolveMeshConfig({
      meshMTLS: { minProtocolVersion: 'TLSV1_3', cipherSuites: ['ECDHE-RSA-AES256-GCM-SHA384', '[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]'] },
      tlsDefaults: { minProtocolVersion: 'TLSV1_2', ecdhCurves: ['X25519MLKEM768', 'P-256'], cipherSuites: ['ALL'] },
    });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.warnings).to.equal(undefined);
    expect(snapshotOptions(r.value)).to.deep.include({
      // OpenSSL cipher expressions go through unchecked, as in Istio.
      meshMtls: { minProtocolVersion: 'TLSV1_3', cipherSuites: ['ECDHE-RSA-AES256-GCM-SHA384', '[ECDHE-ECDSA-AES128-GCM-SHA256|ECDHE-ECDSA-CHACHA20-POLY1305]'] },
      tlsDefaults: { minProtocolVersion: 'TLSV1_2', ecdhCurves: ['X25519MLKEM768', 'P-256'], cipherSuites: ['ALL'] },
    });
  });

  it('TLS_AUTO, null and empty lists set nothing', () => {
    const r = resolveMeshConfig({ meshMTLS: { minProtocolVersion: 'TLS_AUTO', cipherSuites: [] }, tlsDefaults: { minProtocolVersion: null, ecdhCurves: null } });
    if (!r.ok) throw new Error(r.errors.join());
    expect([r.value.meshMTLS, r.value.tlsDefaults]).to.deep.equal([{}, {}]);
    const n = resolveMeshConfig({ meshMTLS: null });
    expect(n.ok && n.value.meshMTLS).to.deep.equal({});
  });

  it('an unknown version, a wrong type or an unknown key is an error naming the field', () => {
    expect(errorsOf({ meshMTLS: { minProtocolVersion: 'TLSV1_1' }, tlsDefaults: { minProtocolVersion: 3 } })).to.deep.equal([
      'meshMTLS.minProtocolVersion: "TLSV1_1" must be one of TLS_AUTO, TLSV1_2, TLSV1_3',
      'tlsDefaults.minProtocolVersion: 3 must be one of TLS_AUTO, TLSV1_2, TLSV1_3',
    ]);
    expect(errorsOf({ meshMTLS: 'TLSV1_3', tlsDefaults: [] })).to.deep.equal(['meshMTLS: must be a mapping, got "TLSV1_3"', 'tlsDefaults: must be a mapping, got a list of 0']);
    expect(errorsOf({ tlsDefaults: { ecdhCurves: 'X25519', cipherSuites: ['AES128-SHA', 7], maxProtocolVersion: 'TLSV1_3' } })).to.deep.equal([
      'tlsDefaults.maxProtocolVersion: unknown field',
      'tlsDefaults.ecdhCurves: must be a list of strings, got "X25519"',
      'tlsDefaults.cipherSuites[1]: must be a string, got 7',
    ]);
  });

  it('ECDH curves for mesh mTLS are an error, as istiod says', () => {
    expect(errorsOf({ meshMTLS: { ecdhCurves: ['P-256'] } })).to.deep.equal([
      'meshMTLS.ecdhCurves: mesh mTLS does not take ECDH curves (istiod refuses them too); tlsDefaults.ecdhCurves sets them for the other TLS',
    ]);
  });

  it('a curve or cipher suite Envoy does not know, or one named twice, is a warning by index and left out', () => {
    const r = resolveMeshConfig({
      meshMTLS: { cipherSuites: ['TLS_AES_128_GCM_SHA256', 'AES128-GCM-SHA256', 'AES128-GCM-SHA256'] },
      tlsDefaults: { ecdhCurves: ['P-999', 'X25519', 'X25519'], cipherSuites: ['NOT-A-CIPHER'] },
    });
    if (!r.ok) throw new Error(r.errors.join());
    expect(r.warnings).to.deep.equal([
      'meshMTLS.cipherSuites[0]: ignoring "TLS_AES_128_GCM_SHA256": not a cipher suite Envoy knows',
      'meshMTLS.cipherSuites[2]: ignoring "AES128-GCM-SHA256": named before',
      'tlsDefaults.ecdhCurves[0]: ignoring "P-999": not an ECDH curve Envoy knows (P-224, P-256, P-384, P-521, X25519, X25519Kyber768Draft00, X25519MLKEM768)',
      'tlsDefaults.ecdhCurves[2]: ignoring "X25519": named before',
      'tlsDefaults.cipherSuites[0]: ignoring "NOT-A-CIPHER": not a cipher suite Envoy knows',
    ]);
    expect(r.value.meshMTLS).to.deep.equal({ cipherSuites: ['AES128-GCM-SHA256'] });
    // No cipher suite of tlsDefaults left: as if it named none.
    expect(r.value.tlsDefaults).to.deep.equal({ ecdhCurves: ['X25519'] });
  });

  it('from a file, errors and warnings name the file', () => {
    const dir = scratchDir('mizzen-mesh-tls-');
    const bad = join(dir, 'bad.yaml');
    writeFileSync(bad, 'meshMTLS:\n  minProtocolVersion: TLSV1_0\n');
    expect(loadMeshConfig(bad)).to.deep.equal({ ok: false, errors: [`mesh config ${bad}: meshMTLS.minProtocolVersion: "TLSV1_0" must be one of TLS_AUTO, TLSV1_2, TLSV1_3`] });
    const warned = join(dir, 'warned.yaml');
    writeFileSync(warned, 'tlsDefaults:\n  ecdhCurves: [P-256, secp256r1]\n');
    const r = loadMeshConfig(warned);
    expect(r.ok && r.warnings).to.deep.equal([`mesh config ${warned}: tlsDefaults.ecdhCurves[1]: ignoring "secp256r1": not an ECDH curve Envoy knows (P-224, P-256, P-384, P-521, X25519, X25519Kyber768Draft00, X25519MLKEM768)`]);
    expect(r.ok && r.value.tlsDefaults).to.deep.equal({ ecdhCurves: ['P-256'] });
  });
});
