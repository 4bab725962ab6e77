/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * SNI chaining: the context the ClientHello's server name selects, asked
 * from the server before it switches.
 */

#include <string.h>

#include <openssl/ssl.h>
#include <openssl/tls1.h>

#include "sae_ssl_int.h"


/*
 * The context the ClientHello's server_name extension (RFC 6066 3: one
 * host_name) selects, asked from the server's servername_cb; NULL for the
 * current one.  A malformed extension selects nothing here: OpenSSL and
 * the server's servername callback refuse it later.
 */
SSL_CTX *
sae_servername_ctx(SSL *ssl, sae_ctx_conf *conf)
{
    const unsigned char  *p;
    size_t                len;

    if (conf == NULL || conf->servername == NULL
        || !SSL_client_hello_get0_ext(ssl, TLSEXT_TYPE_server_name, &p, &len))
    {
        return NULL;
    }

    if (len < 5
        || (((size_t) p[0] << 8) | p[1]) + 2 != len
        || p[2] != TLSEXT_NAMETYPE_host_name
        || (((size_t) p[3] << 8) | p[4]) + 5 != len
        || len - 5 > TLSEXT_MAXLEN_host_name
        || memchr(p + 5, '\0', len - 5) != NULL)
    {
        return NULL;
    }

    return conf->servername(ssl, (const char *) p + 5, len - 5,
                            conf->servername_arg);
}
