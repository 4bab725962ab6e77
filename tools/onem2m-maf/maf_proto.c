/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MAF's HTTP/JSON mapping, all of it: which method and path carry
 * which TS-0003 8.8.2 procedure, which JSON members carry the parameters
 * of its clause table, and how each is checked.  TS-0032 (the stage-3
 * mapping) was not available: this file and the table in docs/maf.md are
 * the mapping.  Pure C over jansson and provider/common, so the fuzz
 * target compiles it alone.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <openssl/crypto.h>

#include "common/onem2m_id.h"
#include "common/onem2m_text.h"
#include "maf.h"

#define P_FQDN  MAF_P_MAF_FQDN
#define P_EXP   MAF_P_EXPIRATION
#define P_LAB   MAF_P_LABELS
#define P_ADM   MAF_P_ADMIN_FQDN
#define P_REG   MAF_P_REG_ID
#define P_SUID  MAF_P_SUID
#define P_TGT   MAF_P_TARGET_IDS
#define P_KEY   MAF_P_KEY_VALUE
#define P_RKID  MAF_P_REL_KEY_ID

/* every procedure is a POST of one JSON object to its own path */
const maf_proc  maf_procs[MAF_PROC_COUNT] = {
    { MAF_CLIENT_REGISTRATION, "MAF Client Registration", "8.8.2.3",
      "POST", "/maf/v1/clientRegistration",
      P_FQDN | P_EXP | P_ADM, P_LAB, 0, 201, MAF_RSC_CREATED },
    { MAF_CLIENT_CONFIG_RETRIEVAL, "MAF Client Configuration Retrieval",
      "8.8.2.4", "POST", "/maf/v1/clientConfigRetrieval",
      P_FQDN | P_REG, 0, 0, 200, MAF_RSC_OK },
    { MAF_CLIENT_UPDATE, "MAF Client Registration Update", "8.8.2.5",
      "POST", "/maf/v1/clientRegistrationUpdate",
      P_FQDN | P_REG, P_EXP | P_LAB, P_EXP | P_LAB, 200, MAF_RSC_UPDATED },
    { MAF_CLIENT_DEREGISTRATION, "MAF Client De-Registration", "8.8.2.6",
      "POST", "/maf/v1/clientDeRegistration",
      P_FQDN | P_REG, 0, 0, 200, MAF_RSC_DELETED },
    { MAF_KEY_REGISTRATION, "Key Registration", "8.8.2.7",
      "POST", "/maf/v1/keyRegistration",
      P_FQDN | P_EXP | P_ADM | P_SUID, P_LAB | P_TGT | P_KEY, 0,
      201, MAF_RSC_CREATED },
    { MAF_KEY_RETRIEVAL, "Key Retrieval", "8.8.2.8",
      "POST", "/maf/v1/keyRetrieval",
      P_RKID, 0, 0, 200, MAF_RSC_OK },
    { MAF_KEY_UPDATE, "Key Registration Update", "8.8.2.9",
      "POST", "/maf/v1/keyRegistrationUpdate",
      P_FQDN | P_RKID, P_EXP | P_LAB | P_TGT, P_EXP | P_LAB | P_TGT,
      200, MAF_RSC_UPDATED },
    { MAF_KEY_DEREGISTRATION, "Key De-Registration", "8.8.2.10",
      "POST", "/maf/v1/keyDeRegistration",
      P_FQDN | P_RKID, 0, 0, 200, MAF_RSC_DELETED },
};

/* the JSON member of each parameter */
static const struct {
    unsigned     bit;
    const char  *name;
} maf_params[] = {
    { P_FQDN, "mafFQDN" },
    { P_EXP,  "expirationTime" },
    { P_LAB,  "labels" },
    { P_ADM,  "adminFQDN" },
    { P_REG,  "mafClientRegID" },
    { P_SUID, "SUID" },
    { P_TGT,  "targetIDs" },
    { P_KEY,  "keyValue" },
    { P_RKID, "relativeKeyID" },
};

#define N_PARAMS  (sizeof(maf_params) / sizeof(maf_params[0]))

const maf_proc *
maf_proto_route(const char *method, const char *path, int *rsc)
{
    size_t  i;

    for (i = 0; i < MAF_PROC_COUNT; i++) {
        if (strcmp(path, maf_procs[i].path) != 0) {
            continue;
        }
        if (strcmp(method, maf_procs[i].method) != 0) {
            *rsc = MAF_RSC_OPERATION_NOT_ALLOWED;
            return NULL;
        }
        return &maf_procs[i];
    }

    *rsc = MAF_RSC_NOT_FOUND;
    return NULL;
}

int
maf_proto_http_status(int rsc)
{
    switch (rsc) {
    case MAF_RSC_OK:
    case MAF_RSC_DELETED:
    case MAF_RSC_UPDATED:
        return 200;
    case MAF_RSC_CREATED:
        return 201;
    case MAF_RSC_NOT_FOUND:
        return 404;
    case MAF_RSC_OPERATION_NOT_ALLOWED:
        return 405;
    case MAF_RSC_NO_PRIVILEGE:
    case MAF_RSC_NOT_AUTHENTICATED:
        return 403;
    case MAF_RSC_CONFLICT:
        return 409;
    case MAF_RSC_INTERNAL_ERROR:
        return 500;
    default:
        return 400;
    }
}

/* m2m:timestamp, ISO 8601 basic format, UTC: "20261208T061500" */
int
maf_time_parse(const char *s, int64_t *out)
{
    struct tm   tm;
    int         i, v[6], w[6] = { 4, 2, 2, 2, 2, 2 };
    const char *p = s;
    time_t      t;

    if (strlen(s) != 15 || s[8] != 'T') {
        return -1;
    }

    for (i = 0; i < 6; i++) {
        int  j;

        if (i == 3) {
            p++;                                /* the "T" */
        }
        v[i] = 0;
        for (j = 0; j < w[i]; j++, p++) {
            if (!isdigit((unsigned char) *p)) {
                return -1;
            }
            v[i] = v[i] * 10 + (*p - '0');
        }
    }

    if (v[0] < 1970 || v[0] > 9999 || v[1] < 1 || v[1] > 12 || v[2] < 1
        || v[2] > 31 || v[3] > 23 || v[4] > 59 || v[5] > 59)
    {
        return -1;
    }

    memset(&tm, 0, sizeof(tm));
    tm.tm_year = v[0] - 1900;
    tm.tm_mon = v[1] - 1;
    tm.tm_mday = v[2];
    tm.tm_hour = v[3];
    tm.tm_min = v[4];
    tm.tm_sec = v[5];
    t = timegm(&tm);

    /* 20260231 normalises into March: refused */
    if (t == (time_t) -1 || tm.tm_mday != v[2] || tm.tm_mon != v[1] - 1) {
        return -1;
    }

    *out = (int64_t) t;
    return 0;
}

void
maf_time_format(int64_t t, char out[16])
{
    time_t     tt = (time_t) t;
    struct tm  tm;

    gmtime_r(&tt, &tm);

    /* the MAF's times are within years 1970 - 9999 (maf_time_parse) */
    if (strftime(out, 16, "%Y%m%dT%H%M%S", &tm) != 15) {
        memcpy(out, "99991231T235959", 16);
    }
}

static int
b64_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+') return 62;
    if (c == '/') return 63;
    return -1;
}

int
maf_base64_decode(const char *in, size_t len, unsigned char *out,
    size_t max)
{
    size_t  i, n = 0, pad = 0;
    int     v[4], k;

    if (len == 0 || len % 4 != 0) {
        return -1;
    }

    for (i = 0; i < len; i += 4) {
        for (k = 0; k < 4; k++) {
            unsigned char  c = (unsigned char) in[i + k];

            if (c == '=' && i + 4 == len && k >= 2
                && (k == 3 || in[i + 3] == '='))
            {
                v[k] = 0;
                pad++;
                continue;
            }
            if (pad || (v[k] = b64_value(c)) < 0) {
                return -1;
            }
        }
        if (n + 3 - pad > max) {
            return -1;
        }
        out[n++] = (unsigned char) (v[0] << 2 | v[1] >> 4);
        if (pad < 2) {
            out[n++] = (unsigned char) ((v[1] & 0xf) << 4 | v[2] >> 2);
        }
        if (pad < 1) {
            out[n++] = (unsigned char) ((v[2] & 0x3) << 6 | v[3]);
        }
    }

    return (int) n;
}

static int
decode_fqdn(json_t *v, char *out, size_t max, const char *name, char *why,
    size_t why_len)
{
    const char  *s;
    size_t       len;

    if (!json_is_string(v)) {
        snprintf(why, why_len, "%s is not a string", name);
        return -1;
    }

    s = json_string_value(v);
    len = json_string_length(v);

    if (len >= max || strlen(s) != len
        || !onem2m_host_name_valid(s, len, ONEM2M_HOST_FINAL_DOT))
    {
        snprintf(why, why_len, "%s is not a host name", name);
        return -1;
    }

    memcpy(out, s, len + 1);
    return 0;
}

/* lower-case hex of exactly len digits */
static int
decode_hex_id(json_t *v, char *out, size_t len, const char *name,
    char *why, size_t why_len)
{
    const char  *s;
    size_t       i;

    if (!json_is_string(v) || json_string_length(v) != len) {
        snprintf(why, why_len, "%s is not a string of %zu hex digits",
                 name, len);
        return -1;
    }

    s = json_string_value(v);

    for (i = 0; i < len; i++) {
        if (!isxdigit((unsigned char) s[i])) {
            snprintf(why, why_len, "%s is not a string of %zu hex digits",
                     name, len);
            return -1;
        }
        out[i] = (char) tolower((unsigned char) s[i]);
    }

    out[len] = '\0';
    return 0;
}

static int
decode_labels(json_t *v, maf_request *req, char *why, size_t why_len)
{
    size_t   i;
    json_t  *l;

    if (!json_is_array(v) || json_array_size(v) > MAF_MAX_LABELS) {
        snprintf(why, why_len, "labels is not an array of at most %d "
                 "strings", MAF_MAX_LABELS);
        return -1;
    }

    json_array_foreach(v, i, l) {
        if (!json_is_string(l) || json_string_length(l) == 0
            || json_string_length(l) > MAF_MAX_LABEL_LEN
            || !onem2m_text_all_visible(json_string_value(l),
                                        json_string_length(l)))
        {
            snprintf(why, why_len, "labels[%zu] is not a token of 1 to %d "
                     "visible characters", i, MAF_MAX_LABEL_LEN);
            return -1;
        }
    }

    req->labels = json_dumps(v, JSON_COMPACT);
    return req->labels == NULL ? -1 : 0;
}

/* exactly one absolute-or-relative CSE-ID or AE-ID (Entity B) */
static int
decode_targets(json_t *v, maf_request *req, char *why, size_t why_len)
{
    json_t      *t;
    const char  *s;
    size_t       len;

    if (!json_is_array(v) || json_array_size(v) != 1) {
        snprintf(why, why_len, "targetIDs is not an array of exactly one "
                 "CSE-ID or AE-ID");
        return -1;
    }

    t = json_array_get(v, 0);

    if (!json_is_string(t)) {
        snprintf(why, why_len, "targetIDs[0] is not a string");
        return -1;
    }

    s = json_string_value(t);
    len = json_string_length(t);

    if (len > MAF_ID_MAX || strlen(s) != len
        || onem2m_id_parse(s, len, NULL) == 0)
    {
        snprintf(why, why_len, "targetIDs[0] is not a CSE-ID or AE-ID");
        return -1;
    }

    memcpy(req->target_id, s, len + 1);
    return 0;
}

static int
decode_param(unsigned bit, json_t *v, maf_request *req, char *why,
    size_t why_len)
{
    int  n;

    switch (bit) {
    case P_FQDN:
        return decode_fqdn(v, req->maf_fqdn, sizeof(req->maf_fqdn),
                           "mafFQDN", why, why_len);
    case P_ADM:
        return decode_fqdn(v, req->admin_fqdn, sizeof(req->admin_fqdn),
                           "adminFQDN", why, why_len);
    case P_EXP:
        if (!json_is_string(v)
            || maf_time_parse(json_string_value(v), &req->expiration) != 0)
        {
            snprintf(why, why_len, "expirationTime is not a timestamp "
                     "YYYYMMDDThhmmss (UTC)");
            return -1;
        }
        return 0;
    case P_LAB:
        return decode_labels(v, req, why, why_len);
    case P_REG:
        return decode_hex_id(v, req->reg_id, MAF_REG_ID_LEN,
                             "mafClientRegID", why, why_len);
    case P_RKID:
        return decode_hex_id(v, req->rel_key_id, MAF_REL_KEY_ID_LEN,
                             "relativeKeyID", why, why_len);
    case P_SUID:
        if (!json_is_integer(v)) {
            snprintf(why, why_len, "SUID is not an integer");
            return -1;
        }
        req->suid = json_integer_value(v);
        return 0;
    case P_TGT:
        return decode_targets(v, req, why, why_len);
    default: /* P_KEY */
        n = json_is_string(v)
            ? maf_base64_decode(json_string_value(v), json_string_length(v),
                                req->key, sizeof(req->key))
            : -1;
        if (n < MAF_KEY_MIN_LEN) {
            snprintf(why, why_len, "keyValue is not %d to %d bytes in "
                     "base64", MAF_KEY_MIN_LEN, MAF_KEY_MAX_LEN);
            return -1;
        }
        req->key_len = (size_t) n;
        return 0;
    }
}

int
maf_proto_decode(const maf_proc *proc, const char *body, size_t len,
    maf_request *req, char *why, size_t why_len)
{
    json_t        *root, *v;
    json_error_t   jerr;
    const char    *name;
    size_t         i;
    unsigned       allowed, missing;
    int            rc = MAF_RSC_BAD_REQUEST;

    memset(req, 0, sizeof(*req));
    req->proc = proc;

    if (len > MAF_MAX_BODY) {
        snprintf(why, why_len, "request body over %d bytes", MAF_MAX_BODY);
        return rc;
    }

    root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);

    if (root == NULL) {
        snprintf(why, why_len, "not JSON (line %d, column %d)", jerr.line,
                 jerr.column);
        return rc;
    }

    if (!json_is_object(root)) {
        snprintf(why, why_len, "not a JSON object");
        goto done;
    }

    allowed = proc->required | proc->optional;

    json_object_foreach(root, name, v) {
        for (i = 0; i < N_PARAMS; i++) {
            if (strcmp(name, maf_params[i].name) == 0) {
                break;
            }
        }

        if (i == N_PARAMS || !(allowed & maf_params[i].bit)) {
            snprintf(why, why_len, "\"%.40s\" is no parameter of %s",
                     name, proc->name);
            goto done;
        }

        if (decode_param(maf_params[i].bit, v, req, why, why_len) != 0) {
            goto done;
        }

        req->present |= maf_params[i].bit;
    }

    missing = proc->required & ~req->present;

    for (i = 0; missing && i < N_PARAMS; i++) {
        if (missing & maf_params[i].bit) {
            snprintf(why, why_len, "%s needs %s", proc->name,
                     maf_params[i].name);
            goto done;
        }
    }

    if (proc->one_of && !(req->present & proc->one_of)) {
        snprintf(why, why_len, "%s needs at least one change", proc->name);
        goto done;
    }

    rc = 0;

done:

    json_decref(root);

    if (rc != 0) {
        maf_request_free(req);
    }

    return rc;
}

void
maf_request_free(maf_request *req)
{
    free(req->labels);
    req->labels = NULL;
    OPENSSL_cleanse(req->key, sizeof(req->key));
}
