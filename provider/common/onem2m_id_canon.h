/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * oneM2M identifiers as a gateway compares them: the forms of TS-0001
 * Table 7.2-1 of one entity reduced to one canonical string, once the
 * gateway's own CSE-ID and SP-ID are known.  The originator checks of the
 * nginx module (X-M2M-Origin against the bound entity) use it.  Pure C:
 * no nginx, no OpenSSL; the grammar itself is common/onem2m_id.c.
 *
 *   AE of this CSE or SP ("local"):  its AE-ID-Stem   "Clock-AE1"
 *   AE of another CSE of this SP:    SP-relative      "/cse-2/C123"
 *   CSE of this SP:                  SP-relative      "/in-cse-7"
 *   anything of another SP:          as written       "//sp.example/..."
 *
 * Every pointer of an onem2m_canon points into the identifier parsed.
 */

#ifndef ONEM2M_ID_CANON_H
#define ONEM2M_ID_CANON_H

#include <stddef.h>

/* what an identifier is, once the gateway's CSE-ID and SP-ID are known */
#define ONEM2M_CANON_OTHER         0
#define ONEM2M_CANON_AE            1
#define ONEM2M_CANON_CSE           2

/* the most table forms of one entity, and the room they take */
#define ONEM2M_CANON_FORMS         4
#define ONEM2M_CANON_FORM_LEN      (3 * 255 + 8)

/* the gateway: CSE-ID without "/", SP-ID without "//" (may be empty) */
typedef struct {
    const char  *cse_id;
    size_t       cse_id_len;
    const char  *sp_id;
    size_t       sp_id_len;
} onem2m_gateway;

typedef struct {
    int          kind;           /* ONEM2M_CANON_* */
    const char  *canonical;
    size_t       canonical_len;
    /*
     * The identifier read as a CSE-ID, or empty: a CSE's canonical, and
     * for "/S..." and "//<SP-ID>/S..." the CSE reading of what is kept as
     * an S-stem AE-ID (TS-0004 6.2.3 writes both alike).
     */
    const char  *cse;
    size_t       cse_len;
    unsigned     local:1;        /* an AE of this CSE or SP */
    unsigned     stem_form:1;    /* written as the bare stem */
    unsigned     s_stem:1;
} onem2m_canon;

/* a string of a form: into the buffer of onem2m_canon_forms() */
typedef struct {
    const char  *data;
    size_t       len;
} onem2m_canon_form;

/*
 * Reads in (len bytes) for the gateway gw into *id.  What the grammar
 * refuses is ONEM2M_CANON_OTHER; "C" and "S" alone (an AE registration
 * asking for an AE-ID) read as a local stem.  An empty SP-ID takes every
 * SP-ID as the gateway's own, which makes more claims match, never fewer.
 */
void onem2m_canon_parse(const char *in, size_t len, const onem2m_gateway *gw,
    onem2m_canon *id);

/* the same entity: same kind, canonical forms equal (nocase: in any case) */
int onem2m_canon_equal(const onem2m_canon *a, const onem2m_canon *b,
    int nocase);

/*
 * Two canonical strings of one identifier: another SP's identifiers stay
 * as written, their SP-ID compared without case and final dot.
 */
int onem2m_canon_same(const char *a, size_t alen, const char *b, size_t blen,
    int nocase);

/* whether id can be the gateway's CSE-ID, in any case */
int onem2m_canon_is_gateway(const onem2m_canon *id, const onem2m_gateway *gw);

/* whether an absolute AE-ID "//<SP-ID>/..." names another SP than gw's */
int onem2m_canon_other_sp(const char *ae_id, size_t len,
    const onem2m_gateway *gw);

/* "C" or "S": an AE registration asking the registrar for an AE-ID */
int onem2m_canon_request_for_id(const char *id, size_t len);

/*
 * The forms a table may store the entity id stands for besides the claim
 * as written: its canonical form, and the SP-relative and absolute forms
 * of a local AE (or the absolute form of an SP-relative identifier).
 * Written into buf (ONEM2M_CANON_FORMS * ONEM2M_CANON_FORM_LEN bytes
 * suffice); returns how many, 0 for another SP's or no identifier.
 */
size_t onem2m_canon_forms(const onem2m_canon *id, const onem2m_gateway *gw,
    char *buf, size_t size, onem2m_canon_form *form);

#endif /* ONEM2M_ID_CANON_H */
