// Job- and upload-scoped tokens (spec §8.3): minting, verifying, and the auth branch. Re-exports only.
export { deriveScopedTokenKey, mintScopedToken, scopedTokenPrefix, verifyScopedToken, type VerifiedToken } from "./scoped-token-codec.ts";
export { createScopedTokenAuth, type ScopedTokenAuth } from "./scoped-token-auth.ts";
export { createTokenHandlers, type TokenHandlerDeps } from "./token-handlers.ts";
