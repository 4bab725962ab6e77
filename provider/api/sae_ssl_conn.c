/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The hook's state: per context (SSL_CTX ex_data) and per connection (SSL
 * ex_data), and the events a connection reports to its server.
 */


#include <openssl/crypto.h>
#include <openssl/ssl.h>

#include "sae_ssl_int.h"
#include "common/onem2m_debug.h"


static int sae_ctx_index = -1;
static int sae_conn_index = -1;
static CRYPTO_ONCE sae_once = CRYPTO_ONCE_STATIC_INIT;
int sae_once_ok;


static void
sae_ctx_conf_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
    OPENSSL_free(ptr);
}


static void
sae_conn_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
    OPENSSL_free(ptr);
}


/* SSL_dup() must not share our per-connection state */
static int
sae_conn_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from, void **from_d,
    int idx, long argl, void *argp)
{
    *from_d = NULL;
    return 1;
}


static void
sae_init_indexes(void)
{
    sae_ctx_index = SSL_CTX_get_ex_new_index(0, NULL, NULL, NULL,
                                             sae_ctx_conf_free);
    sae_conn_index = SSL_get_ex_new_index(0, NULL, NULL, sae_conn_dup,
                                          sae_conn_free);
    sae_once_ok = sae_ctx_index >= 0 && sae_conn_index >= 0;
}


static int
sae_init(void)
{
    return CRYPTO_THREAD_run_once(&sae_once, sae_init_indexes) && sae_once_ok;
}


sae_ctx_conf *
sae_get_conf(const SSL_CTX *ctx)
{
    if (ctx == NULL || !sae_once_ok) {
        return NULL;
    }

    return SSL_CTX_get_ex_data(ctx, sae_ctx_index);
}


sae_ctx_conf *
sae_get_or_create_conf(SSL_CTX *ctx)
{
    sae_ctx_conf  *conf;

    if (!sae_init()) {
        return NULL;
    }

    conf = SSL_CTX_get_ex_data(ctx, sae_ctx_index);
    if (conf != NULL) {
        return conf;
    }

    conf = OPENSSL_zalloc(sizeof(*conf));
    if (conf == NULL) {
        return NULL;
    }

    if (!SSL_CTX_set_ex_data(ctx, sae_ctx_index, conf)) {
        OPENSSL_free(conf);
        return NULL;
    }

    return conf;
}


sae_conn *
sae_get_conn(const SSL *ssl)
{
    if (!sae_once_ok) {
        return NULL;
    }

    return SSL_get_ex_data(ssl, sae_conn_index);
}


sae_conn *
sae_get_or_create_conn(SSL *ssl)
{
    sae_conn      *conn;
    sae_ctx_conf  *conf;

    conn = sae_get_conn(ssl);
    if (conn != NULL || !sae_once_ok) {
        return conn;
    }

    conn = OPENSSL_zalloc(sizeof(*conn));
    if (conn == NULL) {
        return NULL;
    }

    if (!SSL_set_ex_data(ssl, sae_conn_index, conn)) {
        OPENSSL_free(conn);
        return NULL;
    }

    conf = sae_get_conf(SSL_get_SSL_CTX(ssl));
    if (conf != NULL) {
        conn->event = conf->event;
        conn->event_arg = conf->event_arg;
    }

    return conn;
}


/*
 * The context whose table TLS 1.3 looks identities and tickets up in: the
 * one the ClientHello's server name selects, when the server told us
 * before it switched, else the connection's current one.
 */
sae_ctx_conf *
sae_lookup_conf(SSL *ssl, sae_conn *conn)
{
    if (conn != NULL && conn->lookup_ctx != NULL) {
        return sae_get_conf(conn->lookup_ctx);
    }

    return sae_get_conf(SSL_get_SSL_CTX(ssl));
}


/* the names of ONEM2M_SAE_EV_*, for traces */
static const char *
sae_event_name(int event)
{
    static const char *const  names[] = {
        "?", "bound", "unknown identity", "wrong key", "no table",
        "resumed", "resumption refused", "malformed identity",
        "in another server's table", "store error"
    };

    return event > 0 && (size_t) event < sizeof(names) / sizeof(names[0])
           ? names[event] : names[0];
}


/* a decision of the hook, traced (onem2m_debug.h): never the key */
static void
sae_trace(SSL *ssl, int event, const char *identity, size_t identity_len,
    const ONEM2M_SAE_ENTRY *entry)
{
    char  id[ONEM2M_DEBUG_ID_SIZE], ent[ONEM2M_DEBUG_ID_SIZE];

    onem2m_debug_print("sae_report", "ssl %p: %s: identity %s%s%s",
                       (void *) ssl, sae_event_name(event),
                       onem2m_debug_id(id, identity, identity_len),
                       entry != NULL ? ", entity " : "",
                       entry != NULL ? onem2m_debug_id(ent, entry->entity,
                                                       entry->entity_len)
                                     : "");
}


/* each event at most once per connection */
void
sae_report(SSL *ssl, sae_conn *conn, int event, const char *identity,
    size_t identity_len, const ONEM2M_SAE_ENTRY *entry)
{
    sae_ctx_conf         *conf;
    ONEM2M_SAE_EVENT_CB   cb;
    void                 *arg;

    if (conn->reported & (1u << event)) {
        return;
    }
    conn->reported |= 1u << event;

    if (onem2m_debug_enabled()) {
        sae_trace(ssl, event, identity, identity_len, entry);
    }

    /* the server of the connection now, else the one that looked it up */
    conf = sae_get_conf(SSL_get_SSL_CTX(ssl));
    if (conf != NULL && conf->installed && conf->event != NULL) {
        cb = conf->event;
        arg = conf->event_arg;
    } else {
        cb = conn->event;
        arg = conn->event_arg;
    }

    if (cb != NULL) {
        cb(ssl, arg, event, identity, identity_len, entry);
    }
}
