/**
 * Golden files: testdata/X.yaml -> testdata/X.yaml.injected, and every Bookinfo platform sample ->
 * testdata/bookinfo/<file>.injected. `UPDATE_GOLDEN=1 npx mocha test/inject/golden.test.ts` rewrites
 * them; a golden without its input fails the suite.
 */
import { expect } from 'chai';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { renderCase } from './harness.js';

const HERE = dirname(fileURLToPath(import.meta.url));
const TESTDATA = join(HERE, 'testdata');
const BOOKINFO = join(HERE, '../../../shared/samples/bookinfo/platform');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

const cases: Array<{ input: string; golden: string }> = [
  ...readdirSync(TESTDATA)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ input: join(TESTDATA, f), golden: join(TESTDATA, `${f}.injected`) })),
  ...readdirSync(BOOKINFO)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .map((f) => ({ input: join(BOOKINFO, f), golden: join(TESTDATA, 'bookinfo', `${f}.injected`) })),
];

function goldenFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? goldenFiles(join(dir, e.name)) : e.name.endsWith('.injected') ? [join(dir, e.name)] : []));
}

describe('injection golden files', () => {
  it('has the Bookinfo platform samples', async () => {
    expect(cases.filter((c) => c.golden.includes('/bookinfo/')).map((c) => basename(c.input))).to.include('bookinfo.yaml');
  });

  for (const c of cases) {
    it(relative(TESTDATA, c.golden), async () => {
      const got = renderCase(c.input);
      if (UPDATE) {
        mkdirSync(dirname(c.golden), { recursive: true });
        writeFileSync(c.golden, got);
        return;
      }
      expect(existsSync(c.golden), `missing golden ${c.golden}: run UPDATE_GOLDEN=1 npx mocha test/inject/golden.test.ts`).to.equal(true);
      expect(got).to.equal(readFileSync(c.golden, 'utf8'));
    });
  }

  it('has no unused golden files', async () => {
    const used = new Set(cases.map((c) => c.golden));
    const unused = goldenFiles(TESTDATA).filter((f) => !used.has(f));
    expect(unused, 'golden files without an input').to.deep.equal([]);
  });
});
