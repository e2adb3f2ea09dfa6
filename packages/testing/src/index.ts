export { default as fc } from 'fast-check';
export { captureChildLogs } from './capture-files.ts';
export { conformingFetch } from './conforming-fetch.ts';
export { type TestDatabaseSource, withDatabase } from './database-choice.ts';
export { eventually } from './eventually.ts';
export { citizenId, sourceId, uscc } from './fixtures.ts';
export {
  arbitraryFromSchema,
  type JsonSchema,
  type SchemaArbitraryOptions,
} from './fuzz/json-schema-arbitrary.ts';
export {
  type FuzzOperation,
  type FuzzRequest,
  type FuzzTarget,
  requestArbitrary,
} from './fuzz/route-requests.ts';
export { LogCapture } from './log-capture.ts';
export {
  distinctivePayloadValue,
  findIdentifiers,
  type Leak,
  LogScanner,
  scanCaptureDirectory,
} from './log-scan.ts';
export { expectPaginatesToEnd, type PageWalk, walkPages } from './pages.ts';
export {
  company,
  debtorRule,
  defineRule,
  person,
  push,
  pushBatch,
  record,
  recordBody,
  recordOn,
  registerAgency,
  registerDepartment,
  registerIntermediary,
  registerProvider,
  registerSupervisor,
  type TestSubject,
} from './set-up.ts';
export {
  createTestPlatform,
  provisionDatabase,
  type RequestOptions,
  type TestPlatform,
} from './test-platform.ts';
