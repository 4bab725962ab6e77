/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The throwaway certificate: one self-signed P-256 certificate and key
 * per test process, written into every nginx prefix.
 */

#define _GNU_SOURCE

#include <pthread.h>
#include <stdlib.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "common/harness_internal.h"


static pthread_once_t  cert_once = PTHREAD_ONCE_INIT;
static char           *cert_pem;
static char           *key_pem;

static char *
bio_string(BIO *bio)
{
    char  *data;
    long   n = BIO_get_mem_data(bio, &data);

    return harness_xstrndup(data, (size_t) n);
}

static void
make_cert(void)
{
    EVP_PKEY   *pkey;
    X509       *x;
    X509_NAME  *name;
    BIO        *cb, *kb;

    pkey = EVP_EC_gen("P-256");
    x = X509_new();
    if (pkey == NULL || x == NULL) {
        abort();
    }
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400L * 365);
    X509_set_pubkey(x, pkey);
    name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC,
                               (const unsigned char *) "mn-cse-123456", -1,
                               -1, 0);
    X509_set_issuer_name(x, name);
    if (X509_sign(x, pkey, EVP_sha256()) == 0) {
        abort();
    }
    cb = BIO_new(BIO_s_mem());
    kb = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(cb, x);
    PEM_write_bio_PrivateKey(kb, pkey, NULL, NULL, 0, NULL, NULL);
    cert_pem = bio_string(cb);
    key_pem = bio_string(kb);
    BIO_free(cb);
    BIO_free_all(kb);
    X509_free(x);
    EVP_PKEY_free(pkey);
}

void
harness_cert(const char **cert, const char **key)
{
    pthread_once(&cert_once, make_cert);
    *cert = cert_pem;
    *key = key_pem;
}
