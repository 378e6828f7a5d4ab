/** Bearer tokens, per-route access rules, tickets and write limits on the HTTP edge (docs/security.md). */
export { AuthRefusal, type RefusalReason } from './AuthRefusal.js';
export { KeyRing, type KeyMaterial, type TokenAlg, type Verified, TOKEN_AUDIENCE, TOKEN_ISSUER } from './KeyRing.js';
export { EMBEDDED_KEY_FILE, type KeyFiles, loadKeyRing } from './loadKeyRing.js';
export { ROLES, type Principal, type Role, isRole } from './Principal.js';
export { DEFAULT_RATE_LIMITS, RateLimiter, type RateLimits, parseRateLimits } from './RateLimiter.js';
export { type AccessRule, type AuthOptions, type HttpAuth, type RouteAuth, type SubjectRule, installAuth, requireSubject } from './installAuth.js';
export { IssuedTokens } from './IssuedTokens.js';
export { TicketBook } from './TicketBook.js';
