/**
 * A request the edge refuses to act on, as an HttpError (the edge answers it as any other):
 *   401 + `WWW-Authenticate: Bearer …` when the caller is not authenticated (no token, a token that
 *       does not parse, is badly signed, expired, names a key this process does not hold, or a
 *       ticket that is unknown, used or out of date): RFC 6750 §3;
 *   403 when the token is valid but its role or subject may not call the route.
 * `refusal` is the reason as a metric label (`kastor_http_auth_refusals_total{reason}`); the reason
 * the client reads never quotes the token.
 */
import { HttpError } from '../HttpError.js';

export type Unauthenticated = 'missing' | 'malformed' | 'bad_signature' | 'expired' | 'unknown_kid' | 'invalid_claims' | 'bad_ticket';
export type Forbidden = 'wrong_role' | 'wrong_subject';
export type RefusalReason = Unauthenticated | Forbidden;

export const REALM = 'kastor';

export class AuthRefusal extends HttpError {
  constructor(readonly refusal: RefusalReason, reason: string) {
    super(isForbidden(refusal) ? 403 : 401, reason, challenge(refusal, reason));
    this.name = 'AuthRefusal';
  }
}

const isForbidden = (r: RefusalReason): r is Forbidden => r === 'wrong_role' || r === 'wrong_subject';

/** No error code when no credentials came at all (RFC 6750 §3.1); `invalid_token` otherwise. */
function challenge(refusal: RefusalReason, reason: string): Record<string, string> | undefined {
  if (isForbidden(refusal)) return undefined;
  const value = refusal === 'missing'
    ? `Bearer realm="${REALM}"`
    : `Bearer realm="${REALM}", error="invalid_token", error_description="${reason.replace(/["\\]/g, '')}"`;
  return { 'www-authenticate': value };
}
