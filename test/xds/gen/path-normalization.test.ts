/**
 * The mesh config's pathNormalization on every HTTP connection manager, as istiod sets it: sidecar outbound and
 * inbound, and gateways (RFC 3986 normalization by default; NONE; MERGE_SLASHES; DECODE_AND_MERGE_SLASHES).
 */
import { expect } from 'chai';
import { buildSnapshot } from '../../../src/model/snapshot.js';
import { generate } from '../../../src/xds/gen/index.js';
import { TypeUrls } from '../../../src/core/constants.js';
import { resolveMeshConfig, snapshotOptions } from '../../../src/config/mesh.js';
import { GATEWAY, REVIEWS_V1, bookinfo, expectValid, proxy } from './helpers.js';

const HCM = 'envoy.filters.network.http_connection_manager';

/** Every connection manager of the proxy's listeners, by listener name. */
function managers(mesh: unknown, id: string): Array<[string, any]> {
  const r = resolveMeshConfig(mesh);
  if (!r.ok) throw new Error(r.errors.join('; '));
  const listeners = generate(buildSnapshot(bookinfo('bookinfo-gateway.yaml'), snapshotOptions(r.value)), proxy(id, id === GATEWAY ? { LABELS: { istio: 'ingressgateway' } } : {}), TypeUrls.listener);
  expectValid(TypeUrls.listener, listeners);
  return listeners.flatMap((l) => (l.resource.filter_chains as any[]).flatMap((c) => (c.filters as any[]).filter((f) => f.name === HCM).map((f): [string, any] => [l.name, f.typed_config])));
}

const fields = (hcm: any) => ({ normalize: hcm.normalize_path?.value, merge: hcm.merge_slashes, escaped: hcm.path_with_escaped_slashes_action });

describe("mesh config: Istio's pathNormalization", () => {
  for (const [mode, want] of [
    [undefined, { normalize: true, merge: undefined, escaped: undefined }],
    ['DEFAULT', { normalize: true, merge: undefined, escaped: undefined }],
    ['BASE', { normalize: true, merge: undefined, escaped: undefined }],
    ['NONE', { normalize: false, merge: undefined, escaped: undefined }],
    ['MERGE_SLASHES', { normalize: true, merge: true, escaped: undefined }],
    ['DECODE_AND_MERGE_SLASHES', { normalize: true, merge: true, escaped: 'UNESCAPE_AND_FORWARD' }],
  ] as const) {
    it(`${mode ?? 'unset'}: every connection manager of a sidecar (outbound and inbound) and of a gateway`, () => {
      const mesh = mode ? { pathNormalization: { normalization: mode } } : {};
      const sidecar = managers(mesh, REVIEWS_V1);
      expect(sidecar.map(([name]) => name)).to.include.members(['virtualInbound', '0.0.0.0_9080']);
      const gateway = managers(mesh, GATEWAY);
      expect(gateway, 'the Bookinfo gateway has one').to.have.length.greaterThan(0);
      for (const [name, hcm] of [...sidecar, ...gateway]) expect(fields(hcm), name).to.deep.equal(want);
    });
  }

  it('is accepted without a warning; another value is an error naming the field', () => {
    const ok = resolveMeshConfig({ pathNormalization: { normalization: 'MERGE_SLASHES' } });
    expect(ok.ok && (ok.warnings ?? [])).to.deep.equal([]);
    const bad = resolveMeshConfig({ pathNormalization: { normalization: 'SLASHES' } });
    expect(bad.ok).to.equal(false);
    expect(!bad.ok && bad.errors).to.deep.equal(['pathNormalization.normalization: "SLASHES" must be one of DEFAULT, NONE, BASE, MERGE_SLASHES, DECODE_AND_MERGE_SLASHES']);
    const typo = resolveMeshConfig({ pathNormalization: { normalisation: 'NONE' } });
    expect(!typo.ok && typo.errors).to.deep.equal(['pathNormalization.normalisation: unknown field']);
  });
});
