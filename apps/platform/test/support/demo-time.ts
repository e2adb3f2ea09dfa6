import type { TestPlatform } from '@credit/testing';
import type { DemoTimeMachine } from '../../src/demo/history.ts';

/** The demo's history replayed on a test platform's clock; back in the present, the clock reads `present` (real time when undefined). */
export function demoTime(platform: TestPlatform, present?: Date): DemoTimeMachine {
  return {
    travelTo: (at) => platform.setNow(at),
    backToPresent: () => platform.setNow(present),
  };
}
