/*
 * settings — every tunable of bizenv in one table, with its default.
 *
 * Limits on untrusted input, paths and timeouts are read from the built-in
 * defaults, then the config file ($BIZENV_HOME/bizenv.conf, `key = value`
 * lines), then command-line overrides; all of it is validated before any
 * work starts. Database-held settings (ranking weights, reporting deadline)
 * are not here: they live in the database's settings table.
 *
 * `bizenv config` prints the table (name, value, default, meaning);
 * README.md documents the same rows.
 */
#ifndef BZ_SETTINGS_H
#define BZ_SETTINGS_H

#include "error.h"

#include <stdio.h>

#define BZ_PATH_MAX 1024

struct settings {
    /* limits on untrusted input; sizes in bytes */
    long long max_file_bytes;       /* one inbox file as received (compressed) */
    long long max_entry_bytes;      /* one archive entry after decompression (attachments too) */
    long long max_xml_bytes;        /* one XML document after decompression */
    long long max_total_bytes;      /* all bytes decompressed from one inbox file */
    long long max_entries;          /* entries in one inbox file, nested packages included */
    long long max_ratio;            /* decompressed/compressed bytes of one entry or gzip stream */
    long long ratio_min_bytes;      /* the ratio is only checked above this decompressed size */
    long long max_nesting;          /* zip levels inside the inbox file (the format allows 1) */
    long long max_name_bytes;       /* one archive entry name, in bytes after conversion to UTF-8 */
    long long max_xml_depth;        /* element nesting depth */
    long long max_text_bytes;       /* one text node or attribute value */
    long long max_elements;         /* elements in one document */
    long long max_diagnostics;      /* errors and warnings kept per submission */
    long long parse_timeout_s;      /* wall-clock cap for reading one inbox file */
    long long statement_timeout_ms; /* loader connection statement_timeout */
    long long lock_timeout_ms;      /* loader connection lock_timeout */
    long long batch_size;           /* files or submissions per load transaction */
    long long log_max_bytes;        /* bizenv.log is rotated to bizenv.log.1 past this */
    long long max_memory_bytes;     /* RLIMIT_DATA of the bizenv process (0 = none) */
    long long max_workbook_bytes;   /* one .xlsx workbook (its zip bytes), bare or in a package */
    long long max_sheet_rows;       /* last row of one worksheet read from a workbook */
    long long max_sheet_cells;      /* cells of all worksheets read from one workbook */
    long long max_shared_strings;   /* shared strings of one workbook */
    long long backup_keep;          /* nightly backups kept in `backups` (0 = no nightly backup) */

    /* what every analyst login's sessions start with (bizenv analyst) */
    long long analyst_connection_limit; /* sessions one analyst login may hold at once */
    long long analyst_statement_timeout_ms;
    long long analyst_idle_in_transaction_ms;
    long long analyst_temp_file_limit; /* bytes of temporary files per analyst session */

    /* paths; relative paths are taken relative to `home` */
    char home[BZ_PATH_MAX]; /* BIZENV_HOME: everything below lives here */
    char inbox[BZ_PATH_MAX];
    char archive[BZ_PATH_MAX];
    char quarantine[BZ_PATH_MAX];
    char receipts[BZ_PATH_MAX];
    char exports[BZ_PATH_MAX];
    char runs[BZ_PATH_MAX];
    char templates[BZ_PATH_MAX]; /* `bizenv template` writes the monthly workbooks here */
    char pgdata[BZ_PATH_MAX];    /* the embedded cluster's data folder */
    char registry[BZ_PATH_MAX];  /* townships.csv used by `validate` when no database is used */
    char journal[BZ_PATH_MAX];   /* the journal of every input (common/journal.h) */
    char backups[BZ_PATH_MAX];   /* where `bizenv backup` and the nightly put backups */
    char db[BZ_PATH_MAX];        /* libpq conninfo; empty = PG* environment or embedded */
    char pg_bindir[BZ_PATH_MAX]; /* PostgreSQL server programs (initdb, pg_ctl) */
    char pg_user[64];            /* OS user the embedded server runs as when bizenv is root */
    char syslog_ident[64];       /* empty = no syslog */
    char county_code[16];        /* 6-digit county code for export file names and the ADX
                                    roll-up; empty = first 6 digits of the township codes */
    char county_name[128];       /* the county's name in exports; empty = the code */

    /* network access to the embedded server (load/pgnet.h, load/certs.h) */
    char listen[256];    /* HOST[:PORT] it listens on for analysts, TLS only; empty = socket only */
    char tls_names[512]; /* more names/addresses for the local server certificate */
    char tls_cert_file[BZ_PATH_MAX]; /* the county's own server certificate (PEM); empty =
                                        bizenv's local CA under $BIZENV_HOME/tls */
    char tls_key_file[BZ_PATH_MAX];  /* its private key (PEM), with tls_cert_file */
    char tls_ca_file[BZ_PATH_MAX];   /* the CA certificate analysts verify the server with */
};

/* Fills *s with the built-in defaults, home = `home`. Cannot fail. */
void settings_defaults(struct settings *s, const char *home);

/*
 * Sets one setting by name from text ("64M", "30", a path). Returns 0, or
 * BZ_ECONFIG with e filled (unknown name, bad number, out of range).
 */
int settings_set(struct settings *s, const char *name, const char *value, struct bz_error *e);

/*
 * Reads `key = value` lines from path. A missing file is not an error when
 * `optional` is set. Returns 0 or BZ_ECONFIG/BZ_EIO with e naming the file
 * and line; settings read before a bad line stay set.
 *
 * '#' starts a comment at the start of a line or after a blank (space or
 * tab); anywhere else it belongs to the value (`password=a#b`). A value in
 * double quotes is taken as written, '#' and blanks included; inside them
 * \" is a quote and \\ a backslash, and only a comment may follow. A
 * comment line may be of any length; a setting line longer than 4,095
 * bytes is refused (E_CONFIG), never read in part, and so is a line
 * holding a NUL byte.
 */
int settings_load_file(struct settings *s, const char *path, int optional, struct bz_error *e);

/* Resolves the relative paths against home. Call once, after loading. */
void settings_resolve(struct settings *s);

/* Prints the table: name, current value, default, meaning. A value is
 * quoted when bizenv.conf would read it back otherwise; the password of
 * the `db` conninfo (password=..., or a URI's user:password@) shows as ***. */
void settings_print(const struct settings *s, FILE *out);

/* The value of setting `name` as text (a number in bytes or plain, a
 * string as held) into buf. Returns 0, or -1 for an unknown name. */
int settings_format(const struct settings *s, const char *name, char *buf, size_t cap);

/* Number of settings, and the name of row i (NULL out of range), for the
 * bash completion of --set. */
int settings_count(void);
const char *settings_name(int i);

#endif
