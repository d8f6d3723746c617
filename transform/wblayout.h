/*
 * wblayout — the monthly workbook (填报表): its sheets, their columns and
 * rows, and how each cell is read. The one description both sides share:
 * export/template.c writes the workbook from it, transform/workbook.c reads
 * a filled one back by it, so a header or a column cannot drift between
 * the writer and the reader.
 *
 * Sheets follow the township report (shared/seeds) and format 1: forms
 * (one item per row: label in A, value in B, hint in C) and lists (a header
 * row, then one record per row). The hidden sheet `bizenv` carries the
 * template's identity: format marker and version, township, period,
 * revision, and the submission it was pre-filled from.
 *
 * Data only: no I/O, no allocation.
 */
#ifndef BZ_WBLAYOUT_H
#define BZ_WBLAYOUT_H

#include <stddef.h>

/* The hidden sheet's marker and the template format versions this build
 * reads. A new layout gets a new version; old ones stay readable. */
#define WBLAYOUT_MARKER "bizenv-填报表"
#define WBLAYOUT_VERSION "1"

enum wb_sheet {
    WB_GUIDE,      /* 填报说明: text only, never read */
    WB_BASIC,      /* 基本情况 */
    WB_ONESTOP,    /* 一站式服务 */
    WB_WINDOWS,    /* 服务窗口 */
    WB_LEADERS,    /* 班子成员 */
    WB_WALKS,      /* 走流程 */
    WB_EVALUATION, /* 好差评 */
    WB_PROBLEMS,   /* 问题整改 */
    WB_ENGAGEMENT, /* 惠企活动 */
    WB_DISCIPLINE, /* 监督检查 */
    WB_TEXTS,      /* 长效机制及建议 */
    WB_META,       /* bizenv (hidden, protected) */
    WB_NSHEETS
};

enum wb_kind {
    WBK_TEXT,         /* free text, verbatim */
    WBK_COUNT,        /* whole number 0..999,999,999 */
    WBK_COUNT_APPROX, /* whole number, or "120余" (约数) */
    WBK_RATE,         /* percent 0-100, decimals allowed */
    WBK_DATE,         /* a date: serial in a date-formatted cell, or text */
    WBK_DATETIME,     /* date and time (submittedAt) */
    WBK_ID,           /* an id; empty = assigned by the reader */
    WBK_ROLE,         /* choice: 主要领导 / 分管领导 */
    WBK_SOURCE,       /* choice: 走流程 / 监督检查 / 投诉举报 / 其他 */
    WBK_STATUS,       /* choice: 未整改 / 整改中 / 已整改 */
    WBK_TEXTKIND,   /* choice: 长效机制 / 困难和问题 / 下步工作重点 / 意见建议 */
    WBK_LEADER_REF, /* a leader of this workbook (post title or id) */
    WBK_WINDOW_REF, /* a window of this workbook (name or id) */
    WBK_PROBLEM_IDS, /* problem ids, separated by spaces, commas or 、 */
    WBK_FIXED        /* written by the template and locked (code, period, revision) */
};

/* Form items (forms: 基本情况, 一站式服务, 好差评, 惠企活动, 监督检查). */
enum wb_field {
    WF_CODE,
    WF_NAME,
    WF_PERIOD,
    WF_REVISION,
    WF_SUBMITTED,
    WF_CONTACT,
    WF_PHONE,
    WF_SITES_TOTAL,
    WF_SITES_WITH,
    WF_CONSULTATIONS,
    WF_JOB_POSTINGS,
    WF_RECRUITMENT,
    WF_COUNTY_ITEMS,
    WF_HANDLED,
    WF_EVALUATED,
    WF_RATE,
    WF_SYMPOSIA,
    WF_MERCHANTS,
    WF_ENTERPRISES,
    WF_INSPECTIONS,
    WF_WARNINGS,
    WF_VIOLATIONS,
    WF_RECEIVED,
    WF_RESOLVED,
    WF_NFIELDS
};

struct wb_form_field {
    enum wb_sheet sheet;
    unsigned row;      /* 1-based; the value is in column B */
    const char *label; /* column A, checked when read */
    enum wb_kind kind;
    int required;     /* an empty cell is E_WB_REQUIRED */
    const char *hint; /* column C and the cell's input message */
};

/* List columns, by sheet. */
enum { WC_ID, WC_NAME, WC_N };
enum { LC_ID, LC_TITLE, LC_ROLE, LC_N };
enum { KC_DATE, KC_LEADER, KC_WINDOW, KC_PROBLEMS, KC_N };
enum { PC_ID, PC_SOURCE, PC_FOUND, PC_STATUS, PC_RECTIFIED, PC_DEADLINE, PC_TEXT, PC_N };
enum { TC_KIND, TC_TEXT, TC_N };
#define WBLAYOUT_MAX_COLS 7

struct wb_column {
    const char *label; /* row 1, checked when read */
    enum wb_kind kind;
    int required;
    int width; /* Excel column width */
    const char *hint;
};

/* Rows of the hidden sheet (label in A, value in B). */
enum wb_meta_row {
    WM_MARKER = 1, /* WBLAYOUT_MARKER */
    WM_VERSION,    /* WBLAYOUT_VERSION */
    WM_CODE,
    WM_PERIOD,
    WM_REVISION,
    WM_BASE_SHA256, /* doc SHA-256 of the submission it was pre-filled from, or empty */
    WM_BASE_PERIOD, /* that submission's month, or empty */
    WM_NROWS = WM_BASE_PERIOD
};

/* One choice of a dropdown: the Chinese label shown and the format-1 value. */
struct wb_choice {
    const char *label;
    const char *value;
};

/* The sheet's name as shown on its tab. */
const char *wblayout_sheet_name(enum wb_sheet sheet);

/* The columns of a list sheet; *n receives their number (0 for forms). */
const struct wb_column *wblayout_columns(enum wb_sheet sheet, size_t *n);

/* All form items, indexed by enum wb_field. */
const struct wb_form_field *wblayout_field(enum wb_field f);

/* The label of hidden-sheet row r (WM_*). */
const char *wblayout_meta_label(enum wb_meta_row r);

/* The choices of a choice kind (WBK_ROLE ...); *n receives their number;
 * NULL for other kinds. */
const struct wb_choice *wblayout_choices(enum wb_kind k, size_t *n);

/* Spreadsheet column letters of 1-based column c (1 = A, 27 = AA) into
 * buf (at least 4 bytes). */
void wblayout_col_letters(unsigned c, char *buf);

#endif
