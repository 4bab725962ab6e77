/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the live-store suites (check_live_*.c) share: a "kpsa-lmdb:" store
 * and its KEK in the nginx prefix, written with the store's writer library
 * (provider/store) as the sync daemon writes it, and the server block of
 * an SAE server reading it.  Header-only (static functions).
 */

#ifndef ONEM2M_TEST_LIVE_FIXTURE_H
#define ONEM2M_TEST_LIVE_FIXTURE_H

#include <pwd.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>

#include "integration/sae_fixture.h"
#include "store/kpsa_store.h"

/* the TLS part of an SAE server on {{PORT}} reading the live store */
#define LIVE_TLS(listen_opts) \
    "    listen 127.0.0.1:{{PORT}} ssl" listen_opts ";\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers " SAE_PSK_CIPHERS ";\n" \
    "    onem2m_sae_psk_table kpsa-lmdb:{{PREFIX}}/store;\n" \
    "    onem2m_sae_kek_file {{PREFIX}}/kek;\n"

#define LIVE_SERVER_WITH(listen_opts, extra) \
    "server {\n" \
    LIVE_TLS(listen_opts) \
    extra \
    "    location = /metrics { onem2m_sae off; onem2m_sae_status; }\n" \
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n" \
    "}\n"

#define LIVE_SERVER  LIVE_SERVER_WITH("", "")

/* lock 1's next key, for rekeying */
static const unsigned char LIVE_LOCK1_NEW_KEY[8] __attribute__((unused)) = {
    0x5a, 0x5b, 0x5c, 0x5d, 0x01, 0x02, 0x03, 0x04
};

typedef struct {
    harness_nginx   *ng;
    kpsa_store      *store;
    unsigned char    kek[KPSA_KEK_LEN];
    uint64_t         seq;
    char             dir[512];
} live_store;

/* the upstream and the store of the running test */
static harness_upstream  *up;
static live_store         ls;

static inline void
live_setup(void)
{
    up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
    ck_assert_ptr_nonnull(up);
}

static inline void
live_teardown(void)
{
    harness_upstream_stop(up);
}


/*
 * The workers' user (nginx's built-in default "nobody" when the master
 * runs as root and the configuration names none) must write the lock
 * file: the store is theirs to read.
 */
static inline void
live_give_to_workers(live_store *ls)
{
    static const char  *files[] = { "", "/data.mdb", "/lock.mdb" };
    struct passwd      *pw;
    char                path[600];
    size_t              i;

    pw = getpwnam("nobody");
    if (pw == NULL || geteuid() != 0) {
        return;
    }

    for (i = 0; i < CK_N(files); i++) {
        snprintf(path, sizeof(path), "%s%s", ls->dir, files[i]);
        ck_assert_int_eq(chown(path, pw->pw_uid, pw->pw_gid), 0);
    }
}

/* the commit of one batch records the last sequence and "synced now" */
static inline void
live_commit(live_store *ls, int64_t synced_at)
{
    ck_assert_msg(kpsa_store_set_meta(ls->store, ls->seq, synced_at,
                                      "test-source"),
                  "%s", kpsa_store_error(ls->store));
    ck_assert_msg(kpsa_store_commit(ls->store), "%s",
                  kpsa_store_error(ls->store));
}

/* a credential sealed under kek (the store's, or another one) */
static inline void
live_put_sealed(live_store *ls, const unsigned char *kek,
    const char *kpsa_id, const char *entity, const unsigned char *key,
    size_t key_len)
{
    unsigned char  sealed[KPSA_SEALED_MAX];
    size_t         sealed_len;

    ck_assert(kpsa_envelope_seal(kek, kpsa_id, entity, key, key_len,
                                 sealed, &sealed_len));
    ck_assert(kpsa_store_begin(ls->store));
    ck_assert_msg(kpsa_store_put(ls->store, kpsa_id, entity, sealed,
                                 sealed_len, ++ls->seq),
                  "%s", kpsa_store_error(ls->store));
    live_commit(ls, (int64_t) time(NULL));
}

static inline void
live_put(live_store *ls, const char *kpsa_id, const char *entity,
    const unsigned char *key, size_t key_len)
{
    live_put_sealed(ls, ls->kek, kpsa_id, entity, key, key_len);
}

static inline void
live_revoke(live_store *ls, const char *kpsa_id)
{
    ck_assert(kpsa_store_begin(ls->store));
    ck_assert_msg(kpsa_store_revoke(ls->store, kpsa_id, ++ls->seq), "%s",
                  kpsa_store_error(ls->store));
    live_commit(ls, (int64_t) time(NULL));
}

/* a heartbeat of the sync daemon: nothing changed, synced_at moves */
static inline void
live_synced_at(live_store *ls, int64_t synced_at)
{
    ck_assert(kpsa_store_begin(ls->store));
    live_commit(ls, synced_at);
}

/*
 * The store <prefix>/store with the seed's two locks (sealed under a
 * fresh KEK, <prefix>/kek, 64 hex digits, mode 0600) and nginx, not
 * started, with the template.
 */
static inline void
live_new(live_store *ls, harness_upstream *up, const char *http)
{
    char           err[256], hex[2 * KPSA_KEK_LEN + 2];
    unsigned char  check[KPSA_KEK_CHECK_LEN];
    size_t         i;

    memset(ls, 0, sizeof(*ls));
    ls->ng = harness_nginx_new();
    ck_assert_ptr_nonnull(ls->ng);

    for (i = 0; i < KPSA_KEK_LEN; i++) {
        ls->kek[i] = (unsigned char) (0x40 + 7 * i);
        snprintf(hex + 2 * i, 3, "%02x", ls->kek[i]);
    }
    hex[2 * KPSA_KEK_LEN] = '\n';
    hex[2 * KPSA_KEK_LEN + 1] = '\0';
    ck_assert_int_eq(harness_nginx_write_file(ls->ng, "kek", hex, 0600), 0);

    snprintf(ls->dir, sizeof(ls->dir), "%s/store",
             harness_nginx_prefix(ls->ng));
    ck_assert_int_eq(mkdir(ls->dir, 0755), 0);
    ls->store = kpsa_store_open(ls->dir, 1, err, sizeof(err));
    ck_assert_msg(ls->store != NULL, "%s", err);

    ck_assert(kpsa_kek_check_make(ls->kek, check));
    ck_assert(kpsa_store_begin(ls->store));
    ck_assert(kpsa_store_set_kek_check(ls->store, check, sizeof(check)));
    live_commit(ls, (int64_t) time(NULL));

    live_put(ls, HARNESS_LOCK1_KPSA_ID, HARNESS_LOCK1_ENTITY, SAE_LOCK1_KEY,
             sizeof(SAE_LOCK1_KEY));
    live_put(ls, HARNESS_LOCK2_KPSA_ID, HARNESS_LOCK2_ENTITY, SAE_LOCK2_KEY,
             sizeof(SAE_LOCK2_KEY));
    live_give_to_workers(ls);

    harness_nginx_set_upstream(ls->ng, up);
    ck_assert_int_eq(harness_nginx_config(ls->ng, http), 0);
}

static inline void
live_start(live_store *ls, harness_upstream *up, const char *http)
{
    int  rc;

    live_new(ls, up, http);
    rc = harness_nginx_start(ls->ng);
    ck_assert_msg(rc == 0, "nginx did not start; error log:\n%s",
                  harness_log(ls->ng));
}

static inline void
live_free(live_store *ls, int stop_clean)
{
    const char  *log;
    size_t       len;
    int          rc;

    rc = harness_nginx_stop(ls->ng);
    if (stop_clean) {
        /* its end: a longer Check message is lost (Check exits 2) */
        log = harness_log(ls->ng);
        len = strlen(log);
        ck_assert_msg(rc == 0, "nginx did not stop cleanly; error log:\n%s",
                      len > 3000 ? log + len - 3000 : log);
    }
    kpsa_store_close(ls->store);
    OPENSSL_cleanse(ls->kek, sizeof(ls->kek));
    harness_nginx_free(ls->ng);
}

/* one request with Connection: close; the response status, 0: handshake */
static inline int
live_request(live_store *ls, const harness_tls_opts *o, const char *uri,
    harness_response *resp)
{
    harness_tls_result  r;
    int                 rc;

    rc = harness_tls_request(harness_nginx_port(ls->ng, 0), o, "GET", uri,
                             NULL, NULL, &r, resp);
    rc = rc == 0 && r.handshake_ok ? resp->status : 0;
    harness_tls_result_free(&r);

    return rc;
}

static inline int
live_status_of(live_store *ls, const harness_tls_opts *o, const char *uri)
{
    harness_response  resp;
    int               status;

    memset(&resp, 0, sizeof(resp));
    status = live_request(ls, o, uri, &resp);
    harness_response_free(&resp);

    return status;
}

#endif /* ONEM2M_TEST_LIVE_FIXTURE_H */
