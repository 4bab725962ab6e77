/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target of the identifiers as the gateway compares them
 * (provider/common/onem2m_id_canon.c; build and run: "make fuzz").  Pure
 * C: the very file the nginx module's originator checks compile.
 *
 * The first byte picks the gateway (with or without SP-ID); the rest is
 * one identifier, or two separated by "\n".  Besides the sanitizers, each
 * answer is checked against what the code promises: pointers inside the
 * input, the canonical form a part of it, OTHER exactly where the grammar
 * refuses, equality symmetric and implied by itself without case, and
 * every table form of an entity read back as the same entity.
 */

#include <stdint.h>
#include <string.h>

#include "common/onem2m_id.h"
#include "common/onem2m_id_canon.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);


static const onem2m_gateway  gateways[] = {
    { "mn-cse-1", sizeof("mn-cse-1") - 1, "sp.example",
      sizeof("sp.example") - 1 },
    { "mn-cse-1", sizeof("mn-cse-1") - 1, "", 0 },
};


static int
inside(const char *part, size_t len, const char *s, size_t n)
{
    return len == 0 || (part >= s && len <= n && part + len <= s + n);
}


static void
check_forms(const onem2m_canon *id, const onem2m_gateway *gw)
{
    char               buf[ONEM2M_CANON_FORMS * ONEM2M_CANON_FORM_LEN];
    size_t             i, n;
    onem2m_canon       back;
    onem2m_canon_form  form[ONEM2M_CANON_FORMS];

    n = onem2m_canon_forms(id, gw, buf, sizeof(buf), form);

    check(n <= ONEM2M_CANON_FORMS);
    check(n == 0 || id->kind != ONEM2M_CANON_OTHER);

    for (i = 0; i < n; i++) {
        check(form[i].len >= id->canonical_len);
        check(memcmp(form[i].data + form[i].len - id->canonical_len,
                     id->canonical, id->canonical_len) == 0);

        /* "C" and "S" ask for an ID: "/<CSE-ID>/C" is no identifier */
        if (form[i].len > ONEM2M_ID_MAX_LEN
            || onem2m_canon_request_for_id(id->canonical, id->canonical_len))
        {
            continue;
        }

        onem2m_canon_parse(form[i].data, form[i].len, gw, &back);
        check(onem2m_canon_equal(&back, id, 0));
    }
}


static void
check_one(const char *s, size_t n, const onem2m_gateway *gw,
    onem2m_canon *id)
{
    onem2m_canon_parse(s, n, gw, id);

    check(inside(id->canonical, id->canonical_len, s, n));
    check(inside(id->cse, id->cse_len, s, n));
    check(id->kind == ONEM2M_CANON_OTHER || id->kind == ONEM2M_CANON_AE
          || id->kind == ONEM2M_CANON_CSE);
    check((id->kind == ONEM2M_CANON_OTHER)
          == (onem2m_id_parse(s, n, NULL) == 0
              && !onem2m_canon_request_for_id(s, n)));
    check(!id->local || id->kind == ONEM2M_CANON_AE);
    check(id->kind == ONEM2M_CANON_OTHER || onem2m_canon_equal(id, id, 0));
    check(!onem2m_canon_is_gateway(id, gw) || id->cse_len > 0);

    check_forms(id, gw);
}


int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char            *s, *nl;
    size_t                 n;
    onem2m_canon           a, b;
    const onem2m_gateway  *gw;

    if (size == 0) {
        return 0;
    }

    gw = &gateways[data[0] & 1];
    s = (const char *) data + 1;
    n = size - 1;

    nl = memchr(s, '\n', n);

    if (nl == NULL) {
        check_one(s, n, gw, &a);
        (void) onem2m_canon_other_sp(s, n, gw);
        return 0;
    }

    check_one(s, nl - s, gw, &a);
    check_one(nl + 1, n - (nl + 1 - s), gw, &b);

    check(onem2m_canon_equal(&a, &b, 0) == onem2m_canon_equal(&b, &a, 0));
    check(onem2m_canon_equal(&a, &b, 1) == onem2m_canon_equal(&b, &a, 1));
    check(!onem2m_canon_equal(&a, &b, 0) || onem2m_canon_equal(&a, &b, 1));
    check(!onem2m_canon_equal(&a, &b, 1) || a.kind == b.kind);

    return 0;
}
