/*
 * codes — the catalog of stable diagnostic codes.
 *
 * Every error or warning a receipt, a CLI message or a run summary can show
 * has one row here: the code (searchable, never renamed), its class and its
 * Chinese title. The specific message of one occurrence is built where the
 * problem is found; the title is the same everywhere. README.md lists the
 * catalog for users; tests/common checks that every code is unique.
 *
 * Columns: BZ_CODE(identifier, class, title). Class is ERR (the submission
 * is rejected), WARN (accepted, stored with it), or OP (an operational
 * failure of bizenv itself, not the file's fault).
 */
#ifndef BZ_CODES_H
#define BZ_CODES_H

#define BZ_CODE_LIST(X)                                                                            \
    /* inbox files and transports (ingest/) */                                                     \
    X(E_FILE_EMPTY, ERR, "文件为空")                                                               \
    X(E_FILE_TYPE, ERR, "无法识别的文件类型")                                                      \
    X(E_FILE_NOT_REGULAR, ERR, "不是普通文件")                                                     \
    X(E_LIMIT_FILE_SIZE, ERR, "文件超过大小上限")                                                  \
    X(E_LIMIT_ENTRY_SIZE, ERR, "解压后内容超过单项大小上限")                                       \
    X(E_LIMIT_TOTAL_SIZE, ERR, "解压后内容超过总大小上限")                                         \
    X(E_LIMIT_ENTRIES, ERR, "压缩包条目数超过上限")                                                \
    X(E_LIMIT_RATIO, ERR, "压缩比超过上限，疑似压缩炸弹")                                          \
    X(E_LIMIT_NESTING, ERR, "压缩包嵌套超过一层")                                                  \
    X(E_LIMIT_TIME, ERR, "读取文件超过时间上限")                                                   \
    X(E_ZIP_CORRUPT, ERR, "压缩包已损坏或不完整")                                                  \
    X(E_ZIP_CRC, ERR, "压缩包条目校验和错误")                                                      \
    X(E_ZIP_SIZE_MISMATCH, ERR, "压缩包条目实际大小与声明不符")                                    \
    X(E_ZIP_ENCRYPTED, ERR, "压缩包条目已加密")                                                    \
    X(E_ZIP_ENTRY_TYPE, ERR, "压缩包含有不允许的条目类型（链接或设备）")                           \
    X(E_ZIP_ENTRY_NAME, ERR, "压缩包条目名称不安全")                                               \
    X(E_ZIP_NAME_ENCODING, ERR, "压缩包条目名称无法识别编码")                                      \
    X(E_ZIP_DUPLICATE_NAME, ERR, "压缩包条目名称重复")                                             \
    X(E_ZIP_EMPTY, ERR, "压缩包为空")                                                              \
    X(E_ZIP_NO_XML, ERR, "报送包顶层没有 XML 报表")                                                \
    X(E_ZIP_MANY_XML, ERR, "报送包顶层有多个 XML 报表")                                            \
    X(E_ZIP_BATCH_CONTENT, ERR, "批量包顶层只能包含报送包（.zip）和 XML 报表")                     \
    X(E_GZ_CORRUPT, ERR, "gzip 数据已损坏或不完整")                                                \
    X(E_GZ_TRAILER, ERR, "gzip 尾部校验（CRC 或长度）错误")                                        \
    X(E_GZ_TRAILING_DATA, ERR, "gzip 数据后有多余内容")                                            \
    /* XML documents (transform/) */                                                               \
    X(E_XML_SYNTAX, ERR, "XML 格式错误")                                                           \
    X(E_XML_DOCTYPE, ERR, "不允许 DOCTYPE 或实体引用")                                             \
    X(E_XML_ENCODING, ERR, "字符编码错误或与声明不符")                                             \
    X(E_XML_LIMIT, ERR, "XML 超过结构上限（嵌套深度、文本长度或元素数量）")                        \
    X(E_XML_SCHEMA, ERR, "不符合报送格式（XSD）")                                                  \
    X(E_COUNT_FORMAT, ERR, "数量必须是不超过 9 位的半角数字")                                      \
    X(E_DATE_INVALID, ERR, "日期不存在或格式错误")                                                 \
    X(E_TOWNSHIP_UNKNOWN, ERR, "乡镇代码不在全县乡镇名录中")                                       \
    X(E_PERIOD_FUTURE, ERR, "报送月份晚于当前月份")                                                \
    X(E_SITES_WINDOW, ERR, "设窗口的站点数大于站点总数")                                           \
    X(E_EVAL_EXCEEDS, ERR, "评价件数大于办件量")                                                   \
    X(E_RATE_RANGE, ERR, "自报评价率不在 0 到 100 之间")                                           \
    X(E_COMPLAINTS_RESOLVED, ERR, "办结投诉数大于受理投诉数")                                      \
    X(E_DUPLICATE_ID, ERR, "编号重复")                                                             \
    X(E_REF_LEADER, ERR, "走流程引用了不存在的领导编号")                                           \
    X(E_REF_WINDOW, ERR, "走流程引用了不存在的窗口编号")                                           \
    X(E_REF_PROBLEM, ERR, "走流程引用了不存在的问题编号")                                          \
    X(E_WALK_DATE, ERR, "走流程日期不在报送月份内")                                                \
    X(E_PROBLEM_FOUND_DATE, ERR, "问题发现日期晚于报送月份最后一天")                               \
    X(E_PROBLEM_RECTIFIED_MISSING, ERR, "已整改问题缺少整改日期")                                  \
    X(E_PROBLEM_RECTIFIED_FORBIDDEN, ERR, "未整改问题不应填写整改日期")                            \
    X(E_PROBLEM_RECTIFIED_DATE, ERR, "整改日期不在发现日期与报送月份最后一天之间")                 \
    X(E_TOO_MANY_DIAGNOSTICS, ERR, "错误过多，其余未列出")                                         \
    /* monthly workbooks (.xlsx 填报表, transform/xlsx.c and workbook.c) */                     \
    X(E_WB_NOT_TEMPLATE, ERR, "不是县营商办下发的填报表，请使用县里下发的本乡镇填报表")            \
    X(E_WB_VERSION, ERR, "填报表模板版本不受支持，请使用县里最新下发的填报表")                     \
    X(E_WB_FORMAT, ERR, "工作簿不是 .xlsx 格式，请在 Excel 或 WPS 中另存为 .xlsx 工作簿")          \
    X(E_WB_MACRO, ERR, "填报表含宏（VBA 或宏表），不予接收")                                       \
    X(E_WB_STRUCTURE, ERR, "填报表结构损坏（缺少或无法读取工作簿部件）")                           \
    X(E_WB_SHEET, ERR, "填报表缺少工作表（工作表被删除或改名）")                                   \
    X(E_WB_HEADER, ERR, "工作表的表头或项目名称被改动")                                            \
    X(E_WB_MISMATCH, ERR, "填报表的乡镇、月份或版本号与模板标识不一致")                            \
    X(E_WB_LIMIT, ERR, "填报表超过行数、单元格数、共享字符串数或区域大小上限")                     \
    X(E_WB_SHARED_STRING, ERR, "单元格引用的共享字符串编号超出范围")                               \
    X(E_WB_CELL, ERR, "单元格内容无法读取（错误值、非法数字、控制字符或单元格位置）")              \
    X(E_WB_FORMULA, ERR, "公式单元格没有计算结果（请在 Excel 中重新计算后保存）")                  \
    X(E_WB_REQUIRED, ERR, "必填单元格为空")                                                        \
    X(E_WB_CHOICE, ERR, "不是下拉列表中的选项")                                                    \
    X(W_RATE_MISMATCH, WARN, "自报评价率与评价件数/办件量相差超过 1 个百分点")                     \
    X(W_APPROX_COUNT, WARN, "数量为约数")                                                          \
    X(W_WINDOW_UNKNOWN, WARN, "窗口名称不在全县窗口目录中，归入“其他”")                            \
    X(W_PROBLEM_OVERDUE, WARN, "问题超过整改期限仍未整改")                                         \
    X(W_PROBLEM_DISAPPEARED, WARN, "未整改问题从问题台账中消失（仍按未整改计）")                   \
    /* revisions (load/) */                                                                        \
    X(E_REVISION_CONFLICT, ERR, "同一版本号已有不同内容，请以新版本号重新报送")                    \
    X(E_REVISION_STALE, ERR, "版本号低于已接收的版本")                                             \
    /* county roll-ups received by a prefecture (export/rollup.c) */                               \
    X(E_ADX_COUNTY_UNKNOWN, ERR, "县代码不在州级县名录中")                                         \
    X(E_ADX_PERIOD, ERR, "ADX 期间格式错误或与月份边界不符")                                       \
    X(E_ADX_INCONSISTENT, ERR, "ADX 计数自相矛盾")                                                 \
    X(E_ADX_ORGUNIT, ERR, "ADX 乡镇代码不属于报送的县")                                            \
    /* operational failures (not the file's fault) */                                              \
    X(E_USAGE, OP, "命令用法错误")                                                                 \
    X(E_CONFIG, OP, "配置错误")                                                                    \
    X(E_HOME_UNSAFE, OP, "bizenv 的目录不安全（不属于运行用户、他人可写或是符号链接）")            \
    X(E_NOINPUT, OP, "找不到输入文件")                                                             \
    X(E_REGISTRY_FORMAT, OP, "乡镇名录文件格式错误")                                               \
    X(E_IO_READ, OP, "读取文件失败")                                                               \
    X(E_IO_WRITE, OP, "写入文件失败")                                                              \
    X(E_NOMEM, OP, "内存不足")                                                                     \
    X(E_DB_CONNECT, OP, "无法连接数据库")                                                          \
    X(E_DB_QUERY, OP, "数据库操作失败")                                                            \
    X(E_DB_MIGRATE, OP, "数据库结构升级失败")                                                      \
    X(E_DB_CLUSTER, OP, "内置数据库启动或停止失败")                                                \
    X(E_DB_MISSING, OP, "数据库不存在，而本目录已有历史记录")                                      \
    X(E_DB_IDENTITY, OP, "数据库不是本目录（BIZENV_HOME）的数据库")                                \
    X(E_DB_SCHEMA, OP, "数据库结构版本与本程序不符（只读命令不升级数据库）")                       \
    X(E_DB_NOT_EMPTY, OP, "数据库不是空的（重建与恢复只写入空数据库）")                            \
    X(E_DB_CORRUPT, OP, "数据库校验发现损坏（数据页校验和或索引与表不符）")                        \
    X(E_JOURNAL, OP, "日志（journal）无法使用或有损坏的行")                                        \
    X(E_JOURNAL_DRIFT, OP, "数据库被绕过 bizenv 直接修改过（权重、设置或名录），日志已补记")       \
    X(E_REBUILD_DIFFERS, OP, "重建的结果与原来的导出或决定不同")                                   \
    X(E_BACKUP, OP, "备份或恢复失败")                                                              \
    X(E_HOME_NOT_EMPTY, OP, "工作目录已有历史记录（恢复只写入空的工作目录）")                      \
    X(E_BUSY, OP, "另一个任务正在运行")                                                            \
    X(E_TIMEOUT, OP, "操作超时")                                                                   \
    X(E_EXPORT, OP, "导出失败")                                                                    \
    X(E_TEMPLATE_EXISTS, OP, "该乡镇本月已有已接收的报表，更正请用 template --revise")             \
    X(E_TEMPLATE_NO_REVISION, OP, "该乡镇本月还没有已接收的报表，无从更正")                        \
    X(E_INTERNAL, OP, "内部错误")

enum bz_code_class { BZ_CLASS_ERR, BZ_CLASS_WARN, BZ_CLASS_OP };

/* Title of a code, or NULL when the code is not in the catalog. */
const char *codes_title(const char *code);

/* Class of a code; BZ_CLASS_OP for codes not in the catalog. */
enum bz_code_class codes_class(const char *code);

/* Number of rows in the catalog, and row i's code (for listing/tests). */
int codes_count(void);
const char *codes_at(int i);

#endif
