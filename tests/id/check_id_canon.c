/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * oneM2M identifiers as the gateway compares them
 * (provider/common/onem2m_id_canon.c), table-driven, without nginx: the
 * canonical form of each TS-0001 Table 7.2-1 form for a gateway
 * "mn-cse-1" of SP "sp.example" (and one without SP-ID), equality of two
 * identifiers, the gateway's own CSE-ID, another SP's AE-IDs, and the
 * forms a key table may store an entity in.
 */

#include <string.h>
#include <check.h>

#include "check_cases.h"
#include "common/onem2m_id_canon.h"

#define AE     ONEM2M_CANON_AE
#define CSE    ONEM2M_CANON_CSE
#define OTHER  ONEM2M_CANON_OTHER


static const onem2m_gateway  gw = {
    "mn-cse-1", sizeof("mn-cse-1") - 1, "sp.example", sizeof("sp.example") - 1
};

/* no "onem2m_sae_sp_id": every SP-ID is the gateway's */
static const onem2m_gateway  gw_no_sp = {
    "mn-cse-1", sizeof("mn-cse-1") - 1, "", 0
};


static void
parse(const char *s, const onem2m_gateway *g, onem2m_canon *id)
{
    onem2m_canon_parse(s, strlen(s), g, id);
}


static int
is(const char *p, size_t len, const char *s)
{
    return len == strlen(s) && (len == 0 || memcmp(p, s, len) == 0);
}


typedef struct {
    const char            *id;
    const onem2m_gateway  *gw;
    int                    kind;
    const char            *canonical;
    const char            *cse;        /* "" when none */
    int                    local, stem_form, s_stem;
} canon_case;

static const canon_case  canons[] = {
    /* local AEs: the stem, in whichever form */
    { "Clock-AE1", &gw, AE, "Clock-AE1", "", 1, 1, 0 },
    { "S123", &gw, AE, "S123", "", 1, 1, 1 },
    { "C", &gw, AE, "C", "", 1, 1, 0 },
    { "S", &gw, AE, "S", "", 1, 1, 1 },
    { "/mn-cse-1/Clock-AE1", &gw, AE, "Clock-AE1", "", 1, 0, 0 },
    { "/MN-CSE-1/Clock-AE1", &gw, AE, "Clock-AE1", "", 1, 0, 0 },
    { "/mn-cse-1/C1", &gw, AE, "C1", "", 1, 0, 0 },
    { "/S98821", &gw, AE, "S98821", "/S98821", 1, 0, 1 },
    { "//sp.example/mn-cse-1/Clock-AE1", &gw, AE, "Clock-AE1", "", 1, 0, 0 },
    { "//SP.Example./mn-cse-1/Clock-AE1", &gw, AE, "Clock-AE1", "", 1, 0,
      0 },
    { "//sp.example/S98821", &gw, AE, "S98821", "/S98821", 1, 0, 1 },

    /* this SP: SP-relative */
    { "/cse-2/C123", &gw, AE, "/cse-2/C123", "", 0, 0, 0 },
    { "/in-cse-7", &gw, CSE, "/in-cse-7", "/in-cse-7", 0, 0, 0 },
    { "//sp.example/in-cse-7", &gw, CSE, "/in-cse-7", "/in-cse-7", 0, 0, 0 },
    { "//sp.example/cse-2/C123", &gw, AE, "/cse-2/C123", "", 0, 0, 0 },

    /* another SP: as written, kind by shape */
    { "//other.example/in-cse-7", &gw, CSE, "//other.example/in-cse-7",
      "//other.example/in-cse-7", 0, 0, 0 },
    { "//other.example/S9", &gw, AE, "//other.example/S9",
      "//other.example/S9", 0, 0, 0 },
    { "//other.example/cse-2/C1", &gw, AE, "//other.example/cse-2/C1", "",
      0, 0, 0 },

    /* without SP-ID every SP is this one */
    { "//any.example/in-cse-7", &gw_no_sp, CSE, "/in-cse-7", "/in-cse-7",
      0, 0, 0 },
    { "//any.example/mn-cse-1/C1", &gw_no_sp, AE, "C1", "", 1, 0, 0 },

    /* no identifier: OTHER, canonical as written */
    { "in-cse-8", &gw, OTHER, "in-cse-8", "", 0, 0, 0 },
    { "/in-cse-8#", &gw, OTHER, "/in-cse-8#", "", 0, 0, 0 },
    { "Clock/AE1", &gw, OTHER, "Clock/AE1", "", 0, 0, 0 },
    { "/mn-cse-1/", &gw, OTHER, "/mn-cse-1/", "", 0, 0, 0 },
    { "/mn-cse-1/S1", &gw, OTHER, "/mn-cse-1/S1", "", 0, 0, 0 },
    { "//sp.example", &gw, OTHER, "//sp.example", "", 0, 0, 0 },
    { "", &gw, OTHER, "", "", 0, 0, 0 },
};

START_TEST(test_canon_parse)
{
    const canon_case  *c = &canons[_i];
    onem2m_canon       id;

    parse(c->id, c->gw, &id);

    ck_assert_msg(id.kind == c->kind, "\"%s\": kind %d, expected %d",
                  c->id, id.kind, c->kind);
    ck_assert_msg(is(id.canonical, id.canonical_len, c->canonical),
                  "\"%s\": canonical \"%.*s\", expected \"%s\"", c->id,
                  (int) id.canonical_len, id.canonical, c->canonical);
    ck_assert_msg(is(id.cse, id.cse_len, c->cse),
                  "\"%s\": cse \"%.*s\", expected \"%s\"", c->id,
                  (int) id.cse_len, id.cse ? id.cse : "", c->cse);
    ck_assert_msg((int) id.local == c->local
                  && (int) id.stem_form == c->stem_form
                  && (int) id.s_stem == c->s_stem,
                  "\"%s\": local %d stem_form %d s_stem %d", c->id,
                  id.local, id.stem_form, id.s_stem);
}
END_TEST


typedef struct {
    const char  *a, *b;
    int          equal, equal_nocase;
} equal_case;

static const equal_case  equals[] = {
    { "Clock-AE1", "/mn-cse-1/Clock-AE1", 1, 1 },
    { "Clock-AE1", "//sp.example/mn-cse-1/Clock-AE1", 1, 1 },
    { "Clock-AE1", "CLOCK-AE1", 0, 1 },
    { "Clock-AE1", "Clock-AE2", 0, 0 },
    { "/in-cse-7", "//sp.example/in-cse-7", 1, 1 },
    { "/in-cse-7", "/IN-CSE-7", 0, 1 },
    { "//other.example/in-cse-7", "//OTHER.example./in-cse-7", 1, 1 },
    { "//other.example/in-cse-7", "//other.example/IN-cse-7", 0, 1 },
    { "//other.example/in-cse-7", "//other.example/in-cse-77", 0, 0 },
    { "//other.example/in-cse-7", "//else.example/in-cse-7", 0, 0 },
    { "/in-cse-7", "/S7", 0, 0 },
    { "in-cse-8", "in-cse-8", 0, 0 },
};

START_TEST(test_canon_equal)
{
    const equal_case  *c = &equals[_i];
    onem2m_canon       a, b;

    parse(c->a, &gw, &a);
    parse(c->b, &gw, &b);

    ck_assert_msg(onem2m_canon_equal(&a, &b, 0) == c->equal
                  && onem2m_canon_equal(&b, &a, 0) == c->equal,
                  "\"%s\" = \"%s\": expected %d", c->a, c->b, c->equal);
    ck_assert_msg(onem2m_canon_equal(&a, &b, 1) == c->equal_nocase,
                  "\"%s\" ~ \"%s\": expected %d", c->a, c->b,
                  c->equal_nocase);
}
END_TEST


typedef struct {
    const char  *id;
    int          gateway;     /* onem2m_canon_is_gateway() */
    int          other_sp;    /* onem2m_canon_other_sp() */
} who_case;

static const who_case  whos[] = {
    { "/mn-cse-1", 1, 0 },
    { "/MN-CSE-1", 1, 0 },
    { "//sp.example/mn-cse-1", 1, 0 },
    { "//SP.EXAMPLE./mn-cse-1/C1", 0, 0 },
    { "/mn-cse-2", 0, 0 },
    { "/mn-cse-1/C1", 0, 0 },
    { "Cmn-cse-1", 0, 0 },
    { "//evil.example/mn-cse-1", 0, 1 },
    { "//evil.example/x/C1", 0, 1 },
    { "//sp.example.evil/x/C1", 0, 1 },
    { "//nodelimiter", 0, 1 },
    { "/x/C1", 0, 0 },
};

START_TEST(test_canon_who)
{
    const who_case  *c = &whos[_i];
    onem2m_canon     id;

    parse(c->id, &gw, &id);

    ck_assert_msg(onem2m_canon_is_gateway(&id, &gw) == c->gateway,
                  "\"%s\": gateway expected %d", c->id, c->gateway);
    ck_assert_msg(onem2m_canon_other_sp(c->id, strlen(c->id), &gw)
                  == c->other_sp,
                  "\"%s\": other SP expected %d", c->id, c->other_sp);
}
END_TEST


typedef struct {
    const char            *id;
    const onem2m_gateway  *gw;
    const char            *form[ONEM2M_CANON_FORMS + 1];
} forms_case;

static const forms_case  forms[] = {
    { "Clock-AE1", &gw, { "Clock-AE1", "/mn-cse-1/Clock-AE1",
                          "//sp.example/mn-cse-1/Clock-AE1", NULL } },
    { "//sp.example/mn-cse-1/Clock-AE1", &gw,
      { "Clock-AE1", "/mn-cse-1/Clock-AE1",
        "//sp.example/mn-cse-1/Clock-AE1", NULL } },
    { "/S9", &gw, { "S9", "/S9", "//sp.example/S9", NULL } },
    { "/in-cse-7", &gw, { "/in-cse-7", "//sp.example/in-cse-7", NULL } },
    { "/cse-2/C1", &gw, { "/cse-2/C1", "//sp.example/cse-2/C1", NULL } },
    { "Clock-AE1", &gw_no_sp, { "Clock-AE1", "/mn-cse-1/Clock-AE1",
                                NULL } },
    { "/S9", &gw_no_sp, { "S9", "/S9", NULL } },
    { "/in-cse-7", &gw_no_sp, { "/in-cse-7", NULL } },
    { "//other.example/in-cse-7", &gw, { NULL } },
    { "in-cse-8", &gw, { NULL } },
};

START_TEST(test_canon_forms)
{
    const forms_case   *c = &forms[_i];
    char                buf[ONEM2M_CANON_FORMS * ONEM2M_CANON_FORM_LEN];
    size_t              i, n;
    onem2m_canon        id;
    onem2m_canon_form   form[ONEM2M_CANON_FORMS];

    parse(c->id, c->gw, &id);

    n = onem2m_canon_forms(&id, c->gw, buf, sizeof(buf), form);

    for (i = 0; i < n; i++) {
        ck_assert_msg(c->form[i] != NULL && is(form[i].data, form[i].len,
                                               c->form[i]),
                      "\"%s\": form %zu \"%.*s\", expected \"%s\"", c->id,
                      i, (int) form[i].len, form[i].data,
                      c->form[i] ? c->form[i] : "(none)");
    }

    ck_assert_msg(c->form[n] == NULL, "\"%s\": %zu forms, expected more",
                  c->id, n);
}
END_TEST


Suite *id_canon_suite(void)
{
    return CK_SUITE("id_canon",
                    CK_TCASE("canonical", NULL, NULL, 0),
                    CK_LOOP(test_canon_parse, CK_N(canons)),
                    CK_LOOP(test_canon_equal, CK_N(equals)),
                    CK_LOOP(test_canon_who, CK_N(whos)),
                    CK_LOOP(test_canon_forms, CK_N(forms)));
}
