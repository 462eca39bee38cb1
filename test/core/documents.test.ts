import { expect } from 'chai';
import { expandLists, parseDocuments } from '../../src/core/documents.js';
import { hasKubectl, kubectlReads } from '../support/kubectl.js';

const one = (text: string): unknown => {
  const docs = parseDocuments(text, 'in.yaml');
  expect(docs, JSON.stringify(docs)).to.have.length(1);
  expect(docs[0]!.error).to.equal(undefined);
  return docs[0]!.value;
};

const TRUE = ['y', 'Y', 'yes', 'Yes', 'YES', 'on', 'On', 'ON', 'true', 'True', 'TRUE'];
const FALSE = ['n', 'N', 'no', 'No', 'NO', 'off', 'Off', 'OFF', 'false', 'False', 'FALSE'];

describe('parseDocuments: scalars as kubectl reads them (YAML 1.1)', () => {
  it('a leading 0 is octal: defaultMode 0644 is 420', () => {
    const pod = one('apiVersion: v1\nkind: Pod\nmetadata: {name: p}\nspec:\n  volumes: [{name: x, configMap: {name: c, defaultMode: 0644}}]\n') as any;
    expect(pod.spec.volumes[0].configMap.defaultMode).to.equal(420);
    expect(one('[0755, -0644, 0o644, 0x1A4, 0b110100100, 1_000, "0644"]')).to.deep.equal([493, -420, 420, 420, 420, 1000, '0644']);
  });

  it('reads the YAML 1.1 booleans, and only those spellings', () => {
    expect(one(`[${TRUE.join(', ')}]`)).to.deep.equal(TRUE.map(() => true));
    expect(one(`[${FALSE.join(', ')}]`)).to.deep.equal(FALSE.map(() => false));
    expect(one('[yES, tRUE, oN, nO, "yes", \'off\']')).to.deep.equal(['yES', 'tRUE', 'oN', 'nO', 'yes', 'off']);
  });

  it('a boolean key becomes "true" or "false", as in kubectl\'s JSON', () => {
    expect(one('y: 1\nn: 2\nx: 3\n')).to.deep.equal({ true: 1, false: 2, x: 3 });
  });

  it('reads the YAML 1.1 nulls', () => {
    expect(one('a: ~\nb: null\nc: Null\nd: NULL\ne:\nf: nULL\n')).to.deep.equal({ a: null, b: null, c: null, d: null, e: null, f: 'nULL' });
  });

  it('1:20 is a string, not sexagesimal 80', () => {
    expect(one('ports: [1:20]\nt: 190:20:30.15\n')).to.deep.equal({ ports: ['1:20'], t: '190:20:30.15' });
  });

  it('unquoted timestamps stay strings', () => {
    expect(one('a: 2001-12-14\nb: 2001-12-14t21:59:43.10-05:00\nc: 2001-12-14 21:59:43.10 -5\n')).to.deep.equal({
      a: '2001-12-14',
      b: '2001-12-14t21:59:43.10-05:00',
      c: '2001-12-14 21:59:43.10 -5',
    });
  });

  it('a lone . is a string (find . stays find .)', () => {
    expect(one('command: [find, ., -name, "*.log"]\n')).to.deep.equal({ command: ['find', '.', '-name', '*.log'] });
  });

  it('merges << keys; keys written in the mapping win', () => {
    const v = one('base: &b {app: a, tier: web}\nlabels:\n  <<: *b\n  tier: db\n');
    expect(v).to.deep.equal({ base: { app: 'a', tier: 'web' }, labels: { app: 'a', tier: 'db' } });
  });

  it('a duplicated key is not an error (the last one wins)', () => {
    expect(one('a: 1\na: 2\n')).to.deep.equal({ a: 2 });
  });

  it('kubectl agrees on these scalars', async function () {
    if (!hasKubectl()) {
      console.log('    (skipping the comparison with kubectl: kubectl is not installed)');
      this.skip();
    }
    const text = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: scalars}',
      'data:',
      `  t: [${TRUE.join(', ')}]`,
      `  f: [${FALSE.join(', ')}]`,
      '  near: [yES, tRUE, nULL]',
      '  nulls: [~, null, Null, NULL, ""]',
      '  octal: [0644, 0755, "0644"]',
      '  time: [1:20, 2001-12-14, 2001-12-14t21:59:43.10-05:00]',
      '  dot: [find, .]',
      '  base: &b {app: a, tier: web}',
      '  merged: {<<: *b, tier: db}',
      '',
    ].join('\n');
    const theirs = await kubectlReads(text);
    expect(one(text)).to.deep.equal(theirs);
  });
});

describe('parseDocuments: unchanged behaviour', () => {
  it('reads JSON', () => {
    const text = '{"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"a": "0644", "b": "yes", "c": "1:20"}, "n": [0, -1, 1.5, 1e3, true, null]}';
    expect(one(text)).to.deep.equal({ apiVersion: 'v1', kind: 'ConfigMap', metadata: { name: 'c' }, data: { a: '0644', b: 'yes', c: '1:20' }, n: [0, -1, 1.5, 1000, true, null] });
  });

  it('drops empty documents and keeps the index of the others', () => {
    const docs = parseDocuments('---\n---\nkind: A\n---\n~\n---\nkind: B\n', 'f.yaml');
    expect(docs).to.deep.equal([
      { file: 'f.yaml', index: 1, value: { kind: 'A' } },
      { file: 'f.yaml', index: 3, value: { kind: 'B' } },
    ]);
  });

  it('an invalid document is an error naming its index; the others still parse', () => {
    const docs = parseDocuments('kind: A\n---\nmetadata: [unclosed\n---\nkind: B\n', 'f.yaml');
    expect(docs.map((d) => [d.index, d.value, d.error === undefined])).to.deep.equal([
      [0, { kind: 'A' }, true],
      [1, undefined, false],
      [2, { kind: 'B' }, true],
    ]);
    expect(docs[1]!.error).to.be.a('string').and.not.equal('');
  });

  it('expands kind: List (and *List) into its items, keeping the position', () => {
    const docs = expandLists(parseDocuments('apiVersion: v1\nkind: List\nitems:\n- {kind: Service, metadata: {name: s}}\n- {kind: Pod, metadata: {name: n0}}\n---\nkind: PodList\nitems: []\n---\nkind: Pod\n', 'l.yaml'));
    expect(docs).to.deep.equal([
      { file: 'l.yaml', index: 0, value: { kind: 'Service', metadata: { name: 's' } } },
      { file: 'l.yaml', index: 0, value: { kind: 'Pod', metadata: { name: 'n0' } } },
      { file: 'l.yaml', index: 2, value: { kind: 'Pod' } },
    ]);
  });

  it('too many aliases is an error, not a hang', () => {
    const bomb = 'a: &a [x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n';
    const [doc] = parseDocuments(bomb, 'bomb.yaml');
    expect(doc!.index).to.equal(0);
    expect(doc!.error).to.match(/alias/i);
  });
});
