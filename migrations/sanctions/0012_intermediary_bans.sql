-- Market and practice bans (市场禁入、执业禁入, seeds/003 四(六)): the measures of the serious
-- dishonesty black list of intermediaries (domain `intermediary`).
--
-- The practitioners registered with an agency (from the ingest feed); those flagged responsible
-- (相关负责人) share the agency's serious-dishonesty black list entry (市场禁入、执业禁入).
CREATE TABLE sanctions.practitioners (
  subject_key bytea NOT NULL,
  practitioner_id text NOT NULL,
  person_key bytea NOT NULL,
  responsible boolean NOT NULL,
  linked_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, practitioner_id)
);

INSERT INTO sanctions.measures (code, name, name_en, list_kind, domains, subject_scope, actions, effect, legal_basis, implementing_department, updated_at) VALUES
('intermediary_market_ban', '市场禁入', 'Market ban', 'black',
  '{intermediary}', 'organisation', '{government_procurement,public_tender,qualification_review,company_registration}', 'deny',
  '《连云港市加强涉审社会中介机构信用管理的实施意见》（连政办发〔2018〕166号）四(六)：对故意出具虚假报告和证明材料、因违法被吊销执业资格、因犯罪被追究刑事责任等列入严重违法失信“黑名单”的中介机构及其相关责任人，依法实行市场禁入、执业禁入', '各行业主管部门、公共资源交易管理部门、市场监督管理部门', now()),
('intermediary_practice_ban', '执业禁入', 'Practice ban', 'black',
  '{intermediary}', 'person', '{government_procurement,public_tender,qualification_review,company_registration,serve_as_legal_rep}', 'deny',
  '《连云港市加强涉审社会中介机构信用管理的实施意见》（连政办发〔2018〕166号）四(六)：对列入严重违法失信“黑名单”的中介机构及其相关责任人，依法实行市场禁入、执业禁入', '各行业主管部门、市场监督管理部门', now());

-- The general black and watch measures reach the intermediary domain too.
UPDATE sanctions.measures SET domains = domains || '{intermediary}'::text[], updated_at = now()
  WHERE code IN ('key_inspection', 'cancel_conveniences', 'restrict_fiscal_funding', 'watch_warning');
