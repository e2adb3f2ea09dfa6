// Loads the TypeScript worker body in a plain Node worker thread (vitest transforms only its own).
import { register } from 'tsx/esm/api';

register();
await import('./pdf-worker.ts');
