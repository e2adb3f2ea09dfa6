-- Domain grades (信用评价等级) as the sanctions feed announces them (grade.assigned,
-- grade.withdrawn), for the grades route, GraphQL and credit reports. Built from the sanctions
-- outbox only, never from sanctions' tables; keyed and partitionable by subject.

-- The state of each subject's grade per domain and year.
CREATE TABLE query.grades (
  subject_key bytea NOT NULL,
  domain text NOT NULL,
  year integer NOT NULL,
  grade text NOT NULL,
  evaluation_id text NOT NULL,
  rule_code text NOT NULL,
  department text NOT NULL,
  status text NOT NULL CHECK (status IN ('assigned', 'withdrawn')),
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, domain, year)
);

-- Every assignment and withdrawal, once each (by the feed event's id): the grade history, in
-- the order of the sanctions feed (feed_seq breaks ties between changes of the same instant).
CREATE TABLE query.grade_changes (
  subject_key bytea NOT NULL,
  event_id uuid NOT NULL,
  change text NOT NULL CHECK (change IN ('assigned', 'withdrawn')),
  domain text NOT NULL,
  year integer NOT NULL,
  grade text NOT NULL,
  evaluation_id text NOT NULL,
  rule_code text NOT NULL,
  department text NOT NULL,
  at timestamptz NOT NULL,
  feed_seq bigint NOT NULL,
  PRIMARY KEY (subject_key, event_id)
);
