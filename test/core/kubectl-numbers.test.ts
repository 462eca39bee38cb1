import { expect } from 'chai';
import { parse } from 'yaml';
import { KUBECTL_YAML } from '../../src/core/documents.js';
import { hasKubectl, kubectlReads } from '../support/kubectl.js';

/** Plain scalars and what kubectl makes of them (checked against kubectl itself below, when it is installed). */
const TABLE: Array<[string, unknown]> = [
  ['0644', 420],
  ['-0644', -420],
  ['+0644', 420],
  ['00', 0],
  ['08', 8],
  ['0_8', 8],
  ['012345678', 12345678],
  ['0o17', 15],
  ['0O17', 15],
  ['0x1F', 31],
  ['0X1F', 31],
  ['+0x1F', 31],
  ['0_x1F', 31],
  ['0b101', 5],
  ['0B101', 5],
  ['0b_1', 1],
  ['1_000', 1000],
  ['1__', 1],
  ['-_1', -1],
  ['0_', 0],
  ['-0', 0],
  ['1e3', 1000],
  ['12e03', 12000],
  ['1_2e1_0', 120000000000],
  ['1e_3', 1000],
  ['1.', 1],
  ['0.', 0],
  ['.5', 0.5],
  ['-.5', -0.5],
  ['+.5', 0.5],
  ['.5e3', 500],
  ['.5_0', 0.5],
  ['1_.5', 1.5],
  ['1_000.5', 1000.5],
  ['1.5e-400', 0],
  ['18446744073709551615', 18446744073709551615],
  ['0xFFFFFFFFFFFFFFFF', 18446744073709551615],
  ['-0x8000000000000000', -9223372036854775808],
  ['0777777777777777777777777', 777777777777777777777777],
  // Strings: not numbers to Go, or numbers too big for it.
  ['.', '.'],
  ['+.', '+.'],
  ['._5', '._5'],
  ['0b_', '0b_'],
  ['0x_', '0x_'],
  ['0o', '0o'],
  ['0b2', '0b2'],
  ['1e', '1e'],
  ['1e400', '1e400'],
  ['0x1FFFFFFFFFFFFFFFF', '0x1FFFFFFFFFFFFFFFF'],
  ['+0xFFFFFFFFFFFFFFFF', '+0xFFFFFFFFFFFFFFFF'],
  ['-0x8000000000000001', '-0x8000000000000001'],
  ['1:20', '1:20'],
  ['190:20:30.15', '190:20:30.15'],
  ['2001-12-14', '2001-12-14'],
  ['2001-12-14t21:59:43.10-05:00', '2001-12-14t21:59:43.10-05:00'],
  ['0x1p-2', '0x1p-2'],
  ['Infinity', 'Infinity'],
];

const configMap = (entries: Array<[string, unknown]>) =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: numbers}\ndata:\n${entries.map(([text], i) => `  k${i}: ${text}\n`).join('')}`;
const expected = (entries: Array<[string, unknown]>) => Object.fromEntries(entries.map(([, want], i) => [`k${i}`, want]));

describe('numbers as kubectl reads them (kubectl-numbers.ts through KUBECTL_YAML)', () => {
  for (const [text, want] of TABLE) {
    it(`${text} → ${JSON.stringify(want)}`, () => {
      expect(parse(`v: ${text}\n`, KUBECTL_YAML)).to.deep.equal({ v: want });
    });
  }

  it('reads .inf and .nan in the spellings go-yaml knows, and no others', () => {
    const got = parse('[.inf, +.Inf, -.INF, .nan, .NaN, .NAN, .Nan, .iNF]', KUBECTL_YAML);
    expect(got).to.deep.equal([Infinity, Infinity, -Infinity, NaN, NaN, NaN, '.Nan', '.iNF']);
  });

  it('an explicit !!str keeps the text', () => {
    expect(parse('v: !!str 0644\n', KUBECTL_YAML)).to.deep.equal({ v: '0644' });
  });

  it('kubectl reads the whole table the same way', async function () {
    if (!hasKubectl()) {
      console.log('    (skipping the comparison with kubectl: kubectl is not installed)');
      this.skip();
    }
    const got = await kubectlReads(configMap(TABLE));
    expect(got.data).to.deep.equal(expected(TABLE));
    expect(parse(configMap(TABLE), KUBECTL_YAML).data).to.deep.equal(expected(TABLE));
  });
});
