/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The one oneM2M identifier grammar and host-name rule
 * (provider/common/onem2m_id.c), table-driven, without nginx or OpenSSL:
 * TS-0001 Table 7.2-1 and TS-0004 6.2.3 forms, what is no identifier, and
 * the host names of "onem2m_sae_sp_domain" / "onem2m_sae_sp_id".
 */

#include <stdio.h>
#include <string.h>
#include <check.h>

#include "check_cases.h"
#include "common/onem2m_id.h"

#define AE   ONEM2M_ID_AE
#define CSE  ONEM2M_ID_CSE
#define STEM ONEM2M_ID_FORM_STEM
#define REL  ONEM2M_ID_FORM_SP_RELATIVE
#define ABS  ONEM2M_ID_FORM_ABSOLUTE

typedef struct {
    const char  *id;
    int          type;          /* 0: no identifier */
    int          form;
    int          ambiguous;
    const char  *sp_id;         /* NULL: none */
    const char  *cse_id;
    const char  *stem;
} id_case;

static const id_case  ids[] = {
    /* AE-ID-Stems: "C" or "S" and at least one more character */
    { "Clock-AE1", AE, STEM, 0, NULL, NULL, "Clock-AE1" },
    { "S98821", AE, STEM, 0, NULL, NULL, "S98821" },
    { "C9886", AE, STEM, 0, NULL, NULL, "C9886" },
    { "Ca.b_c~d-e", AE, STEM, 0, NULL, NULL, "Ca.b_c~d-e" },

    /* SP-relative */
    { "/mn-cse-123456", CSE, REL, 0, NULL, "mn-cse-123456", NULL },
    { "/CSE3219/C9886", AE, REL, 0, NULL, "CSE3219", "C9886" },
    { "/S98821", AE, REL, 1, NULL, NULL, "S98821" },
    { "/in-cse-8", CSE, REL, 0, NULL, "in-cse-8", NULL },

    /* absolute */
    { "//m2m.prov.com/CSE3219/C9886", AE, ABS, 0, "m2m.prov.com", "CSE3219",
      "C9886" },
    { "//m2m.things.com/S98821", AE, ABS, 1, "m2m.things.com", NULL,
      "S98821" },
    { "//in.provider.com/in-cse-8", CSE, ABS, 0, "in.provider.com",
      "in-cse-8", NULL },
    { "//In.Provider.COM./in-cse-8", CSE, ABS, 0, "In.Provider.COM.",
      "in-cse-8", NULL },

    /* neither an AE-ID nor a CSE-ID: none may pass as one */
    { "in-cse-8", 0, 0, 0, NULL, NULL, NULL },
    { "mn-cse-123456", 0, 0, 0, NULL, NULL, NULL },
    { "/in-cse-8#", 0, 0, 0, NULL, NULL, NULL },
    { "/in-cse-8?x", 0, 0, 0, NULL, NULL, NULL },
    { "in-cse-8;x", 0, 0, 0, NULL, NULL, NULL },

    /* not a stem */
    { "C", 0, 0, 0, NULL, NULL, NULL },
    { "S", 0, 0, 0, NULL, NULL, NULL },
    { "c1", 0, 0, 0, NULL, NULL, NULL },
    { "Clock AE1", 0, 0, 0, NULL, NULL, NULL },
    { "Clock%41", 0, 0, 0, NULL, NULL, NULL },
    { "Clock/AE1", 0, 0, 0, NULL, NULL, NULL },

    /* empty segments, too many, the wrong stem where a C-stem belongs */
    { "", 0, 0, 0, NULL, NULL, NULL },
    { "/", 0, 0, 0, NULL, NULL, NULL },
    { "//", 0, 0, 0, NULL, NULL, NULL },
    { "/in-cse-7/", 0, 0, 0, NULL, NULL, NULL },
    { "//in.provider.com", 0, 0, 0, NULL, NULL, NULL },
    { "//in.provider.com/", 0, 0, 0, NULL, NULL, NULL },
    { "///in.provider.com/in-cse-8", 0, 0, 0, NULL, NULL, NULL },
    { "//in.provider.com//in-cse-8", 0, 0, 0, NULL, NULL, NULL },
    { "/a/C1/C2", 0, 0, 0, NULL, NULL, NULL },
    { "//sp.com/a/C1/C2", 0, 0, 0, NULL, NULL, NULL },
    { "/in-cse-8/Sstem", 0, 0, 0, NULL, NULL, NULL },
    { "/in-cse-8/stem", 0, 0, 0, NULL, NULL, NULL },
    { "//sp.com/in-cse-8/X1", 0, 0, 0, NULL, NULL, NULL },

    /* the SP-ID is a host name */
    { "//sp_x.example/in-cse-8", 0, 0, 0, NULL, NULL, NULL },
    { "//sp..example/in-cse-8", 0, 0, 0, NULL, NULL, NULL },
    { "//-sp.example/in-cse-8", 0, 0, 0, NULL, NULL, NULL },
    { "//10.0.0.1/in-cse-8", 0, 0, 0, NULL, NULL, NULL },
    { "//sp.example../in-cse-8", 0, 0, 0, NULL, NULL, NULL },
};

START_TEST(test_id_forms)
{
    const id_case  *c = &ids[_i];
    onem2m_id       id;
    int             type;

    type = onem2m_id_parse(c->id, strlen(c->id), &id);

    ck_assert_msg(type == c->type, "\"%s\": type %d, expected %d", c->id,
                  type, c->type);
    ck_assert_int_eq(id.type, c->type);
    ck_assert_int_eq(onem2m_id_parse(c->id, strlen(c->id), NULL), c->type);

    if (c->type == 0) {
        ck_assert_int_eq(id.form, 0);
        ck_assert_ptr_null(id.stem);
        return;
    }

    ck_assert_msg(id.form == c->form, "\"%s\": form %d", c->id, id.form);
    ck_assert_int_eq(id.ambiguous, c->ambiguous);

#define PART(field, expected)                                                \
    if ((expected) == NULL) {                                                \
        ck_assert_ptr_null(id.field);                                        \
    } else {                                                                 \
        ck_assert_ptr_nonnull(id.field);                                     \
        ck_assert_uint_eq(id.field##_len, strlen(expected));                 \
        ck_assert(memcmp(id.field, (expected), id.field##_len) == 0);        \
    }

    PART(sp_id, c->sp_id);
    PART(cse_id, c->cse_id);
    PART(stem, c->stem);
}
END_TEST

/* the length counts, not a NUL: a prefix of an identifier is read alone */
START_TEST(test_id_length)
{
    char  buf[ONEM2M_ID_MAX_LEN + 2];

    ck_assert_int_eq(onem2m_id_parse("/in-cse-8#", 9, NULL), CSE);
    ck_assert_int_eq(onem2m_id_parse("Clock\0AE1", 9, NULL), 0);
    ck_assert_int_eq(onem2m_id_parse(NULL, 3, NULL), 0);

    memset(buf, 'a', sizeof(buf));
    buf[0] = 'C';
    ck_assert_int_eq(onem2m_id_parse(buf, ONEM2M_ID_MAX_LEN, NULL), AE);
    ck_assert_int_eq(onem2m_id_parse(buf, ONEM2M_ID_MAX_LEN + 1, NULL), 0);
}
END_TEST

typedef struct {
    const char  *name;
    int          flags;
    int          valid;
} host_case;

#define L63 "a12345678901234567890123456789012345678901234567890123456789012"
#define L64 L63 "3"

static const host_case  hosts[] = {
    { "in.provider.com", 0, 1 },
    { "provider", 0, 1 },
    { "a-b.c0m", 0, 1 },
    { "1and1.com", 0, 1 },
    { "xn--bcher-kva.example", 0, 1 },
    { L63 ".example", 0, 1 },
    /* a 64-byte label (DNS allows 63): both directives refuse it */
    { L64 ".example", 0, 0 },
    { "", 0, 0 },
    { ".", 0, 0 },
    { ".com", 0, 0 },
    { "in..provider.com", 0, 0 },
    { "-in.provider.com", 0, 0 },
    { "in-.provider.com", 0, 0 },
    { "in_x.provider.com", 0, 0 },
    { "in.provider.com/x", 0, 0 },
    { "in provider", 0, 0 },
    { "10.0.0.1", 0, 0 },
    { "example.123", 0, 0 },
    { "example.123", ONEM2M_HOST_NUMERIC_LAST, 1 },
    { "in.provider.com.", 0, 0 },
    { "in.provider.com.", ONEM2M_HOST_FINAL_DOT, 1 },
    { "in.provider.com..", ONEM2M_HOST_FINAL_DOT, 0 },
    { ".", ONEM2M_HOST_FINAL_DOT, 0 },
};

START_TEST(test_host_names)
{
    const host_case  *c = &hosts[_i];

    ck_assert_msg(onem2m_host_name_valid(c->name, strlen(c->name), c->flags)
                  == c->valid, "\"%s\" (flags %d): expected %d", c->name,
                  c->flags, c->valid);
}
END_TEST

/* 253 bytes in all, not one more (the final dot not counted) */
START_TEST(test_host_name_length)
{
    char    name[300];
    size_t  i;

    /* 63 + 1 + 63 + 1 + 63 + 1 + 61 = 253 */
    snprintf(name, sizeof(name), "%s.%s.%s.", L63, L63, L63);
    for (i = strlen(name); i < 253; i++) {
        name[i] = 'b';
    }
    name[253] = '\0';

    ck_assert_int_eq(onem2m_host_name_valid(name, 253, 0), 1);
    name[253] = '.';
    name[254] = '\0';
    ck_assert_int_eq(onem2m_host_name_valid(name, 254, 0), 0);
    ck_assert_int_eq(onem2m_host_name_valid(name, 254,
                                            ONEM2M_HOST_FINAL_DOT), 1);
    name[253] = 'b';
    ck_assert_int_eq(onem2m_host_name_valid(name, 254, 0), 0);
}
END_TEST

typedef struct {
    const char  *id;
    int          valid;
} kpsa_case;

static const kpsa_case  kpsa_ids[] = {
    { "AE123456789012-Lock@in.provider.com", 1 },
    { "test@onem2m.com", 1 },
    { "a.b_c-d@x", 1 },
    { "a@9", 1 },
    { "@in.provider.com", 0 },
    { "a@", 0 },
    { "a@@b", 0 },
    { "a~b@in.provider.com", 0 },
    { "a b@in.provider.com", 0 },
    { "a@in..provider.com", 0 },
    { "a@-in.provider.com", 0 },
    { "a@" L64 ".com", 0 },
};

START_TEST(test_kpsa_ids)
{
    const kpsa_case  *c = &kpsa_ids[_i];

    ck_assert_msg(onem2m_kpsa_id_valid(c->id, strlen(c->id)) == c->valid,
                  "\"%s\": expected %d", c->id, c->valid);
}
END_TEST


Suite *onem2m_id_suite(void)
{
    return CK_SUITE("onem2m_id",
                    CK_TCASE("grammar", NULL, NULL, 0),
                    CK_LOOP(test_id_forms, CK_N(ids)), CK_TEST(test_id_length),
                    CK_LOOP(test_host_names, CK_N(hosts)),
                    CK_TEST(test_host_name_length),
                    CK_LOOP(test_kpsa_ids, CK_N(kpsa_ids)));
}
