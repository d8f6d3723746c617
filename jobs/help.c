#include "help.h"

#include "../common/buildinfo.h"
#include "../common/settings.h"
#include "../load/migrate.h"

#include <stdint.h>
#include <string.h>
#include <sysexits.h>

/* Longest option or command name compared for "did you mean"; longer
 * words are simply not matched. */
#define WORD_MAX 64
/* Most candidates one suggestion weighs: a command's options and the
 * global ones, or the commands. */
#define CANDIDATES_MAX 64

static const char exit_statuses[] =
    "退出状态：0 成功（validate：全部接收；ingest、nightly：任务完成，含退回的文件）；"
    "64 用法错误；65 有报表被退回（validate）或与已有数据冲突；66 输入文件不存在；"
    "69 数据库无法连接；70 内部错误或数据库结构不符；71 内存不足；74 读写文件出错；"
    "75 另一任务正在运行或超时；78 配置错误（各错误代码的退出状态见 bizenv codes）\n";

/* Display columns of a UTF-8 string: East Asian wide characters take two. */
static int
display_width(const char *str)
{
    int w = 0;
    for (const unsigned char *p = (const unsigned char *)str; *p != '\0';) {
        uint32_t cp = *p;
        int len = 1;
        if (cp >= 0xF0) {
            cp &= 0x07;
            len = 4;
        } else if (cp >= 0xE0) {
            cp &= 0x0F;
            len = 3;
        } else if (cp >= 0xC0) {
            cp &= 0x1F;
            len = 2;
        }
        int i = 1;
        for (; i < len && (p[i] & 0xC0) == 0x80; i++)
            cp = cp << 6 | (p[i] & 0x3Fu);
        p += i;
        int wide = (cp >= 0x1100 && cp <= 0x115F) || (cp >= 0x2E80 && cp <= 0xA4CF) ||
                   (cp >= 0xAC00 && cp <= 0xD7A3) || (cp >= 0xF900 && cp <= 0xFAFF) ||
                   (cp >= 0xFE30 && cp <= 0xFE4F) || (cp >= 0xFF00 && cp <= 0xFF60) ||
                   (cp >= 0xFFE0 && cp <= 0xFFE6) || cp >= 0x20000;
        w += wide ? 2 : 1;
    }
    return w;
}

/* "--as-of YYYY-MM-DD" as the synopsis writes an option. */
static void
option_label(const struct cmd_option *o, char *buf, size_t cap)
{
    snprintf(buf, cap, "%s%s%s", o->name, o->value ? " " : "", o->value ? o->value : "");
}

static void
print_options(const struct cmd_option *opts, FILE *out)
{
    char label[128];
    int col = 0;
    for (const struct cmd_option *o = opts; o->name != NULL; o++) {
        option_label(o, label, sizeof(label));
        if (display_width(label) > col)
            col = display_width(label);
    }
    for (const struct cmd_option *o = opts; o->name != NULL; o++) {
        option_label(o, label, sizeof(label));
        fprintf(out, "  %s%*s  %s\n", label, col - display_width(label), "", o->help);
    }
}

static void
print_synopsis(const struct command *c, FILE *out)
{
    fprintf(out, "bizenv %s%s%s\n", c->name, c->args[0] ? " " : "", c->args);
}

void
help_main(FILE *out)
{
    fputs("用法：bizenv [全局选项] 命令 [参数]\n\n"
          "县营商办月报的处理程序：收件、校验、入库、排名、导出。\n\n命令：\n",
          out);
    for (const struct command *c = commands_table; c->name != NULL; c++) {
        fputs("  ", out);
        print_synopsis(c, out);
        fprintf(out, "      %s\n", c->summary);
    }
    fputs("\n全局选项（可放在命令行任意位置）：\n", out);
    print_options(commands_global_options, out);
    fprintf(out, "默认工作目录：%s%s\n\n", buildinfo_default_home(),
            buildinfo_default_home()[0] == '/' ? "" : "（相对于当前目录）");
    fputs(exit_statuses, out);
    fputs("\n“bizenv 命令 --help”显示该命令的用法与选项；完整说明见 man bizenv。\n", out);
}

/* The usage of one command: synopsis, description, its options. */
static void
help_command(const struct command *c, FILE *out)
{
    fputs("用法：", out);
    print_synopsis(c, out);
    fprintf(out, "\n%s\n", c->summary);
    if (c->options[0].name != NULL) {
        fputs("\n选项：\n", out);
        print_options(c->options, out);
    }
    fputs("\n全局选项：", out);
    for (const struct cmd_option *o = commands_global_options; o->name != NULL; o++) {
        if (o->value == NULL && strcmp(o->name, "--verbose") != 0)
            continue; /* --help, --version: not options of a command's run */
        fprintf(out, "%s%s%s%s", o == commands_global_options ? "" : "、", o->name,
                o->value ? " " : "", o->value ? o->value : "");
    }
    fputs("（见 bizenv --help）\n", out);
}

/* Version, schema version (the last migration compiled in) and build. */
static void
help_version(FILE *out)
{
    static struct migrate_item items[MIGRATE_MAX];
    size_t n = 0;
    struct bz_error e;

    fprintf(out, "bizenv %s\n", buildinfo_version());
    if (migrate_known(items, MIGRATE_MAX, &n, &e) == 0 && n > 0)
        fprintf(out, "数据库结构版本：%03d（%s）\n", items[n - 1].version, items[n - 1].name);
    else
        fprintf(out, "数据库结构版本：未知\n");
    fprintf(out, "构建：%s\n", buildinfo_build());
}

/* Optimal string alignment distance (edits, with a swap of neighbours as
 * one edit); SIZE_MAX for words longer than WORD_MAX. */
static size_t
edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    size_t d[WORD_MAX + 1][WORD_MAX + 1];
    if (la > WORD_MAX || lb > WORD_MAX)
        return SIZE_MAX;
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++) {
        for (size_t j = 1; j <= lb; j++) {
            size_t cost = a[i - 1] != b[j - 1];
            size_t best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            if (d[i - 1][j - 1] + cost < best)
                best = d[i - 1][j - 1] + cost;
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    }
    return d[la][lb];
}

/*
 * The candidate the user most likely meant, or NULL: the only one that
 * starts with the word (at least two letters typed), else the nearest by
 * edit distance when it is within a third of the word's letters (at least
 * one), so "--fromat" finds "--format" and "--foo" finds nothing.
 */
static const char *
closest(const char *word, const char *const *cands, size_t n)
{
    const char *core = word + strspn(word, "-");
    size_t letters = strlen(core);
    const char *prefix_of = NULL;
    size_t prefixes = 0;
    for (size_t i = 0; i < n; i++) {
        if (letters >= 2 && strncmp(cands[i], word, strlen(word)) == 0) {
            prefix_of = cands[i];
            prefixes++;
        }
    }
    if (prefixes == 1)
        return prefix_of;
    size_t limit = letters / 3 > 1 ? letters / 3 : 1;
    const char *best = NULL;
    size_t best_d = SIZE_MAX;
    for (size_t i = 0; i < n; i++) {
        size_t d = edit_distance(word, cands[i]);
        if (d < best_d) {
            best_d = d;
            best = cands[i];
        }
    }
    return best_d <= limit ? best : NULL;
}

static size_t
add_options(const struct cmd_option *opts, const char **cands, size_t n)
{
    for (const struct cmd_option *o = opts; o->name != NULL && n < CANDIDATES_MAX; o++)
        cands[n++] = o->name;
    return n;
}

void
help_unknown_option(const char *command, const char *arg)
{
    const struct command *c = command ? commands_find(command) : NULL;
    const char *cands[CANDIDATES_MAX] = {0};
    char word[WORD_MAX + 1];
    size_t n = 0;

    /* "--fromat=csv": the name is what was misspelt */
    snprintf(word, sizeof(word), "%.*s", (int)strcspn(arg, "="), arg);
    if (c != NULL)
        n = add_options(c->options, cands, n);
    n = add_options(commands_global_options, cands, n);
    const char *near = closest(word, cands, n);
    fprintf(stderr, "bizenv%s%s: 错误 [E_USAGE] 未知选项 %s", c ? " " : "", c ? c->name : "", arg);
    if (near != NULL) {
        fprintf(stderr, "；最接近的是 %s\n", near);
    } else if (c != NULL && c->options[0].name != NULL) {
        fputs("；该命令的选项：", stderr);
        for (const struct cmd_option *o = c->options; o->name != NULL; o++)
            fprintf(stderr, "%s%s", o == c->options ? "" : " ", o->name);
        fputs("（全局选项见 bizenv --help）\n", stderr);
    } else {
        fputs("；bizenv --help 列出全部选项\n", stderr);
    }
    if (c != NULL) {
        fputs("用法：", stderr);
        print_synopsis(c, stderr);
    } else {
        fputs("用法：bizenv [全局选项] 命令 [参数]（bizenv --help 列出命令）\n", stderr);
    }
}

void
help_unknown_command(const char *arg)
{
    const char *cands[CANDIDATES_MAX] = {0};
    size_t n = 0;
    for (const struct command *c = commands_table; c->name != NULL && n < CANDIDATES_MAX; c++)
        cands[n++] = c->name;
    const char *near = closest(arg, cands, n);
    fprintf(stderr, "bizenv: 错误 [E_USAGE] 未知命令“%s”", arg);
    if (near != NULL)
        fprintf(stderr, "；最接近的是 %s\n", near);
    else
        fputc('\n', stderr);
    fputs("bizenv --help 列出全部命令\n", stderr);
}

/* The completion of an option's value, as a bash statement. */
static void
complete_value(const struct cmd_option *o, FILE *out)
{
    if (strcmp(o->value, "目录") == 0) {
        fputs("COMPREPLY=($(compgen -d -- \"$cur\"))", out);
    } else if (strcmp(o->value, "文件") == 0) {
        fputs("COMPREPLY=($(compgen -f -- \"$cur\"))", out);
    } else if (strcmp(o->name, "--set") == 0) {
        fputs("compopt -o nospace 2>/dev/null; COMPREPLY=($(compgen -S = -W \"", out);
        for (int i = 0; i < settings_count(); i++)
            fprintf(out, "%s%s", i ? " " : "", settings_name(i));
        fputs("\" -- \"$cur\"))", out);
    } else if (strspn(o->value, "abcdefghijklmnopqrstuvwxyz|") == strlen(o->value)) {
        fputs("COMPREPLY=($(compgen -W \"", out);
        for (const char *p = o->value; *p != '\0'; p++)
            fputc(*p == '|' ? ' ' : *p, out);
        fputs("\" -- \"$cur\"))", out);
    } else {
        fputs("COMPREPLY=()", out); /* a date, a number, a conninfo: nothing to offer */
    }
}

static void
complete_values(const struct cmd_option *opts, const char *indent, FILE *out)
{
    fprintf(out, "%scase $prev in\n", indent);
    for (const struct cmd_option *o = opts; o->name != NULL; o++) {
        if (o->value == NULL)
            continue;
        fprintf(out, "%s%s) ", indent, o->name);
        complete_value(o, out);
        fputs("; return ;;\n", out);
    }
    fprintf(out, "%sesac\n", indent);
}

static void
word_list(const struct cmd_option *opts, FILE *out)
{
    for (const struct cmd_option *o = opts; o->name != NULL; o++)
        fprintf(out, "%s%s", o == opts ? "" : " ", o->name);
}

/* A bash completion script for bizenv, generated from the table. */
static void
help_bash_completion(FILE *out)
{
    fprintf(out,
            "# bash completion for bizenv %s (%s); generated by `bizenv "
            "--bash-completion`\n# from its command table: do not edit.\n",
            buildinfo_version(), buildinfo_build());
    fputs("_bizenv()\n{\n"
          "    local cur=${COMP_WORDS[COMP_CWORD]} prev=${COMP_WORDS[COMP_CWORD-1]}\n"
          "    local i cmd= at=0 globals=\"",
          out);
    word_list(commands_global_options, out);
    fputs("\"\n", out);
    complete_values(commands_global_options, "    ", out);
    /* the command: the first word that is neither an option nor the value
     * of a global option */
    fputs("    for ((i = 1; i < COMP_CWORD; i++)); do\n        case ${COMP_WORDS[i]} in\n"
          "        ",
          out);
    int first = 1;
    for (const struct cmd_option *o = commands_global_options; o->name != NULL; o++) {
        if (o->value == NULL)
            continue;
        fprintf(out, "%s%s", first ? "" : "|", o->name);
        first = 0;
    }
    fputs(") ((i++)) ;;\n        -*) ;;\n        *) cmd=${COMP_WORDS[i]}; at=$i; break ;;\n"
          "        esac\n    done\n    local opts= words= operand=\n    case $cmd in\n",
          out);
    fputs("    '') COMPREPLY=($(compgen -W \"", out);
    for (const struct command *c = commands_table; c->name != NULL; c++)
        fprintf(out, "%s%s", c == commands_table ? "" : " ", c->name);
    fputs(" help $globals\" -- \"$cur\")); return ;;\n", out);
    fputs("    help) COMPREPLY=($(compgen -W \"", out);
    for (const struct command *c = commands_table; c->name != NULL; c++)
        fprintf(out, "%s%s", c == commands_table ? "" : " ", c->name);
    fputs("\" -- \"$cur\")); return ;;\n", out);
    for (const struct command *c = commands_table; c->name != NULL; c++) {
        fprintf(out, "    %s)\n", c->name);
        complete_values(c->options, "        ", out);
        fputs("        opts=\"", out);
        word_list(c->options, out);
        fprintf(out, "\" words=\"%s\" operand=\"%s\" ;;\n", c->words ? c->words : "",
                c->operand == NULL                ? ""
                : strcmp(c->operand, "目录") == 0 ? "dir"
                                                  : "file");
    }
    fputs("    esac\n"
          "    if [[ $cur == -* ]]; then\n"
          "        COMPREPLY=($(compgen -W \"$opts $globals\" -- \"$cur\"))\n"
          "    elif [[ -n $words && $COMP_CWORD -eq $((at + 1)) ]]; then\n"
          "        COMPREPLY=($(compgen -W \"$words\" -- \"$cur\"))\n"
          "    elif [[ $operand == dir ]]; then\n"
          "        COMPREPLY=($(compgen -d -- \"$cur\"))\n"
          "    elif [[ $operand == file ]]; then\n"
          "        COMPREPLY=($(compgen -f -- \"$cur\"))\n"
          "    fi\n"
          "}\n"
          "complete -o filenames -F _bizenv bizenv\n",
          out);
}

int
help_handle(int argc, char **argv)
{
    int want_help = 0, want_version = 0, want_completion = 0, help_word = 0;
    const char *cmd = NULL;

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--") == 0)
            break;
        if (strcmp(a, "--help") == 0) {
            want_help = 1;
        } else if (strcmp(a, "--version") == 0) {
            want_version = 1;
        } else if (strcmp(a, "--bash-completion") == 0) {
            want_completion = 1;
        } else if (a[0] == '-') {
            /* a global option's value is not the command */
            for (const struct cmd_option *o = commands_global_options; o->name != NULL; o++)
                if (o->value != NULL && strcmp(a, o->name) == 0)
                    i++;
        } else if (cmd == NULL && !help_word && strcmp(a, "help") == 0) {
            help_word = 1;
        } else if (cmd == NULL) {
            cmd = a;
        }
    }
    if (help_word)
        want_help = 1;
    if (!want_help && want_version) {
        help_version(stdout);
        return EX_OK;
    }
    if (!want_help && want_completion) {
        help_bash_completion(stdout);
        return EX_OK;
    }
    if (!want_help)
        return -1;
    if (cmd == NULL) {
        help_main(stdout);
        return EX_OK;
    }
    const struct command *c = commands_find(cmd);
    if (c == NULL) {
        help_unknown_command(cmd);
        return EX_USAGE;
    }
    help_command(c, stdout);
    return EX_OK;
}
