-- The views analysts read (schema report), documented column by column in
-- Chinese (\d+ report.submission shows them), and what bizenv_analyst may
-- read: report and nothing else.
--
-- Views read facts/ref/raw with their owner's rights, so the analyst role
-- needs no privilege there. Personal data stays out: the contact person
-- (name and phone) of a submission is not in any view, and receipts are
-- shown without their bodies.

CREATE VIEW report.township AS
SELECT t.code, t.name, t.active, t.added_at, t.updated_at
FROM ref.township t;
COMMENT ON VIEW report.township IS '全县乡镇名录（含已停用乡镇）';
COMMENT ON COLUMN report.township.code IS '乡镇代码（9 位：6 位县级行政区划代码 + 3 位乡镇序号）';
COMMENT ON COLUMN report.township.name IS '乡镇名称（名录中的规范名称）';
COMMENT ON COLUMN report.township.active IS '是否在用；退出名录的乡镇标为停用，不删除';
COMMENT ON COLUMN report.township.added_at IS '加入名录的时间';
COMMENT ON COLUMN report.township.updated_at IS '名录信息最近更新时间';

CREATE VIEW report.submission AS
SELECT s.id, s.township_code, t.name AS township_name, s.period,
       to_char(s.period, 'YYYY-MM') AS month, s.revision,
       (c.submission_id IS NOT NULL) AS is_current,
       s.doc_sha256, s.file_sha256, s.member, s.received_at, s.loaded_at, s.submitted_at,
       s.township_name_given,
       s.sites_total, s.sites_with_window, s.consultations, s.consultations_approx,
       s.job_postings, s.job_postings_approx, s.recruitment_events, s.county_items,
       s.handled, s.evaluated, s.reported_rate,
       s.symposia, s.merchants_visited, s.enterprises_visited,
       s.inspections, s.warning_sessions, s.violations,
       s.complaints_received, s.complaints_resolved
FROM facts.submission s
JOIN ref.township t ON t.code = s.township_code
LEFT JOIN report.current_submission(report.today()) c
       ON c.submission_id = s.id;
COMMENT ON VIEW report.submission IS '已接收的乡镇月报（所有版本；不含联系人姓名和电话等个人信息）';
COMMENT ON COLUMN report.submission.id IS '报送编号（内部）';
COMMENT ON COLUMN report.submission.township_code IS '乡镇代码';
COMMENT ON COLUMN report.submission.township_name IS '乡镇名称（名录规范名称）';
COMMENT ON COLUMN report.submission.period IS '报送月份（该月 1 日）';
COMMENT ON COLUMN report.submission.month IS '报送月份（YYYY-MM）';
COMMENT ON COLUMN report.submission.revision IS '版本号';
COMMENT ON COLUMN report.submission.is_current IS '是否为该乡镇该月截至今天的现行版本（最高版本号）';
COMMENT ON COLUMN report.submission.doc_sha256 IS '报表 XML 内容的 SHA-256';
COMMENT ON COLUMN report.submission.file_sha256 IS '收件箱原始文件的 SHA-256（归档文件名）';
COMMENT ON COLUMN report.submission.member IS '报表在压缩包中的条目路径；单独的 XML 文件为空';
COMMENT ON COLUMN report.submission.received_at IS '收件箱接收时间（判断按时报送和截至日期的依据）';
COMMENT ON COLUMN report.submission.loaded_at IS '入库时间';
COMMENT ON COLUMN report.submission.submitted_at IS '乡镇填报的报送时间（submittedAt）';
COMMENT ON COLUMN report.submission.township_name_given IS '乡镇在报表中填写的名称（原样保留）';
COMMENT ON COLUMN report.submission.sites_total IS '站点总数（乡镇便民服务中心 + 村委会）';
COMMENT ON COLUMN report.submission.sites_with_window IS '设有惠企政策“一站式”服务窗口的站点数';
COMMENT ON COLUMN report.submission.consultations IS '政策咨询人数';
COMMENT ON COLUMN report.submission.consultations_approx IS '政策咨询人数是否为约数（如“120余人”）';
COMMENT ON COLUMN report.submission.job_postings IS '推送就业岗位数';
COMMENT ON COLUMN report.submission.job_postings_approx IS '推送就业岗位数是否为约数';
COMMENT ON COLUMN report.submission.recruitment_events IS '招聘活动场次';
COMMENT ON COLUMN report.submission.county_items IS '承接县级下达事项数';
COMMENT ON COLUMN report.submission.handled IS '政务服务“好差评”办件量';
COMMENT ON COLUMN report.submission.evaluated IS '政务服务“好差评”评价件数';
COMMENT ON COLUMN report.submission.reported_rate IS '乡镇自报评价率（百分数，仅用于核对，不参与排名）';
COMMENT ON COLUMN report.submission.symposia IS '召开政企座谈会次数';
COMMENT ON COLUMN report.submission.merchants_visited IS '走访商户数';
COMMENT ON COLUMN report.submission.enterprises_visited IS '走访企业数';
COMMENT ON COLUMN report.submission.inspections IS '纪委监督检查次数';
COMMENT ON COLUMN report.submission.warning_sessions IS '纪委警示教育场次';
COMMENT ON COLUMN report.submission.violations IS '查处违规问题数';
COMMENT ON COLUMN report.submission.complaints_received IS '受理投诉数（未填报为空）';
COMMENT ON COLUMN report.submission.complaints_resolved IS '办结投诉数（未填报为空）';

CREATE VIEW report.window AS
SELECT w.submission_id, s.township_code, s.period, s.revision, w.ord, w.window_id, w.name,
       w.catalog, c.name AS catalog_name
FROM facts.window w
JOIN facts.submission s ON s.id = w.submission_id
JOIN ref.window_catalog c ON c.code = w.catalog;
COMMENT ON VIEW report.window IS '各报送所列的便民服务中心窗口';
COMMENT ON COLUMN report.window.submission_id IS '报送编号（对应 report.submission.id）';
COMMENT ON COLUMN report.window.township_code IS '乡镇代码';
COMMENT ON COLUMN report.window.period IS '报送月份（该月 1 日）';
COMMENT ON COLUMN report.window.revision IS '报送版本号';
COMMENT ON COLUMN report.window.ord IS '在报表中的顺序';
COMMENT ON COLUMN report.window.window_id IS '窗口编号（报表内唯一）';
COMMENT ON COLUMN report.window.name IS '乡镇填写的窗口名称';
COMMENT ON COLUMN report.window.catalog IS '全县窗口目录代码（无法匹配的为 other）';
COMMENT ON COLUMN report.window.catalog_name IS '全县窗口目录名称';

CREATE VIEW report.leader AS
SELECT l.submission_id, s.township_code, s.period, s.revision, l.ord, l.leader_id, l.role, l.title
FROM facts.leader l
JOIN facts.submission s ON s.id = l.submission_id;
COMMENT ON VIEW report.leader IS '各报送所列的走流程领导（职务，不含姓名）';
COMMENT ON COLUMN report.leader.submission_id IS '报送编号（对应 report.submission.id）';
COMMENT ON COLUMN report.leader.township_code IS '乡镇代码';
COMMENT ON COLUMN report.leader.period IS '报送月份（该月 1 日）';
COMMENT ON COLUMN report.leader.revision IS '报送版本号';
COMMENT ON COLUMN report.leader.ord IS '在报表中的顺序';
COMMENT ON COLUMN report.leader.leader_id IS '领导编号（跨月份按编号识别同一领导）';
COMMENT ON COLUMN report.leader.role IS '类别：principal 主要领导，deputy 分管领导';
COMMENT ON COLUMN report.leader.title IS '职务';

CREATE VIEW report.walk AS
SELECT k.submission_id, s.township_code, s.period, s.revision, k.ord, k.leader_id,
       l.title AS leader_title, k.window_id, w.name AS window_name, w.catalog,
       k.walk_date, k.problem_ids
FROM facts.walk k
JOIN facts.submission s ON s.id = k.submission_id
JOIN facts.leader l ON l.submission_id = k.submission_id AND l.leader_id = k.leader_id
JOIN facts.window w ON w.submission_id = k.submission_id AND w.window_id = k.window_id;
COMMENT ON VIEW report.walk IS '领导“走流程”记录：一位领导在一天走一个窗口的办事流程';
COMMENT ON COLUMN report.walk.submission_id IS '报送编号（对应 report.submission.id）';
COMMENT ON COLUMN report.walk.township_code IS '乡镇代码';
COMMENT ON COLUMN report.walk.period IS '报送月份（该月 1 日）';
COMMENT ON COLUMN report.walk.revision IS '报送版本号';
COMMENT ON COLUMN report.walk.ord IS '在报表中的顺序';
COMMENT ON COLUMN report.walk.leader_id IS '领导编号';
COMMENT ON COLUMN report.walk.leader_title IS '领导职务';
COMMENT ON COLUMN report.walk.window_id IS '窗口编号';
COMMENT ON COLUMN report.walk.window_name IS '乡镇填写的窗口名称';
COMMENT ON COLUMN report.walk.catalog IS '窗口的全县目录代码';
COMMENT ON COLUMN report.walk.walk_date IS '走流程日期';
COMMENT ON COLUMN report.walk.problem_ids IS '本次走流程发现的问题编号';

CREATE VIEW report.problem AS
SELECT p.submission_id, s.township_code, s.period, s.revision, p.ord, p.problem_id, p.source,
       p.status, p.found, p.rectified, p.deadline, p.description
FROM facts.problem p
JOIN facts.submission s ON s.id = p.submission_id;
COMMENT ON VIEW report.problem IS '问题整改台账（每份报送：本月发现的问题及月初仍未整改的问题）';
COMMENT ON COLUMN report.problem.submission_id IS '报送编号（对应 report.submission.id）';
COMMENT ON COLUMN report.problem.township_code IS '乡镇代码';
COMMENT ON COLUMN report.problem.period IS '报送月份（该月 1 日；状态为该月最后一天的状态）';
COMMENT ON COLUMN report.problem.revision IS '报送版本号';
COMMENT ON COLUMN report.problem.ord IS '在报表中的顺序';
COMMENT ON COLUMN report.problem.problem_id IS '问题编号（同一乡镇跨月份不变）';
COMMENT ON COLUMN report.problem.source IS '来源：walk 走流程，supervision 监督检查，complaint 投诉，other 其他';
COMMENT ON COLUMN report.problem.status IS '状态：open 未整改，rectifying 整改中，rectified 已整改';
COMMENT ON COLUMN report.problem.found IS '发现日期';
COMMENT ON COLUMN report.problem.rectified IS '整改完成日期（未整改为空）';
COMMENT ON COLUMN report.problem.deadline IS '整改期限（可为空）';
COMMENT ON COLUMN report.problem.description IS '问题描述';

CREATE VIEW report.warning AS
SELECT w.submission_id, s.township_code, s.period, s.revision, w.ord, w.code, w.line, w.path,
       w.message
FROM facts.warning w
JOIN facts.submission s ON s.id = w.submission_id;
COMMENT ON VIEW report.warning IS '已接收报送附带的警告（回执中同样列出）';
COMMENT ON COLUMN report.warning.submission_id IS '报送编号（对应 report.submission.id）';
COMMENT ON COLUMN report.warning.township_code IS '乡镇代码';
COMMENT ON COLUMN report.warning.period IS '报送月份（该月 1 日）';
COMMENT ON COLUMN report.warning.revision IS '报送版本号';
COMMENT ON COLUMN report.warning.ord IS '在该报送警告中的顺序';
COMMENT ON COLUMN report.warning.code IS '警告代码（如 W_RATE_MISMATCH）';
COMMENT ON COLUMN report.warning.line IS '报表中的行号（无法定位时为空）';
COMMENT ON COLUMN report.warning.path IS '报表中的元素路径';
COMMENT ON COLUMN report.warning.message IS '警告内容';

CREATE VIEW report.ranking_run AS
SELECT r.id, r.period, r.as_of, r.computed_at, r.w_service, r.w_completion, r.w_coverage
FROM facts.ranking_run r;
COMMENT ON VIEW report.ranking_run IS '已保存的排名计算（每晚任务调用 report.refresh_ranking 生成）';
COMMENT ON COLUMN report.ranking_run.id IS '排名计算编号';
COMMENT ON COLUMN report.ranking_run.period IS '排名期间（2026-10 / 2026-Q4 / 2026-H2 / 2026）';
COMMENT ON COLUMN report.ranking_run.as_of IS '截至日期';
COMMENT ON COLUMN report.ranking_run.computed_at IS '计算时间';
COMMENT ON COLUMN report.ranking_run.w_service IS '所用服务率权重';
COMMENT ON COLUMN report.ranking_run.w_completion IS '所用整改完成率权重';
COMMENT ON COLUMN report.ranking_run.w_coverage IS '所用走流程覆盖率权重';

CREATE VIEW report.ranking_snapshot AS
SELECT x.id AS run_id, s.code, s.name, s.service_rate, s.completion_rate, s.walk_coverage,
       s.leader_participation, s.composite, s.composite_rank, s.service_rank, s.completion_rank,
       s.coverage_rank, s.status, s.missing_months, s.months_reported, s.months_expected,
       s.reporting_rate, s.on_time_rate, s.handled, s.evaluated, s.due, s.done,
       s.windows_walked, s.windows_listed, s.leaders_walked, s.leaders_listed
FROM facts.ranking_run x
CROSS JOIN LATERAL report.stored_ranking(x.id) s;
COMMENT ON VIEW report.ranking_snapshot IS
    '已保存排名的各乡镇结果（与 report.ranking 的列含义相同；由保存的数字和该次所用权重排名）';
COMMENT ON COLUMN report.ranking_snapshot.run_id IS '排名计算编号（对应 report.ranking_run.id）';
COMMENT ON COLUMN report.ranking_snapshot.code IS '乡镇代码';
COMMENT ON COLUMN report.ranking_snapshot.name IS '乡镇名称';
COMMENT ON COLUMN report.ranking_snapshot.service_rate IS '服务率（评价件数合计 / 办件量合计，0–1 精确值）';
COMMENT ON COLUMN report.ranking_snapshot.completion_rate IS '整改完成率（已完成 / 应整改，0–1 精确值）';
COMMENT ON COLUMN report.ranking_snapshot.walk_coverage IS '走流程覆盖率（走过的目录窗口 / 所列目录窗口，0–1 精确值）';
COMMENT ON COLUMN report.ranking_snapshot.leader_participation IS '领导参与率（走过流程的领导 / 所列领导，不参与排名）';
COMMENT ON COLUMN report.ranking_snapshot.composite IS '综合得分（百分制，保留两位小数）';
COMMENT ON COLUMN report.ranking_snapshot.composite_rank IS '综合排名';
COMMENT ON COLUMN report.ranking_snapshot.service_rank IS '服务率排名';
COMMENT ON COLUMN report.ranking_snapshot.completion_rank IS '整改完成率排名';
COMMENT ON COLUMN report.ranking_snapshot.coverage_rank IS '走流程覆盖率排名';
COMMENT ON COLUMN report.ranking_snapshot.status IS '报送状态：已报送 / 缺报 / 未报送';
COMMENT ON COLUMN report.ranking_snapshot.missing_months IS '缺报月份（YYYY-MM）';
COMMENT ON COLUMN report.ranking_snapshot.months_reported IS '已报送的应报月份数';
COMMENT ON COLUMN report.ranking_snapshot.months_expected IS '应报月份数（截至日期前已结束的月份）';
COMMENT ON COLUMN report.ranking_snapshot.reporting_rate IS '报送率（已报送月份 / 应报月份）';
COMMENT ON COLUMN report.ranking_snapshot.on_time_rate IS '按时报送率（按时月份 / 应报月份）';
COMMENT ON COLUMN report.ranking_snapshot.handled IS '办件量合计';
COMMENT ON COLUMN report.ranking_snapshot.evaluated IS '评价件数合计';
COMMENT ON COLUMN report.ranking_snapshot.due IS '期间内应整改问题数（期间内某时仍未整改）';
COMMENT ON COLUMN report.ranking_snapshot.done IS '其中期间内完成整改的问题数';
COMMENT ON COLUMN report.ranking_snapshot.windows_walked IS '期间内走过流程的不同目录窗口数';
COMMENT ON COLUMN report.ranking_snapshot.windows_listed IS '期间内所列不同目录窗口数';
COMMENT ON COLUMN report.ranking_snapshot.leaders_walked IS '期间内走过流程的不同领导数';
COMMENT ON COLUMN report.ranking_snapshot.leaders_listed IS '期间内所列不同领导数';

-- Receipts (raw.receipt) without their bodies: a body
-- quotes the submission and may carry personal data.
CREATE VIEW report.receipt AS
SELECT r.id, r.created_at, r.file_sha256, r.member, r.township_code, r.period, r.revision,
       r.outcome, r.codes
FROM raw.receipt r;
COMMENT ON VIEW report.receipt IS '回执概要（每个报送一条；文件无法读出报送时整个文件一条），不含回执正文';
COMMENT ON COLUMN report.receipt.id IS '回执编号';
COMMENT ON COLUMN report.receipt.created_at IS '回执生成时间';
COMMENT ON COLUMN report.receipt.file_sha256 IS '收件箱原始文件的 SHA-256';
COMMENT ON COLUMN report.receipt.member IS '报表在压缩包中的条目路径；单独的文件为空';
COMMENT ON COLUMN report.receipt.township_code IS '乡镇代码（无法识别时为空）';
COMMENT ON COLUMN report.receipt.period IS '报送月份（该月 1 日；无法识别时为空）';
COMMENT ON COLUMN report.receipt.revision IS '版本号（无法识别时为空）';
COMMENT ON COLUMN report.receipt.outcome IS '处理结果：accepted 接收，accepted_with_warnings 带警告接收，duplicate 重复文件，rejected 拒收';
COMMENT ON COLUMN report.receipt.codes IS '回执中的错误和警告代码';

-- The runs (meta.run) as `bizenv runs` lists them (load/runs.c), for the
-- owner and analysts alike: without the host, process id and summary
-- path, which are the server's business.
CREATE VIEW report.run AS
SELECT r.id, r.kind, r.as_of, r.started_at, r.finished_at, r.status, r.files_taken,
       r.accepted, r.duplicates, r.rejected, r.warnings, r.missing_townships, r.error_code,
       r.error_text, r.build_version
FROM meta.run r;
COMMENT ON VIEW report.run IS '每次夜间任务或收件（ingest）的运行记录（bizenv runs）';
COMMENT ON COLUMN report.run.id IS '运行编号';
COMMENT ON COLUMN report.run.kind IS '类型：nightly 夜间任务，ingest 收件';
COMMENT ON COLUMN report.run.as_of IS '截至日期';
COMMENT ON COLUMN report.run.started_at IS '开始时间';
COMMENT ON COLUMN report.run.finished_at IS '结束时间（未结束为空）';
COMMENT ON COLUMN report.run.status IS '状态：running 运行中，ok 成功，failed 失败，aborted 中断（进程被终止）';
COMMENT ON COLUMN report.run.files_taken IS '取走的收件箱文件数';
COMMENT ON COLUMN report.run.accepted IS '接收的报表数';
COMMENT ON COLUMN report.run.duplicates IS '重复的报表数';
COMMENT ON COLUMN report.run.rejected IS '退回的报表数';
COMMENT ON COLUMN report.run.warnings IS '警告条数';
COMMENT ON COLUMN report.run.missing_townships IS '上一个已结束月份未报送的乡镇代码';
COMMENT ON COLUMN report.run.error_code IS '失败时的错误代码（见 bizenv codes）';
COMMENT ON COLUMN report.run.error_text IS '失败时的错误说明';
COMMENT ON COLUMN report.run.build_version IS '运行的 bizenv 版本（bizenv --version；迁移 091 之前为空）';

GRANT SELECT ON report.township, report.submission, report.window, report.leader, report.walk,
    report.problem, report.warning, report.ranking_run, report.ranking_snapshot, report.receipt,
    report.run
    TO bizenv_analyst;
