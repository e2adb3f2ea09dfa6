-- A subject's grade history is paged oldest first by the time of each change, then its place in
-- the sanctions feed: the route reads it by keyset down this index.
CREATE INDEX grade_changes_subject_pages_idx ON query.grade_changes (subject_key, at, feed_seq);
