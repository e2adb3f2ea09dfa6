export {
  type ConsumerLogger,
  type ConsumerOptions,
  type ConsumerStatus,
  consumeOnce,
  type RunningConsumer,
  startConsumer,
} from './consumer.ts';
export {
  decodeCursor,
  encodeCursor,
  type FeedEvent,
  type FeedPosition,
  feedStart,
  readFeed,
} from './feed.ts';
export { appendEvents, defineOutbox, feedChannel, type NewEvent, type Outbox } from './outbox.ts';
export {
  defineSubjectIdentities,
  type SubjectIdentities,
  type SubjectIdentityRow,
  subjectIdentityCipherStore,
  upsertSubjectIdentities,
} from './subject-identities.ts';
