-- Plain dates read back as the same calendar date (Asia/Shanghai). The read model keeps a
-- record's plain occurrence date beside the instant that orders it (rows projected before keep
-- the instant until their next version), and an authorisation's historyFrom is a date: it was
-- kept as the instant its day began, and read back as the UTC date of that instant, a day early.
ALTER TABLE query.records ADD COLUMN occurred_on date;
ALTER TABLE query.authorisations
  ALTER COLUMN history_from TYPE date USING (history_from AT TIME ZONE 'Asia/Shanghai')::date;
