#include "adxout.h"

#include "../common/esc.h"
#include "../transform/adx.h"

#include <stdio.h>
#include <stdlib.h>

#define DATASET "BIZENV_ROLLUP_1"

static int
add_attr(struct dbuf *b, const char *name, const char *value)
{
    int rc = dbuf_printf(b, " %s=\"", name);
    for (const char *p = value; rc == 0 && *p != '\0'; p++) {
        const char *ref = esc_xml_ref(*p);
        if (ref != NULL)
            rc = dbuf_adds(b, ref);
        else /* other C0 controls cannot appear in XML 1.0 at all */
            rc = dbuf_add(b, (unsigned char)*p < 0x20 ? "?" : p, 1);
    }
    return rc == 0 ? dbuf_adds(b, "\"") : rc;
}

static const char *
duration(const char *months)
{
    int n = atoi(months);
    return n == 1 ? "P1M" : n == 3 ? "P3M" : n == 6 ? "P6M" : "P1Y";
}

static int
render_group(const PGresult *g, int r, struct dbuf *out)
{
    char period[32];
    snprintf(period, sizeof(period), "%s/%s", PQgetvalue(g, r, GR_FIRST_DAY),
             duration(PQgetvalue(g, r, GR_MONTHS)));
    int rc = dbuf_adds(out, "  <group");
    if (rc == 0)
        rc = add_attr(out, "orgUnit", PQgetvalue(g, r, GR_CODE));
    if (rc == 0)
        rc = add_attr(out, "orgUnitName", PQgetvalue(g, r, GR_NAME));
    if (rc == 0)
        rc = add_attr(out, "period", period);
    if (rc == 0)
        rc = add_attr(out, "dataSet", DATASET);
    if (rc == 0)
        rc = dbuf_adds(out, ">\n");
    for (int k = 0; rc == 0 && k < ADX_NCOUNTS; k++)
        rc = dbuf_printf(out, "    <dataValue dataElement=\"%s\" value=\"%s\"/>\n", adx_elements[k],
                         PQgetvalue(g, r, GR_FIRST_COUNT + k));
    return rc == 0 ? dbuf_adds(out, "  </group>\n") : rc;
}

int
adxout_render(const struct export_data *d, struct dbuf *out)
{
    int rc =
        dbuf_adds(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<adx xmlns=\"" ADX_NS "\"");
    if (rc == 0)
        rc = add_attr(out, "exported", d->exported_at);
    if (rc == 0)
        rc = add_attr(out, "county", d->county_code);
    if (rc == 0)
        rc = add_attr(out, "countyName", d->county_name);
    if (rc == 0)
        rc = add_attr(out, "period", d->period);
    if (rc == 0)
        rc = add_attr(out, "asOf", d->as_of);
    if (rc == 0)
        rc = dbuf_adds(out, ">\n");
    for (int r = 0; rc == 0 && r < PQntuples(d->groups); r++)
        rc = render_group(d->groups, r, out);
    return rc == 0 ? dbuf_adds(out, "</adx>\n") : rc;
}
