/** HTTP header names and values, as Istio and Envoy accept them. */

const TOKEN = /^[!#$%&'*+\-.^_`|~A-Za-z0-9]+$/;
const PSEUDO_HEADERS = new Set([':method', ':scheme', ':authority', ':path', ':status']);
const JWT_CLAIM_PREFIX = '@request.auth.claims';

export const isJwtClaimHeader = (name: string): boolean => routingClaims(name) !== undefined;

/**
 * The claim path a match header names, as Istio reads it: `@request.auth.claims.group.id` or
 * `@request.auth.claims[group][id]` (the prefix in any case) → ['group', 'id']; undefined for any other name.
 */
export function routingClaims(name: string): string[] | undefined {
  if (!name.toLowerCase().startsWith(JWT_CLAIM_PREFIX)) return undefined;
  const rest = name.slice(JWT_CLAIM_PREFIX.length);
  if (rest.startsWith('.') && rest.length > 1) return rest.slice(1).split('.');
  if (rest.startsWith('[') && rest.endsWith(']') && rest.length > 2) return rest.slice(1, -1).split('][');
  return undefined;
}

/** A header name valid per RFC 7230 token rules. */
export function validateHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  return TOKEN.test(name) ? undefined : `header name "${name}" is not a valid header name`;
}

/** Header names in matches: a token, a pseudo-header, or a JWT claim (`@request.auth.claims.sub`). */
export function validateMatchHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (isJwtClaimHeader(name) || PSEUDO_HEADERS.has(name)) return undefined;
  return validateHeaderName(name);
}

/** Strict header names (`[-_A-Za-z0-9]+`), as used for JWT claim-to-header output. */
export function validateStrictHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  return /^[-_A-Za-z0-9]+$/.test(name) ? undefined : `header name "${name}" is not a valid header name`;
}

/** Header names of WorkloadGroup HTTP probes: letters, digits and '-' only (Istio's webhook is stricter than its CRD here). */
export function validateProbeHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  return /^[-A-Za-z0-9]+$/.test(name) ? undefined : `header name "${name}" is not a valid probe header name (letters, digits and '-' only)`;
}

export const isAuthorityHeader = (name: string): boolean => name.toLowerCase() === ':authority' || name.toLowerCase() === 'host';

/** Names in headers.request.set/add: no pseudo-headers except :authority (Host may be set). */
export function validateRequestSetHeaderName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (name.startsWith(':') && !isAuthorityHeader(name)) return `invalid header "${name}": header cannot have ":" prefix`;
  return undefined;
}

/** Names in headers.request.remove and headers.response.*: no pseudo-headers, no Host. */
export function validateHeaderOperationName(name: string): string | undefined {
  if (name === '') return 'header name cannot be empty';
  if (name.toLowerCase() === 'host') return `invalid header "${name}": cannot set Host header`;
  if (name.startsWith(':')) return `invalid header "${name}": header cannot have ":" prefix`;
  return undefined;
}

/** A header value as Envoy parses it: no control characters, `%` escaped as `%%` or opening a `%VAR%`/`%VAR(args)%`. */
export function validateHeaderValue(value: string): string | undefined {
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0008\u000A-\u001F\u007F]/.test(value)) return 'header value must not contain control characters';
  let i = 0;
  while (i < value.length) {
    if (value[i] !== '%') {
      i++;
      continue;
    }
    if (value[i + 1] === '%') {
      i += 2;
      continue;
    }
    // a variable: %NAME% or %NAME(args)%; args may hold quoted strings
    let j = i + 1;
    while (j < value.length && value[j] !== '%' && value[j] !== '(') j++;
    if (j >= value.length) return `un-terminated variable expression in header value "${value}" (write %% for a literal %)`;
    if (value[j] === '(') {
      let inString = false;
      j++;
      while (j < value.length) {
        const c = value[j];
        if (inString && c === '\\') j++;
        else if (c === '"') inString = !inString;
        else if (!inString && c === ')') break;
        j++;
      }
      j++;
      while (j < value.length && value[j] === ' ') j++;
      if (value[j] !== '%') return `un-terminated variable expression in header value "${value}"`;
    }
    i = j + 1;
  }
  return undefined;
}

