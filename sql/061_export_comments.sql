-- 061: what analysts read about exports is documented in Chinese, and every
-- report function runs with its owner's rights (tests/sql/access.sql).

ALTER FUNCTION report.sub_periods(text) SECURITY DEFINER;

COMMENT ON COLUMN report.export_log.id IS '导出记录编号';
COMMENT ON COLUMN report.export_log.period IS '排名期间';
COMMENT ON COLUMN report.export_log.as_of IS '截至日期';
COMMENT ON COLUMN report.export_log.county_code IS '本县代码';
COMMENT ON COLUMN report.export_log.exported_at IS '导出时间';
COMMENT ON COLUMN report.export_log.w_service IS '所用权重：服务率';
COMMENT ON COLUMN report.export_log.w_completion IS '所用权重：整改完成率';
COMMENT ON COLUMN report.export_log.w_coverage IS '所用权重：走流程覆盖率';
COMMENT ON COLUMN report.export_log.reproduces_id IS '同一期间、同一截至日期的首次导出（本次为重现）';
COMMENT ON COLUMN report.export_log.reproduces_exactly IS '重现时：数字与排名是否与首次导出完全一致';
COMMENT ON COLUMN report.export_log.changes_id IS '本次导出改变了其已发布数字的较早导出';
COMMENT ON COLUMN report.export_log.changed_by_id IS '显示本导出已发布数字有变化的较晚导出';
COMMENT ON COLUMN report.export_log.published_figures_changed IS '已发布的数字后来是否有变化';
COMMENT ON COLUMN report.export_log.files IS '导出文件：类型、文件名、SHA-256';
