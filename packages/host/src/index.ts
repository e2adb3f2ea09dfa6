export {
  buildPlatformApp,
  migrationFoldersOf,
  type PlatformAppOptions,
  type ServiceDefinition,
} from './platform-app.ts';
export { guardProcess } from './process-guards.ts';
export {
  databaseTargetOf,
  defaultMigrationsDir,
  openRuntime,
  type Runtime,
  type RuntimeLogger,
  type RuntimeOverrides,
} from './runtime.ts';
export { serve } from './serve.ts';
