-- 092: analysts log in (bizenv analyst, sql/meta/analysts.sql) and read a
-- data dictionary (bizenv dictionary, sql/report/dictionary.sql).
--
-- An analyst login reads report and may make temporary tables; it may
-- create nothing else anywhere. PUBLIC keeps CONNECT and TEMPORARY on a
-- database by default; they are granted to bizenv_analyst by name so that
-- a county that revokes them from PUBLIC keeps its analysts working. Both
-- need the database's owner (or a superuser): a bizenv owner that is
-- neither, on a server of the county's, leaves them as they are.
DO $$
BEGIN
    IF pg_has_role((SELECT datdba FROM pg_database WHERE datname = current_database()), 'USAGE')
    THEN
        EXECUTE format('GRANT CONNECT, TEMPORARY ON DATABASE %I TO bizenv_analyst',
                       current_database());
    END IF;
END
$$;

-- No CREATE in schema public for anyone but its owner: PostgreSQL 15's
-- default, which a database made by an older server (or by hand) may not
-- have. Done only by the schema's owner.
DO $$
BEGIN
    IF EXISTS (SELECT 1 FROM pg_namespace
               WHERE nspname = 'public' AND pg_has_role(nspowner, 'USAGE'))
    THEN
        REVOKE CREATE ON SCHEMA public FROM PUBLIC;
    END IF;
END
$$;

-- The columns of what report's functions return, in Chinese, where the
-- dictionary (and \d+ report.ranking_row) reads them: a type's columns
-- take comments as a view's do.
COMMENT ON TYPE report.figure IS
    '一个乡镇（州级为一个县）在期间内截至某日的数字，未排名';
COMMENT ON COLUMN report.figure.code IS '单位代码（乡镇 9 位；州级库为县 6 位）';
COMMENT ON COLUMN report.figure.name IS '单位名称（名录规范名称）';
COMMENT ON COLUMN report.figure.service_rate IS '服务率（评价件数合计 / 办件量合计，0–1 精确值；办件量为 0 时为空）';
COMMENT ON COLUMN report.figure.completion_rate IS '整改完成率（期间内完成整改的问题 / 应整改问题，0–1 精确值；无应整改问题时为空）';
COMMENT ON COLUMN report.figure.walk_coverage IS '走流程覆盖率（走过流程的目录窗口 / 所列目录窗口，0–1 精确值）';
COMMENT ON COLUMN report.figure.leader_participation IS '领导参与率（走过流程的领导 / 所列领导，0–1，不参与排名）';
COMMENT ON COLUMN report.figure.status IS '报送状态：已报送 / 缺报（有应报月份未报送）/ 未报送（期间内没有报送）';
COMMENT ON COLUMN report.figure.missing_months IS '缺报月份（YYYY-MM，截至日期前已结束而未报送的月份）';
COMMENT ON COLUMN report.figure.months_reported IS '已报送的应报月份数';
COMMENT ON COLUMN report.figure.months_expected IS '应报月份数（期间内截至日期前已结束的月份）';
COMMENT ON COLUMN report.figure.handled IS '办件量合计（各月现行版本）';
COMMENT ON COLUMN report.figure.evaluated IS '评价件数合计';
COMMENT ON COLUMN report.figure.due IS '期间内应整改问题数（期间内某时仍未整改的问题）';
COMMENT ON COLUMN report.figure.done IS '其中期间内完成整改的问题数';
COMMENT ON COLUMN report.figure.windows_walked IS '期间内走过流程的不同目录窗口数';
COMMENT ON COLUMN report.figure.windows_listed IS '期间内所列不同目录窗口数';
COMMENT ON COLUMN report.figure.leaders_walked IS '期间内走过流程的不同领导数';
COMMENT ON COLUMN report.figure.leaders_listed IS '期间内所列不同领导数';
COMMENT ON COLUMN report.figure.months_present IS '期间内有报送的月份数（含截至日期时尚未到应报的月份）';
COMMENT ON COLUMN report.figure.months_on_time IS '按时报送的应报月份数（该月首个接收版本在截止时刻前到达）';
COMMENT ON COLUMN report.ranking_row.code IS '单位代码（乡镇 9 位；州级库为县 6 位）';
COMMENT ON COLUMN report.ranking_row.name IS '单位名称（名录规范名称）';
COMMENT ON COLUMN report.ranking_row.service_rate IS '服务率（评价件数合计 / 办件量合计，0–1 精确值；办件量为 0 时为空）';
COMMENT ON COLUMN report.ranking_row.completion_rate IS '整改完成率（期间内完成整改的问题 / 应整改问题，0–1 精确值；无应整改问题时为空）';
COMMENT ON COLUMN report.ranking_row.walk_coverage IS '走流程覆盖率（走过流程的目录窗口 / 所列目录窗口，0–1 精确值）';
COMMENT ON COLUMN report.ranking_row.leader_participation IS '领导参与率（走过流程的领导 / 所列领导，0–1，不参与排名）';
COMMENT ON COLUMN report.ranking_row.composite IS '综合得分（百分制，由计数精确计算，四舍五入保留两位小数；无可计项时为空）';
COMMENT ON COLUMN report.ranking_row.composite_rank IS '综合排名（并列同名次，下一名次顺延；未报送为空）';
COMMENT ON COLUMN report.ranking_row.service_rank IS '服务率排名（按四舍五入到两位的百分数）';
COMMENT ON COLUMN report.ranking_row.completion_rank IS '整改完成率排名';
COMMENT ON COLUMN report.ranking_row.coverage_rank IS '走流程覆盖率排名';
COMMENT ON COLUMN report.ranking_row.status IS '报送状态：已报送 / 缺报（有应报月份未报送）/ 未报送（期间内没有报送）';
COMMENT ON COLUMN report.ranking_row.missing_months IS '缺报月份（YYYY-MM，截至日期前已结束而未报送的月份）';
COMMENT ON COLUMN report.ranking_row.months_reported IS '已报送的应报月份数';
COMMENT ON COLUMN report.ranking_row.months_expected IS '应报月份数（期间内截至日期前已结束的月份）';
COMMENT ON COLUMN report.ranking_row.reporting_rate IS '报送率（已报送月份 / 应报月份，0–1）';
COMMENT ON COLUMN report.ranking_row.on_time_rate IS '按时报送率（按时报送的月份 / 应报月份，0–1）';
COMMENT ON COLUMN report.ranking_row.handled IS '办件量合计（各月现行版本）';
COMMENT ON COLUMN report.ranking_row.evaluated IS '评价件数合计';
COMMENT ON COLUMN report.ranking_row.due IS '期间内应整改问题数（期间内某时仍未整改的问题）';
COMMENT ON COLUMN report.ranking_row.done IS '其中期间内完成整改的问题数';
COMMENT ON COLUMN report.ranking_row.windows_walked IS '期间内走过流程的不同目录窗口数';
COMMENT ON COLUMN report.ranking_row.windows_listed IS '期间内所列不同目录窗口数';
COMMENT ON COLUMN report.ranking_row.leaders_walked IS '期间内走过流程的不同领导数';
COMMENT ON COLUMN report.ranking_row.leaders_listed IS '期间内所列不同领导数';
COMMENT ON COLUMN report.ranking_row.w_service IS '所用服务率权重';
COMMENT ON COLUMN report.ranking_row.w_completion IS '所用整改完成率权重';
COMMENT ON COLUMN report.ranking_row.w_coverage IS '所用走流程覆盖率权重';
COMMENT ON COLUMN report.ranking_row.months_present IS '期间内有报送的月份数（含截至日期时尚未到应报的月份）';
COMMENT ON COLUMN report.ranking_row.months_on_time IS '按时报送的应报月份数（该月首个接收版本在截止时刻前到达）';
