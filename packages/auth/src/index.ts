export { type DevIssuer, devAudience, devIssuer, devIssuerKeyPath, openDevIssuer } from './dev-issuer.ts';
export { actorOf, hasRole, isRole, type Principal, type Role, roles } from './principal.ts';
export {
  acceptedAlgorithms,
  bearerToken,
  createTokenVerifier,
  keysFromJwks,
  keysFromUrl,
  type TokenVerifier,
  type VerifierConfig,
} from './verifier.ts';
