/**
 * Golden files: what a proxyless gRPC client in namespace default gets for Bookinfo's reviews service under the
 * samples' routing rules. `UPDATE_GOLDEN=1` rewrites them; a golden file no test uses fails.
 */
import { expect } from 'chai';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { generateGrpc } from '../../../../src/xds/gen/grpc/index.js';
import { GrpcXds, TypeUrls } from '../../../../src/core/constants.js';
import { grpcNode, sample, snapshot } from './fixture.js';

const DIR = join(import.meta.dirname, 'testdata');
const REVIEWS = 'reviews.default.svc.cluster.local';

const CASES: Array<{ golden: string; files: string[]; host: string }> = [
  { golden: 'reviews-90-10.json', files: ['virtual-service-reviews-90-10.yaml'], host: REVIEWS },
  { golden: 'reviews-test-v2.json', files: ['virtual-service-reviews-test-v2.yaml'], host: REVIEWS },
  { golden: 'ratings-test-abort.json', files: ['virtual-service-ratings-test-abort.yaml'], host: 'ratings.default.svc.cluster.local' },
];

function render(files: string[], host: string): string {
  const snap = snapshot(files.flatMap((f) => sample(f)));
  const node = grpcNode();
  const short = host.split('.')[0]!;
  const doc = {
    listeners: generateGrpc(snap, node, TypeUrls.listener, [`${short}:9080`, `${GrpcXds.serverListenerPrefix}127.0.0.11:50051`]),
    routes: generateGrpc(snap, node, TypeUrls.route, [`${host}:9080`]),
    clusters: generateGrpc(snap, node, TypeUrls.cluster).filter((c) => c.name.endsWith(`|${host}`)),
    endpoints: generateGrpc(snap, node, TypeUrls.endpoint).filter((c) => c.name.endsWith(`|${host}`)),
  };
  return JSON.stringify(doc, null, 2) + '\n';
}

describe('gRPC generator golden files', () => {
  for (const c of CASES) {
    it(c.golden, () => {
      const file = join(DIR, c.golden);
      const got = render(c.files, c.host);
      if (process.env.UPDATE_GOLDEN === '1') writeFileSync(file, got);
      expect(existsSync(file), `${c.golden} missing: run with UPDATE_GOLDEN=1`).to.equal(true);
      expect(got).to.equal(readFileSync(file, 'utf8'));
    });
  }
  it('has no unused golden files', () => {
    const used = new Set(CASES.map((c) => c.golden));
    expect(readdirSync(DIR).filter((f) => !used.has(f))).to.deep.equal([]);
  });
});
