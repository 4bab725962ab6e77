/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS 1.3 suite narrowing: only the suites of the hash of the client's
 * external PSK.
 */

#include <stdint.h>
#include <string.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "sae_ssl_int.h"


/*
 * The hash size of a suite.  The TLS 1.3 suites of RFC 8446 are known by
 * their number: SSL_CIPHER_get_handshake_digest() looks the digest up by
 * name, which cost more than the rest of the narrowing.
 */
size_t
sae_cipher_hash_len(const SSL_CIPHER *cipher)
{
    const EVP_MD  *md;

    switch (SSL_CIPHER_get_protocol_id(cipher)) {
    case 0x1301:                /* TLS_AES_128_GCM_SHA256 */
    case 0x1303:                /* TLS_CHACHA20_POLY1305_SHA256 */
    case 0x1304:                /* TLS_AES_128_CCM_SHA256 */
    case 0x1305:                /* TLS_AES_128_CCM_8_SHA256 */
        return 32;
    case 0x1302:                /* TLS_AES_256_GCM_SHA384 */
        return 48;
    }

    md = SSL_CIPHER_get_handshake_digest(cipher);

    return md != NULL ? (size_t) EVP_MD_get_size(md) : 0;
}


/* whether the client's ClientHello offers the suite */
static int
sae_client_offers(SSL *ssl, const SSL_CIPHER *cipher)
{
    const unsigned char  *p;
    size_t                len, i;
    uint16_t              id;

    len = SSL_client_hello_get0_ciphers(ssl, &p);
    id = SSL_CIPHER_get_protocol_id(cipher);

    for (i = 0; i + 1 < len; i += 2) {
        if (((uint16_t) p[i] << 8 | p[i + 1]) == id) {
            return 1;
        }
    }

    return 0;
}


/*
 * Before the TLS 1.3 suite is chosen: when the client offers an external
 * PSK, keep only the suites of its hash, else OpenSSL would pick a suite
 * the PSK cannot be used with (OpenSSL clients default to SHA-256 PSKs and
 * prefer TLS_AES_256_GCM_SHA384) and fall back to a certificate handshake.
 * Unknown identities are treated alike so that "hide" stays hidden.
 */
int
sae_narrow_suites(SSL *ssl, size_t binder_len)
{
    STACK_OF(SSL_CIPHER)  *ciphers;
    const SSL_CIPHER      *cipher;
    size_t                 len, used;
    char                   list[256];
    const char            *name;
    int                    i, keep, drop, offered;

    ciphers = SSL_get_ciphers(ssl);
    used = 0;
    keep = 0;
    drop = 0;
    offered = 0;
    list[0] = '\0';

    for (i = 0; i < sk_SSL_CIPHER_num(ciphers); i++) {
        cipher = sk_SSL_CIPHER_value(ciphers, i);
        if (SSL_CIPHER_get_protocol_id(cipher) >> 8 != 0x13) {
            continue;
        }
        if (sae_cipher_hash_len(cipher) != binder_len) {
            drop++;
            offered = offered || sae_client_offers(ssl, cipher);
            continue;
        }
        name = SSL_CIPHER_get_name(cipher);
        len = strlen(name);
        if (used + len + 2 > sizeof(list)) {
            return 1;
        }
        if (used > 0) {
            list[used++] = ':';
        }
        memcpy(list + used, name, len + 1);
        used += len;
        keep++;
    }

    /*
     * Nothing to narrow, nothing left, or no suite to drop that the client
     * offers (OpenSSL cannot choose one): let OpenSSL decide.  Rebuilding
     * the connection's suites costs more than the rest of the hook's
     * ClientHello work.
     */
    if (drop == 0 || keep == 0 || !offered) {
        return 1;
    }

    return SSL_set_ciphersuites(ssl, list);
}
