-- 088: one shape for a ranked row.
--
-- report.ranking, township_ranking, county_ranking, stored_ranking and
-- rank_figures return the same thirty columns; report.ranking_row is
-- that row, declared once (report.figure, the unranked figures, is its
-- first part's shape). The functions returning it are in sql/report/.

CREATE TYPE report.ranking_row AS (
    code                  text,
    name                  text,
    service_rate          numeric,
    completion_rate       numeric,
    walk_coverage         numeric,
    leader_participation  numeric,
    composite             numeric,
    composite_rank        int,
    service_rank          int,
    completion_rank       int,
    coverage_rank         int,
    status                text,
    missing_months        text[],
    months_reported       int,
    months_expected       int,
    reporting_rate        numeric,
    on_time_rate          numeric,
    handled               bigint,
    evaluated             bigint,
    due                   bigint,
    done                  bigint,
    windows_walked        bigint,
    windows_listed        bigint,
    leaders_walked        bigint,
    leaders_listed        bigint,
    w_service             numeric,
    w_completion          numeric,
    w_coverage            numeric,
    months_present        int,
    months_on_time        int
);
COMMENT ON TYPE report.ranking_row IS
    '排名中的一行：一个乡镇（州级为一个县）的数字、综合得分、各项排名、报送率与按时率及所用权重';

-- The baseline kept the release's wording, which named a migration that
-- is gone.
COMMENT ON COLUMN facts.ranking_run.max_submission_id IS
    'highest facts.submission id when the ranking was computed (NULL for rankings not stored by the nightly refresh)';
