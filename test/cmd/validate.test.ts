import { expect } from 'chai';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { scratchDir } from '../support/tmp.js';
import { mizzen, REPO_ROOT } from '../support/cli.js';

const ROOT = REPO_ROOT;
const BOOKINFO = join(ROOT, '../shared/samples/bookinfo');


const VALID_VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews, subset: v1}
`;
const INVALID_VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: reviews, namespace: shop}
spec:
  hosts: [reviews]
  http:
  - timeout: abc
    route:
    - destination: {host: reviews}
`;

/** A temporary tree: valid/ (nested, YAML + JSON + a List), invalid.yaml, badyaml.yaml, empty/. */
function fixtures(): string {
  const dir = scratchDir('mizzen-validate-');
  mkdirSync(join(dir, 'valid/nested'), { recursive: true });
  mkdirSync(join(dir, 'empty'));
  writeFileSync(join(dir, 'valid/vs.yaml'), `${VALID_VS}---\napiVersion: v1\nkind: Service\nmetadata: {name: reviews, namespace: shop}\nspec: {ports: [{port: 9080, name: http}]}\n`);
  writeFileSync(join(dir, 'valid/nested/dr.json'), JSON.stringify({ apiVersion: 'networking.istio.io/v1beta1', kind: 'DestinationRule', metadata: { name: 'reviews' }, spec: { host: 'reviews', subsets: [{ name: 'v1', labels: { version: 'v1' } }] } }));
  writeFileSync(join(dir, 'valid/nested/list.yml'), `apiVersion: v1\nkind: List\nitems:\n- apiVersion: security.istio.io/v1\n  kind: PeerAuthentication\n  metadata: {name: default}\n  spec: {mtls: {mode: PERMISSIVE}}\n`);
  writeFileSync(join(dir, 'valid/README.md'), 'not config');
  writeFileSync(join(dir, 'invalid.yaml'), `${VALID_VS}---\n${INVALID_VS}`);
  writeFileSync(join(dir, 'badyaml.yaml'), `${VALID_VS}---\nkind: [unclosed\n`);
  return dir;
}

describe('mizzen validate', function () {
  this.timeout(60_000);
  const dir = fixtures();

  it('a valid tree (recursive, YAML, JSON, List items, non-Istio skipped) exits 0', async () => {
    const r = await mizzen(['validate', '-f', join(dir, 'valid')]);
    expect(r.stderr).to.equal('');
    expect(r.code).to.equal(0);
    expect(r.stdout.trim()).to.equal('OK: 3 Istio resource(s) in 3 file(s): 0 invalid document(s), 0 with warnings; 1 non-Istio object(s) skipped');
  });

  it('every Bookinfo sample is valid', async () => {
    const r = await mizzen(['validate', '-f', join(BOOKINFO, 'networking'), '-f', join(BOOKINFO, 'platform')]);
    expect(r.code, r.stdout + r.stderr).to.equal(0);
    expect(r.stdout).to.match(/^OK: 38 Istio resource\(s\) in 26 file\(s\): 0 invalid/m);
  });

  it('an invalid resource exits 1 naming file, index, kind, namespace/name, path and problem', async () => {
    const r = await mizzen(['validate', join(dir, 'invalid.yaml')]);
    expect(r.code).to.equal(1);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).to.have.string(`${join(dir, 'invalid.yaml')}#1 VirtualService shop/reviews: spec.http[0].timeout: `);
    expect(lines[0]).to.include('"abc"');
    expect(lines.at(-1)).to.match(/^FAIL: 2 Istio resource\(s\) in 1 file\(s\): 1 invalid document/);
  });

  it('a document that does not parse is an error', async () => {
    const r = await mizzen(['validate', '-f', join(dir, 'badyaml.yaml')]);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include(`${join(dir, 'badyaml.yaml')}#1: does not parse: `);
  });

  it('standard input, and a document that is not a Kubernetes object', async () => {
    const r = await mizzen(['validate', '-f', '-'], `${VALID_VS}---\nfoo: bar\n`);
    expect(r.code).to.equal(1);
    expect(r.stdout).to.include('-#1: not a Kubernetes object: apiVersion and kind are required');
  });

  it('usage errors and missing paths exit 2 with a clear message', async () => {
    const missing = await mizzen(['validate', '-f', join(dir, 'nope.yaml')]);
    expect(missing.code).to.equal(2);
    expect(missing.stderr.trim()).to.equal(`mizzen validate: ${join(dir, 'nope.yaml')}: no such file or directory`);
    const empty = await mizzen(['validate', '-f', join(dir, 'empty')]);
    expect(empty.code).to.equal(2);
    expect(empty.stderr).to.include('no .yaml, .yml or .json files');
    const none = await mizzen(['validate']);
    expect(none.code).to.equal(2);
    expect(none.stderr).to.include('no input');
    const badOutput = await mizzen(['validate', '-o', 'xml', '-f', dir]);
    expect(badOutput.code).to.equal(2);
    expect(badOutput.stderr).to.include('invalid --output "xml"');
  });

  it('-o json is a machine-readable array with one entry per document', async () => {
    const r = await mizzen(['validate', '-o', 'json', '-f', join(dir, 'invalid.yaml'), '-f', join(dir, 'valid')]);
    expect(r.code).to.equal(1);
    const rows = JSON.parse(r.stdout) as Array<Record<string, unknown>>;
    expect(rows.map((x) => x.status)).to.deep.equal(['valid', 'invalid', 'valid', 'valid', 'valid', 'skipped']);
    expect(rows[1]).to.deep.include({ location: `${join(dir, 'invalid.yaml')}#1`, index: 1, kind: 'VirtualService', namespace: 'shop', name: 'reviews' });
    expect(rows[1]!.errors).to.have.length(1);
    expect((rows[1]!.errors as string[])[0]).to.match(/^spec\.http\[0\]\.timeout: /);
    expect(rows.find((x) => x.kind === 'PeerAuthentication')).to.deep.include({ item: 0, location: `${join(dir, 'valid/nested/list.yml')}#0.items[0]` });
  });
});
