/** RequestAuthentication: JWT rules (issuer, jwksUri vs jwks, token locations, claim-to-header outputs, timeout). */
import { type Issues, type Obj, obj, str, bool, list, enumOf, each, has, isPlainObject } from './schema.js';
import { check, durationField, validateHeaderName, validateStrictHeaderName } from './common.js';
import { targetFields, checkTargets, warnTargetRefs } from './security.js';
import type { KindValidator } from './kind.js';

function validateJwksUri(uri: string): string | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return `invalid URL "${uri}"`;
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') return `URL scheme "${u.protocol.replace(/:$/, '')}" is not supported: must be http or https`;
  return undefined;
}

/** The host and port a jwksUri is fetched from (the scheme's port when it names none); undefined when it is no URL. */
export function jwksAddress(uri: string): { host: string; port: number } | undefined {
  let u: URL;
  try {
    u = new URL(uri);
  } catch {
    return undefined;
  }
  return { host: u.hostname, port: Number(u.port || (u.protocol === 'https:' ? 443 : 80)) };
}

const jwksUriField = str({ minLength: 1, maxLength: 2048, check: check(validateJwksUri) });
const nonEmpty = str({ minLength: 1 });

export const requestAuthenticationSpec = obj({
  ...targetFields,
  jwtRules: list(
    obj(
      {
        issuer: nonEmpty,
        audiences: list(nonEmpty),
        jwksUri: jwksUriField,
        jwks_uri: jwksUriField,
        jwks: str(),
        fromHeaders: list(obj({ name: nonEmpty, prefix: str() }, { required: ['name'] })),
        fromParams: list(nonEmpty),
        fromCookies: list(nonEmpty),
        outputPayloadToHeader: str(),
        forwardOriginalToken: bool,
        outputClaimToHeaders: list(obj({ header: str({ minLength: 1, check: check(validateStrictHeaderName) }), claim: nonEmpty }, { required: ['header', 'claim'] })),
        spaceDelimitedClaims: list(nonEmpty, { maxItems: 64 }),
        timeout: durationField,
        presence: enumOf('OPTIONAL', 'REQUIRED'),
      },
      { atMostOne: [['jwksUri', 'jwks_uri', 'jwks']] },
    ),
    { maxItems: 4096 },
  ),
});

/** Parses inline JWKS: a JSON key set `{keys: [...]}` or a single key; returns the keys, or an error message. */
export function parseJwks(text: string): Obj[] | string {
  let v: unknown;
  try {
    v = JSON.parse(text);
  } catch (e) {
    return `jwks is not valid JSON: ${(e as Error).message}`;
  }
  if (!isPlainObject(v)) return 'jwks must be a JSON object (a JWK set with "keys", or a single JWK)';
  const keys = 'keys' in v ? v.keys : [v];
  if (!Array.isArray(keys) || keys.some((k) => !isPlainObject(k) || typeof k.kty !== 'string')) return 'jwks: every key must be an object with a "kty"';
  return keys as Obj[];
}

// What mizzen does differently from istiod (which fetches the keys itself): stated where a rule depends on it. A
// jwksUri outside the mesh is a cross-resource matter: analysis says it (MZ0006), at apply time too.
const NO_KEYS = 'mizzen does not discover keys from the issuer: without jwks or jwksUri, tokens of this issuer are refused';

export const validateRequestAuthentication: KindValidator = (spec: Obj, _ctx, issues: Issues) => {
  checkTargets(spec, issues);
  warnTargetRefs(spec, 'this RequestAuthentication (no token is checked through it)', issues);
  each(spec.jwtRules, (r, i) => {
    const p = `spec.jwtRules[${i}]`;
    const uri: string | undefined = r.jwksUri ?? r.jwks_uri;
    if (!r.issuer && !uri) issues.error(`${p}.issuer`, 'one of issuer or jwksUri is required');
    if (r.issuer && !uri && !r.jwks) issues.warn(`${p}.issuer`, NO_KEYS);
    if (uri && uri.startsWith('http://')) issues.warn(`${p}.jwksUri`, 'keys fetched over plain http can be tampered with; prefer https');
    if (has(r, 'jwks_uri')) issues.warn(`${p}.jwks_uri`, 'deprecated spelling: use jwksUri');
    if (typeof r.jwks === 'string' && r.jwks !== '') {
      const keys = parseJwks(r.jwks);
      if (typeof keys === 'string') issues.error(`${p}.jwks`, keys);
      else {
        keys.forEach((k, j) => {
          if (k.d !== undefined || k.kty === 'oct') issues.warn(`${p}.jwks`, `key ${j} contains private key material; only public keys are used for verification`);
        });
      }
    }
    if (typeof r.outputPayloadToHeader === 'string' && r.outputPayloadToHeader !== '') {
      const e = validateHeaderName(r.outputPayloadToHeader);
      if (e) issues.warn(`${p}.outputPayloadToHeader`, e);
    }
  });
};
