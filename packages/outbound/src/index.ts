export { isPublicAddress } from './address-ranges.ts';
export { type AllowedHost, isAllowedHost, parseAllowedHosts } from './allowed-hosts.ts';
export {
  OutboundGuard,
  type OutboundGuardOptions,
  type OutboundPost,
  OutboundRefusal,
  type OutboundRefusalReason,
  type ResolvedAddress,
  type ResolveHost,
  resolveWithSystem,
  type VettedTarget,
} from './guard.ts';
export {
  postSigned,
  retryDelay,
  type SignedPost,
  type SignedPostOutcome,
  signDelivery,
  verifyDeliverySignature,
} from './signed-delivery.ts';
