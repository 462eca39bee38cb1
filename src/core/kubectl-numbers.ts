/**
 * Numbers in plain YAML scalars as kubectl reads them. kubectl decodes YAML with sigs.k8s.io/yaml, a fork of
 * go-yaml v2, which hands a plain scalar that starts with a digit or a sign to Go's strconv (after dropping
 * every underscore) and one that starts with '.' to strconv.ParseFloat. So 0644 is octal 420, 0o17, 0X1F and
 * 0B101 are numbers, `.` and `+.` stay strings, 1:20 stays a string (no sexagesimal numbers), and a number Go
 * cannot hold (1e400, 0x1FFFFFFFFFFFFFFFF) stays a string. The yaml package's YAML 1.1 number tags differ on
 * each of these (`.` becomes NaN, 0o17 a string, 1:20 the number 80), so these tags replace them. Pure.
 */
import type { ScalarTag } from 'yaml';
import { stringifyNumber } from 'yaml/util';

const INT_TAG = 'tag:yaml.org,2002:int';
const FLOAT_TAG = 'tag:yaml.org,2002:float';

/** Go's integer syntax (base prefix 0b/0o/0x in either case, or a leading 0 for octal), underscores anywhere after the first character. */
const INT = /^(?:[-+]_*)?(?:0_*[bB]_*[01][01_]*|0_*[oO]_*[0-7][0-7_]*|0_*[xX]_*[0-9a-fA-F][0-9a-fA-F_]*|[0-9][0-9_]*)$/;

const EXPONENT = '(?:[eE]_*[-+]?_*[0-9][0-9_]*)?';
/**
 * go-yaml's float shape: after a sign or a digit, underscores anywhere; after a leading '.', strconv's own rule
 * (an underscore only between two digits).
 */
const FLOAT = new RegExp(
  '^(?:' +
    `[-+]_*(?:\\._*[0-9][0-9_]*|[0-9][0-9_]*(?:\\.[0-9_]*)?)${EXPONENT}` +
    `|[0-9][0-9_]*(?:\\.[0-9_]*)?${EXPONENT}` +
    '|\\.[0-9](?:_?[0-9])*(?:[eE][-+]?[0-9](?:_?[0-9])*)?' +
    ')$',
);

/** The spellings go-yaml looks up in its table of special floats. */
const SPECIAL_FLOAT = /^(?:[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$/;

const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;
const UINT64_MAX = 2n ** 64n - 1n;

/** The value kubectl gives a scalar that INT matches: a number, or the text itself when Go cannot hold it. */
export function resolveKubectlInt(text: string): number | string {
  const plain = text.replace(/_/g, '');
  const sign = plain[0] === '-' || plain[0] === '+' ? plain[0] : '';
  const digits = plain.slice(sign.length);
  const prefixed = /^0[bBoOxX]/.test(digits);
  // Decimal: an int64, or else a float64; either way one JS number (and -0 is the integer 0).
  if (!prefixed && !/^0[0-7]+$/.test(digits)) return Number(plain) + 0;
  const magnitude = BigInt(prefixed ? digits : `0o${digits.slice(1)}`);
  const value = sign === '-' ? -magnitude : magnitude;
  if ((value >= INT64_MIN && value <= INT64_MAX) || (sign === '' && value <= UINT64_MAX)) return Number(value);
  // Too big for Go's integers: a leading-zero octal then passes go-yaml's float pattern and is read as a
  // decimal float; a 0b/0o/0x number does not, and stays a string.
  return prefixed ? text : Number(plain);
}

/** The value kubectl gives a scalar that FLOAT matches: a number, or the text itself when it overflows a float64. */
export function resolveKubectlFloat(text: string): number | string {
  const n = Number(text.replace(/_/g, ''));
  return Number.isFinite(n) ? n : text;
}

const isNumber = (v: unknown): boolean => typeof v === 'number';

/** Integer, float and special-float tags, in the order they are tried. */
export const KUBECTL_NUMBER_TAGS: ScalarTag[] = [
  { tag: INT_TAG, default: true, test: INT, identify: (v) => typeof v === 'bigint' || Number.isInteger(v), resolve: resolveKubectlInt, stringify: stringifyNumber },
  { tag: FLOAT_TAG, default: true, test: FLOAT, identify: isNumber, resolve: resolveKubectlFloat, stringify: stringifyNumber },
  {
    tag: FLOAT_TAG,
    default: true,
    test: SPECIAL_FLOAT,
    identify: isNumber,
    resolve: (text) => (/nan/i.test(text) ? NaN : text[0] === '-' ? -Infinity : Infinity),
    stringify: stringifyNumber,
  },
];
