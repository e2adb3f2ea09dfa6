-- Industry credit evaluations (信用评价) of intermediaries in administrative approval (涉审中介机构,
-- seeds/003 四(五)): each supervising department grades the agencies (and practitioners) of the
-- industries it supervises, on that industry's scale, per evaluation period. One row per
-- evaluation, named by an id derived from the department and its own source id (a resubmission
-- finds it); a correction (after an upheld objection, 四(七)) is a new version of the same row,
-- every version kept in industry_evaluation_versions.
CREATE TABLE sanctions.industry_evaluations (
  subject_key bytea NOT NULL,
  evaluation_id text NOT NULL,
  subject_kind text NOT NULL,
  industry text NOT NULL,
  department text NOT NULL,
  source_id text NOT NULL,
  version integer NOT NULL,
  grade text NOT NULL,
  tier text NOT NULL CHECK (tier IN ('high', 'middle', 'low')),
  period_from date NOT NULL,
  period_to date NOT NULL,
  valid_until timestamptz NOT NULL,
  basis text NOT NULL,
  received_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, evaluation_id)
);
-- Corrections and resubmissions name the evaluation by id alone.
CREATE INDEX industry_evaluations_id_idx ON sanctions.industry_evaluations (evaluation_id);

CREATE TABLE sanctions.industry_evaluation_versions (
  subject_key bytea NOT NULL,
  evaluation_id text NOT NULL,
  version integer NOT NULL,
  grade text NOT NULL,
  tier text NOT NULL,
  basis text NOT NULL,
  reason text,
  objection_id text,
  actor text NOT NULL,
  at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, evaluation_id, version)
);
CREATE TRIGGER industry_evaluation_versions_append_only BEFORE UPDATE OR DELETE
  ON sanctions.industry_evaluation_versions FOR EACH ROW EXECUTE FUNCTION sanctions.refuse_change();

-- Which registered department supervises which intermediary industry (registry data, from the
-- ingest feed): only they evaluate its agencies.
CREATE TABLE sanctions.industry_supervisors (
  department text NOT NULL,
  industry text NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (department, industry)
);

-- Graded supervision (信用分级分类监管, seeds/003 四(四)(六)) as data: per tier of an industry's
-- scale, the inspection frequency departments are recommended and the measures the check API
-- applies (codes of sanctions.measures).
CREATE TABLE sanctions.supervision_tiers (
  tier text PRIMARY KEY CHECK (tier IN ('high', 'middle', 'low')),
  name text NOT NULL,
  inspections_per_year numeric NOT NULL,
  inspection text NOT NULL,
  measures text[] NOT NULL,
  legal_basis text NOT NULL,
  updated_at timestamptz NOT NULL
);

-- The intermediaries' measures (seeds/003 四(六)). Red ones are incentives for high grades (and any
-- red list of the intermediary domain), watch ones warnings and entry restrictions for low grades.
INSERT INTO sanctions.measures (code, name, name_en, list_kind, domains, subject_scope, actions, effect, legal_basis, implementing_department, updated_at) VALUES
('intermediary_green_channel', '涉审中介机构“绿色通道”', 'Green channel for trustworthy intermediaries', 'red',
  '{intermediary}', 'any', '{licence_application,qualification_review,administrative_convenience}', 'priority',
  '《连云港市加强涉审社会中介机构信用管理的实施意见》（连政办发〔2018〕166号）四(六)：对守信涉审中介机构及从业人员，在市场准入、业务开展等方面予以政策激励，建立“绿色通道”', '各行业主管部门', now()),
('intermediary_procurement_preference', '政府购买服务同等条件下优先选择', 'Preference in government purchasing of services', 'red',
  '{intermediary}', 'organisation', '{government_procurement,public_tender}', 'priority',
  '《连云港市加强涉审社会中介机构信用管理的实施意见》（连政办发〔2018〕166号）四(六)：推动各县区、各部门在行政审批、政府购买服务中同等条件下选择信用状况好、信用等级高的中介机构', '各县区、各部门（采购人）', now()),
('intermediary_fewer_inspections', '优化检查方式，减少检查频次', 'Fewer inspections', 'red',
  '{intermediary}', 'any', '{inspection_planning}', 'priority',
  '《连云港市加强涉审社会中介机构信用管理的实施意见》（连政办发〔2018〕166号）四(四)：对信用状况好、信用等级高的中介机构，在日常检查、专项检查中依法依规优化检查方式，减少检查频次', '各行业主管部门', now()),
('intermediary_credit_warning', '信用预警，加强日常检查和业务监管', 'Credit warning and closer supervision', 'watch',
  '{intermediary}', 'any', '{inspection_planning,qualification_review,government_procurement,public_tender}', 'inspect',
  '《连云港市加强涉审社会中介机构信用管理的实施意见》（连政办发〔2018〕166号）四(四)(六)：对信用状况较差、信用等级不高的中介机构，依法依规加强日常检查和业务监管；实行信用预警', '各行业主管部门', now()),
('intermediary_entry_restriction', '准入限制', 'Entry restriction', 'watch',
  '{intermediary}', 'any', '{qualification_review,government_procurement,public_tender,licence_application}', 'restrict',
  '《连云港市加强涉审社会中介机构信用管理的实施意见》（连政办发〔2018〕166号）四(六)：对失信涉审中介机构及其从业人员，各行业主管部门应分别依法实行信用预警、准入限制和失信惩戒等措施', '各行业主管部门', now());

INSERT INTO sanctions.supervision_tiers (tier, name, inspections_per_year, inspection, measures, legal_basis, updated_at) VALUES
('high', '信用状况好、信用等级高', 0.5, '优化检查方式，下调双随机抽查比例，原则上两年不超过一次；无投诉举报不开展专项检查',
  '{intermediary_green_channel,intermediary_procurement_preference,intermediary_fewer_inspections}',
  '《连云港市加强涉审社会中介机构信用管理的实施意见》（连政办发〔2018〕166号）四(四)(六)', now()),
('middle', '信用等级一般', 1, '按常规比例双随机抽查，每年一次', '{}',
  '《连云港市加强涉审社会中介机构信用管理的实施意见》（连政办发〔2018〕166号）四(四)', now()),
('low', '信用状况较差、信用等级不高', 4, '加强日常检查和业务监管：列为重点检查对象，每季度一次，约谈提醒',
  '{intermediary_credit_warning,intermediary_entry_restriction}',
  '《连云港市加强涉审社会中介机构信用管理的实施意见》（连政办发〔2018〕166号）四(四)(六)', now());
