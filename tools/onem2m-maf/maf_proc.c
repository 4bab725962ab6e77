/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MAF's procedures (TS-0003 8.8.2.3 - 8.8.2.10) on decoded requests:
 * who may do what, expirations, the RelativeKeyID and Kc.  The caller is
 * the MAF Client ID nginx bound (client_id); nothing else is trusted.
 *
 * Decisions (docs/maf.md): a client has one registration at a time; an
 * expired registration or key is the same as none (and is removed when
 * met); the MAF shortens proposed expirations to its limits and a key's
 * to its registration's; a key is retrieved by its target only, and
 * updated or de-registered by its registrant only, every other caller
 * getting the same 4004 as for an unknown key.
 */

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#include "common/onem2m_text.h"
#include "store/kpsa_store.h"
#include "maf.h"

#define RESP_ERR(resp, code, ...)                                        \
    do {                                                                 \
        (resp)->rsc = (code);                                            \
        snprintf((resp)->why, sizeof((resp)->why), __VA_ARGS__);         \
    } while (0)

static int64_t
now_s(void)
{
    return (int64_t) time(NULL);
}

static json_t *
json_time(int64_t t)
{
    char  buf[16];

    maf_time_format(t, buf);
    return json_string(buf);
}

static json_t *
json_labels(const char *labels)
{
    json_t  *j = labels ? json_loads(labels, 0, NULL) : NULL;

    return j ? j : json_array();
}

static json_t *
json_targets(const char *target)
{
    json_t  *a = json_array();

    json_array_append_new(a, json_string(target));
    return a;
}

static int
random_hex(char *out, size_t bytes)
{
    unsigned char  r[32];

    if (bytes > sizeof(r) || RAND_bytes(r, (int) bytes) != 1) {
        return -1;
    }

    onem2m_text_hex_encode(r, bytes, out);
    return 0;
}

/* the common checks of mafFQDN, adminFQDN, expirationTime: 0 ok */
static int
check_common(const maf_config *cf, const maf_request *req,
    maf_response *resp)
{
    size_t  n;

    if (req->present & MAF_P_MAF_FQDN) {
        n = strlen(req->maf_fqdn);
        if (n && req->maf_fqdn[n - 1] == '.') {
            n--;
        }
        if (n != strlen(cf->fqdn) || strncasecmp(req->maf_fqdn, cf->fqdn, n))
        {
            RESP_ERR(resp, MAF_RSC_BAD_REQUEST,
                     "mafFQDN names another MAF than %s", cf->fqdn);
            return -1;
        }
    }

    if ((req->present & MAF_P_ADMIN_FQDN)
        && strcasecmp(req->admin_fqdn, cf->admin_fqdn) != 0)
    {
        RESP_ERR(resp, MAF_RSC_BAD_REQUEST,
                 "adminFQDN is not %s, for which this MAF is run",
                 cf->admin_fqdn);
        return -1;
    }

    if ((req->present & MAF_P_EXPIRATION) && req->expiration <= now_s()) {
        RESP_ERR(resp, MAF_RSC_BAD_REQUEST, "expirationTime has passed");
        return -1;
    }

    return 0;
}

static int64_t
cap(int64_t t, int64_t limit)
{
    return t < limit ? t : limit;
}

/* the caller's registration reg_id, unexpired: 1, else 0 (resp set) */
static int
own_registration(maf_db *db, const char *client_id, const char *reg_id,
    maf_registration *r, maf_response *resp)
{
    int  rc = maf_db_reg_get(db, reg_id, r);

    if (rc < 0) {
        RESP_ERR(resp, MAF_RSC_INTERNAL_ERROR, "database unavailable");
        return 0;
    }

    if (rc == 1 && r->expiration <= now_s()) {
        maf_db_reg_delete(db, r->reg_id);
        rc = 0;
    }

    if (rc == 0 || strcmp(r->client_id, client_id) != 0) {
        maf_registration_free(r);
        RESP_ERR(resp, MAF_RSC_NOT_FOUND, "no such registration");
        return 0;
    }

    return 1;
}

/* the caller's unexpired registration, whichever: 1, else 0 (resp set) */
static int
registered(maf_db *db, const char *client_id, maf_registration *r,
    maf_response *resp)
{
    int  rc = maf_db_reg_of_client(db, client_id, r);

    if (rc < 0) {
        RESP_ERR(resp, MAF_RSC_INTERNAL_ERROR, "database unavailable");
        return 0;
    }

    if (rc == 1 && r->expiration <= now_s()) {
        maf_db_reg_delete(db, r->reg_id);
        maf_registration_free(r);
        rc = 0;
    }

    if (rc == 0) {
        RESP_ERR(resp, MAF_RSC_NO_PRIVILEGE,
                 "not a registered MAF client (Client Registration first)");
    }

    return rc;
}

/* the key rel_key_id, unexpired, when the caller may see it: 1 */
static int
visible_key(maf_db *db, const char *rel_key_id, const char *who,
    int as_target, maf_key *k, maf_response *resp)
{
    int  rc = maf_db_key_get(db, rel_key_id, k);

    if (rc < 0) {
        RESP_ERR(resp, MAF_RSC_INTERNAL_ERROR, "database unavailable");
        return 0;
    }

    if (rc == 1 && k->expiration <= now_s()) {
        maf_db_key_delete(db, k->rel_key_id);
        rc = 0;
    }

    if (rc == 1
        && strcmp(as_target ? k->target_id : k->source_id, who) != 0)
    {
        rc = 0;
    }

    if (rc == 0) {
        maf_key_free(k);
        RESP_ERR(resp, MAF_RSC_NOT_FOUND, "no such key");
    }

    return rc;
}

static void
client_registration(const maf_config *cf, maf_db *db, const char *client_id,
    const maf_request *req, maf_response *resp)
{
    maf_registration  r;
    int               rc;

    memset(&r, 0, sizeof(r));

    /* an expired registration of the client is no registration */
    rc = maf_db_reg_of_client(db, client_id, &r);

    if (rc == 1 && r.expiration <= now_s()) {
        maf_db_reg_delete(db, r.reg_id);
        rc = 0;
    }

    maf_registration_free(&r);

    if (rc != 0) {
        if (rc < 0) {
            RESP_ERR(resp, MAF_RSC_INTERNAL_ERROR, "database unavailable");
        } else {
            RESP_ERR(resp, MAF_RSC_CONFLICT,
                     "already registered: update or de-register");
        }
        return;
    }

    memset(&r, 0, sizeof(r));
    snprintf(r.client_id, sizeof(r.client_id), "%s", client_id);
    snprintf(r.admin_fqdn, sizeof(r.admin_fqdn), "%s", cf->admin_fqdn);
    r.labels = req->labels;
    r.expiration = cap(req->expiration, now_s() + cf->max_registration);

    if (random_hex(r.reg_id, MAF_REG_ID_LEN / 2) != 0
        || (rc = maf_db_reg_insert(db, &r)) < 0)
    {
        RESP_ERR(resp, MAF_RSC_INTERNAL_ERROR, "database unavailable");
        return;
    }

    if (rc == 0) {
        RESP_ERR(resp, MAF_RSC_CONFLICT,
                 "already registered: update or de-register");
        return;
    }

    resp->body = json_pack("{s:s, s:o, s:o, s:s, s:s}",
                           "mafClientRegID", r.reg_id,
                           "labels", json_labels(r.labels),
                           "expirationTime", json_time(r.expiration),
                           "mafClientID", client_id,
                           "adminFQDN", r.admin_fqdn);
}

static void
client_config(const maf_config *cf, maf_db *db, const char *client_id,
    const maf_request *req, maf_response *resp)
{
    maf_registration  r;

    memset(&r, 0, sizeof(r));

    if (!own_registration(db, client_id, req->reg_id, &r, resp)) {
        return;
    }

    resp->body = json_pack(
        "{s:{s:s, s:s, s:s, s:s, s:o, s:o, s:[i], s:{s:s, s:i}, s:I}}",
        "configurations",
        "mafFQDN", cf->fqdn,
        "mafClientRegID", r.reg_id,
        "mafClientID", r.client_id,
        "adminFQDN", r.admin_fqdn,
        "labels", json_labels(r.labels),
        "expirationTime", json_time(r.expiration),
        "supportedSUIDs", MAF_SUID_SAEF,
        "keyDerivation", "exporterLabel", MAF_EXPORTER_LABEL,
        "exporterLength", MAF_EXPORTER_LEN,
        "maxKeyLifetime", (json_int_t) cf->max_key);

    maf_registration_free(&r);
}

static void
client_update(const maf_config *cf, maf_db *db, const char *client_id,
    const maf_request *req, maf_response *resp)
{
    maf_registration  r;
    char             *old;

    memset(&r, 0, sizeof(r));

    if (!own_registration(db, client_id, req->reg_id, &r, resp)) {
        return;
    }

    old = r.labels;
    resp->body = json_object();

    if (req->present & MAF_P_EXPIRATION) {
        r.expiration = cap(req->expiration, now_s() + cf->max_registration);
        json_object_set_new(resp->body, "expirationTime",
                            json_time(r.expiration));
    }

    if (req->present & MAF_P_LABELS) {
        r.labels = req->labels;
        json_object_set_new(resp->body, "labels", json_labels(r.labels));
    }

    if (maf_db_reg_update(db, &r) != 1) {
        json_decref(resp->body);
        resp->body = NULL;
        RESP_ERR(resp, MAF_RSC_INTERNAL_ERROR, "database unavailable");
    }

    r.labels = old;
    maf_registration_free(&r);
}

static void
client_deregistration(maf_db *db, const char *client_id,
    const maf_request *req, maf_response *resp)
{
    maf_registration  r;

    memset(&r, 0, sizeof(r));

    if (!own_registration(db, client_id, req->reg_id, &r, resp)) {
        return;
    }

    maf_registration_free(&r);

    if (maf_db_reg_delete(db, req->reg_id) < 0) {
        RESP_ERR(resp, MAF_RSC_INTERNAL_ERROR, "database unavailable");
        return;
    }

    resp->body = json_object();
}

/* hex of the exporter's 48 bytes into Kc (the 32 least significant
 * bytes) and the RelativeKeyID (hex of KcID, the 16 most significant) */
static int
exporter_key(const char *hex, unsigned char kc[MAF_KC_LEN], char *rel)
{
    unsigned char  ekm[MAF_EXPORTER_LEN];
    size_t         i;
    int            hi, lo;

    if (hex == NULL || strlen(hex) != 2 * MAF_EXPORTER_LEN) {
        return -1;
    }

    for (i = 0; i < MAF_EXPORTER_LEN; i++) {
        hi = onem2m_text_hex_value((unsigned char) hex[2 * i]);
        lo = onem2m_text_hex_value((unsigned char) hex[2 * i + 1]);
        if (hi < 0 || lo < 0) {
            OPENSSL_cleanse(ekm, sizeof(ekm));
            return -1;
        }
        ekm[i] = (unsigned char) (hi << 4 | lo);
    }

    memcpy(kc, ekm + MAF_KCID_LEN, MAF_KC_LEN);
    onem2m_text_hex_encode(ekm, MAF_KCID_LEN, rel);
    OPENSSL_cleanse(ekm, sizeof(ekm));
    return 0;
}

/*
 * Long because it is the one place where a Kc exists in the clear on the
 * MAF's side of a registration, from either source (Key Value or exporter):
 * one function, one exit that wipes it.
 */

static void
key_registration(const maf_config *cf, maf_db *db, const char *client_id,
    const char *exporter, const maf_request *req, maf_response *resp)
{
    maf_registration  r;
    maf_key           k;
    unsigned char     kc[MAF_KEY_MAX_LEN];
    size_t            kc_len;
    char              key_id[MAF_REL_KEY_ID_LEN + 2 + MAF_FQDN_MAX];
    int               rc = 0, attempt;

    memset(&r, 0, sizeof(r));
    memset(&k, 0, sizeof(k));

    if (!registered(db, client_id, &r, resp)) {
        return;
    }

    if (req->suid != MAF_SUID_SAEF) {
        RESP_ERR(resp, MAF_RSC_CONTENTS_UNACCEPTABLE,
                 "SUID %lld: this MAF distributes SAEF keys only (SUID 32)",
                 req->suid);
        goto done;
    }

    if (!(req->present & MAF_P_TARGET_IDS)) {
        RESP_ERR(resp, MAF_RSC_BAD_REQUEST,
                 "a key for a SAEF (SUID 32) needs targetIDs");
        goto done;
    }

    snprintf(k.source_id, sizeof(k.source_id), "%s", client_id);
    snprintf(k.reg_id, sizeof(k.reg_id), "%s", r.reg_id);
    snprintf(k.admin_fqdn, sizeof(k.admin_fqdn), "%s", cf->admin_fqdn);
    snprintf(k.target_id, sizeof(k.target_id), "%s", req->target_id);
    k.labels = req->labels;
    k.suid = req->suid;
    k.expiration = cap(cap(req->expiration, now_s() + cf->max_key),
                       r.expiration);

    if (req->present & MAF_P_KEY_VALUE) {
        memcpy(kc, req->key, req->key_len);
        kc_len = req->key_len;
    } else if (exporter_key(exporter, kc, k.rel_key_id) == 0) {
        kc_len = MAF_KC_LEN;
    } else {
        RESP_ERR(resp, MAF_RSC_BAD_REQUEST,
                 "no keyValue, and no TLS exporter from the front end");
        goto done;
    }

    /* a random RelativeKeyID may collide with a used one: draw again */
    for (attempt = 0; attempt < 4; attempt++) {
        if ((req->present & MAF_P_KEY_VALUE)
            && random_hex(k.rel_key_id, MAF_KCID_LEN) != 0)
        {
            rc = -1;
            break;
        }

        snprintf(key_id, sizeof(key_id), "%s@%s", k.rel_key_id, cf->fqdn);

        if (!kpsa_envelope_seal(cf->kek, key_id, k.source_id, kc, kc_len,
                                k.sealed, &k.sealed_len))
        {
            rc = -1;
            break;
        }

        rc = maf_db_key_insert(db, &k);

        if (rc != 0 || !(req->present & MAF_P_KEY_VALUE)) {
            break;
        }
    }

    if (rc < 0) {
        RESP_ERR(resp, MAF_RSC_INTERNAL_ERROR, "database unavailable");
        goto done;
    }

    if (rc == 0) {
        RESP_ERR(resp, MAF_RSC_CONFLICT,
                 "this RelativeKeyID was registered before: a new TLS "
                 "session derives a new one");
        goto done;
    }

    resp->body = json_pack("{s:s, s:s, s:o, s:s, s:o, s:s, s:I, s:o}",
                           "relativeKeyID", k.rel_key_id,
                           "keyIdentifier", key_id,
                           "expirationTime", json_time(k.expiration),
                           "sourceMafClientID", k.source_id,
                           "labels", json_labels(k.labels),
                           "adminFQDN", k.admin_fqdn,
                           "SUID", (json_int_t) k.suid,
                           "targetIDs", json_targets(k.target_id));

done:

    OPENSSL_cleanse(kc, sizeof(kc));
    OPENSSL_cleanse(k.sealed, sizeof(k.sealed));
    maf_registration_free(&r);
}

static void
key_retrieval(const maf_config *cf, maf_db *db, const char *client_id,
    const maf_request *req, maf_response *resp)
{
    maf_key         k;
    unsigned char   kc[MAF_KEY_MAX_LEN + 64];
    size_t          kc_len;
    char            key_id[MAF_REL_KEY_ID_LEN + 2 + MAF_FQDN_MAX];
    char            b64[2 * sizeof(kc)];

    memset(&k, 0, sizeof(k));

    if (!visible_key(db, req->rel_key_id, client_id, 1, &k, resp)) {
        return;
    }

    snprintf(key_id, sizeof(key_id), "%s@%s", k.rel_key_id, cf->fqdn);

    if (k.sealed_len <= KPSA_ENVELOPE_OVERHEAD
        || !kpsa_envelope_open(cf->kek, key_id, k.source_id, k.sealed,
                               k.sealed_len, kc, &kc_len))
    {
        maf_key_free(&k);
        RESP_ERR(resp, MAF_RSC_INTERNAL_ERROR,
                 "the key does not open under this MAF's KEK");
        return;
    }

    EVP_EncodeBlock((unsigned char *) b64, kc, (int) kc_len);

    resp->body = json_pack("{s:s, s:o, s:s, s:o, s:s, s:I, s:s}",
                           "relativeKeyID", k.rel_key_id,
                           "expirationTime", json_time(k.expiration),
                           "sourceMafClientID", k.source_id,
                           "labels", json_labels(k.labels),
                           "adminFQDN", k.admin_fqdn,
                           "SUID", (json_int_t) k.suid,
                           "keyValue", b64);

    OPENSSL_cleanse(kc, sizeof(kc));
    OPENSSL_cleanse(b64, sizeof(b64));
    maf_key_free(&k);
}

static void
key_update(const maf_config *cf, maf_db *db, const char *client_id,
    const maf_request *req, maf_response *resp)
{
    maf_registration  r;
    maf_key           k;
    char             *old;

    memset(&r, 0, sizeof(r));
    memset(&k, 0, sizeof(k));

    if (!registered(db, client_id, &r, resp)) {
        return;
    }

    if (!visible_key(db, req->rel_key_id, client_id, 0, &k, resp)) {
        maf_registration_free(&r);
        return;
    }

    old = k.labels;
    resp->body = json_object();

    if (req->present & MAF_P_EXPIRATION) {
        k.expiration = cap(cap(req->expiration, now_s() + cf->max_key),
                           r.expiration);
        json_object_set_new(resp->body, "expirationTime",
                            json_time(k.expiration));
    }

    if (req->present & MAF_P_LABELS) {
        k.labels = req->labels;
        json_object_set_new(resp->body, "labels", json_labels(k.labels));
    }

    if (req->present & MAF_P_TARGET_IDS) {
        snprintf(k.target_id, sizeof(k.target_id), "%s", req->target_id);
        json_object_set_new(resp->body, "targetIDs",
                            json_targets(k.target_id));
    }

    if (maf_db_key_update(db, &k) != 1) {
        json_decref(resp->body);
        resp->body = NULL;
        RESP_ERR(resp, MAF_RSC_INTERNAL_ERROR, "database unavailable");
    }

    k.labels = old;
    maf_key_free(&k);
    maf_registration_free(&r);
}

static void
key_deregistration(maf_db *db, const char *client_id,
    const maf_request *req, maf_response *resp)
{
    maf_key  k;

    memset(&k, 0, sizeof(k));

    if (!visible_key(db, req->rel_key_id, client_id, 0, &k, resp)) {
        return;
    }

    maf_key_free(&k);

    if (maf_db_key_delete(db, req->rel_key_id) < 0) {
        RESP_ERR(resp, MAF_RSC_INTERNAL_ERROR, "database unavailable");
        return;
    }

    resp->body = json_object();
}

void
maf_proc_run(const maf_config *cf, maf_db *db, const char *client_id,
    const char *exporter, const maf_request *req, maf_response *resp)
{
    memset(resp, 0, sizeof(*resp));
    resp->rsc = req->proc->ok_rsc;

    if (check_common(cf, req, resp) != 0) {
        return;
    }

    switch (req->proc->id) {
    case MAF_CLIENT_REGISTRATION:
        client_registration(cf, db, client_id, req, resp);
        break;
    case MAF_CLIENT_CONFIG_RETRIEVAL:
        client_config(cf, db, client_id, req, resp);
        break;
    case MAF_CLIENT_UPDATE:
        client_update(cf, db, client_id, req, resp);
        break;
    case MAF_CLIENT_DEREGISTRATION:
        client_deregistration(db, client_id, req, resp);
        break;
    case MAF_KEY_REGISTRATION:
        key_registration(cf, db, client_id, exporter, req, resp);
        break;
    case MAF_KEY_RETRIEVAL:
        key_retrieval(cf, db, client_id, req, resp);
        break;
    case MAF_KEY_UPDATE:
        key_update(cf, db, client_id, req, resp);
        break;
    default:
        key_deregistration(db, client_id, req, resp);
        break;
    }

    if (resp->body == NULL && resp->rsc == req->proc->ok_rsc) {
        RESP_ERR(resp, MAF_RSC_INTERNAL_ERROR, "out of memory");
    }
}
