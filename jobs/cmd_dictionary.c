/*
 * bizenv dictionary [--format md|html] [--out FILE] — the analysts' data
 * dictionary (export/dictionary.h), from the database's own comments.
 *
 * It only reads: nothing is migrated or created, and a schema that is not
 * this binary's is refused (E_DB_SCHEMA), so an analyst can make it over
 * their own login: bizenv dictionary --db "host=... user=... sslmode=verify-full ...".
 * The file is written whole or not at all (a temporary name, then renamed).
 *
 * Exit: 0 written; 64 usage; 69 the database is unreachable; 70 a schema
 * that is not this binary's; 74 the file could not be written.
 */
#include "commands.h"

#include "../common/dbuf.h"
#include "../common/fsdir.h"
#include "../export/dictionary.h"
#include "session.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

/* Writes the document to path through path.tmp and a rename. */
static int
write_file(const char *path, const struct dbuf *doc)
{
    struct bz_error e;
    char tmp[BZ_PATH_MAX + 16];
    if (snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= (int)sizeof(tmp)) {
        bz_error_set(&e, E_USAGE, "输出文件路径过长：%s", path);
        return cli_report(&e);
    }
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0644);
    if (fd < 0 || fsdir_write_all(fd, doc->data, doc->len) != 0 || fsync(fd) != 0 ||
        close(fd) != 0 || rename(tmp, path) != 0) {
        int err = errno;
        if (fd >= 0)
            unlink(tmp);
        bz_error_set(&e, E_IO_WRITE, "写入数据字典“%s”失败", path);
        bz_error_detail(&e, "%s", strerror(err));
        return cli_report(&e);
    }
    return EX_OK;
}

int
cmd_dictionary(struct cli *cli, int argc, char **argv)
{
    const char *format = "md", *out = NULL;
    struct bz_error e;

    if (cli_take_opt(&argc, argv, "--format", &format) < 0 ||
        cli_take_opt(&argc, argv, "--out", &out) < 0)
        return EX_USAGE;
    int rc = cli_no_more_options(argc, argv, "dictionary");
    if (rc != 0)
        return rc;
    if (argc > 1 || (strcmp(format, "md") != 0 && strcmp(format, "html") != 0)) {
        fprintf(stderr,
                "bizenv dictionary: 错误 [E_USAGE] %s\n"
                "用法：bizenv dictionary [--format md|html] [--out 文件]\n",
                argc > 1 ? "多余的参数" : "--format 只能是 md 或 html");
        return EX_USAGE;
    }
    PGconn *conn = session_open_read(cli, &e);
    if (conn == NULL)
        return cli_report(&e);
    struct dbuf doc;
    dbuf_init(&doc, DICTIONARY_MAX_BYTES);
    rc = dictionary_write(conn, strcmp(format, "html") == 0 ? DICTIONARY_HTML : DICTIONARY_MD, &doc,
                          &e);
    PQfinish(conn);
    if (rc < 0) {
        dbuf_free(&doc);
        return cli_report(&e);
    }
    if (out != NULL) {
        rc = write_file(out, &doc);
    } else {
        fwrite(doc.data, 1, doc.len, stdout);
        rc = fflush(stdout) == 0 ? EX_OK : EX_IOERR;
    }
    dbuf_free(&doc);
    return rc;
}
