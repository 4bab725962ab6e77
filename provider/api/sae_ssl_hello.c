/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The ClientHello: the raw pre_shared_key extension (identities and binder
 * lengths), whether TLS 1.3 PSK is possible, and the client_hello callback.
 */


#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include "sae_ssl_int.h"


/*
 * Records the length of each identity of the ClientHello's TLS 1.3
 * pre_shared_key extension and of its binder (the PSK's hash size).
 * Returns the binder length of the first text identity, else of the first
 * identity (a ticket: OpenSSL skips it when the chosen suite's hash is not
 * its session's), or 0.  The raw extension (ext) must be read in the
 * client_hello callback: OpenSSL consumes it while parsing, before
 * psk_find_session_cb runs.
 */
static size_t
sae_record_offered(sae_conn *conn, const unsigned char *ext, size_t ext_len,
    const unsigned char **first, size_t *first_len)
{
    const unsigned char  *ids, *binders, *id;
    size_t                ids_len, binders_len, id_len, pos, n;
    size_t                first_text;
    unsigned int          index;

    conn->offered = 0;
    conn->next_offered = 0;
    *first = NULL;
    *first_len = 0;

    if (ext_len < 2) {
        return 0;
    }

    ids_len = ((size_t) ext[0] << 8) | ext[1];
    if (2 + ids_len + 2 > ext_len) {
        return 0;
    }
    ids = ext + 2;
    first_text = SAE_MAX_OFFERED;

    for (pos = 0, index = 0; pos + 2 <= ids_len; index++) {
        id_len = ((size_t) ids[pos] << 8) | ids[pos + 1];
        if (pos + 2 + id_len + 4 > ids_len) {
            return 0;
        }
        id = ids + pos + 2;
        pos += 2 + id_len + 4;

        if (index == 0) {
            *first = id;
            *first_len = id_len;
        }

        if (index < SAE_MAX_OFFERED) {
            conn->offered_len[index] = (unsigned short) id_len;
            if (first_text == SAE_MAX_OFFERED
                && onem2m_text_all_printable(id, id_len))
            {
                first_text = index;
            }
        }
    }

    binders = ext + 2 + ids_len;
    binders_len = ((size_t) binders[0] << 8) | binders[1];
    if (2 + ids_len + 2 + binders_len > ext_len) {
        return 0;
    }
    binders += 2;

    for (pos = 0, index = 0; pos < binders_len; index++) {
        n = binders[pos];
        if (pos + 1 + n > binders_len) {
            conn->offered = 0;
            return 0;
        }
        if (index < SAE_MAX_OFFERED) {
            conn->binder_len[index] = (unsigned char) n;
            conn->offered = index + 1;
        }
        pos += 1 + n;
    }

    if (first_text < conn->offered) {
        return conn->binder_len[first_text];
    }

    return conn->offered > 0 ? conn->binder_len[0] : 0;
}


/*
 * The binder length of the identity psk_find_session_cb is called for:
 * OpenSSL calls it for the offered identities in order.
 */
size_t
sae_offered_binder_len(sae_conn *conn, size_t identity_len)
{
    unsigned int  index;

    index = conn->next_offered++;

    if (index < conn->offered && conn->offered_len[index] == identity_len) {
        return conn->binder_len[index];
    }

    return 0;
}


/*
 * Whether OpenSSL will negotiate TLS 1.3 and use the pre_shared_key
 * extension: both sides allow TLS 1.3, and one of the client's
 * psk_key_exchange_modes is acceptable (psk_ke needs AllowNoDHEKEX).
 */
static int
sae_tls13_psk_possible(SSL *ssl)
{
    const unsigned char  *p;
    size_t                len, i;
    long                  max;
    int                   tls13;

    max = SSL_get_max_proto_version(ssl);
    if ((max != 0 && max < TLS1_3_VERSION)
        || (SSL_get_options(ssl) & SSL_OP_NO_TLSv1_3))
    {
        return 0;
    }

    if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_supported_versions, &p,
                                   &len)
        || len < 1 || (size_t) p[0] + 1 > len)
    {
        return 0;
    }

    tls13 = 0;
    for (i = 1; i + 1 < (size_t) p[0] + 1; i += 2) {
        if (p[i] == 0x03 && p[i + 1] == 0x04) {
            tls13 = 1;
        }
    }

    if (!tls13
        || !SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk_kex_modes, &p,
                                      &len)
        || len < 1 || (size_t) p[0] + 1 > len)
    {
        return 0;
    }

    for (i = 1; i < (size_t) p[0] + 1; i++) {
        if (p[i] == SAE_PSK_DHE_KE
            || (p[i] == SAE_PSK_KE
                && (SSL_get_options(ssl) & SSL_OP_ALLOW_NO_DHE_KEX)))
        {
            return 1;
        }
    }

    return 0;
}


/*
 * Runs before OpenSSL parses the ClientHello's extensions (and, but for
 * the server's own client_hello callback, before the SNI switch, like the
 * TLS 1.3 PSK lookup): calls the server's callback first, records the
 * offered identities and the context of the server the client names,
 * narrows the TLS 1.3 suites, and with "alert" refuses an unknown first
 * identity with unknown_psk_identity, which OpenSSL 3.0 offers no other
 * way to send in TLS 1.3.
 */
int
sae_client_hello_cb(SSL *ssl, int *alert, void *arg)
{
    const unsigned char     *first, *ext;
    sae_ctx_conf            *conf;
    sae_conn                *conn;
    ONEM2M_SAE_LOOKUP        lk;
    size_t                   binder_len, first_len, ext_len;
    int                      event, rc, found;

    /* the context whose callback OpenSSL called: the first one */
    conf = sae_get_conf(SSL_get_SSL_CTX(ssl));

    if (conf != NULL && conf->next_client_hello != NULL) {
        rc = conf->next_client_hello(ssl, alert, conf->next_client_hello_arg);
        if (rc != SSL_CLIENT_HELLO_SUCCESS) {
            return rc;
        }
    }

    if (!SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_psk, &ext, &ext_len)) {
        return SSL_CLIENT_HELLO_SUCCESS;
    }

    conn = sae_get_or_create_conn(ssl);
    if (conn == NULL) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_CLIENT_HELLO_ERROR;
    }

    /* the server's callback may have switched: ask the current context */
    conn->lookup_ctx = sae_servername_ctx(ssl,
                                          sae_get_conf(SSL_get_SSL_CTX(ssl)));

    binder_len = sae_record_offered(conn, ext, ext_len, &first, &first_len);

    conf = sae_lookup_conf(ssl, conn);
    if (conf == NULL || conf->table == NULL) {
        return SSL_CLIENT_HELLO_SUCCESS;
    }

    if (conf->unknown_identity == ONEM2M_SAE_UNKNOWN_ALERT && first != NULL
        && onem2m_text_all_printable(first, first_len)
        && sae_tls13_psk_possible(ssl))
    {
        found = 0;
        event = ONEM2M_SAE_EV_BAD_IDENTITY;
        if (sae_identity_well_formed(first, first_len)) {
            found = ONEM2M_SAE_table_get(conf->table, (const char *) first,
                                         first_len, &lk);
            ONEM2M_SAE_lookup_cleanse(&lk);
            event = sae_miss_event(found, &lk);
        }

        if (found != 1) {
            conn->state = SAE_REJECTED;
            sae_report(ssl, conn, event, (const char *) first, first_len,
                       NULL);
            *alert = found < 0 ? SSL_AD_INTERNAL_ERROR
                               : SSL_AD_UNKNOWN_PSK_IDENTITY;
            return SSL_CLIENT_HELLO_ERROR;
        }
    }

    if (binder_len != 0 && !sae_narrow_suites(ssl, binder_len)) {
        *alert = SSL_AD_INTERNAL_ERROR;
        return SSL_CLIENT_HELLO_ERROR;
    }

    return SSL_CLIENT_HELLO_SUCCESS;
}
