/*
 * codes — the catalog of stable diagnostic codes and their classes.
 *
 * Every error or warning a receipt, a CLI message or a run summary can show
 * has one row here: the code (searchable, never renamed), its class and its
 * Chinese title. The specific message of one occurrence is built where the
 * problem is found; the title is the same everywhere.
 *
 * The class says what kind of failure a code is, and everything else
 * follows from it: the status a function returns with an error of that
 * code (bz_error_set derives it, error.h) and so the exit status of the
 * command (jobs/cli.c, the one table from class to sysexits.h). No call
 * site chooses a status. README.md ("Error and warning codes") lists every
 * code under its class with the exit status; tests/jobs/test_codes checks
 * the catalog, `bizenv codes` and that table against each other.
 *
 * Columns: X(identifier, class, title). A code used for two kinds of
 * failure that county staff answer differently is two codes (E_DB_CLUSTER
 * and E_DB_CLUSTER_CONFIG, E_IO_WRITE and E_FILE_EXISTS / E_FILE_BUSY).
 */
#ifndef BZ_CODES_H
#define BZ_CODES_H

#define BZ_CODE_LIST(X)                                                                            \
    /* inbox files and transports (ingest/) */                                                     \
    X(E_FILE_EMPTY, INPUT, "文件为空")                                                             \
    X(E_FILE_TYPE, INPUT, "无法识别的文件类型")                                                    \
    X(E_FILE_NOT_REGULAR, INPUT, "不是普通文件")                                                   \
    X(E_LIMIT_FILE_SIZE, INPUT, "文件超过大小上限")                                                \
    X(E_LIMIT_ENTRY_SIZE, INPUT, "解压后内容超过单项大小上限")                                     \
    X(E_LIMIT_TOTAL_SIZE, INPUT, "解压后内容超过总大小上限")                                       \
    X(E_LIMIT_ENTRIES, INPUT, "压缩包条目数超过上限")                                              \
    X(E_LIMIT_RATIO, INPUT, "压缩比超过上限，疑似压缩炸弹")                                        \
    X(E_LIMIT_NESTING, INPUT, "压缩包嵌套超过一层")                                                \
    X(E_LIMIT_TIME, INPUT, "读取文件超过时间上限")                                                 \
    X(E_ZIP_CORRUPT, INPUT, "压缩包已损坏或不完整")                                                \
    X(E_ZIP_CRC, INPUT, "压缩包条目校验和错误")                                                    \
    X(E_ZIP_SIZE_MISMATCH, INPUT, "压缩包条目实际大小与声明不符")                                  \
    X(E_ZIP_ENCRYPTED, INPUT, "压缩包条目已加密")                                                  \
    X(E_ZIP_ENTRY_TYPE, INPUT, "压缩包含有不允许的条目类型（链接或设备）")                         \
    X(E_ZIP_ENTRY_NAME, INPUT, "压缩包条目名称不安全")                                             \
    X(E_ZIP_NAME_ENCODING, INPUT, "压缩包条目名称无法识别编码")                                    \
    X(E_ZIP_DUPLICATE_NAME, INPUT, "压缩包条目名称重复")                                           \
    X(E_ZIP_EMPTY, INPUT, "压缩包为空")                                                            \
    X(E_ZIP_NO_XML, INPUT, "报送包顶层没有 XML 报表")                                              \
    X(E_ZIP_MANY_XML, INPUT, "报送包顶层有多个 XML 报表")                                          \
    X(E_ZIP_BATCH_CONTENT, INPUT, "批量包顶层只能包含报送包（.zip）和 XML 报表")                   \
    X(E_GZ_CORRUPT, INPUT, "gzip 数据已损坏或不完整")                                              \
    X(E_GZ_TRAILER, INPUT, "gzip 尾部校验（CRC 或长度）错误")                                      \
    X(E_GZ_TRAILING_DATA, INPUT, "gzip 数据后有多余内容")                                          \
    X(E_READER_CRASH, INPUT, "文件使读取程序异常终止（两次），可能已损坏或被恶意构造")             \
    /* XML documents (transform/) */                                                               \
    X(E_XML_SYNTAX, INPUT, "XML 格式错误")                                                         \
    X(E_XML_DOCTYPE, INPUT, "不允许 DOCTYPE 或实体引用")                                           \
    X(E_XML_ENCODING, INPUT, "字符编码错误或与声明不符")                                           \
    X(E_XML_LIMIT, INPUT, "XML 超过结构上限（嵌套深度、文本长度或元素数量）")                      \
    X(E_XML_SCHEMA, INPUT, "不符合报送格式（XSD）")                                                \
    X(E_COUNT_FORMAT, INPUT, "数量必须是不超过 9 位的半角数字")                                    \
    X(E_DATE_INVALID, INPUT, "日期不存在或格式错误")                                               \
    X(E_TOWNSHIP_UNKNOWN, INPUT, "乡镇代码不在全县乡镇名录中")                                     \
    X(E_PERIOD_FUTURE, INPUT, "报送月份晚于当前月份")                                              \
    X(E_SITES_WINDOW, INPUT, "设窗口的站点数大于站点总数")                                         \
    X(E_EVAL_EXCEEDS, INPUT, "评价件数大于办件量")                                                 \
    X(E_RATE_RANGE, INPUT, "自报评价率不在 0 到 100 之间")                                         \
    X(E_COMPLAINTS_RESOLVED, INPUT, "办结投诉数大于受理投诉数")                                    \
    X(E_DUPLICATE_ID, INPUT, "编号重复")                                                           \
    X(E_REF_LEADER, INPUT, "走流程引用了不存在的领导编号")                                         \
    X(E_REF_WINDOW, INPUT, "走流程引用了不存在的窗口编号")                                         \
    X(E_REF_PROBLEM, INPUT, "走流程引用了不存在的问题编号")                                        \
    X(E_WALK_DATE, INPUT, "走流程日期不在报送月份内")                                              \
    X(E_PROBLEM_FOUND_DATE, INPUT, "问题发现日期晚于报送月份最后一天")                             \
    X(E_PROBLEM_RECTIFIED_MISSING, INPUT, "已整改问题缺少整改日期")                                \
    X(E_PROBLEM_RECTIFIED_FORBIDDEN, INPUT, "未整改问题不应填写整改日期")                          \
    X(E_PROBLEM_RECTIFIED_DATE, INPUT, "整改日期不在发现日期与报送月份最后一天之间")               \
    X(E_TOO_MANY_DIAGNOSTICS, INPUT, "错误过多，其余未列出")                                       \
    /* monthly workbooks (.xlsx 填报表, transform/xlsx.c and workbook.c) */                     \
    X(E_WB_NOT_TEMPLATE, INPUT, "不是县营商办下发的填报表，请使用县里下发的本乡镇填报表")          \
    X(E_WB_VERSION, INPUT, "填报表模板版本不受支持，请使用县里最新下发的填报表")                   \
    X(E_WB_FORMAT, INPUT, "工作簿不是 .xlsx 格式，请在 Excel 或 WPS 中另存为 .xlsx 工作簿")        \
    X(E_WB_MACRO, INPUT, "填报表含宏（VBA 或宏表），不予接收")                                     \
    X(E_WB_STRUCTURE, INPUT, "填报表结构损坏（缺少或无法读取工作簿部件）")                         \
    X(E_WB_SHEET, INPUT, "填报表缺少工作表（工作表被删除或改名）")                                 \
    X(E_WB_HEADER, INPUT, "工作表的表头或项目名称被改动")                                          \
    X(E_WB_MISMATCH, INPUT, "填报表的乡镇、月份或版本号与模板标识不一致")                          \
    X(E_WB_LIMIT, INPUT, "填报表超过行数、单元格数、共享字符串数或区域大小上限")                   \
    X(E_WB_SHARED_STRING, INPUT, "单元格引用的共享字符串编号超出范围")                             \
    X(E_WB_CELL, INPUT, "单元格内容无法读取（错误值、非法数字、控制字符或单元格位置）")            \
    X(E_WB_FORMULA, INPUT, "公式单元格没有计算结果（请在 Excel 中重新计算后保存）")                \
    X(E_WB_REQUIRED, INPUT, "必填单元格为空")                                                      \
    X(E_WB_CHOICE, INPUT, "不是下拉列表中的选项")                                                  \
    X(W_RATE_MISMATCH, WARNING, "自报评价率与评价件数/办件量相差超过 1 个百分点")                  \
    X(W_APPROX_COUNT, WARNING, "数量为约数")                                                       \
    X(W_WINDOW_UNKNOWN, WARNING, "窗口名称不在全县窗口目录中，归入“其他”")                         \
    X(W_PROBLEM_OVERDUE, WARNING, "问题超过整改期限仍未整改")                                      \
    X(W_PROBLEM_DISAPPEARED, WARNING, "未整改问题从问题台账中消失（仍按未整改计）")                \
    /* revisions (load/) */                                                                        \
    X(E_REVISION_CONFLICT, INPUT, "同一版本号已有不同内容，请以新版本号重新报送")                  \
    X(E_REVISION_STALE, INPUT, "版本号低于已接收的版本")                                           \
    /* county roll-ups received by a prefecture (transform/adx.c, load/rollup.c) */                \
    X(E_ADX_COUNTY_UNKNOWN, INPUT, "县代码不在州级县名录中")                                       \
    X(E_ADX_PERIOD, INPUT, "ADX 期间格式错误或与月份边界不符")                                     \
    X(E_ADX_INCONSISTENT, INPUT, "ADX 计数自相矛盾")                                               \
    X(E_ADX_ORGUNIT, INPUT, "ADX 乡镇代码不属于报送的县")                                          \
    /* operational failures (not the file's fault) */                                              \
    X(E_USAGE, USAGE, "命令用法错误")                                                              \
    X(E_CONFIG, CONFIG, "配置错误")                                                                \
    X(E_HOME_UNSAFE, CONFIG, "bizenv 的目录不安全（不属于运行用户、他人可写或是符号链接）")        \
    X(E_NOINPUT, NOTFOUND, "找不到输入文件")                                                       \
    X(E_REGISTRY_FORMAT, INPUT, "乡镇名录文件格式错误")                                            \
    X(E_IO_READ, IO, "读取文件失败")                                                               \
    X(E_IO_WRITE, IO, "写入文件失败")                                                              \
    X(E_FILE_EXISTS, CONFLICT, "文件已存在，bizenv 不会覆盖它")                                    \
    X(E_FILE_BUSY, BUSY, "文件暂时无法领取（领取目录中已有同名文件，或无权移动），下次运行再取")   \
    X(E_NOMEM, MEMORY, "内存不足")                                                                 \
    X(E_DB_CONNECT, DATABASE, "无法连接数据库")                                                    \
    X(E_DB_QUERY, DATABASE, "数据库操作失败")                                                      \
    X(E_DB_MIGRATE, SCHEMA, "数据库结构升级失败")                                                  \
    X(E_DB_CLUSTER, DATABASE, "内置数据库启动或停止失败")                                          \
    X(E_DB_CLUSTER_CONFIG, CONFIG, "内置数据库的设置有误（pgdata 目录或 pg_user 用户）")           \
    X(E_DB_MISSING, CONFIG, "数据库不存在，而本目录已有历史记录")                                  \
    X(E_DB_IDENTITY, CONFIG, "数据库不是本目录（BIZENV_HOME）的数据库")                            \
    X(E_DB_SCHEMA, SCHEMA, "数据库结构版本与本程序不符（只读命令不升级数据库）")                   \
    X(E_DB_NOT_EMPTY, CONFIG, "数据库不是空的（重建与恢复只写入空数据库）")                        \
    X(E_DB_CORRUPT, INPUT, "数据库校验发现损坏（数据页校验和或索引与表不符）")                     \
    X(E_JOURNAL, CONFIG, "日志（journal）无法使用，或重建所需的记录或归档项缺失、损坏")            \
    X(W_JOURNAL_DRIFT, WARNING, "数据库被绕过 bizenv 直接修改过（权重、设置或名录），日志已补记")  \
    X(E_REBUILD_DIFFERS, CONFLICT, "重建的结果与原来的导出或决定不同")                             \
    X(E_BACKUP, DATABASE, "备份或恢复失败（pg_dump 或 pg_restore 出错）")                          \
    X(E_BACKUP_FILE, INPUT, "备份文件不完整、已损坏或不是 bizenv 的备份")                          \
    X(E_HOME_NOT_EMPTY, CONFIG, "工作目录已有历史记录（恢复只写入空的工作目录）")                  \
    X(E_BUSY, BUSY, "另一个任务正在运行")                                                          \
    X(E_TIMEOUT, TIMEOUT, "操作超时")                                                              \
    X(E_EXPORT, INTERNAL, "导出失败")                                                              \
    X(E_TEMPLATE_EXISTS, CONFLICT, "该乡镇本月已有已接收的报表，更正请用 template --revise")       \
    X(E_TEMPLATE_NO_REVISION, CONFLICT, "该乡镇本月还没有已接收的报表，无从更正")                  \
    X(E_ANALYST_EXISTS, CONFLICT, "已有同名的数据库账号")                                          \
    X(E_ANALYST_UNKNOWN, NOTFOUND, "没有这个分析人员账号")                                         \
    X(E_TLS, IO, "无法准备 TLS 证书")                                                              \
    X(E_INTERNAL, INTERNAL, "内部错误")

/*
 * The classes, as the statuses functions return (0 or one of these). A
 * failure's status is its code's class; BZ_ELIMIT alone is no code's
 * class: it is what a bounded buffer (dbuf.h) returns when full, before
 * its caller turns that into a coded error.
 */
enum bz_status {
    BZ_OK = 0,         /* WARNING: nothing failed (a warning is stored with its submission) */
    BZ_EINPUT = -1,    /* INPUT: a file, submission or registry is rejected; do not retry */
    BZ_ENOTFOUND = -2, /* NOTFOUND: a named input file does not exist */
    BZ_ECONFLICT = -3, /* CONFLICT: what is asked for conflicts with what is stored */
    BZ_EIO = -4,       /* IO: local I/O failed (disk full, permission, rename) */
    BZ_EDB = -5,       /* DATABASE: the database failed or is unreachable: retry later */
    BZ_ENOMEM = -6,    /* MEMORY: allocation failed */
    BZ_EBUSY = -7,     /* BUSY: another run holds the lock, or a file cannot be taken now */
    BZ_ECONFIG = -8,   /* CONFIG: bad configuration, home or database pairing */
    BZ_ELIMIT = -9,    /* a bounded buffer is full (not a class) */
    BZ_ETIMEOUT = -10, /* TIMEOUT: a time limit was hit */
    BZ_EFAIL = -11,    /* INTERNAL: a bug or an impossible state */
    BZ_EUSAGE = -12,   /* USAGE: the command line */
    BZ_ESCHEMA = -13   /* SCHEMA: the database does not match this binary */
};

/* One enumerator per code, named as the code (E_IO_READ ...). */
enum bz_code {
#define BZ_CODE_ENUM(id, cls, title) id,
    BZ_CODE_LIST(BZ_CODE_ENUM)
#undef BZ_CODE_ENUM
        BZ_NCODES
};

/* The code's name ("E_IO_READ"), Chinese title and class as the status
 * a failure with it returns (BZ_OK for a warning). Cannot fail for a code
 * of the enum. */
const char *codes_name(enum bz_code code);
const char *codes_title_of(enum bz_code code);
enum bz_status codes_status(enum bz_code code);

/* The class's name as README.md writes it ("input", "io", ...), for a
 * status returned by codes_status; NULL for BZ_ELIMIT and unknown values. */
const char *codes_class_name(enum bz_status status);

/* By name, for diagnostics, which carry their code as text: the title, or
 * NULL when the name is not in the catalog; whether it is a warning. */
const char *codes_title(const char *name);
int codes_is_warning(const char *name);

#endif
