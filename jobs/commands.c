#include "commands.h"

#include <string.h>

#define OPTS(...) ((const struct cmd_option[]){__VA_ARGS__, {NULL, NULL, NULL}})
#define NO_OPTS ((const struct cmd_option[]){{NULL, NULL, NULL}})

#define AS_OF_HELP "只计该日（上海时间）结束前收到的报送（默认：今天）"

const struct command commands_table[] = {
    {"validate", cmd_validate, "[--format text|json] [--registry 文件] 文件...",
     "离线检查报送文件，每份报表打印一张回执（不入库，不移动文件）", NULL, "文件",
     OPTS({"--format", "text|json", "回执格式：text 文本（默认），json 每份报表一行"},
          {"--registry", "文件",
           "核对乡镇代码所用的名录 CSV（默认：工作目录下的 townships.csv，存在时）"})},
    {"registry", cmd_registry, "load 文件",
     "载入全县乡镇名录（CSV：code,name）：新增、更名、停用、恢复，并在工作目录保存副本", "load",
     "文件", NO_OPTS},
    {"ingest", cmd_ingest, "[--inbox 目录]", "收取收件箱中的文件：归档、校验、入库、出回执", NULL,
     NULL, OPTS({"--inbox", "目录", "从该目录收件（默认：工作目录下的 inbox/）"})},
    {"nightly", cmd_nightly, "[--as-of YYYY-MM-DD]",
     "夜间任务：数据库升级、收件、刷新排名、导出、运行摘要（定时器运行它）", NULL, NULL,
     OPTS({"--as-of", "YYYY-MM-DD", "按该日（上海时间）结束时计算并保存排名（默认：今天）"})},
    {"rank", cmd_rank, "期间 [--as-of YYYY-MM-DD] [--format table|csv]",
     "显示一个期间的排名（期间：2026-10 月、2026-Q4 季度、2026-H2 半年、2026 年）", NULL, NULL,
     OPTS({"--as-of", "YYYY-MM-DD", AS_OF_HELP},
          {"--format", "table|csv", "输出格式：table 表格（默认）或 csv"})},
    {"export", cmd_export, "期间 [--as-of YYYY-MM-DD] [--out 目录]",
     "导出一个期间的排名供州里使用（Excel、CSV、ADX），并登记导出记录", NULL, NULL,
     OPTS({"--as-of", "YYYY-MM-DD", AS_OF_HELP},
          {"--out", "目录", "写入该目录（默认：工作目录下的 exports/）"})},
    {"counties", cmd_counties, "load 文件", "州级：载入县名录（CSV：code,name）", "load", "文件",
     NO_OPTS},
    {"template", cmd_template, "期间 [--township 代码] [--revise] [--out 目录]",
     "为各乡镇生成当月填报表（.xlsx），按最近一次已接收的报送预填", NULL, NULL,
     OPTS({"--township", "代码", "只生成该乡镇的填报表"},
          {"--revise", NULL, "按本月现行版本全部预填，版本号加一，用于更正"},
          {"--out", "目录", "写入该目录（默认：工作目录下的 templates/期间/）"})},
    {"weights", cmd_weights, "set 服务率 整改完成率 走流程覆盖率",
     "设置综合得分的三项权重（非负数，可带小数），并记入日志", "set", NULL, NO_OPTS},
    {"setting", cmd_setting, "set deadline_day|timezone 值",
     "修改数据库中的设置：按时报送截止日（deadline_day，1–28）或本县时区（timezone），并记入日志",
     "set", NULL, NO_OPTS},
    {"backup", cmd_backup, "[--out 目录]",
     "备份数据库（pg_dump）与日志，写成一个文件（默认写入工作目录下的 backups/）", NULL, NULL,
     OPTS({"--out", "目录", "写入该目录（默认：工作目录下的 backups/）"})},
    {"restore", cmd_restore, "备份文件",
     "把备份恢复到新的空工作目录与空数据库（归档目录须另行复制）", NULL, "文件", NO_OPTS},
    {"rebuild", cmd_rebuild, "",
     "按日志在空数据库中重建全部数据，并逐字节核对 exports/ 中的每次导出", NULL, NULL, NO_OPTS},
    {"runs", cmd_runs, "[--last N]", "最近的运行记录", NULL, NULL,
     OPTS({"--last", "N", "显示最近 N 次（默认 10）"})},
    {"db", cmd_db, "start|stop|restart|status|check|psql [psql 参数...]",
     "内置数据库的启动、停止、重启与状态；check 用 pg_amcheck 校验表与索引；psql 打开所用的数据库",
     "start stop restart status check psql", NULL, NO_OPTS},
    {"analyst", cmd_analyst,
     "add|list|remove|passwd [账号] [--expires YYYY-MM-DD|never] [--password-stdin]",
     "分析人员账号：添加、列出、删除、改密码（经 TLS 只读访问 report）", "add list remove passwd",
     NULL,
     OPTS({"--expires", "YYYY-MM-DD", "账号有效期至该日（本县时区当天结束；never 为长期有效）"},
          {"--password-stdin", NULL, "从标准输入读取密码（一行），不生成随机密码"})},
    {"dictionary", cmd_dictionary, "[--format md|html] [--out 文件]",
     "数据字典：report 的视图、函数、各列含义、计算规则和示例查询", NULL, NULL,
     OPTS({"--format", "md|html", "格式：md Markdown（默认）或 html"},
          {"--out", "文件", "写入该文件（默认：标准输出）"})},
    {"migrate", cmd_migrate, "[--list]", "执行待执行的数据库升级（每个命令开始时也会执行）", NULL,
     NULL, OPTS({"--list", NULL, "只列出待执行的升级，不执行"})},
    {"codes", cmd_codes, "", "列出全部错误与警告代码、退出状态及其含义", NULL, NULL, NO_OPTS},
    {"config", cmd_config, "", "列出全部设置：当前值、默认值与说明", NULL, NULL, NO_OPTS},
    {NULL, NULL, NULL, NULL, NULL, NULL, NULL},
};

const struct cmd_option commands_global_options[] = {
    {"--home", "目录", "工作目录（默认：环境变量 BIZENV_HOME，否则见下）"},
    {"--db", "连接串", "使用该 PostgreSQL（libpq 连接串），不启动内置数据库"},
    {"--config", "文件", "配置文件（默认：工作目录下的 bizenv.conf）"},
    {"--set", "设置=值", "本次运行覆盖一项设置（可重复；bizenv config 列出全部设置）"},
    {"--verbose", NULL, "显示进度与运行摘要（也可写 -v）"},
    {"--help", NULL, "显示帮助后退出；“bizenv 命令 --help”显示该命令的用法与选项"},
    {"--version", NULL, "显示版本、数据库结构版本与构建后退出"},
    {"--bash-completion", NULL, "打印 bash 补全脚本后退出（安装时用它生成补全文件）"},
    {NULL, NULL, NULL},
};

const struct command *
commands_find(const char *name)
{
    for (const struct command *c = commands_table; c->name != NULL; c++)
        if (strcmp(c->name, name) == 0)
            return c;
    return NULL;
}
