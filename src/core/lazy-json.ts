/**
 * JSON.parse for large documents whose bulk the reader may never look at. A pod with 2000 environment
 * variables is 64 KB of small objects; JSON.parse spends about 10 ns a byte building them, while the injector
 * reads only names, ports, labels and annotations. parseLazily() checks the whole text with a byte scanner
 * (1.5 to 2 ns a byte here), parses the document with its bulky leaves left out, and puts each left-out leaf back as
 * an accessor that parses it on first read and then becomes a plain data property. Reading, spreading,
 * JSON.stringify and structuredClone all see the same values as with JSON.parse.
 *
 * A "bulky leaf" is an object or array of at least `threshold` bytes none of whose members is that large (so
 * that what the reader needs next to it stays eager). Input that the scanner rejects is handed to JSON.parse,
 * which throws its own SyntaxError: error messages are V8's. Pure apart from the returned objects' accessors.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const COMMA = 0x2c;
const COLON = 0x3a;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;
const MINUS = 0x2d;
const PLUS = 0x2b;
const DOT = 0x2e;
const ZERO = 0x30;
const NINE = 0x39;

/** Documents nested deeper than this are simply JSON.parse'd. */
const MAX_DEPTH = 256;
/** Below this size a document is parsed at once: nothing in it can be worth leaving out. */
export const LAZY_MIN_BYTES = 16 * 1024;
const DEFAULT_THRESHOLD = 2048;

/** A left-out leaf: its bytes and where it sits (object keys as byte ranges of their JSON text, array indexes as numbers). */
interface Leaf {
  start: number;
  end: number;
  path: Array<number | [number, number]>;
}

const isHex = (c: number): boolean => (c >= ZERO && c <= NINE) || (c >= 0x41 && c <= 0x46) || (c >= 0x61 && c <= 0x66);
const isDigit = (c: number): boolean => c >= ZERO && c <= NINE;
const BAD = -1;
const bytesOf = (s: string): readonly number[] => [...s].map((ch) => ch.charCodeAt(0));
const RUE = bytesOf('rue');
const ALSE = bytesOf('alse');
const ULL = bytesOf('ull');

function ws(b: Buffer, i: number): number {
  let c = b[i];
  while (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) c = b[++i];
  return i;
}

/** ws() for the usual case of no whitespace at all: one byte compared, no call. */
const skip = (b: Buffer, i: number): number => (b[i]! > 0x20 ? i : ws(b, i));

/** The index after the string starting at i (a quote), or BAD. Past the end b[i] is undefined: not >= 0x20. */
function string(b: Buffer, i: number): number {
  for (;;) {
    const c = b[++i]!;
    if (c === QUOTE) return i + 1;
    if (c === BACKSLASH) {
      const e = b[++i];
      if (e === 0x75) {
        if (!(isHex(b[i + 1]!) && isHex(b[i + 2]!) && isHex(b[i + 3]!) && isHex(b[i + 4]!))) return BAD;
        i += 4;
      } else if (e !== QUOTE && e !== BACKSLASH && e !== 0x2f && e !== 0x62 && e !== 0x66 && e !== 0x6e && e !== 0x72 && e !== 0x74) return BAD;
    } else if (!(c >= 0x20)) return BAD;
  }
}

/** After a key ending at keyEnd: the index of its value (past the colon), or BAD. */
function afterColon(b: Buffer, keyEnd: number): number {
  const i = skip(b, keyEnd);
  return b[i] === COLON ? skip(b, i + 1) : BAD;
}

/** The index after the number, true, false or null starting at i, or BAD. */
function scalar(b: Buffer, i: number): number {
  const c = b[i];
  if (c === 0x74) return literal(b, i, RUE);
  if (c === 0x66) return literal(b, i, ALSE);
  if (c === 0x6e) return literal(b, i, ULL);
  if (b[i] === MINUS) i++;
  if (b[i] === ZERO) i++;
  else if (isDigit(b[i]!)) while (isDigit(b[i]!)) i++;
  else return BAD;
  if (b[i] === DOT) {
    if (!isDigit(b[++i]!)) return BAD;
    while (isDigit(b[i]!)) i++;
  }
  if (b[i] === 0x65 || b[i] === 0x45) {
    i++;
    if (b[i] === PLUS || b[i] === MINUS) i++;
    if (!isDigit(b[i]!)) return BAD;
    while (isDigit(b[i]!)) i++;
  }
  return i;
}

/** true, false or null: `rest` are the bytes after the first letter. */
function literal(b: Buffer, i: number, rest: readonly number[]): number {
  for (let k = 0; k < rest.length; k++) if (b[i + 1 + k] !== rest[k]) return BAD;
  return i + 1 + rest.length;
}

const NESTED = -2;
/** The biggest member flat() saw (module state: the scan is synchronous). */
let flatBig = 0;

/**
 * Reads a container of scalars only (the common bulk: env entries, labels, lists of strings) from its first
 * member at i: the index after its closing bracket, NESTED at its first nested container, or BAD.
 */
function flat(b: Buffer, i: number, object: boolean, close: number): number {
  flatBig = 0;
  for (;;) {
    if (object) {
      if (b[i] !== QUOTE) return BAD;
      const keyEnd = string(b, i);
      if (keyEnd === BAD || (i = afterColon(b, keyEnd)) === BAD) return BAD;
    }
    const c = b[i];
    if (c === LBRACE || c === LBRACKET) return NESTED;
    const from = i;
    i = c === QUOTE ? string(b, i) : scalar(b, i);
    if (i === BAD) return BAD;
    if (i - from > flatBig) flatBig = i - from;
    i = skip(b, i);
    const next = b[i];
    if (next === COMMA) i = skip(b, i + 1);
    else return next === close ? i + 1 : BAD;
  }
}

/**
 * Checks the whole text in one loop (the open containers' state saved on explicit stacks, the current one's in
 * locals); returns its bulky leaves in document order, or undefined when the text is not JSON.
 */
function scan(b: Buffer, threshold: number): Leaf[] | undefined {
  const n = b.length;
  const leaves: Leaf[] = [];
  // The enclosing containers: where each starts, whether it is an object, its biggest member so far, and the
  // member being read (an index, or -1 - the key's start with the key's end in savedKeyEnd).
  const savedStart: number[] = [];
  const savedObject: boolean[] = [];
  const savedBig: number[] = [];
  const savedMember: number[] = [];
  const savedKeyEnd: number[] = [];
  let depth = 0;
  let open = false;
  let start = 0;
  let object = false;
  let big = 0;
  let member = 0;
  let keyEnd = 0;
  let i = ws(b, 0);
  let from = i;

  value: for (;;) {
    from = i;
    const c = b[i];
    if (c === LBRACE || c === LBRACKET) {
      const close = c === LBRACE ? RBRACE : RBRACKET;
      const first = skip(b, i + 1);
      if (b[first] === close) i = first + 1; // {} or []: complete at once
      else if ((i = flat(b, first, c === LBRACE, close)) >= 0) {
        // A container of scalars only, read without saving state; a leaf like any other when bulky.
        if (open && i - from >= threshold && flatBig < threshold) {
          const path = pathOf(depth, savedMember, savedKeyEnd);
          path.push(member >= 0 ? member : [-1 - member, keyEnd]);
          leaves.push({ start: from, end: i, path });
        }
      } else if (i === BAD) return undefined;
      else {
        i = from;
        if (open) {
          if (depth >= MAX_DEPTH) return undefined;
          savedStart[depth] = start;
          savedObject[depth] = object;
          savedBig[depth] = big;
          savedMember[depth] = member;
          savedKeyEnd[depth] = keyEnd;
          depth++;
        }
        open = true;
        start = i;
        object = c === LBRACE;
        big = 0;
        member = 0;
        i = first;
        if (!object) continue;
        // A key: `"...":` (again below after a comma; a closure here would put the loop's locals in a context).
        if (b[i] !== QUOTE || (keyEnd = string(b, i)) === BAD) return undefined;
        member = -1 - i;
        if ((i = afterColon(b, keyEnd)) === BAD) return undefined;
        continue;
      }
    } else {
      i = c === QUOTE ? string(b, i) : scalar(b, i);
      if (i === BAD) return undefined;
    }
    // The value [from, i) is complete: read what follows it, closing the containers it completes.
    for (;;) {
      if (!open) return ws(b, i) === n ? leaves : undefined;
      if (i - from > big) big = i - from;
      i = skip(b, i);
      const next = b[i];
      if (next === COMMA) {
        i = skip(b, i + 1);
        if (!object) {
          member++;
          continue value;
        }
        if (b[i] !== QUOTE || (keyEnd = string(b, i)) === BAD) return undefined;
        member = -1 - i;
        if ((i = afterColon(b, keyEnd)) === BAD) return undefined;
        continue value;
      }
      if (next !== (object ? RBRACE : RBRACKET)) return undefined;
      i++;
      from = start;
      if (depth > 0 && i - start >= threshold && big < threshold) leaves.push({ start, end: i, path: pathOf(depth, savedMember, savedKeyEnd) });
      if (depth === 0) open = false;
      else {
        depth--;
        start = savedStart[depth]!;
        object = savedObject[depth]!;
        big = savedBig[depth]!;
        member = savedMember[depth]!;
        keyEnd = savedKeyEnd[depth]!;
      }
    }
  }
}

/** The path to a container nested `depth` deep: the member each enclosing container was reading. */
function pathOf(depth: number, member: number[], keyEnd: number[]): Leaf['path'] {
  const out: Leaf['path'] = [];
  for (let k = 0; k < depth; k++) out.push(member[k]! >= 0 ? member[k]! : [-1 - member[k]!, keyEnd[k]!]);
  return out;
}

/** A left-out leaf not read yet: its JSON text (a copy: the caller may reuse the bytes it parsed from). */
interface Pending {
  text: string;
}

/**
 * A holder's left-out leaves, by property, on the holder itself under a symbol (not enumerable: spread, Object.keys
 * and JSON.stringify do not see it). The accessors that read them are shared per property name, not closures per
 * leaf: V8 keeps accessor pairs in old space, and a closure per leaf held there would keep every parsed document
 * alive until the next full GC (measured: 370 KB promoted per scavenge, a mark-compact every 400 ms under load).
 * Not a WeakMap either: V8's scavenges keep a WeakMap's values alive whatever becomes of their keys, so every
 * leaf's text (60 KB for 2000 env entries) reached old space and a mark-compact came every 1,500 documents.
 */
const LEAVES = Symbol('mizzen.lazyLeaves');
type Holder = { [LEAVES]?: Map<string | number, Pending> };

/** The left-out leaves held by `o` itself (not by a prototype it inherits from), if any. */
const leavesOf = (o: object): Map<string | number, Pending> | undefined => (Object.prototype.hasOwnProperty.call(o, LEAVES) ? (o as Holder)[LEAVES] : undefined);

const accessors = new Map<string | number, PropertyDescriptor>();

/** Makes `name` a plain data property of `o` holding `value`; the leaf, if still pending there, is dropped. */
function settle(o: object, name: string | number, value: unknown): void {
  Object.defineProperty(o, name, { value, writable: true, enumerable: true, configurable: true });
  leavesOf(o)?.delete(name);
}

/** Parses the leaf behind `name` on the object that holds it (the receiver or one of its prototypes). */
function materialize(receiver: object, name: string | number): unknown {
  for (let o: object | null = receiver; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    const leaf = leavesOf(o)?.get(name);
    if (!leaf) continue;
    const value: unknown = JSON.parse(leaf.text);
    settle(o, name, value);
    return value;
  }
  return undefined;
}

function accessorFor(name: string | number): PropertyDescriptor {
  let d = accessors.get(name);
  if (!d) {
    if (accessors.size >= 1024) accessors.clear(); // property names come from input: keep the table bounded
    d = {
      enumerable: true,
      configurable: true,
      get(this: object) {
        return materialize(this, name);
      },
      set(this: object, value: unknown) {
        settle(this, name, value);
      },
    };
    accessors.set(name, d);
  }
  return d;
}

let nonce = 0;

/**
 * JSON.parse(bytes as UTF-8), with bulky leaves parsed only when read. Throws JSON.parse's SyntaxError on bad input.
 * Keeps no reference to `bytes` (a left-out leaf keeps its text as a string), so the caller may reuse them.
 */
export function parseLazily(bytes: Buffer, threshold = DEFAULT_THRESHOLD): unknown {
  if (bytes.length < LAZY_MIN_BYTES) return JSON.parse(bytes.toString('utf8'));
  const found = scan(bytes, threshold);
  if (found === undefined || found.length === 0) return JSON.parse(bytes.toString('utf8'));

  // The document with each leaf replaced by a marker string no input can hold (a fresh random tag).
  const tag = `\u0000lazy${(nonce = (nonce + 1) % 1e9)}.${Math.random().toString(36).slice(2)}:`;
  const tagJson = JSON.stringify(tag).slice(1, -1);
  let text = '';
  let at = 0;
  found.forEach((leaf, n) => {
    text += `${bytes.toString('utf8', at, leaf.start)}"${tagJson}${n}"`;
    at = leaf.end;
  });
  text += bytes.toString('utf8', at);
  const root: unknown = JSON.parse(text);

  const key = (seg: number | [number, number]): string | number => {
    if (typeof seg === 'number') return seg;
    const raw = bytes.subarray(seg[0] + 1, seg[1] - 1);
    return raw.includes(BACKSLASH) ? (JSON.parse(bytes.toString('utf8', seg[0], seg[1])) as string) : raw.toString('utf8');
  };
  found.forEach((leaf, n) => {
    let parent: unknown = root;
    for (let k = 0; k < leaf.path.length - 1; k++) {
      if (typeof parent !== 'object' || parent === null) return;
      parent = (parent as Record<string | number, unknown>)[key(leaf.path[k]!)];
    }
    if (typeof parent !== 'object' || parent === null) return;
    const holder = parent as Record<string | number, unknown>;
    const name = key(leaf.path[leaf.path.length - 1]!);
    // A later duplicate key replaced this member (JSON.parse keeps the last): then the leaf is not in the result.
    if (holder[name] !== `${tag}${n}`) return;
    let leaves = leavesOf(holder);
    if (!leaves) Object.defineProperty(holder, LEAVES, { value: (leaves = new Map()), writable: true, configurable: true, enumerable: false });
    leaves.set(name, { text: bytes.toString('utf8', leaf.start, leaf.end) });
    Object.defineProperty(holder, name, accessorFor(name));
  });
  return root;
}
