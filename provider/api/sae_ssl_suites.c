/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * TLS 1.3 suite narrowing: only the suites of the hash of the client's
 * external PSK.
 */

#include <string.h>

#include <openssl/evp.h>
#include <openssl/ssl.h>

#include "sae_ssl_int.h"


size_t
sae_cipher_hash_len(const SSL_CIPHER *cipher)
{
    const EVP_MD  *md;

    md = SSL_CIPHER_get_handshake_digest(cipher);

    return md != NULL ? (size_t) EVP_MD_get_size(md) : 0;
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
    int                    i, keep, drop;

    ciphers = SSL_get_ciphers(ssl);
    used = 0;
    keep = 0;
    drop = 0;
    list[0] = '\0';

    for (i = 0; i < sk_SSL_CIPHER_num(ciphers); i++) {
        cipher = sk_SSL_CIPHER_value(ciphers, i);
        if (SSL_CIPHER_get_protocol_id(cipher) >> 8 != 0x13) {
            continue;
        }
        if (sae_cipher_hash_len(cipher) != binder_len) {
            drop++;
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

    /* nothing to narrow, or nothing left: let OpenSSL decide */
    if (drop == 0 || keep == 0) {
        return 1;
    }

    return SSL_set_ciphersuites(ssl, list);
}
