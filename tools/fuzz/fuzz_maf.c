/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * libFuzzer target of the MAF's request decoding (tools/onem2m-maf/
 * maf_proto.c: the one HTTP/JSON mapping; build and run: "make fuzz").
 * jansson and provider/common, no libpq, no libmicrohttpd.
 *
 * The first byte picks the procedure, the rest is the request body.
 * Besides the sanitizers, a decoded request is checked against what the
 * decoder promises: every required parameter of the procedure is present,
 * nothing outside its table, at least one change of an update, strings
 * NUL-terminated within their buffers, ids of the right length in lower
 * case hex, a Key Value of 16 to 64 bytes, labels as JSON text exactly
 * when present, and an expirationTime that formats back to a timestamp
 * parsing to the same second.  A refused body leaves nothing allocated.
 */

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "maf.h"
#include "fuzz_check.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_hex(const char *s, size_t len)
{
    size_t  i;

    check(strlen(s) == len);
    for (i = 0; i < len; i++) {
        check((s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'f'));
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const maf_proc  *proc;
    maf_request      req;
    char             why[160], t[16];
    int64_t          back;
    unsigned         allowed;
    int              rc;

    if (size == 0) {
        return 0;
    }

    proc = &maf_procs[data[0] % MAF_PROC_COUNT];
    rc = maf_proto_decode(proc, (const char *) data + 1, size - 1, &req, why,
                          sizeof(why));

    if (rc != 0) {
        check(rc >= 4000 && rc < 6000);
        check(memchr(why, '\0', sizeof(why)) != NULL && why[0] != '\0');
        check(req.labels == NULL);
        return 0;
    }

    allowed = proc->required | proc->optional;
    check((req.present & proc->required) == proc->required);
    check((req.present & ~allowed) == 0);
    check(proc->one_of == 0 || (req.present & proc->one_of) != 0);
    check((req.labels != NULL) == ((req.present & MAF_P_LABELS) != 0));

    if (req.present & MAF_P_REG_ID) {
        check_hex(req.reg_id, MAF_REG_ID_LEN);
    }
    if (req.present & MAF_P_REL_KEY_ID) {
        check_hex(req.rel_key_id, MAF_REL_KEY_ID_LEN);
    }
    if (req.present & MAF_P_KEY_VALUE) {
        check(req.key_len >= MAF_KEY_MIN_LEN
              && req.key_len <= MAF_KEY_MAX_LEN);
    }
    if (req.present & MAF_P_MAF_FQDN) {
        check(strlen(req.maf_fqdn) > 0
              && strlen(req.maf_fqdn) < sizeof(req.maf_fqdn));
    }
    if (req.present & MAF_P_TARGET_IDS) {
        check(strlen(req.target_id) > 0
              && strlen(req.target_id) < sizeof(req.target_id));
    }
    if (req.present & MAF_P_EXPIRATION) {
        maf_time_format(req.expiration, t);
        check(maf_time_parse(t, &back) == 0 && back == req.expiration);
    }

    maf_request_free(&req);
    return 0;
}
