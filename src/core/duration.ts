/** Go / Kubernetes duration strings, as Istio's APIs and annotations take them. Pure. */

const UNIT_NS: Record<string, bigint> = { ns: 1n, us: 1000n, 'µs': 1000n, 'μs': 1000n, ms: 1000000n, s: 1000000000n, m: 60000000000n, h: 3600000000000n };
const DURATION_PART = /([0-9]*)(?:\.([0-9]*))?(ns|us|µs|μs|ms|s|m|h)/y;

/** Parses a Go/Kubernetes duration ("1h2m", "0.5s", "250ms", "-1s", "0") into nanoseconds; undefined when malformed. */
export function parseDuration(s: string): bigint | undefined {
  let rest = s;
  let sign = 1n;
  if (rest.startsWith('-') || rest.startsWith('+')) {
    if (rest[0] === '-') sign = -1n;
    rest = rest.slice(1);
  }
  if (rest === '0') return 0n;
  if (rest === '') return undefined;
  let total = 0n;
  let pos = 0;
  while (pos < rest.length) {
    DURATION_PART.lastIndex = pos;
    const m = DURATION_PART.exec(rest);
    if (!m || (m[1] === '' && (m[2] ?? '') === '')) return undefined;
    const unit = UNIT_NS[m[3]];
    const frac = (m[2] ?? '').slice(0, 18);
    total += BigInt(m[1] || '0') * unit + (frac ? (BigInt(frac) * unit) / 10n ** BigInt(frac.length) : 0n);
    pos = DURATION_PART.lastIndex;
  }
  return sign * total;
}
