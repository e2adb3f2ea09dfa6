export {
  type ConsumerLogger,
  type ConsumerOptions,
  type ConsumerStatus,
  consumeOnce,
  type RunningConsumer,
  type StepResult,
  startConsumer,
} from './consumer.ts';
export {
  type FeedEvent,
  type FeedPage,
  type FeedPosition,
  feedLagSeconds,
  feedStart,
  readFeed,
  readFeedPage,
} from './feed.ts';
export { appendEvents, defineOutbox, feedChannel, type NewEvent, type Outbox } from './outbox.ts';
export { outboxPartitions } from './partitions.ts';
export {
  defineSubjectIdentities,
  type SubjectIdentities,
  type SubjectIdentityRow,
  subjectIdentityCipherStore,
  upsertSubjectIdentities,
} from './subject-identities.ts';
