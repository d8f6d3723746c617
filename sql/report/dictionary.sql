-- What the data dictionary (bizenv dictionary, export/dictionary.c) reads
-- besides the catalog's own comments: the rules behind the figures in
-- short, ten example queries, and the meaning of the columns of report's
-- functions that return a table of their own (a function returning
-- report.ranking_row or report.figure takes its columns' comments from the
-- type, migration 092). Analysts read them in psql too:
--   SELECT * FROM report.example;
-- Every example is run by tests/db/070_analysts.t, as an analyst, from the
-- dictionary as generated; tests/sql/dictionary.sql checks that every
-- result column of every function an analyst may call has a meaning here
-- or in its type.

CREATE VIEW report.rule AS
SELECT * FROM (VALUES
    (1, '期间与截至日期',
     '期间写作 2026-10（月）、2026-Q4（季度）、2026-H2（半年）、2026（年）。截至日期 D：'
     '只计 D 当天结束前（本县时区，默认北京时间）收到的报送，同一乡镇同一月份取其中版本号最高的一份'
     '（现行版本）；不给截至日期即为今天。因此按原截至日期重算，结果与当时公布的完全相同。'),
    (2, '应报、缺报与未报送',
     '期间内在截至日期前已经结束的月份为应报月份。有应报月份没有报送的为“缺报”（列出缺报月份），'
     '期间内没有任何报送的为“未报送”，不计数字、不参加排名。'),
    (3, '服务率',
     '期间内各月现行版本的“好差评”评价件数合计 ÷ 办件量合计；办件量合计为 0 时为空。'
     '乡镇自报的评价率只用于核对，不参与计算。'),
    (4, '整改完成率',
     '按问题台账计算：每个问题取期末以前最近一次出现时的发现日期和整改日期（从后来的报表中消失而'
     '未整改的仍算未整改）。应整改 = 期末前发现、且期初时尚未整改完成的问题；完成 = 其中期末前整改'
     '完成的。完成率 = 完成 ÷ 应整改；没有应整改问题时为空。'),
    (5, '走流程覆盖率与领导参与率',
     '走流程覆盖率 = 期间内至少走过一次流程的不同目录窗口数 ÷ 期间内所列的不同目录窗口数'
     '（归入“其他”的窗口按名称各算一个）。领导参与率 = 走过流程的领导 ÷ 所列领导'
     '（按领导编号跨月识别），只列示，不参与排名。'),
    (6, '综合得分',
     '三项比率中不为空的按权重（默认 1:1:1，见 report.weights()）加权平均，化为百分数；由计数精确'
     '计算，最后一次四舍五入到两位小数。为空的一项不计，也不占权重。'),
    (7, '排名',
     '竞争排名：并列的名次相同，下一名次顺延（1、2、2、4）；各项比率按四舍五入到两位小数的百分数'
     '比较，综合得分按两位小数比较；并列时按代码顺序列出。比率为空的该项不排名、列在最后。'),
    (8, '报送率与按时率',
     '报送率 = 已报送的应报月份 ÷ 应报月份。某月首个接收的版本在次月 5 日（ref.setting '
     'deadline_day）24:00 前到达为按时；按时率 = 按时月份 ÷ 应报月份。时间以收件箱接收时间为准。'),
    (9, '已保存的排名',
     '每晚任务把当期各期间的排名保存为一次排名计算（report.ranking_run，各乡镇结果见 '
     'report.ranking_snapshot），与当时 report.ranking 的结果相同；导出记录见 report.export_log。'),
    (10, '数据范围',
     '分析人员账号只能读 report 架构（及 meta 中的结构版本），不能写入、不能建表（临时表除外：'
     'BEGIN READ WRITE 后 CREATE TEMP TABLE）；联系人姓名和电话不在任何视图中。'
     '单条语句、事务空闲和临时文件都有上限（bizenv config 的 analyst_* 设置）。')
) AS r(ord, topic, rule);
COMMENT ON VIEW report.rule IS '排名数字背后的规则（简述；完整规则见 metrics.md）';
COMMENT ON COLUMN report.rule.ord IS '顺序';
COMMENT ON COLUMN report.rule.topic IS '主题';
COMMENT ON COLUMN report.rule.rule IS '规则';

-- Each query is written as an analyst would run it in psql: literal
-- periods and codes (2026 and the demo county's 539901101… — change them to
-- your own), or the current quarter and year from report.today().
CREATE VIEW report.example AS
SELECT * FROM (VALUES
    (1, '某乡镇逐月趋势（2026 年各月的三项比率、综合得分和名次）',
     $q$SELECT m.month, r.status, round(r.service_rate * 100, 1) AS 服务率,
       round(r.completion_rate * 100, 1) AS 整改完成率,
       round(r.walk_coverage * 100, 1) AS 走流程覆盖率, r.composite AS 综合得分,
       r.composite_rank AS 综合排名
FROM generate_series(1, 12) AS g(n)
CROSS JOIN LATERAL (SELECT format('2026-%s', lpad(g.n::text, 2, '0')) AS month) AS m
CROSS JOIN LATERAL report.ranking(m.month) AS r
WHERE r.code = '539901101'
ORDER BY m.month;$q$),
    (2, '本季度服务率最低的五个乡镇',
     $q$SELECT code, name, round(service_rate * 100, 1) AS 服务率, evaluated AS 评价件数,
       handled AS 办件量
FROM report.ranking(to_char(report.today(), 'YYYY-"Q"Q'))
WHERE service_rate IS NOT NULL
ORDER BY service_rate, code
LIMIT 5;$q$),
    (3, '今年缺报月份的乡镇',
     $q$SELECT code, name, status, array_to_string(missing_months, '、') AS 缺报月份,
       months_reported AS 已报月数, months_expected AS 应报月数
FROM report.ranking(to_char(report.today(), 'YYYY'))
WHERE cardinality(missing_months) > 0
ORDER BY cardinality(missing_months) DESC, code;$q$),
    (4, '仍未整改的问题（各乡镇问题台账中最近一次的状态）',
     $q$SELECT p.township_code, t.name, p.problem_id, p.status, p.found, p.deadline,
       p.month AS 最近报送月份, p.description
FROM (SELECT DISTINCT ON (pr.township_code, pr.problem_id)
             pr.township_code, pr.problem_id, pr.status, pr.found, pr.deadline,
             to_char(pr.period, 'YYYY-MM') AS month, pr.description
      FROM report.problem pr
      JOIN report.submission s ON s.id = pr.submission_id AND s.is_current
      ORDER BY pr.township_code, pr.problem_id, pr.period DESC) AS p
JOIN report.township t ON t.code = p.township_code
WHERE p.status <> 'rectified'
ORDER BY p.deadline NULLS LAST, p.township_code, p.problem_id;$q$),
    (5, '两个截至日期的排名比较（2026 年第四季度，截至 11 月 5 日与 11 月 30 日）',
     $q$SELECT b.code, b.name, a.composite AS 早_综合得分, b.composite AS 晚_综合得分,
       b.composite - a.composite AS 变化, a.composite_rank AS 早_排名,
       b.composite_rank AS 晚_排名, a.status AS 早_状态, b.status AS 晚_状态
FROM report.ranking('2026-Q4', '2026-11-05') AS a
JOIN report.ranking('2026-Q4', '2026-11-30') AS b ON b.code = a.code
ORDER BY b.composite_rank NULLS LAST, b.code;$q$),
    (6, '某月排名前十（与 bizenv rank 相同）',
     $q$SELECT composite_rank AS 排名, code, name, composite AS 综合得分,
       round(service_rate * 100, 1) AS 服务率, round(completion_rate * 100, 1) AS 整改完成率,
       round(walk_coverage * 100, 1) AS 走流程覆盖率, status
FROM report.ranking('2026-10')
ORDER BY composite_rank NULLS LAST, code
LIMIT 10;$q$),
    (7, '迟报的月份（首个接收版本晚于截止时刻）',
     $q$SELECT s.township_code, s.township_name, s.month,
       min(s.received_at) AS 首次接收, report.deadline(s.period) AS 截止时刻
FROM report.submission s
GROUP BY s.township_code, s.township_name, s.month, s.period
HAVING min(s.received_at) >= report.deadline(s.period)
ORDER BY s.month, s.township_code;$q$),
    (8, '全县汇总（本年，截至今天）：三项比率、综合得分、最好与最差的乡镇',
     $q$SELECT townships_expected AS 应报乡镇, townships_reported AS 已报乡镇,
       townships_on_time AS 按时乡镇, round(service_rate * 100, 1) AS 服务率,
       round(completion_rate * 100, 1) AS 整改完成率, round(walk_coverage * 100, 1) AS 走流程覆盖率,
       composite AS 综合得分, best_composite_name AS 综合最好, worst_composite_name AS 综合最差,
       rejected_submissions AS 退回报送, warnings AS 警告
FROM report.county_summary(to_char(report.today(), 'YYYY'));$q$),
    (9, '各乡镇某月走流程情况（领导、窗口与次数）',
     $q$SELECT w.township_code, w.leader_title, count(*) AS 次数,
       count(DISTINCT w.window_id) AS 窗口数, min(w.walk_date) AS 首次, max(w.walk_date) AS 末次
FROM report.walk w
JOIN report.submission s ON s.id = w.submission_id AND s.is_current
WHERE w.period = date '2026-10-01'
GROUP BY w.township_code, w.leader_title
ORDER BY w.township_code, 次数 DESC;$q$),
    (10, '退回的报送及原因代码（最近 20 份）',
     $q$SELECT r.created_at AS 回执时间, r.township_code, to_char(r.period, 'YYYY-MM') AS month,
       r.revision, array_to_string(r.codes, ' ') AS 代码
FROM report.receipt r
WHERE r.outcome = 'rejected'
ORDER BY r.created_at DESC, r.id DESC
LIMIT 20;$q$)
) AS e(ord, title, query);
COMMENT ON VIEW report.example IS '分析人员常用的示例查询（数据字典逐条列出，测试逐条运行）';
COMMENT ON COLUMN report.example.ord IS '编号';
COMMENT ON COLUMN report.example.title IS '用途';
COMMENT ON COLUMN report.example.query IS 'SQL 语句（psql 中可直接运行；期间、乡镇代码改成要查的）';

-- The columns of the functions that return a table of their own (TABLE
-- or OUT parameters): the catalog has no comment for those.
CREATE VIEW report.result_column AS
SELECT * FROM (VALUES
    ('report.period_bounds(text)', 'first_day', '期间首日'),
    ('report.period_bounds(text)', 'last_day', '期间末日'),
    ('report.period_bounds(text)', 'months', '期间所含各月（各月 1 日）'),
    ('report.sub_periods(text)', 'label', '所含期间（2026-10 / 2026-Q4 / 2026-H2 / 2026）'),
    ('report.sub_periods(text)', 'first_day', '该期间首日'),
    ('report.sub_periods(text)', 'months', '该期间的月数'),
    ('report.current_submission(date)', 'submission_id', '现行版本的报送编号（report.submission.id）'),
    ('report.current_submission(date)', 'township_code', '乡镇代码'),
    ('report.current_submission(date)', 'period', '报送月份（该月 1 日）'),
    ('report.current_submission(date)', 'revision', '现行版本号'),
    ('report.current_submission(date)', 'received_at', '现行版本的接收时间'),
    ('report.current_submission(date)', 'first_received_at', '该月首个接收版本的接收时间（判断按时）'),
    ('report.township_figures_for(text[],date,text[])', 'period', '期间'),
    ('report.township_figures_for(text[],date,text[])', 'figure', '该期间的数字（report.figure，各列见该类型）'),
    ('report.weights()', 'w_service', '服务率权重'),
    ('report.weights()', 'w_completion', '整改完成率权重'),
    ('report.weights()', 'w_coverage', '走流程覆盖率权重'),
    ('report.county_summary(text,date)', 'first_day', '期间首日'),
    ('report.county_summary(text,date)', 'last_day', '期间末日'),
    ('report.county_summary(text,date)', 'townships_listed', '列入排名的乡镇数'),
    ('report.county_summary(text,date)', 'townships_expected', '应报送的乡镇数（期间内有应报月份）'),
    ('report.county_summary(text,date)', 'townships_reported', '有报送的乡镇数'),
    ('report.county_summary(text,date)', 'townships_complete', '应报月份全部报送的乡镇数'),
    ('report.county_summary(text,date)', 'townships_on_time', '应报月份全部按时报送的乡镇数'),
    ('report.county_summary(text,date)', 'handled', '全县办件量合计'),
    ('report.county_summary(text,date)', 'evaluated', '全县评价件数合计'),
    ('report.county_summary(text,date)', 'service_rate', '全县服务率（评价件数合计 ÷ 办件量合计）'),
    ('report.county_summary(text,date)', 'due', '全县应整改问题数'),
    ('report.county_summary(text,date)', 'done', '全县期间内完成整改的问题数'),
    ('report.county_summary(text,date)', 'completion_rate', '全县整改完成率（完成合计 ÷ 应整改合计）'),
    ('report.county_summary(text,date)', 'windows_walked', '各乡镇走过流程的目录窗口数合计'),
    ('report.county_summary(text,date)', 'windows_listed', '各乡镇所列目录窗口数合计'),
    ('report.county_summary(text,date)', 'walk_coverage', '全县走流程覆盖率（合计相除）'),
    ('report.county_summary(text,date)', 'composite', '全县综合得分（由合计计数精确计算）'),
    ('report.county_summary(text,date)', 'best_service_code', '服务率最高的乡镇代码（并列取代码最小者）'),
    ('report.county_summary(text,date)', 'best_service_name', '服务率最高的乡镇名称'),
    ('report.county_summary(text,date)', 'worst_service_code', '服务率最低的乡镇代码'),
    ('report.county_summary(text,date)', 'worst_service_name', '服务率最低的乡镇名称'),
    ('report.county_summary(text,date)', 'best_completion_code', '整改完成率最高的乡镇代码'),
    ('report.county_summary(text,date)', 'best_completion_name', '整改完成率最高的乡镇名称'),
    ('report.county_summary(text,date)', 'worst_completion_code', '整改完成率最低的乡镇代码'),
    ('report.county_summary(text,date)', 'worst_completion_name', '整改完成率最低的乡镇名称'),
    ('report.county_summary(text,date)', 'best_coverage_code', '走流程覆盖率最高的乡镇代码'),
    ('report.county_summary(text,date)', 'best_coverage_name', '走流程覆盖率最高的乡镇名称'),
    ('report.county_summary(text,date)', 'worst_coverage_code', '走流程覆盖率最低的乡镇代码'),
    ('report.county_summary(text,date)', 'worst_coverage_name', '走流程覆盖率最低的乡镇名称'),
    ('report.county_summary(text,date)', 'best_composite_code', '综合得分最高的乡镇代码'),
    ('report.county_summary(text,date)', 'best_composite_name', '综合得分最高的乡镇名称'),
    ('report.county_summary(text,date)', 'worst_composite_code', '综合得分最低的乡镇代码'),
    ('report.county_summary(text,date)', 'worst_composite_name', '综合得分最低的乡镇名称'),
    ('report.county_summary(text,date)', 'rejected_submissions', '期间内被退回的报送数'),
    ('report.county_summary(text,date)', 'warnings', '现行版本附带的警告条数'),
    ('report.county_summary(text,date)', 'w_service', '所用服务率权重'),
    ('report.county_summary(text,date)', 'w_completion', '所用整改完成率权重'),
    ('report.county_summary(text,date)', 'w_coverage', '所用走流程覆盖率权重'),
    ('report.ranking_change(text,date)', 'code', '代码（乡镇，州级为县）'),
    ('report.ranking_change(text,date)', 'name', '名称'),
    ('report.ranking_change(text,date)', 'current_rank', '本期综合排名'),
    ('report.ranking_change(text,date)', 'composite', '本期综合得分'),
    ('report.ranking_change(text,date)', 'previous_period', '同类上一期间（上月、上季度、上半年、上年）'),
    ('report.ranking_change(text,date)', 'previous_rank', '上期综合排名'),
    ('report.ranking_change(text,date)', 'previous_composite', '上期综合得分'),
    ('report.ranking_change(text,date)', 'rank_change', '名次变化（上期排名减本期排名，正数为上升）'),
    ('report.ranking_change(text,date)', 'movement', '较上期（↑2 上升两位，↓1 下降一位，– 不变，新 上期未排名；本期未排名为空）'),
    ('report.ranking_change(text,date)', 'composite_change', '综合得分变化（本期减上期，任一期无得分时为空）'),
    ('report.ranking_trend(text,date)', 'code', '代码'),
    ('report.ranking_trend(text,date)', 'name', '名称'),
    ('report.ranking_trend(text,date)', 'month', '月份（YYYY-MM）'),
    ('report.ranking_trend(text,date)', 'composite', '该月综合得分（无得分为空）'),
    ('report.ranking_trend(text,date)', 'month_rank', '该月综合排名'),
    ('report.open_problems(text,date)', 'township_code', '乡镇代码'),
    ('report.open_problems(text,date)', 'problem_id', '问题编号'),
    ('report.open_problems(text,date)', 'source', '来源（walk 走流程，supervision 监督检查，complaint 投诉，other 其他）'),
    ('report.open_problems(text,date)', 'status', '最近一次报送的状态（open 未整改，rectifying 整改中，rectified 已整改）'),
    ('report.open_problems(text,date)', 'found', '发现日期'),
    ('report.open_problems(text,date)', 'deadline', '整改期限'),
    ('report.open_problems(text,date)', 'rectified', '整改完成日期（期间之后完成的；未完成为空）'),
    ('report.open_problems(text,date)', 'description', '问题描述'),
    ('report.open_problems(text,date)', 'last_month', '最近一次报送该问题的月份'),
    ('report.period_warnings(text,date)', 'township_code', '乡镇代码'),
    ('report.period_warnings(text,date)', 'month', '报送月份（YYYY-MM）'),
    ('report.period_warnings(text,date)', 'revision', '版本号'),
    ('report.period_warnings(text,date)', 'ord', '在该报送警告中的顺序'),
    ('report.period_warnings(text,date)', 'code', '警告代码（如 W_RATE_MISMATCH）'),
    ('report.period_warnings(text,date)', 'path', '报表中的位置'),
    ('report.period_warnings(text,date)', 'message', '警告内容')
) AS c(function, column_name, meaning);
COMMENT ON VIEW report.result_column IS '返回自有表结构的 report 函数各结果列的含义（数据字典用）';
COMMENT ON COLUMN report.result_column.function IS '函数（名称与参数类型）';
COMMENT ON COLUMN report.result_column.column_name IS '结果列名';
COMMENT ON COLUMN report.result_column.meaning IS '含义';

GRANT SELECT ON report.rule, report.example, report.result_column TO bizenv_analyst;
