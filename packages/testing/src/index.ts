export { type TestDatabaseSource, withDatabase } from './database-choice.ts';
export { eventually } from './eventually.ts';
export { citizenId, sourceId, uscc } from './fixtures.ts';
export { LogCapture } from './log-capture.ts';
export { createTestPlatform, type RequestOptions, type TestPlatform } from './test-platform.ts';
