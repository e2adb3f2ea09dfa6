export {
  default as authPlugin,
  principalOf,
  type RouteAccess,
  type RouteAuth,
  selfAuthorisingRoute,
} from './auth-plugin.ts';
export {
  compressibleTypes,
  compressionThresholdBytes,
  default as compressionPlugin,
} from './compression.ts';
export {
  consistencyHeader,
  consistencyHeaders,
  encodeConsistencyToken,
  readLagTolerant,
} from './consistency.ts';
export {
  default as corePlugin,
  type GraphqlLimits,
  type PlatformContext,
  type ReadinessWarning,
  type ThreadBootstrap,
  threadKeyring,
} from './core-plugin.ts';
export { createHttpApp, type HttpAppOptions } from './create-app.ts';
export { healthRoutes } from './health-routes.ts';
export {
  createLogger,
  loggerOptions,
  type SerialisedError,
  serialiseError,
  withoutParameters,
} from './logging.ts';
export { createMetrics, type Metrics } from './metrics.ts';
export { default as openapiPlugin, problemResponse, type RouteHeader } from './openapi.ts';
export { operationsRoutes } from './operations-routes.ts';
export { partitionKeeper } from './partition-keeper.ts';
export { installProblemHandlers, retryAfterSeconds, sendProblem, toProblem } from './problem-handler.ts';
export { default as rateLimitPlugin, type RateLimitClass, type RateLimitSettings } from './rate-limits.ts';
export { vetReceiverUrl } from './receiver-vetting.ts';
export { requireSelfOr, requireSubject, tokenSubject } from './subject-ref.ts';
export type { ZodTypeProvider } from './type-provider.ts';
export {
  bodyCheckedByDomain,
  type DomainCheckedBody,
  isZodSchema,
  withJson,
  zodSerializerCompiler,
  zodValidatorCompiler,
} from './zod-compiler.ts';
