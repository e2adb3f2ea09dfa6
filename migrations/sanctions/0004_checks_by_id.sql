-- Checks are only ever found by their id (feedback, 奖惩反馈); nothing reads them by subject. The
-- primary key now leads with the time-ordered check id, so each check appends at the right edge of
-- one index instead of landing at a random page of a subject-led key and again in a second index
-- on the id (bench/RESULTS.md: PostgreSQL's work per check fell from ~20 to ~8 µs at two million
-- checks). subject_key stays in the key, so the table still partitions and distributes by subject.
-- Ids are compared as bytes: they are ASCII, and the C collation skips the locale's strcoll.
DROP INDEX sanctions.checks_check_idx;
ALTER TABLE sanctions.checks DROP CONSTRAINT checks_pkey;
ALTER TABLE sanctions.checks ALTER COLUMN check_id TYPE text COLLATE "C";
ALTER TABLE sanctions.checks ADD PRIMARY KEY (check_id, subject_key);
