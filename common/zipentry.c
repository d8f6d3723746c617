#include "zipentry.h"

#include <errno.h>
#include <string.h>

/* libarchive reports failed allocations with errno ENOMEM or, in places,
 * only as text ("Can't allocate", "Out of memory", "Couldn't allocate",
 * zlib's init that fails only for memory). */
int
zipentry_oom(struct archive *a)
{
    const char *m = archive_error_string(a);

    if (archive_errno(a) == ENOMEM)
        return 1;
    /* a failure without any message: libarchive 3.6.2 returns FATAL
     * silently only where an allocation failed (archive_read_open1) */
    if (m == NULL || *m == '\0')
        return archive_errno(a) == 0;
    return strstr(m, "alloc") != NULL || strstr(m, "memory") != NULL ||
           strstr(m, "Memory") != NULL || strstr(m, "Can't initialize") != NULL;
}

int
zipentry_utf8(const unsigned char *name)
{
    const unsigned char *str = name;

    while (*str) {
        unsigned c = *str;
        size_t n = c < 0x80             ? 0
                   : (c & 0xE0) == 0xC0 ? 1
                   : (c & 0xF0) == 0xE0 ? 2
                   : (c & 0xF8) == 0xF0 ? 3
                                        : 4;
        if (n == 4 || (n == 1 && c < 0xC2) || (n == 3 && c > 0xF4))
            return 0;
        for (size_t i = 1; i <= n; i++)
            if ((str[i] & 0xC0) != 0x80)
                return 0;
        if ((n == 2 && c == 0xE0 && str[1] < 0xA0) || (n == 2 && c == 0xED && str[1] >= 0xA0) ||
            (n == 3 && c == 0xF0 && str[1] < 0x90) || (n == 3 && c == 0xF4 && str[1] >= 0x90))
            return 0; /* overlong forms, surrogates, beyond U+10FFFF */
        str += n + 1;
    }
    return 1;
}

const char *
zipentry_name_problem(const char *name, long long max_bytes)
{
    size_t len = strlen(name);

    if (len == 0)
        return "名称为空";
    if ((long long)len > max_bytes)
        return "名称过长";
    for (const unsigned char *p = (const unsigned char *)name; *p; p++) {
        if (*p < 0x20 || *p == 0x7F)
            return "名称含控制字符";
        if (*p == '\\')
            return "名称含反斜杠";
    }
    if (name[0] == '/')
        return "名称是绝对路径";
    if (((name[0] >= 'A' && name[0] <= 'Z') || (name[0] >= 'a' && name[0] <= 'z')) &&
        name[1] == ':')
        return "名称含盘符";
    if (name[len - 1] == '/')
        len--;
    for (size_t start = 0; start <= len;) {
        size_t end = start;
        while (end < len && name[end] != '/')
            end++;
        size_t n = end - start;
        if (n == 0)
            return "名称含空路径段（//）";
        if (n == 1 && name[start] == '.')
            return "名称含 . 路径段";
        if (n == 2 && name[start] == '.' && name[start + 1] == '.')
            return "名称含 .. 路径段";
        start = end + 1;
    }
    return NULL;
}

const char *
zipentry_kind_problem(struct archive_entry *ent, const char **code)
{
    mode_t type = archive_entry_filetype(ent);

    if ((type != AE_IFREG && type != AE_IFDIR) || archive_entry_hardlink(ent) != NULL ||
        archive_entry_symlink(ent) != NULL) {
        *code = "E_ZIP_ENTRY_TYPE";
        return "条目是链接、设备或管道，不是普通文件或文件夹";
    }
    if (archive_entry_is_encrypted(ent) || archive_entry_is_data_encrypted(ent) ||
        archive_entry_is_metadata_encrypted(ent)) {
        *code = "E_ZIP_ENCRYPTED";
        return "条目已加密，无法读取";
    }
    return NULL;
}
