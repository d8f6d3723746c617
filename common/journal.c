#include "journal.h"

#include "fsdir.h"
#include "hash.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Hex digits of the checksum in front of each line. */
#define SUM_LEN 16
/* The tail is read backwards in windows of this size, doubling, until an
 * intact line is found: one group's lines fit in a few of them. */
#define TAIL_WINDOW (64u << 10)

static const char hexdig[] = "0123456789abcdef";

/* Writing ------------------------------------------------------------------ */

static void
put(struct journal_line *l, const char *s, size_t n)
{
    /* room for the closing brace is kept */
    if (l->overflow || l->len + n + 1 >= sizeof(l->buf)) {
        l->overflow = 1;
        return;
    }
    memcpy(l->buf + l->len, s, n);
    l->len += n;
}

static void
puts_(struct journal_line *l, const char *s)
{
    put(l, s, strlen(s));
}

/* Length of the valid UTF-8 sequence at s (1-4), or 0 when it is not one. */
static size_t
utf8_seq(const unsigned char *s)
{
    unsigned c = s[0];
    size_t n;
    unsigned min;
    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        n = 2, min = 0x80;
    else if (c >= 0xE0 && c <= 0xEF)
        n = 3, min = 0x800;
    else if (c >= 0xF0 && c <= 0xF4)
        n = 4, min = 0x10000;
    else
        return 0;
    unsigned cp = c & (0x3F >> (n - 1));
    for (size_t i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[i] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return n;
}

static int
is_utf8(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p != '\0') {
        size_t n = utf8_seq(p);
        if (n == 0)
            return 0;
        p += n;
    }
    return 1;
}

static void
put_key(struct journal_line *l, const char *key, const char *suffix)
{
    puts_(l, ",\"");
    puts_(l, key);
    puts_(l, suffix);
    puts_(l, "\":");
}

void
journal_line_begin(struct journal_line *l, long long seq, const char *ev, long long g)
{
    l->len = 0;
    l->overflow = 0;
    char num[32];
    snprintf(num, sizeof(num), "{\"seq\":%lld", seq);
    puts_(l, num);
    journal_add_str(l, "ev", ev);
    if (g > 0)
        journal_add_int(l, "g", g);
}

void
journal_add_int(struct journal_line *l, const char *key, long long value)
{
    char num[32];
    snprintf(num, sizeof(num), "%lld", value);
    put_key(l, key, "");
    puts_(l, num);
}

void
journal_add_str(struct journal_line *l, const char *key, const char *value)
{
    if (value == NULL)
        value = "";
    if (!is_utf8(value)) {
        put_key(l, key, "~hex");
        puts_(l, "\"");
        for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
            char h[2] = {hexdig[*p >> 4], hexdig[*p & 15]};
            put(l, h, 2);
        }
        puts_(l, "\"");
        return;
    }
    put_key(l, key, "");
    puts_(l, "\"");
    for (const unsigned char *p = (const unsigned char *)value; *p != '\0'; p++) {
        if (*p == '"' || *p == '\\') {
            char esc[2] = {'\\', (char)*p};
            put(l, esc, 2);
        } else if (*p < 0x20 || *p == 0x7f) {
            char esc[8];
            snprintf(esc, sizeof(esc), "\\u%04x", *p);
            puts_(l, esc);
        } else {
            put(l, (const char *)p, 1);
        }
    }
    puts_(l, "\"");
}

int
journal_line_end(struct journal_line *l, struct dbuf *out, struct bz_error *e)
{
    char sum[HASH_HEX_LEN + 1];
    if (l->overflow)
        return bz_error_set(e, E_INTERNAL, "日志行超过 %u 字节上限", (unsigned)JOURNAL_LINE_MAX);
    l->buf[l->len++] = '}';
    hash_sha256_hex(l->buf, l->len, sum);
    if (dbuf_add(out, sum, SUM_LEN) < 0 || dbuf_add(out, " ", 1) < 0 ||
        dbuf_add(out, l->buf, l->len) < 0 || dbuf_add(out, "\n", 1) < 0)
        return bz_error_set(e, E_NOMEM, "内存不足，无法写日志");
    return 0;
}

int
journal_new_id(char id[JOURNAL_ID_LEN + 1], struct bz_error *e)
{
    return hash_random_hex(id, JOURNAL_ID_LEN / 2, e);
}

/* Reading one line -------------------------------------------------------- */

static int
hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1;
}

/* A JSON string at *p (past its opening quote) decoded into out (room for
 * it: a string never grows when decoded). Returns 0 or -1. */
static int
parse_string(const char **p, const char *end, char *out, size_t *outlen)
{
    size_t n = 0;
    const char *s = *p;
    while (s < end && *s != '"') {
        unsigned char c = (unsigned char)*s++;
        if (c < 0x20)
            return -1;
        if (c != '\\') {
            out[n++] = (char)c;
            continue;
        }
        if (s >= end)
            return -1;
        c = (unsigned char)*s++;
        switch (c) {
        case '"':
        case '\\':
        case '/':
            out[n++] = (char)c;
            break;
        case 'n':
            out[n++] = '\n';
            break;
        case 't':
            out[n++] = '\t';
            break;
        case 'r':
            out[n++] = '\r';
            break;
        case 'b':
            out[n++] = '\b';
            break;
        case 'f':
            out[n++] = '\f';
            break;
        case 'u': {
            /* bizenv writes \u only for control characters */
            if (end - s < 4)
                return -1;
            int v = 0;
            for (int i = 0; i < 4; i++) {
                int h = hexval(s[i] >= 'A' && s[i] <= 'F' ? s[i] + 32 : s[i]);
                if (h < 0)
                    return -1;
                v = v * 16 + h;
            }
            if (v == 0 || v >= 0x80)
                return -1;
            out[n++] = (char)v;
            s += 4;
            break;
        }
        default:
            return -1;
        }
    }
    if (s >= end)
        return -1;
    *p = s + 1;
    out[n] = '\0';
    *outlen = n;
    return 0;
}

/* Decodes a ~hex value in place. */
static int
unhex(char *v)
{
    size_t n = strlen(v), k = 0;
    if (n % 2 != 0)
        return -1;
    for (size_t i = 0; i < n; i += 2) {
        int a = hexval(v[i]), b = hexval(v[i + 1]);
        if (a < 0 || b < 0 || (a == 0 && b == 0))
            return -1;
        v[k++] = (char)(a * 16 + b);
    }
    v[k] = '\0';
    return 0;
}

static int
fail(char *why, size_t cap, const char *text)
{
    snprintf(why, cap, "%s", text);
    return -1;
}

/* Parses the flat object json[0..n) into ev (storage already holds room
 * for twice its length). */
static int
parse_object(const char *json, size_t n, struct journal_event *ev, char *why, size_t cap)
{
    const char *p = json, *end = json + n;
    char *st = ev->storage;
    if (n < 2 || *p != '{' || end[-1] != '}')
        return fail(why, cap, "不是 JSON 对象");
    p++;
    end--;
    while (p < end) {
        if (ev->nfields == JOURNAL_MAX_FIELDS)
            return fail(why, cap, "字段过多");
        if (*p++ != '"')
            return fail(why, cap, "键名格式错误");
        size_t klen, vlen;
        char *key = st;
        if (parse_string(&p, end, key, &klen) < 0 || p >= end || *p++ != ':')
            return fail(why, cap, "键名格式错误");
        st += klen + 1;
        char *value = st;
        if (p < end && *p == '"') {
            p++;
            if (parse_string(&p, end, value, &vlen) < 0)
                return fail(why, cap, "字符串格式错误");
        } else {
            const char *num = p;
            if (p < end && *p == '-')
                p++;
            while (p < end && *p >= '0' && *p <= '9')
                p++;
            vlen = (size_t)(p - num);
            if (vlen == 0 || (vlen == 1 && *num == '-'))
                return fail(why, cap, "取值既非字符串也非整数");
            memcpy(value, num, vlen);
            value[vlen] = '\0';
        }
        st += vlen + 1;
        if (klen > 4 && strcmp(key + klen - 4, "~hex") == 0) {
            key[klen - 4] = '\0';
            if (unhex(value) < 0)
                return fail(why, cap, "十六进制取值错误");
        }
        ev->fields[ev->nfields].key = key;
        ev->fields[ev->nfields].value = value;
        ev->nfields++;
        if (p < end && *p == ',')
            p++;
        else if (p != end)
            return fail(why, cap, "字段之间缺少逗号");
    }
    return 0;
}

const char *
journal_get(const struct journal_event *ev, const char *key)
{
    for (size_t i = 0; i < ev->nfields; i++)
        if (strcmp(ev->fields[i].key, key) == 0)
            return ev->fields[i].value;
    return NULL;
}

long long
journal_get_int(const struct journal_event *ev, const char *key, long long def)
{
    const char *v = journal_get(ev, key);
    if (v == NULL || *v == '\0')
        return def;
    char *end;
    errno = 0;
    long long n = strtoll(v, &end, 10);
    return *end == '\0' && errno == 0 ? n : def;
}

void
journal_event_free(struct journal_event *ev)
{
    free(ev->storage);
    ev->storage = NULL;
    ev->nfields = 0;
}

int
journal_parse_line(const char *line, size_t len, struct journal_event *ev, char *why, size_t cap)
{
    char sum[HASH_HEX_LEN + 1];
    memset(ev, 0, sizeof(*ev));
    if (len > JOURNAL_LINE_MAX)
        return fail(why, cap, "行过长");
    if (len < SUM_LEN + 3 || line[SUM_LEN] != ' ')
        return fail(why, cap, "行过短或缺少校验和");
    const char *json = line + SUM_LEN + 1;
    size_t n = len - SUM_LEN - 1;
    hash_sha256_hex(json, n, sum);
    if (memcmp(sum, line, SUM_LEN) != 0)
        return fail(why, cap, "校验和不符（写入中断或被改动）");
    ev->storage = malloc(2 * n + 2);
    if (ev->storage == NULL)
        return fail(why, cap, "内存不足");
    if (parse_object(json, n, ev, why, cap) < 0) {
        journal_event_free(ev);
        return -1;
    }
    ev->seq = journal_get_int(ev, "seq", 0);
    ev->g = journal_get_int(ev, "g", 0);
    ev->ev = journal_get(ev, "ev");
    if (ev->seq <= 0 || ev->ev == NULL || ev->ev[0] == '\0') {
        journal_event_free(ev);
        return fail(why, cap, "缺少 seq 或 ev");
    }
    return 0;
}

/* Reading the whole file ---------------------------------------------------- */

static int
add_damage(struct journal_file *jf, long line_no, const char *why, size_t *cap)
{
    if (jf->ndamaged == *cap) {
        size_t ncap = *cap ? *cap * 2 : 8;
        struct journal_damage *d = realloc(jf->damaged, ncap * sizeof(*d));
        if (d == NULL)
            return -1;
        jf->damaged = d;
        *cap = ncap;
    }
    jf->damaged[jf->ndamaged].line_no = line_no;
    snprintf(jf->damaged[jf->ndamaged].why, sizeof(jf->damaged[0].why), "%s", why);
    jf->ndamaged++;
    return 0;
}

static int
add_event(struct journal_file *jf, struct journal_event *ev, size_t *cap)
{
    if (jf->n == *cap) {
        size_t ncap = *cap ? *cap * 2 : 256;
        struct journal_event *a = realloc(jf->events, ncap * sizeof(*a));
        if (a == NULL)
            return -1;
        jf->events = a;
        *cap = ncap;
    }
    jf->events[jf->n++] = *ev;
    return 0;
}

static int
read_all_fd(int fd, size_t max_bytes, char **out, size_t *len, const char *path, struct bz_error *e)
{
    struct stat st;
    if (fstat(fd, &st) < 0)
        return fsdir_io_error(e, "读取日志", path);
    if ((unsigned long long)st.st_size > max_bytes)
        return bz_error_set(e, E_JOURNAL, "日志“%s”超过 %zu 字节上限", path, max_bytes);
    char *buf = malloc((size_t)st.st_size + 1);
    if (buf == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足，无法读取日志");
    size_t n = 0;
    while (n < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + n, (size_t)st.st_size - n);
        if (r < 0 && errno == EINTR)
            continue;
        if (r < 0) {
            free(buf);
            return fsdir_io_error(e, "读取日志", path);
        }
        if (r == 0)
            break;
        n += (size_t)r;
    }
    buf[n] = '\0';
    *out = buf;
    *len = n;
    return 0;
}

int
journal_read(const char *path, size_t max_bytes, struct journal_file *jf, struct bz_error *e)
{
    char *buf = NULL;
    size_t len = 0, ecap = 0, dcap = 0;
    memset(jf, 0, sizeof(*jf));
    int fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0 && errno == ENOENT)
        return bz_error_set(e, E_NOINPUT, "日志“%s”不存在", path);
    if (fd < 0)
        return fsdir_io_error(e, "读取日志", path);
    int rc = read_all_fd(fd, max_bytes, &buf, &len, path, e);
    close(fd);
    if (rc < 0)
        return rc;
    long line_no = 0;
    long long last = 0;
    for (size_t off = 0; rc == 0 && off < len;) {
        const char *nl = memchr(buf + off, '\n', len - off);
        size_t n = nl ? (size_t)(nl - (buf + off)) : len - off;
        char why[160];
        struct journal_event ev;
        line_no++;
        if (nl == NULL) {
            jf->ends_torn = 1;
            if (add_damage(jf, line_no, "最后一行不完整（写入中断）", &dcap) < 0)
                rc = -1;
        } else if (n == 0) {
            /* an empty line: a writer ended a torn line before appending */
        } else if (journal_parse_line(buf + off, n, &ev, why, sizeof(why)) < 0) {
            jf->ends_torn = off + n + 1 >= len;
            rc = add_damage(jf, line_no, why, &dcap);
        } else if (ev.seq <= last) {
            journal_event_free(&ev);
            rc = add_damage(jf, line_no, "序号不大于前一行", &dcap);
        } else {
            last = ev.seq;
            jf->ends_torn = 0;
            if (add_event(jf, &ev, &ecap) < 0) {
                journal_event_free(&ev);
                rc = -1;
            }
        }
        off += n + (nl != NULL);
    }
    free(buf);
    if (rc < 0) {
        journal_file_free(jf);
        return bz_error_set(e, E_NOMEM, "内存不足，无法读取日志");
    }
    if (jf->n > 0 && strcmp(jf->events[0].ev, "open") == 0) {
        const char *id = journal_get(&jf->events[0], "id");
        if (id != NULL)
            snprintf(jf->id, sizeof(jf->id), "%s", id);
    }
    return 0;
}

void
journal_file_free(struct journal_file *jf)
{
    for (size_t i = 0; i < jf->n; i++)
        journal_event_free(&jf->events[i]);
    free(jf->events);
    free(jf->damaged);
    memset(jf, 0, sizeof(*jf));
}

/* Appending --------------------------------------------------------------- */

/* Opens the file in its folder, never through a symlink, and checks it is
 * a plain file of the run's user with one name. */
static int
open_file(const char *path, struct journal *j, struct bz_error *e)
{
    char dir[1024];
    const char *base = fsdir_split(path, dir, sizeof(dir));
    int dfd;
    int rc = fsdir_open(dir, FSDIR_CREATE | FSDIR_OWN, &dfd, e);
    if (rc < 0)
        return rc;
    j->fd = openat(dfd, base, O_RDWR | O_APPEND | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0640);
    int err = errno;
    close(dfd);
    struct stat st;
    if (j->fd >= 0 && fstat(j->fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_uid == geteuid() &&
        st.st_nlink == 1 && (st.st_mode & 022) == 0)
        return 0;
    if (j->fd >= 0 || err == ELOOP) {
        if (j->fd >= 0)
            close(j->fd);
        j->fd = -1;
        return bz_error_set(e, E_HOME_UNSAFE,
                            "日志“%s”不是运行用户自己的普通文件（符号链接、硬链接、他人可写或属于"
                            "他人），拒绝使用",
                            path);
    }
    errno = err;
    return fsdir_io_error(e, "打开日志", path);
}

static int
pread_all(int fd, char *buf, size_t n, off_t at)
{
    size_t got = 0;
    while (got < n) {
        ssize_t r = pread(fd, buf + got, n - got, at + (off_t)got);
        if (r < 0 && errno == EINTR)
            continue;
        if (r <= 0)
            return -1;
        got += (size_t)r;
    }
    return 0;
}

/* The first line: the journal's id. */
static int
read_head(struct journal *j, off_t size, struct bz_error *e)
{
    char *buf = malloc(JOURNAL_LINE_MAX + 1);
    size_t n = size < (off_t)JOURNAL_LINE_MAX + 1 ? (size_t)size : JOURNAL_LINE_MAX + 1;
    if (buf == NULL)
        return bz_error_set(e, E_NOMEM, "内存不足，无法读取日志");
    if (pread_all(j->fd, buf, n, 0) < 0) {
        free(buf);
        return fsdir_io_error(e, "读取日志", j->path);
    }
    const char *nl = memchr(buf, '\n', n);
    struct journal_event ev;
    char why[160];
    int rc = 0;
    if (nl == NULL || journal_parse_line(buf, (size_t)(nl - buf), &ev, why, sizeof(why)) < 0) {
        rc = bz_error_set(e, E_JOURNAL, "日志“%s”的第一行已损坏，无法确定日志编号", j->path);
    } else {
        const char *id = journal_get(&ev, "id");
        if (strcmp(ev.ev, "open") != 0 || id == NULL || strlen(id) != JOURNAL_ID_LEN)
            rc = bz_error_set(e, E_JOURNAL, "日志“%s”的第一行不是日志开头（open）", j->path);
        else
            memcpy(j->id, id, JOURNAL_ID_LEN + 1);
        journal_event_free(&ev);
    }
    free(buf);
    return rc;
}

/*
 * Finds the last intact line in buf[0..n) (the file's last n bytes, `whole`
 * when that is the entire file). Returns 1 when found (j updated), 0 when
 * the window holds none.
 */
static int
scan_tail(struct journal *j, const char *buf, size_t n, int whole)
{
    size_t end = n;
    while (end > 0) {
        size_t start = end - 1; /* end is just past a newline (or the file's end) */
        while (start > 0 && buf[start - 1] != '\n')
            start--;
        if (start == 0 && !whole)
            return 0; /* the line may begin before the window */
        size_t len = end - start;
        int has_nl = len > 0 && buf[end - 1] == '\n';
        struct journal_event ev;
        char why[160];
        if (has_nl && len > 1 &&
            journal_parse_line(buf + start, len - 1, &ev, why, sizeof(why)) == 0) {
            j->last_seq = ev.seq;
            int resolves = strcmp(ev.ev, "commit") == 0 || strcmp(ev.ev, "abort") == 0;
            j->open_group = resolves ? 0 : ev.g;
            journal_event_free(&ev);
            return 1;
        }
        end = start;
    }
    return whole;
}

static int
read_tail(struct journal *j, off_t size, struct bz_error *e)
{
    char last;
    if (pread_all(j->fd, &last, 1, size - 1) < 0)
        return fsdir_io_error(e, "读取日志", j->path);
    j->ends_torn = last != '\n';
    for (size_t w = TAIL_WINDOW;; w *= 2) {
        size_t n = (off_t)w >= size ? (size_t)size : w;
        char *buf = malloc(n);
        if (buf == NULL)
            return bz_error_set(e, E_NOMEM, "内存不足，无法读取日志");
        if (pread_all(j->fd, buf, n, size - (off_t)n) < 0) {
            free(buf);
            return fsdir_io_error(e, "读取日志", j->path);
        }
        int found = scan_tail(j, buf, n, (off_t)n == size);
        free(buf);
        if (found || (off_t)n == size)
            return 0;
    }
}

int
journal_open_append(const char *path, struct journal *j, struct bz_error *e)
{
    memset(j, 0, sizeof(*j));
    j->fd = -1;
    snprintf(j->path, sizeof(j->path), "%s", path);
    int rc = open_file(path, j, e);
    if (rc < 0)
        return rc;
    struct stat st;
    if (fstat(j->fd, &st) < 0)
        rc = fsdir_io_error(e, "读取日志", path);
    if (rc == 0 && st.st_size > 0)
        rc = read_head(j, st.st_size, e);
    if (rc == 0 && st.st_size > 0)
        rc = read_tail(j, st.st_size, e);
    /* a torn last line is kept (reported by every reader) and ended, so
     * the next line starts on a line of its own */
    if (rc == 0 && j->ends_torn && write(j->fd, "\n", 1) != 1)
        rc = fsdir_io_error(e, "写入日志", path);
    if (rc < 0)
        journal_close(j);
    return rc;
}

void
journal_close(struct journal *j)
{
    if (j->fd >= 0)
        close(j->fd);
    j->fd = -1;
}

int
journal_sync(struct journal *j, struct bz_error *e)
{
    if (j->fd >= 0 && fdatasync(j->fd) < 0)
        return fsdir_io_error(e, "同步日志", j->path);
    return 0;
}

int
journal_write(struct journal *j, const struct dbuf *text, struct bz_error *e)
{
    for (size_t off = 0; off < text->len;) {
        ssize_t w = write(j->fd, text->data + off, text->len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w < 0)
            return fsdir_io_error(e, "写入日志", j->path);
        off += (size_t)w;
    }
    return 0;
}
