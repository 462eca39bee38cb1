import { expect } from 'chai';
import { LAZY_MIN_BYTES, parseLazily } from '../../src/core/lazy-json.js';

/** A list of n small objects: a bulky leaf (like a container's env). */
const envList = (n: number, value = (i: number) => `v${i}`) => Array.from({ length: n }, (_, i) => ({ name: `E${i}`, value: value(i) }));

/** `inner` (JSON text) placed inside a document large enough to be scanned, next to a bulky leaf. */
const big = (inner: string) => `{"bulk":${JSON.stringify(envList(1500))},"doc":${inner}}`;

const isLazy = (o: object, key: string | number) => typeof Object.getOwnPropertyDescriptor(o, key)?.get === 'function';

/** What JSON.parse throws for `text`, or undefined. */
function jsonError(text: string): string | undefined {
  try {
    JSON.parse(text);
    return undefined;
  } catch (e) {
    return (e as Error).message;
  }
}

describe('core: parseLazily', () => {
  it('gives what JSON.parse gives, with the bulky leaf parsed on first read', () => {
    const pod = { metadata: { name: 'p', labels: { app: 'a' } }, spec: { containers: [{ name: 'app', env: envList(2000), ports: [{ containerPort: 9080 }] }] } };
    const text = JSON.stringify(pod);
    expect(text.length).to.be.greaterThan(LAZY_MIN_BYTES);
    const out = parseLazily(Buffer.from(text)) as typeof pod;
    const container = out.spec.containers[0]!;
    expect(isLazy(container, 'env')).to.equal(true);
    expect(isLazy(out, 'metadata') || isLazy(out.spec, 'containers') || isLazy(container, 'ports')).to.equal(false);
    expect(container.ports).to.deep.equal([{ containerPort: 9080 }]);
    expect(Object.keys(container)).to.deep.equal(['name', 'env', 'ports']);
    expect(container.env[1999]).to.deep.equal({ name: 'E1999', value: 'v1999' });
    expect(isLazy(container, 'env')).to.equal(false);
    expect(Object.getOwnPropertyDescriptor(container, 'env')).to.include({ writable: true, enumerable: true, configurable: true });
    expect(container.env).to.equal(container.env);
    expect(JSON.stringify(out)).to.equal(text);
  });

  it('is seen whole by JSON.stringify, spread and structuredClone before any read', () => {
    const doc = { a: 1, list: envList(1200), nested: { more: envList(900), x: [true, false, null] } };
    const text = JSON.stringify(doc);
    const parse = () => parseLazily(Buffer.from(text)) as typeof doc;
    expect(JSON.stringify(parse())).to.equal(text);
    expect({ ...parse() }).to.deep.equal(doc);
    expect(structuredClone(parse())).to.deep.equal(doc);
    const p = parse();
    expect(isLazy(p, 'list') && isLazy(p.nested, 'more')).to.equal(true);
  });

  it('leaves out bulky containers of scalars (maps, lists of numbers), and never the document itself', () => {
    const labels = Object.fromEntries(Array.from({ length: 1500 }, (_, i) => [`example.com/k${i}`, i % 3 ? `v${i}` : i]));
    const doc = { kind: 'X', meta: { name: 'n', labels }, nums: Array.from({ length: 4000 }, (_, i) => i * 1.5) };
    const out = parseLazily(Buffer.from(JSON.stringify(doc))) as typeof doc;
    expect(isLazy(out.meta, 'labels') && isLazy(out, 'nums')).to.equal(true);
    expect(isLazy(out.meta, 'name')).to.equal(false);
    expect(out).to.deep.equal(doc);
    const flatRoot = JSON.stringify(Array.from({ length: 5000 }, (_, i) => i));
    expect(parseLazily(Buffer.from(flatRoot))).to.deep.equal(JSON.parse(flatRoot));
  });

  it('lets a leaf be replaced before it was read', () => {
    const out = parseLazily(Buffer.from(big('1'))) as { bulk: unknown };
    out.bulk = 'replaced';
    expect(out.bulk).to.equal('replaced');
    expect(Object.keys(out)).to.deep.equal(['bulk', 'doc']);
  });

  it('reads a leaf through an object that inherits from its holder, and an assignment there stays there', () => {
    const out = parseLazily(Buffer.from(big('1'))) as { bulk: unknown[] };
    const child = Object.create(out) as { bulk: unknown };
    expect((child.bulk as unknown[]).length).to.equal(1500);
    expect(isLazy(out, 'bulk')).to.equal(false);
    const again = parseLazily(Buffer.from(big('2'))) as { bulk: unknown[] };
    const heir = Object.create(again) as { bulk: unknown };
    heir.bulk = 'own';
    expect(Object.getOwnPropertyDescriptor(heir, 'bulk')!.value).to.equal('own');
    expect(again.bulk).to.have.length(1500);
  });

  it('parses small documents at once (nothing left out)', () => {
    const text = JSON.stringify({ list: envList(20) });
    const out = parseLazily(Buffer.from(text)) as { list: unknown[] };
    expect(isLazy(out, 'list')).to.equal(false);
    expect(out).to.deep.equal(JSON.parse(text));
  });

  const valid: Array<[string, string]> = [
    ['numbers of every form', '[0,-0,1,-12,3.25,-0.5,1e3,1E-3,2e+10,123456789012345678901234567890]'],
    ['escapes in values', String.raw`["\"", "\\", "\/", "\b\f\n\r\t", "\u00e9\u20AC", "\ud83d\ude00"]`],
    ['UTF-8 text', JSON.stringify(['héllo', '€uro', '😀', 'ascii'])],
    ['whitespace everywhere', ' { "a" : [ 1 , 2 ] ,\n\t"b" :\r\n{ } , "c" : [ ] } '],
    ['literals', '[true,false,null,{"t":true}]'],
    ['empty containers', '[{},[],{"a":{}},[[]]]'],
  ];
  for (const [name, inner] of valid) {
    it(`agrees with JSON.parse on ${name}`, () => {
      for (const text of [big(inner), `{"doc":${inner},"bulk":${JSON.stringify(envList(1500, (i) => (i % 2 ? `é${i}` : `\n${i}`)))}}`]) {
        const out = parseLazily(Buffer.from(text)) as { bulk: unknown };
        expect(isLazy(out, 'bulk')).to.equal(true);
        expect(JSON.stringify(out)).to.equal(JSON.stringify(JSON.parse(text)));
      }
    });
  }

  // Each broken piece sits inside the bulky leaf, which the reader would never look at: still refused, with
  // JSON.parse's own message.
  const broken: Array<[string, string]> = [
    ['a leading zero', '01'],
    ['a bare minus', '-'],
    ['a dot without digits', '1.'],
    ['an exponent without digits', '1e'],
    ['a truncated literal', 'tru'],
    ['a capitalised literal', 'True'],
    ['an unknown escape', String.raw`"\x"`],
    ['a short \\u escape', String.raw`"\u12G4"`],
    ['a raw control character', '"a\u0001b"'],
    ['a raw newline in a string', '"a\nb"'],
    ['a trailing comma', '[1,]'],
    ['a missing colon', '{"a" 1}'],
    ['a single-quoted string', "'a'"],
    ['an unquoted key', '{a:1}'],
    ['a missing comma', '[1 2]'],
  ];
  for (const [name, piece] of broken) {
    it(`refuses ${name} inside a bulky leaf, as JSON.parse does`, () => {
      const text = `{"ok":1,"bulk":[${JSON.stringify(envList(800)).slice(1, -1)},${piece},${JSON.stringify(envList(800)).slice(1, -1)}]}`;
      const expected = jsonError(text);
      expect(expected, 'the case must be invalid JSON').to.be.a('string');
      expect(() => parseLazily(Buffer.from(text))).to.throw(SyntaxError, expected!);
    });
  }

  for (const [name, text] of [
    ['trailing garbage', `${big('1')} x`],
    ['an unterminated document', big('1').slice(0, -1)],
    ['a byte order mark', `\ufeff${big('1')}`],
    ['two documents', `${big('1')}${big('2')}`],
  ] as const) {
    it(`refuses ${name}, as JSON.parse does`, () => {
      expect(() => parseLazily(Buffer.from(text))).to.throw(SyntaxError, jsonError(text)!);
    });
  }

  it('keeps the last of duplicate keys, as JSON.parse does', () => {
    const bulk = JSON.stringify(envList(1500));
    const first = parseLazily(Buffer.from(`{"env":${bulk},"env":[1]}`)) as { env: unknown };
    expect(first.env).to.deep.equal([1]);
    const last = parseLazily(Buffer.from(`{"env":[1],"env":${bulk}}`)) as { env: unknown[] };
    expect(isLazy(last, 'env')).to.equal(true);
    expect(last.env).to.have.length(1500);
    const nested = parseLazily(Buffer.from(`{"spec":{"env":${bulk}},"spec":{"env":2}}`)) as { spec: { env: unknown } };
    expect(nested.spec.env).to.equal(2);
  });

  it('reads keys with escapes and keeps __proto__ an own property', () => {
    const bulk = JSON.stringify(envList(1500));
    const out = parseLazily(Buffer.from(`{"k\\u0065y":${bulk},"__proto__":${bulk},"caf\\u00e9":{"x":${bulk}}}`)) as Record<string, unknown>;
    expect(Object.keys(out)).to.deep.equal(['key', '__proto__', 'café']);
    expect(isLazy(out, 'key') && isLazy(out, '__proto__')).to.equal(true);
    expect(Object.getPrototypeOf(out)).to.equal(Object.prototype);
    expect(Object.getOwnPropertyDescriptor(out, '__proto__')!.get!.call(out)).to.have.length(1500);
    expect((out['café'] as { x: unknown[] }).x).to.have.length(1500);
  });

  it('leaves out list items too, and parses documents nested deeper than it scans', () => {
    const items = parseLazily(Buffer.from(JSON.stringify([{ a: 1 }, { env: envList(1000) }, envList(1000)]))) as unknown[];
    expect(isLazy(items, 2)).to.equal(true);
    expect((items[2] as unknown[]).length).to.equal(1000);
    const deep = `${'['.repeat(600)}${JSON.stringify(envList(1500))}${']'.repeat(600)}`;
    expect(JSON.stringify(parseLazily(Buffer.from(deep)))).to.equal(deep);
  });
});
