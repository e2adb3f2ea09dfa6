-- The sanctions service: red, black and watch lists driven by rules over its own projection of
-- the ingest feed, the identification procedure, joint measures, checks, grades, and what
-- platforms follow (listing changes, webhooks).

CREATE SCHEMA IF NOT EXISTS sanctions;

CREATE OR REPLACE FUNCTION sanctions.refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sanctions.% is append-only', TG_TABLE_NAME USING ERRCODE = '55000';
END
$$;

CREATE TABLE sanctions.event_cursors (
  consumer text NOT NULL,
  source text NOT NULL,
  tx_id xid8 NOT NULL,
  seq bigint NOT NULL,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (consumer, source)
);

-- The newest version of every record, as far as list rules need it.
CREATE TABLE sanctions.records (
  subject_key bytea NOT NULL,
  record_id text NOT NULL,
  version integer NOT NULL,
  status text NOT NULL,
  category text NOT NULL,
  class_code text NOT NULL,
  subject_kind text NOT NULL,
  occurred_at timestamptz NOT NULL,
  severity text,
  display_until timestamptz,
  data jsonb NOT NULL,
  related_persons jsonb NOT NULL,
  provider_code text NOT NULL,
  repaired_at timestamptz,
  PRIMARY KEY (subject_key, record_id)
);

CREATE TABLE sanctions.subjects (
  subject_key bytea PRIMARY KEY,
  kind text NOT NULL,
  identifier_cipher bytea NOT NULL,
  name_cipher bytea NOT NULL,
  key_id text NOT NULL,
  updated_at timestamptz NOT NULL
);

-- Joint measures (联合奖惩措施) from the memoranda, seeded from the seeds; the credit office keeps them.
CREATE TABLE sanctions.measures (
  code text PRIMARY KEY,
  name text NOT NULL,
  name_en text NOT NULL,
  list_kind text NOT NULL CHECK (list_kind IN ('red', 'black', 'watch')),
  domains text[] NOT NULL,
  subject_scope text NOT NULL CHECK (subject_scope IN ('organisation', 'person', 'any')),
  actions text[] NOT NULL,
  effect text NOT NULL CHECK (effect IN ('deny', 'restrict', 'inspect', 'priority')),
  legal_basis text NOT NULL,
  implementing_department text NOT NULL,
  updated_at timestamptz NOT NULL
);

-- List rules as data, versioned: a change is a new version, never an edit.
CREATE TABLE sanctions.rules (
  code text NOT NULL,
  version integer NOT NULL,
  definition jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('active', 'retired')),
  created_by text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (code, version)
);
CREATE TRIGGER rules_append_only BEFORE DELETE ON sanctions.rules
  FOR EACH ROW EXECUTE FUNCTION sanctions.refuse_change();

-- List entries: the current state of each entry; every change is also in entry_history.
CREATE TABLE sanctions.list_entries (
  subject_key bytea NOT NULL,
  entry_id text NOT NULL,
  subject_kind text NOT NULL,
  list_kind text NOT NULL CHECK (list_kind IN ('red', 'black', 'watch')),
  domain text NOT NULL,
  rule_code text NOT NULL,
  rule_version integer NOT NULL,
  identifying_department text NOT NULL,
  status text NOT NULL CHECK (status IN ('noticed', 'proposed', 'published', 'rejected', 'cancelled', 'exited')),
  basis jsonb NOT NULL,
  measures text[] NOT NULL,
  proposed_at timestamptz NOT NULL,
  objection_until timestamptz,
  decided_at timestamptz,
  decided_by text,
  valid_from timestamptz,
  valid_until timestamptz,
  ended_at timestamptz,
  end_reason text,
  parent_entry_id text,
  related_role text,
  updated_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, entry_id)
);
CREATE INDEX list_entries_open_idx ON sanctions.list_entries (subject_key, rule_code)
  WHERE status IN ('noticed', 'proposed', 'published');
CREATE INDEX list_entries_valid_until_idx ON sanctions.list_entries (valid_until) WHERE status = 'published';
CREATE INDEX list_entries_parent_idx ON sanctions.list_entries (parent_entry_id) WHERE parent_entry_id IS NOT NULL;

CREATE TABLE sanctions.entry_history (
  subject_key bytea NOT NULL,
  entry_id text NOT NULL,
  seq integer NOT NULL,
  status text NOT NULL,
  at timestamptz NOT NULL,
  actor text NOT NULL,
  note text,
  PRIMARY KEY (subject_key, entry_id, seq)
);
CREATE TRIGGER entry_history_append_only BEFORE UPDATE OR DELETE ON sanctions.entry_history
  FOR EACH ROW EXECUTE FUNCTION sanctions.refuse_change();

-- Domain grades computed by grade rules, one per subject, domain and year.
CREATE TABLE sanctions.grades (
  subject_key bytea NOT NULL,
  domain text NOT NULL,
  year integer NOT NULL,
  grade text NOT NULL,
  rule_code text NOT NULL,
  rule_version integer NOT NULL,
  computed_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, domain, year)
);

-- Every check a department made (自动比对), so it can later prove what it was told and when.
CREATE TABLE sanctions.checks (
  subject_key bytea NOT NULL,
  check_id text NOT NULL,
  org text NOT NULL,
  role text NOT NULL,
  action text NOT NULL,
  purpose text NOT NULL,
  decision text NOT NULL,
  entries jsonb NOT NULL,
  measures jsonb NOT NULL,
  checked_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, check_id)
);
CREATE TRIGGER checks_append_only BEFORE UPDATE OR DELETE ON sanctions.checks
  FOR EACH ROW EXECUTE FUNCTION sanctions.refuse_change();

-- 奖惩反馈: what the department did after a check.
CREATE TABLE sanctions.check_feedback (
  subject_key bytea NOT NULL,
  check_id text NOT NULL,
  seq integer NOT NULL,
  outcome text NOT NULL,
  note text,
  org text NOT NULL,
  reported_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, check_id, seq)
);
CREATE TRIGGER check_feedback_append_only BEFORE UPDATE OR DELETE ON sanctions.check_feedback
  FOR EACH ROW EXECUTE FUNCTION sanctions.refuse_change();

-- Merchants a platform follows, and where it wants changes delivered.
CREATE TABLE sanctions.watches (
  subject_key bytea NOT NULL,
  platform text NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, platform)
);
CREATE INDEX watches_platform_idx ON sanctions.watches (platform);

CREATE TABLE sanctions.webhooks (
  platform text PRIMARY KEY,
  url text NOT NULL,
  secret text NOT NULL,
  created_at timestamptz NOT NULL,
  updated_at timestamptz NOT NULL
);

CREATE TABLE sanctions.webhook_deliveries (
  delivery_id text PRIMARY KEY,
  platform text NOT NULL,
  event_id uuid NOT NULL,
  subject_key bytea NOT NULL,
  payload jsonb NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivered', 'failing', 'dead')),
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL,
  last_status integer,
  last_error text,
  created_at timestamptz NOT NULL,
  delivered_at timestamptz,
  UNIQUE (platform, event_id)
);
CREATE INDEX webhook_deliveries_due_idx ON sanctions.webhook_deliveries (next_attempt_at)
  WHERE status IN ('pending', 'failing');

-- Scheduled work, so a daily pass runs once a day whichever instance gets there first.
CREATE TABLE sanctions.job_runs (
  job text PRIMARY KEY,
  last_run_at timestamptz NOT NULL
);

-- The sanctions outbox: list changes for the query service, platforms' feed and webhooks.
CREATE TABLE sanctions.events (
  tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
  seq bigint GENERATED ALWAYS AS IDENTITY,
  event_id uuid NOT NULL,
  type text NOT NULL,
  subject_key bytea NOT NULL,
  aggregate_id text NOT NULL,
  payload jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  PRIMARY KEY (subject_key, seq)
);
CREATE INDEX events_feed_idx ON sanctions.events (tx_id, seq);
CREATE TRIGGER events_append_only BEFORE UPDATE OR DELETE ON sanctions.events
  FOR EACH ROW EXECUTE FUNCTION sanctions.refuse_change();

CREATE INDEX list_entries_entry_idx ON sanctions.list_entries (entry_id);
CREATE INDEX checks_check_idx ON sanctions.checks (check_id);

-- The joint measures, seeded from the seeds (淄博市公共信用信息管理暂行办法 incentives and sanctions,
-- 电子商务领域诚信建设实施意见 red and black lists) and the national memoranda they implement.
INSERT INTO sanctions.measures (code, name, name_en, list_kind, domains, subject_scope, actions, effect, legal_basis, implementing_department, updated_at) VALUES
('key_inspection', '在行政监管中列为重点核查对象', 'Key inspection target', 'black',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'any', '{inspection_planning,licence_application}', 'inspect',
  '《淄博市公共信用信息管理暂行办法》惩戒措施（一）：在行政监管中列为重点核查对象', '各行政监管部门', now()),
('cancel_conveniences', '取消已经享受的行政便利措施', 'Cancel administrative conveniences', 'black',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'any', '{administrative_convenience}', 'deny',
  '《淄博市公共信用信息管理暂行办法》惩戒措施（二）：取消已经享受的行政便利措施', '各行政管理部门', now()),
('restrict_fiscal_funding', '限制申请财政资金或者政策支持', 'Restrict fiscal funds and policy support', 'black',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'any', '{fiscal_funding}', 'deny',
  '《淄博市公共信用信息管理暂行办法》惩戒措施（三）：限制申请财政资金或者政策支持', '财政部门及资金主管部门', now()),
('restrict_public_resource_trading', '限制参加有关公共资源交易活动', 'Restrict public resource trading', 'black',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'any', '{public_tender}', 'deny',
  '《淄博市公共信用信息管理暂行办法》惩戒措施（四）：限制参加有关公共资源交易活动', '公共资源交易管理部门', now()),
('strict_licence_review', '从严审核行政许可审批项目', 'Strict review of licence applications', 'black',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'any', '{licence_application}', 'restrict',
  '国务院关于建立完善守信联合激励和失信联合惩戒制度的指导意见（国发〔2016〕33号）：从严审核行政许可审批项目', '行政审批部门', now()),
('restrict_high_consumption', '限制高消费及非生活和工作必需的消费', 'Restrict high consumption', 'black',
  '{general,courts}', 'any', '{high_consumption}', 'deny',
  '最高人民法院关于限制被执行人高消费及有关消费的若干规定；关于对失信被执行人实施联合惩戒的合作备忘录', '人民法院', now()),
('bar_legal_representative', '限制担任法定代表人、董事、监事和高级管理人员', 'Bar from serving as legal representative or senior manager', 'black',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'person', '{serve_as_legal_rep}', 'deny',
  '关于对失信被执行人实施联合惩戒的合作备忘录；淄政办发〔2018〕15号：严重失信行为记入法定代表人、主要负责人个人信用记录', '市场监督管理部门', now()),
('ecommerce_limit_entry', '限制入驻电子商务平台', 'Limit platform entry', 'black',
  '{ecommerce}', 'any', '{platform_entry}', 'deny',
  '淄政办发〔2018〕17号、源政办发〔2018〕40号：加大对“黑名单”电子商务平台及相关服务企业的监管力度，实施联合惩戒', '电子商务平台', now()),
('ecommerce_lower_rating', '降低信用评价等级', 'Lower the platform rating', 'black',
  '{ecommerce}', 'any', '{platform_ranking}', 'restrict',
  '源政办发〔2018〕40号：完善网络交易信用评价体系，将失信行为信息纳入信用档案', '电子商务平台', now()),
('ecommerce_block_shop', '屏蔽或关闭店铺', 'Block the shop', 'black',
  '{ecommerce}', 'any', '{platform_entry,platform_ranking}', 'deny',
  '连政办发〔2018〕166号：对销售假冒伪劣商品、恶意刷单炒信的严重失信商家依法依规公示并发布风险提示', '电子商务平台', now()),
('ecommerce_close_account', '关闭账户', 'Close the account', 'black',
  '{ecommerce}', 'any', '{platform_entry}', 'deny',
  '电子商务领域严重失信主体联合惩戒：平台依法依约关闭账户', '电子商务平台', now()),
('watch_warning', '重点关注对象警示：约谈提醒、提高抽查频次', 'Watch-list warning: interviews, more frequent inspection', 'watch',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'any', '{inspection_planning,licence_application}', 'inspect',
  '淄政办发〔2018〕19号：建立健全诚信状况重点关注对象警示机制，实施分级分类管理', '各行政监管部门', now()),
('green_channel', '绿色通道', 'Green channel', 'red',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'any', '{licence_application,administrative_convenience}', 'priority',
  '《淄博市公共信用信息管理暂行办法》激励措施（一）：在行政管理和公共服务过程中给予支持和便利', '各行政管理部门', now()),
('tolerance_acceptance', '容缺受理', 'Acceptance with documents to follow (容缺受理)', 'red',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'any', '{licence_application}', 'priority',
  '国发〔2016〕33号：对诚信典型和连续三年无不良信用记录的市场主体实行“绿色通道”和“容缺受理”', '行政审批部门', now()),
('credit_bonus_points', '公共资源交易中给予信用加分', 'Credit bonus points in public resource trading', 'red',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'any', '{public_tender}', 'priority',
  '《淄博市公共信用信息管理暂行办法》激励措施（四）：在有关公共资源交易活动中依法依约采取信用加分等措施', '公共资源交易管理部门', now()),
('fiscal_support_priority', '财政性资金项目安排中加大扶持力度', 'Priority in fiscal funding and policy support', 'red',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'any', '{fiscal_funding}', 'priority',
  '《淄博市公共信用信息管理暂行办法》激励措施（二）：在财政性资金项目安排、招商引资配套优惠政策等中加大扶持力度', '财政部门', now()),
('honours_priority', '媒体推介、荣誉评选中列为优先选择对象', 'Priority in publicity and honours', 'red',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'any', '{honours_selection}', 'priority',
  '《淄博市公共信用信息管理暂行办法》激励措施（三）：在媒体推介、荣誉评选等活动中列为优先选择对象', '宣传及评选部门', now()),
('ecommerce_traffic_priority', '流量倾斜、搜索排序优先', 'Priority in traffic and search ranking', 'red',
  '{ecommerce}', 'any', '{platform_ranking,platform_entry}', 'priority',
  '淄政办发〔2018〕17号：建立电子商务领域守信主体“红名单”制度，加大对守信主体的激励力度', '电子商务平台', now()),
('financing_support', '融资授信支持（信易贷）', 'Financing support', 'red',
  '{general,ecommerce,tax,food_drug,work_safety,courts,public_resource_trading}', 'any', '{financing}', 'priority',
  '国发〔2016〕33号：支持金融机构对守信主体在融资授信等方面给予优惠和便利', '金融监管部门及金融机构', now());
