import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { generate } from '../../../src/xds/gen/index.js';
import { ENVOY_TYPES, GATEWAY, PRODUCTPAGE, TESTDATA, bookinfoSnapshot, expectValid, proxy } from './helpers.js';

/**
 * Golden files of the Bookinfo mesh as Envoy would receive it: one sidecar (productpage) and the ingress gateway,
 * all four types. `UPDATE_GOLDEN=1` rewrites them; a golden no test uses fails.
 */
const GOLDEN_DIR = join(TESTDATA, 'golden');
const update = process.env.UPDATE_GOLDEN === '1';
const used = new Set<string>();

describe('Envoy generators: Bookinfo golden files', () => {
  const snap = bookinfoSnapshot('destination-rule-all.yaml', 'virtual-service-reviews-90-10.yaml', 'bookinfo-gateway.yaml');
  const nodes = { productpage: proxy(PRODUCTPAGE), gateway: proxy(GATEWAY) };
  for (const [nodeName, p] of Object.entries(nodes)) {
    for (const typeUrl of ENVOY_TYPES) {
      const kind = typeUrl.slice(typeUrl.lastIndexOf('.') + 1);
      const file = `${nodeName}.${kind}.json`;
      it(`${nodeName} ${kind}`, () => {
        used.add(file);
        const resources = generate(snap, p, typeUrl);
        expectValid(typeUrl, resources);
        const text = `${JSON.stringify(resources, null, 2)}\n`;
        const path = join(GOLDEN_DIR, file);
        if (update || !existsSync(path)) writeFileSync(path, text);
        expect(text, `${file} differs (UPDATE_GOLDEN=1 rewrites it)`).to.equal(readFileSync(path, 'utf8'));
      });
    }
  }
  it('uses every golden file', () => {
    const unused = readdirSync(GOLDEN_DIR).filter((f) => f.endsWith('.json') && !used.has(f));
    expect(unused, 'unused golden files').to.deep.equal([]);
  });
});
