/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * oneM2M identifiers as a gateway compares them (onem2m_id_canon.h).
 *
 * Identifier forms (TS-0001 Table 7.2-1, TS-0004 6.2.3):
 *
 *   "<stem>"                     AE-ID-Stem: C-stem registered here, or
 *                                S-stem of this SP
 *   "/<CSE-ID>/<stem>"           SP-relative AE-ID (C-stem)
 *   "//<SP-ID>/<CSE-ID>/<stem>"  absolute AE-ID (C-stem)
 *   "/<S-stem>"                  SP-relative AE-ID (S-stem)
 *   "//<SP-ID>/<S-stem>"         absolute AE-ID (S-stem)
 *   "/<CSE-ID>"                  SP-relative CSE-ID
 *   "//<SP-ID>/<CSE-ID>"         absolute CSE-ID
 *
 * "/S..." and "//<SP-ID>/S..." cannot be told apart from a CSE-ID
 * starting with "S": they are kept as the S-stem AE-ID, with the CSE
 * reading in id->cse.
 */

#include <string.h>

#include "onem2m_id.h"
#include "onem2m_id_canon.h"


static int
canon_casecmp(const char *a, const char *b, size_t n)
{
    size_t         i;
    unsigned char  ca, cb;

    for (i = 0; i < n; i++) {
        ca = (unsigned char) a[i];
        cb = (unsigned char) b[i];

        ca = (ca >= 'A' && ca <= 'Z') ? ca + ('a' - 'A') : ca;
        cb = (cb >= 'A' && cb <= 'Z') ? cb + ('a' - 'A') : cb;

        if (ca != cb) {
            return ca - cb;
        }
    }

    return 0;
}


static const char *
canon_chr(const char *p, const char *last, char c)
{
    return (p < last) ? memchr(p, c, last - p) : NULL;
}


/* "<SP-ID>" (len bytes, a final dot ignored) is the gateway's, any case */

static int
canon_own_sp(const char *sp, size_t len, const onem2m_gateway *gw)
{
    if (len > 0 && sp[len - 1] == '.') {
        len--;
    }

    return len == gw->sp_id_len
           && canon_casecmp(sp, gw->sp_id, gw->sp_id_len) == 0;
}


static void
canon_set(onem2m_canon *id, int kind, const char *p, const char *last)
{
    id->kind = kind;
    id->canonical = p;
    id->canonical_len = last - p;
}


/*
 * "//<SP-ID>/...": rest is set to the "/" after the SP-ID.  Returns 1 when
 * id is read to its end (an error, or another SP's identifier: canonical
 * as written, kind by its shape), 0 when the rest reads as SP-relative.
 */

static int
canon_absolute(const char *p, const char *last, const onem2m_gateway *gw,
    onem2m_canon *id, const char **rest)
{
    const char  *slash;

    slash = canon_chr(p + 2, last, '/');

    if (slash == NULL || slash == p + 2 || slash + 1 == last) {
        return 1;
    }

    *rest = slash;

    if (gw->sp_id_len == 0 || canon_own_sp(p + 2, slash - p - 2, gw)) {
        return 0;
    }

    slash = canon_chr(*rest + 1, last, '/');

    if (slash == NULL) {
        id->kind = ((*rest)[1] == 'S') ? ONEM2M_CANON_AE : ONEM2M_CANON_CSE;
        id->cse = p;
        id->cse_len = last - p;

    } else if (slash + 1 < last && slash > *rest + 1
               && canon_chr(slash + 1, last, '/') == NULL)
    {
        id->kind = ONEM2M_CANON_AE;
    }

    return 1;
}


/* "/<CSE-ID>" or "/<CSE-ID>/<stem>" of this SP */

static void
canon_sp_relative(const char *rest, const char *last,
    const onem2m_gateway *gw, onem2m_canon *id)
{
    const char  *slash;

    if (rest + 1 == last || rest[1] == '/') {
        return;
    }

    slash = canon_chr(rest + 1, last, '/');

    if (slash == NULL) {
        canon_set(id, ONEM2M_CANON_CSE, rest, last);
        id->cse = id->canonical;
        id->cse_len = id->canonical_len;
        return;
    }

    if (slash + 1 == last || canon_chr(slash + 1, last, '/') != NULL) {
        return;
    }

    /* this gateway's CSE-ID in any case: its AEs are refused alike */

    if ((size_t) (slash - rest - 1) == gw->cse_id_len
        && canon_casecmp(rest + 1, gw->cse_id, gw->cse_id_len) == 0)
    {
        canon_set(id, ONEM2M_CANON_AE, slash + 1, last);
        id->local = 1;
        id->s_stem = (slash[1] == 'S');
        return;
    }

    canon_set(id, ONEM2M_CANON_AE, rest, last);
}


void
onem2m_canon_parse(const char *in, size_t len, const onem2m_gateway *gw,
    onem2m_canon *id)
{
    const char  *p, *last, *rest;

    memset(id, 0, sizeof(onem2m_canon));

    id->kind = ONEM2M_CANON_OTHER;
    id->canonical = in;
    id->canonical_len = len;

    p = in;
    last = p + len;
    rest = p;

    if (len == 0) {
        return;
    }

    /*
     * The one grammar (onem2m_id.c): what it refuses ("in-cse-8",
     * "/in-cse-8#", "in-cse-8;x") stays OTHER.  "C" and "S" alone ask the
     * registrar for an AE-ID and read as a stem.
     */

    if (!onem2m_canon_request_for_id(in, len)
        && onem2m_id_parse(in, len, NULL) == 0)
    {
        return;
    }

    if (len > 2 && p[0] == '/' && p[1] == '/'
        && canon_absolute(p, last, gw, id, &rest))
    {
        return;
    }

    /* "/S...": an S-stem AE-ID, or a CSE-ID starting with "S" */

    if (rest[0] == '/' && rest + 1 < last && rest[1] == 'S'
        && canon_chr(rest + 1, last, '/') == NULL)
    {
        canon_set(id, ONEM2M_CANON_AE, rest + 1, last);
        id->cse = rest;
        id->cse_len = last - rest;
        id->local = 1;
        id->s_stem = 1;
        return;
    }

    if (rest[0] == '/') {
        canon_sp_relative(rest, last, gw, id);
        return;
    }

    if (canon_chr(p, last, '/') != NULL) {
        return;
    }

    id->kind = ONEM2M_CANON_AE;
    id->local = 1;
    id->stem_form = 1;
    id->s_stem = (p[0] == 'S');
}


int
onem2m_canon_equal(const onem2m_canon *a, const onem2m_canon *b, int nocase)
{
    return a->kind == b->kind
           && a->kind != ONEM2M_CANON_OTHER
           && onem2m_canon_same(a->canonical, a->canonical_len,
                                b->canonical, b->canonical_len, nocase);
}


int
onem2m_canon_same(const char *a, size_t alen, const char *b, size_t blen,
    int nocase)
{
    const char  *sa, *sb;
    size_t       la, lb;

    if (alen > 2 && a[0] == '/' && a[1] == '/'
        && blen > 2 && b[0] == '/' && b[1] == '/')
    {
        sa = canon_chr(a + 2, a + alen, '/');
        sb = canon_chr(b + 2, b + blen, '/');

        if (sa != NULL && sb != NULL) {
            la = sa - a - 2;
            lb = sb - b - 2;

            la -= (la > 0 && a[2 + la - 1] == '.');
            lb -= (lb > 0 && b[2 + lb - 1] == '.');

            if (la != lb || canon_casecmp(a + 2, b + 2, la) != 0
                || (size_t) (a + alen - sa) != (size_t) (b + blen - sb))
            {
                return 0;
            }

            la = a + alen - sa;

            return nocase ? canon_casecmp(sa, sb, la) == 0
                          : memcmp(sa, sb, la) == 0;
        }
    }

    if (alen != blen) {
        return 0;
    }

    return nocase ? canon_casecmp(a, b, alen) == 0
                  : memcmp(a, b, alen) == 0;
}


int
onem2m_canon_is_gateway(const onem2m_canon *id, const onem2m_gateway *gw)
{
    return id->cse_len == gw->cse_id_len + 1
           && id->cse[0] == '/'
           && canon_casecmp(id->cse + 1, gw->cse_id, gw->cse_id_len) == 0;
}


int
onem2m_canon_other_sp(const char *ae_id, size_t len,
    const onem2m_gateway *gw)
{
    const char  *slash;

    if (len < 3 || ae_id[0] != '/' || ae_id[1] != '/') {
        return 0;
    }

    slash = canon_chr(ae_id + 2, ae_id + len, '/');

    if (slash == NULL) {
        return 1;
    }

    /* SP-IDs are domain names: compared without case or final dot */

    return !canon_own_sp(ae_id + 2, slash - ae_id - 2, gw);
}


int
onem2m_canon_request_for_id(const char *id, size_t len)
{
    return len == 1 && (id[0] == 'C' || id[0] == 'S');
}


/* appends n bytes of s at *p, cut at end */

static void
canon_put(char **p, char *end, const char *s, size_t n)
{
    if (n > (size_t) (end - *p)) {
        n = end - *p;
    }

    if (n == 0) {
        return;
    }

    memcpy(*p, s, n);
    *p += n;
}


size_t
onem2m_canon_forms(const onem2m_canon *id, const onem2m_gateway *gw,
    char *buf, size_t size, onem2m_canon_form *form)
{
    int          abs;
    char        *p, *end;
    size_t       n;
    const char  *c;

    c = id->canonical;

    /* another SP's identifier means it only as written */

    if (id->kind == ONEM2M_CANON_OTHER
        || (id->canonical_len > 1 && c[0] == '/' && c[1] == '/'))
    {
        return 0;
    }

    p = buf;
    end = buf + size;

    form[0].data = p;
    canon_put(&p, end, c, id->canonical_len);
    form[0].len = p - form[0].data;
    n = 1;

    if (!id->local && gw->sp_id_len == 0) {
        return n;
    }

    /*
     * A local AE: "/<stem>" (S-stem) or "/<CSE-ID>/<stem>", then the same
     * after "//<SP-ID>".  Anything else: "//<SP-ID>" before it.
     */

    for (abs = !id->local; abs <= (gw->sp_id_len != 0); abs++) {
        form[n].data = p;

        if (abs) {
            canon_put(&p, end, "//", 2);
            canon_put(&p, end, gw->sp_id, gw->sp_id_len);
        }

        if (id->local) {
            canon_put(&p, end, "/", 1);

            if (!id->s_stem) {
                canon_put(&p, end, gw->cse_id, gw->cse_id_len);
                canon_put(&p, end, "/", 1);
            }
        }

        canon_put(&p, end, c, id->canonical_len);
        form[n].len = p - form[n].data;
        n++;
    }

    return n;
}
