/**
 * JSON text for objects whose shape and most values stay the same from one pod to the next (the sidecar
 * containers). The builder is serialized once with a marker in place of each varying value; afterwards the
 * text is the fixed fragments with each value's JSON spliced in between, instead of serializing the whole
 * object again. The result equals JSON.stringify(build(values)) as long as `build` places each value whole
 * (not inside a larger string) and its shape depends only on what the template was made for. Pure.
 */
import { oneByte } from '../core/one-byte.js';

const MARK = '\u0000hole';

/** A marker as JSON.stringify writes it (control characters become \u00XX), quotes included. */
const MARK_JSON = /"\\u0000hole(\d+)\\u0000"/g;

export class JsonTemplate<K extends string> {
  /** fragments[i], then the JSON of holes[i], ..., then the last fragment. */
  private readonly fragments: string[] = [];
  private readonly holes: K[] = [];

  constructor(keys: readonly K[], build: (values: Record<K, unknown>) => unknown) {
    const marks = {} as Record<K, unknown>;
    keys.forEach((k, i) => (marks[k] = `${MARK}${i}\u0000`));
    const text = JSON.stringify(build(marks));
    let last = 0;
    for (const m of text.matchAll(MARK_JSON)) {
      this.fragments.push(oneByte(text.slice(last, m.index)));
      this.holes.push(keys[Number(m[1])]!);
      last = m.index! + m[0].length;
    }
    this.fragments.push(oneByte(text.slice(last)));
    if (this.fragments.some((f) => f.includes('\\u0000hole'))) throw new Error('JsonTemplate: a value is used inside a larger string');
  }

  /** The JSON of build(values); `texts` gives the JSON of values already serialized (it must be theirs). */
  json(values: Record<K, unknown>, texts?: Partial<Record<K, string>>): string {
    let out = this.fragments[0]!;
    for (let i = 0; i < this.holes.length; i++) {
      const k = this.holes[i]!;
      const text = texts?.[k] ?? JSON.stringify(values[k]);
      if (text === undefined) throw new Error(`JsonTemplate: value ${k} is not JSON`);
      out += text + this.fragments[i + 1]!;
    }
    return out;
  }
}
