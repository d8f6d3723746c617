#include "wblayout.h"

static const char *const sheet_names[WB_NSHEETS] = {
    "填报说明", "基本情况", "一站式服务", "服务窗口", "班子成员",       "走流程",
    "好差评",   "问题整改", "惠企活动",   "监督检查", "长效机制及建议", "bizenv",
};

static const struct wb_form_field fields[WF_NFIELDS] = {
    [WF_CODE] = {WB_BASIC, 2, "乡镇代码", WBK_FIXED, 1, "县营商办填写，不可修改"},
    [WF_NAME] = {WB_BASIC, 3, "乡镇名称", WBK_FIXED, 1, "县营商办填写，不可修改"},
    [WF_PERIOD] = {WB_BASIC, 4, "报送月份", WBK_FIXED, 1, "县营商办填写，不可修改"},
    [WF_REVISION] = {WB_BASIC, 5, "版本号", WBK_FIXED, 1,
                     "县营商办填写，不可修改；更正已报送的报表时县里会下发新版本的填报表"},
    [WF_SUBMITTED] = {WB_BASIC, 6, "填报日期", WBK_DATETIME, 1,
                      "如 2026-11-03，也可带时间：2026-11-03 09:30"},
    [WF_CONTACT] = {WB_BASIC, 7, "联系人（科室或姓名）", WBK_TEXT, 1, "如“乡党政办”"},
    [WF_PHONE] = {WB_BASIC, 8, "联系电话", WBK_TEXT, 0, "可不填"},
    [WF_SITES_TOTAL] = {WB_ONESTOP, 2, "服务站点总数（便民服务中心和村委会）", WBK_COUNT, 1,
                        "整数，没有填 0"},
    [WF_SITES_WITH] = {WB_ONESTOP, 3, "其中设惠企政策“一站式”服务窗口的站点数", WBK_COUNT, 1,
                       "整数，不大于站点总数"},
    [WF_CONSULTATIONS] = {WB_ONESTOP, 4, "提供助企惠企政策咨询服务（人）", WBK_COUNT_APPROX, 1,
                          "整数；只知道约数时可填“120余”"},
    [WF_JOB_POSTINGS] = {WB_ONESTOP, 5, "为企业提供用工信息（个）", WBK_COUNT_APPROX, 1,
                         "整数；只知道约数时可填“300余”"},
    [WF_RECRUITMENT] = {WB_ONESTOP, 6, "开展招聘活动（次）", WBK_COUNT, 1, "整数，没有填 0"},
    [WF_COUNTY_ITEMS] = {WB_ONESTOP, 7, "承接县级下达事项（项）", WBK_COUNT, 1, "整数，没有填 0"},
    [WF_HANDLED] = {WB_EVALUATION, 2, "政务服务事项办件量（件）", WBK_COUNT, 1, "整数，没有填 0"},
    [WF_EVALUATED] = {WB_EVALUATION, 3, "办事群众主动评价件数（件）", WBK_COUNT, 1,
                      "整数，不大于办件量"},
    [WF_RATE] = {WB_EVALUATION, 4, "自报主动评价率（%）", WBK_RATE, 0,
                 "0 到 100，可带小数，可不填；排名按评价件数/办件量计算"},
    [WF_SYMPOSIA] = {WB_ENGAGEMENT, 2, "市场主体调研座谈会（次）", WBK_COUNT, 1, "整数，没有填 0"},
    [WF_MERCHANTS] = {WB_ENGAGEMENT, 3, "“三进市场主体”活动走访商户（户）", WBK_COUNT, 1,
                      "整数，没有填 0"},
    [WF_ENTERPRISES] = {WB_ENGAGEMENT, 4, "走访企业（家）", WBK_COUNT, 1, "整数，没有填 0"},
    [WF_INSPECTIONS] = {WB_DISCIPLINE, 2, "“营商环境护航”督查检查（次）", WBK_COUNT, 1,
                        "乡纪委开展，整数，没有填 0"},
    [WF_WARNINGS] = {WB_DISCIPLINE, 3, "警示教育（场次）", WBK_COUNT, 1, "整数，没有填 0"},
    [WF_VIOLATIONS] = {WB_DISCIPLINE, 4, "破坏营商环境违法违规行为（起）", WBK_COUNT, 1,
                       "整数，没有填 0"},
    [WF_RECEIVED] = {WB_DISCIPLINE, 5, "受理营商环境投诉举报（件）", WBK_COUNT, 0,
                     "与下一项同填或同不填"},
    [WF_RESOLVED] = {WB_DISCIPLINE, 6, "其中已办结（件）", WBK_COUNT, 0, "不大于受理件数"},
};

static const struct wb_column windows[WC_N] = {
    {"窗口编号", WBK_ID, 0, 12, "已有窗口保留原编号；新增窗口可留空，系统自动编号"},
    {"窗口名称", WBK_TEXT, 1, 34, "可从下拉列表选择，也可填写其他名称（归入“其他”）"},
};

static const struct wb_column leaders[LC_N] = {
    {"成员编号", WBK_ID, 0, 12, "已有成员保留原编号；新增成员可留空，系统自动编号"},
    {"职务（不填姓名）", WBK_TEXT, 1, 30, "如“党委书记”“副乡长（分管农业农村）”"},
    {"类别", WBK_ROLE, 1, 12, "主要领导或分管领导"},
};

static const struct wb_column walks[KC_N] = {
    {"日期", WBK_DATE, 1, 14, "本月内的日期，如 2026-11-09"},
    {"领导", WBK_LEADER_REF, 1, 30, "从下拉列表选择（“班子成员”表中的职务）"},
    {"窗口", WBK_WINDOW_REF, 1, 34, "从下拉列表选择（“服务窗口”表中的名称）"},
    {"发现的问题编号", WBK_PROBLEM_IDS, 0, 24,
     "可不填；填“问题整改”表中的问题编号，多个用空格或顿号分开"},
};

static const struct wb_column problems[PC_N] = {
    {"问题编号", WBK_ID, 0, 14, "上月未整改完的问题保留原编号；新问题可留空，系统自动编号"},
    {"来源", WBK_SOURCE, 1, 12, "走流程、监督检查、投诉举报或其他"},
    {"发现日期", WBK_DATE, 1, 14, "不晚于本月最后一天"},
    {"整改状态", WBK_STATUS, 1, 12, "未整改、整改中或已整改（截至本月最后一天）"},
    {"整改完成日期", WBK_DATE, 0, 14, "已整改的必填，未整改的不填"},
    {"整改期限", WBK_DATE, 0, 14, "可不填"},
    {"问题描述", WBK_TEXT, 1, 50, "简要描述问题"},
};

static const struct wb_column texts[TC_N] = {
    {"类别", WBK_TEXTKIND, 1, 16, "长效机制、困难和问题、下步工作重点或意见建议"},
    {"内容", WBK_TEXT, 1, 80, "一行一项；长效机制填制度或方案名称"},
};

static const char *const meta_labels[WM_NROWS + 1] = {
    [WM_MARKER] = "模板格式",
    [WM_VERSION] = "格式版本",
    [WM_CODE] = "乡镇代码",
    [WM_PERIOD] = "报送月份",
    [WM_REVISION] = "版本号",
    [WM_BASE_SHA256] = "预填来源 SHA-256",
    [WM_BASE_PERIOD] = "预填来源月份",
};

static const struct wb_choice roles[] = {{"主要领导", "principal"}, {"分管领导", "deputy"}};
static const struct wb_choice sources[] = {
    {"走流程", "walk"}, {"监督检查", "supervision"}, {"投诉举报", "complaint"}, {"其他", "other"}};
static const struct wb_choice statuses[] = {
    {"未整改", "open"}, {"整改中", "rectifying"}, {"已整改", "rectified"}};
/* Values are the format's list elements, in the order they are written. */
static const struct wb_choice textkinds[] = {{"长效机制", "mechanisms"},
                                             {"困难和问题", "difficulties"},
                                             {"下步工作重点", "nextSteps"},
                                             {"意见建议", "suggestions"}};

const char *
wblayout_sheet_name(enum wb_sheet sheet)
{
    return sheet < WB_NSHEETS ? sheet_names[sheet] : "";
}

const struct wb_column *
wblayout_columns(enum wb_sheet sheet, size_t *n)
{
    switch (sheet) {
    case WB_WINDOWS:
        *n = WC_N;
        return windows;
    case WB_LEADERS:
        *n = LC_N;
        return leaders;
    case WB_WALKS:
        *n = KC_N;
        return walks;
    case WB_PROBLEMS:
        *n = PC_N;
        return problems;
    case WB_TEXTS:
        *n = TC_N;
        return texts;
    default:
        *n = 0;
        return NULL;
    }
}

const struct wb_form_field *
wblayout_field(enum wb_field f)
{
    return &fields[f < WF_NFIELDS ? f : 0];
}

const char *
wblayout_meta_label(enum wb_meta_row r)
{
    return r >= WM_MARKER && r <= WM_NROWS ? meta_labels[r] : "";
}

const struct wb_choice *
wblayout_choices(enum wb_kind k, size_t *n)
{
    switch (k) {
    case WBK_ROLE:
        *n = sizeof(roles) / sizeof(roles[0]);
        return roles;
    case WBK_SOURCE:
        *n = sizeof(sources) / sizeof(sources[0]);
        return sources;
    case WBK_STATUS:
        *n = sizeof(statuses) / sizeof(statuses[0]);
        return statuses;
    case WBK_TEXTKIND:
        *n = sizeof(textkinds) / sizeof(textkinds[0]);
        return textkinds;
    default:
        *n = 0;
        return NULL;
    }
}

void
wblayout_col_letters(unsigned c, char *buf)
{
    char tmp[4];
    int n = 0;
    if (c == 0 || c > 16384) {
        buf[0] = '?';
        buf[1] = '\0';
        return;
    }
    while (c > 0 && n < 3) {
        c--;
        tmp[n++] = (char)('A' + c % 26);
        c /= 26;
    }
    for (int i = 0; i < n; i++)
        buf[i] = tmp[n - 1 - i];
    buf[n] = '\0';
}
