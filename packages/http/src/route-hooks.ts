import type { RouteOptions } from 'fastify';

type HookName = 'onRequest' | 'onResponse';

/**
 * Attaches a hook to one route from an `onRoute` hook, before or after the hooks the route
 * already has: what would otherwise be looked up on every request is bound when the route is made.
 */
export function attachRouteHook<K extends HookName>(
  route: RouteOptions,
  name: K,
  hook: NonNullable<RouteOptions[K]> extends (infer H)[] | infer H ? H : never,
  position: 'first' | 'last',
): void {
  const existing = route[name];
  const others = existing === undefined ? [] : Array.isArray(existing) ? existing : [existing];
  (route as Record<HookName, unknown>)[name] = position === 'first' ? [hook, ...others] : [...others, hook];
}
