/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Certificate-based SAE: the oneM2M identity of a verified peer
 * certificate (TS-0003 8.1.2.4, 8.1.2.5, 8.2.2.2, 10.1.1.5, 10.1.1.7).
 *
 * Identities come from subjectAltName only, never from the subject:
 *
 *   - AE-ID certificate: a URI that is exactly an absolute AE-ID.  The
 *     certificate must carry exactly one URI (a second one, whatever it
 *     is, makes the certificate name nothing).
 *   - CSE-ID certificate: a dNSName "<CSE-ID>.<SP domain>", the public
 *     domain name representation of the CSE-ID, where the SP domain is
 *     the server's own, compared without case (DNS names have none).
 *     Other dNSNames (host names of the same machine) are ignored; two
 *     different CSE-IDs name nothing.  CSE-IDs are case-sensitive: the
 *     label is taken exactly as written, so the certificate must state the
 *     CSE-ID in its exact case ("IN-CSE-1" and "in-cse-1" are two
 *     identities; the nginx originator checks refuse claims of either
 *     case variant of a protected CSE-ID).
 *   - No wildcards (10.1.1.5, 10.1.1.7): a "*" in any dNSName or URI
 *     makes the certificate name nothing.
 *   - An AE-ID and a CSE-ID in one certificate name nothing.
 *
 * Entities: the absolute AE-ID as the URI has it, or "/<CSE-ID>" with the
 * label as written.
 *
 * Credential-IDs (TS-0003 10.4, Table 12.3.2.1-1): "33-<absolute AE-ID>",
 * the URI as written but for its SP-ID in lower case, and
 * "32-<CSE-ID>.<sp_domain>": the CSE-ID label as written, then the
 * configured SP domain in lower case, so the spelling of a domain name in
 * a certificate does not change the credential.  Both
 * are globally unique as 10.4 requires (an SP-relative CSE-ID is not), and
 * for CSE-IDs within 10.4's alphabet; absolute AE-IDs need "/", which the
 * sec:credentialID type (xs:anyURI value) allows.
 *
 * What OpenSSL already did is not repeated: path validation against the
 * trust anchors, validity period, name constraints and key usage are the
 * verification's job; without X509_V_OK nothing binds.
 *
 * Except on resumption: a resumed session (session cache, TLS 1.2 or 1.3
 * ticket) carries the peer certificate and the verify result of the
 * handshake that made it, perhaps under another CA list or before a CRL
 * revoked it.  Its certificate is verified again, now, against the
 * store of the SSL_CTX that resumed it (the server's current CA list and
 * CRLs, with its flags and depth): only a certificate that still verifies
 * names an entity (ONEM2M_SAE_CERT_STALE otherwise).
 */

#include <string.h>

#include <openssl/crypto.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "onem2m_sae.h"
#include "common/onem2m_id.h"
#include "common/onem2m_text.h"


/* the longest dNSName (RFC 1035) and one DNS label */
#define SAE_MAX_DNS_NAME      253
#define SAE_MAX_DNS_LABEL     63

/* "32-" / "33-" */
#define SAE_CRED_PREFIX_LEN   3

typedef struct {
    int                        computed;
    const X509                *cert;          /* what it was computed for */
    long                       verify_result;
    long                       reverify_result; /* resumed sessions */
    char                       domain[SAE_MAX_DNS_NAME + 1];
    size_t                     domain_len;
    int                        reason;        /* ONEM2M_SAE_CERT_* */
    ONEM2M_SAE_CERT_IDENTITY   identity;
    char                       entity[ONEM2M_SAE_MAX_ID_LEN + 1];
    char                       credential_id[SAE_CRED_PREFIX_LEN
                                             + SAE_MAX_DNS_NAME
                                             + ONEM2M_SAE_MAX_ID_LEN + 1];
} sae_cert_cache;

/* what the subjectAltName extension names */
typedef struct {
    int                        uris;          /* URIs of any kind */
    const unsigned char       *ae_id;         /* the one URI, an AE-ID */
    size_t                     ae_id_len;
    const unsigned char       *cse_name;      /* "<CSE-ID>.<SP domain>" */
    size_t                     cse_id_len;    /* its first label */
    int                        several_cse;
    int                        wildcard;
} sae_cert_names;


static int sae_cert_index = -1;
static CRYPTO_ONCE sae_cert_once = CRYPTO_ONCE_STATIC_INIT;


static void
sae_cert_cache_free(void *parent, void *ptr, CRYPTO_EX_DATA *ad, int idx,
    long argl, void *argp)
{
    OPENSSL_free(ptr);
}


/* SSL_dup() must not share the cache */
static int
sae_cert_cache_dup(CRYPTO_EX_DATA *to, const CRYPTO_EX_DATA *from,
    void **from_d, int idx, long argl, void *argp)
{
    *from_d = NULL;
    return 1;
}


static void
sae_cert_init_index(void)
{
    sae_cert_index = SSL_get_ex_new_index(0, NULL, NULL, sae_cert_cache_dup,
                                          sae_cert_cache_free);
}


/*
 * An absolute AE-ID (TS-0001 Table 7.2-1): "//<SP-ID>/<CSE-ID>/C<stem>"
 * or "//<SP-ID>/S<stem>", in the grammar of common/onem2m_id.c.
 */
static int
sae_is_absolute_ae_id(const unsigned char *s, size_t len)
{
    onem2m_id  id;

    return onem2m_id_parse((const char *) s, len, &id) == ONEM2M_ID_AE
           && id.form == ONEM2M_ID_FORM_ABSOLUTE;
}


/*
 * The length of the CSE-ID of a dNSName "<CSE-ID>.<domain>", or 0: the
 * CSE-ID is one DNS label of CSE-ID characters, the domain is compared
 * without case (DNS names are case-insensitive).
 */
static size_t
sae_cse_id_len(const unsigned char *name, size_t len, const char *domain,
    size_t domain_len)
{
    size_t  label;

    if (domain_len == 0 || len < domain_len + 2) {
        return 0;
    }

    label = len - domain_len - 1;

    if (name[label] != '.'
        || !onem2m_text_equal_nocase(name + label + 1, domain, domain_len)
        || label > SAE_MAX_DNS_LABEL)
    {
        return 0;
    }

    /* one label: no '.', no '~' (not a host name character) */
    if (memchr(name, '.', label) != NULL || memchr(name, '~', label) != NULL
        || !onem2m_id_segment_valid((const char *) name, label))
    {
        return 0;
    }

    return label;
}


static void
sae_collect_names(const GENERAL_NAMES *names, const char *domain,
    size_t domain_len, sae_cert_names *found)
{
    const GENERAL_NAME   *name;
    const unsigned char  *data;
    size_t                len, cse_id_len;
    int                   i, type;

    memset(found, 0, sizeof(*found));

    for (i = 0; i < sk_GENERAL_NAME_num(names); i++) {
        name = sk_GENERAL_NAME_value(names, i);
        type = name->type;

        if (type != GEN_URI && type != GEN_DNS) {
            continue;
        }

        /* both are IA5Strings */
        data = ASN1_STRING_get0_data(name->d.ia5);
        len = (size_t) ASN1_STRING_length(name->d.ia5);

        if (len > 0 && memchr(data, '*', len) != NULL) {
            found->wildcard = 1;
            continue;
        }

        if (type == GEN_URI) {
            found->uris++;
            if (sae_is_absolute_ae_id(data, len)) {
                found->ae_id = data;
                found->ae_id_len = len;
            }
            continue;
        }

        cse_id_len = sae_cse_id_len(data, len, domain, domain_len);
        if (cse_id_len == 0) {
            continue;
        }

        /* the same CSE-ID twice is one identity */
        if (found->cse_name != NULL
            && (found->cse_id_len != cse_id_len
                || memcmp(found->cse_name, data, cse_id_len) != 0))
        {
            found->several_cse = 1;
        }

        found->cse_name = data;
        found->cse_id_len = cse_id_len;
    }
}


/* the identity of an AE-ID certificate: "33-" <AE-ID> */
static void
sae_set_ae(sae_cert_cache *cache, const sae_cert_names *found)
{
    ONEM2M_SAE_CERT_IDENTITY  *id = &cache->identity;
    size_t                     i;
    unsigned char              c;

    memcpy(cache->entity, found->ae_id, found->ae_id_len);
    cache->entity[found->ae_id_len] = '\0';
    id->entity_len = (unsigned short) found->ae_id_len;
    id->entity_type = ONEM2M_SAE_ENTITY_AE;
    id->credential_type = ONEM2M_SAE_CRED_AE_ID_CERT;
    memcpy(cache->credential_id, "33-", SAE_CRED_PREFIX_LEN);
    memcpy(cache->credential_id + SAE_CRED_PREFIX_LEN, found->ae_id,
           found->ae_id_len);
    id->credential_id_len = (unsigned short) (SAE_CRED_PREFIX_LEN
                                              + found->ae_id_len);

    /* the SP-ID, a domain name, in lower case: "//<SP-ID>/..." */
    for (i = SAE_CRED_PREFIX_LEN + 2;
         i < id->credential_id_len && cache->credential_id[i] != '/';
         i++)
    {
        c = (unsigned char) cache->credential_id[i];
        cache->credential_id[i] = (char) onem2m_text_lower(c);
    }
}


/* the identity of a CSE-ID certificate: "32-" <CSE-ID> "." <sp_domain> */
static void
sae_set_cse(sae_cert_cache *cache, const sae_cert_names *found,
    const char *domain, size_t domain_len)
{
    ONEM2M_SAE_CERT_IDENTITY  *id = &cache->identity;
    size_t                     i;
    char                      *p;

    cache->entity[0] = '/';
    memcpy(cache->entity + 1, found->cse_name, found->cse_id_len);
    cache->entity[1 + found->cse_id_len] = '\0';
    id->entity_len = (unsigned short) (1 + found->cse_id_len);
    id->entity_type = ONEM2M_SAE_ENTITY_CSE;
    id->credential_type = ONEM2M_SAE_CRED_CSE_ID_CERT;

    /* the CSE-ID as written, the sp_domain in lower case */
    p = cache->credential_id;
    memcpy(p, "32-", SAE_CRED_PREFIX_LEN);
    p += SAE_CRED_PREFIX_LEN;
    memcpy(p, found->cse_name, found->cse_id_len);
    p += found->cse_id_len;
    *p++ = '.';
    for (i = 0; i < domain_len; i++) {
        *p++ = (char) onem2m_text_lower((unsigned char) domain[i]);
    }
    id->credential_id_len = (unsigned short) (p - cache->credential_id);
}


static int
sae_derive(X509 *cert, const char *domain, size_t domain_len,
    sae_cert_cache *cache)
{
    ONEM2M_SAE_CERT_IDENTITY  *id;
    GENERAL_NAMES             *names;
    sae_cert_names             found;
    int                        critical;

    names = X509_get_ext_d2i(cert, NID_subject_alt_name, &critical, NULL);
    if (names == NULL) {
        /* critical -2: several subjectAltName extensions */
        return critical == -2 ? ONEM2M_SAE_CERT_AMBIGUOUS
                              : ONEM2M_SAE_CERT_NO_IDENTITY;
    }

    sae_collect_names(names, domain, domain_len, &found);

    id = &cache->identity;

    if (found.wildcard) {
        GENERAL_NAMES_free(names);
        return ONEM2M_SAE_CERT_WILDCARD;
    }

    if (found.uris > 1 || found.several_cse
        || (found.ae_id != NULL && found.cse_name != NULL))
    {
        GENERAL_NAMES_free(names);
        return ONEM2M_SAE_CERT_AMBIGUOUS;
    }

    if (found.ae_id != NULL) {
        sae_set_ae(cache, &found);

    } else if (found.cse_name != NULL) {
        sae_set_cse(cache, &found, domain, domain_len);

    } else {
        GENERAL_NAMES_free(names);
        return ONEM2M_SAE_CERT_NO_IDENTITY;
    }

    cache->credential_id[id->credential_id_len] = '\0';
    id->entity = cache->entity;
    id->credential_id = cache->credential_id;

    GENERAL_NAMES_free(names);

    return ONEM2M_SAE_CERT_OK;
}


static sae_cert_cache *
sae_get_cache(SSL *ssl)
{
    sae_cert_cache  *cache;

    if (!CRYPTO_THREAD_run_once(&sae_cert_once, sae_cert_init_index)
        || sae_cert_index < 0)
    {
        return NULL;
    }

    cache = SSL_get_ex_data(ssl, sae_cert_index);
    if (cache != NULL) {
        return cache;
    }

    cache = OPENSSL_zalloc(sizeof(*cache));
    if (cache == NULL) {
        return NULL;
    }

    if (!SSL_set_ex_data(ssl, sae_cert_index, cache)) {
        OPENSSL_free(cache);
        return NULL;
    }

    return cache;
}


/*
 * A resumed session's certificate verified again as the handshake would
 * verify it now (ssl/statem: ssl_verify_cert_chain): the store of the
 * SSL_CTX in use, the "ssl_client" purpose, the SSL's parameters (depth,
 * flags) on top of the store's (nginx's "ssl_crl" sets CRL checking
 * there), the chain the session still has (none after a ticket: the
 * store's certificates then complete it).  X509_V_OK or the error.
 */
static long
sae_reverify(SSL *ssl, X509 *cert)
{
    X509_STORE_CTX  *xctx;
    X509_STORE      *store;
    long             err;

    store = SSL_CTX_get_cert_store(SSL_get_SSL_CTX(ssl));
    xctx = X509_STORE_CTX_new();

    if (store == NULL || xctx == NULL
        || !X509_STORE_CTX_init(xctx, store, cert,
                                SSL_get_peer_cert_chain(ssl))
        || !X509_STORE_CTX_set_default(xctx, SSL_is_server(ssl)
                                             ? "ssl_client" : "ssl_server")
        || !X509_VERIFY_PARAM_set1(X509_STORE_CTX_get0_param(xctx),
                                   SSL_get0_param(ssl)))
    {
        X509_STORE_CTX_free(xctx);
        return X509_V_ERR_UNSPECIFIED;
    }

    if (X509_verify_cert(xctx) == 1) {
        err = X509_V_OK;

    } else {
        err = X509_STORE_CTX_get_error(xctx);
        if (err == X509_V_OK) {
            err = X509_V_ERR_UNSPECIFIED;
        }
    }

    X509_STORE_CTX_free(xctx);
    ERR_clear_error();

    return err;
}


long
ONEM2M_SAE_get_cert_reverify_result(SSL *ssl)
{
    sae_cert_cache  *cache;

    if (ssl == NULL || !CRYPTO_THREAD_run_once(&sae_cert_once,
                                               sae_cert_init_index)
        || sae_cert_index < 0)
    {
        return X509_V_OK;
    }

    cache = SSL_get_ex_data(ssl, sae_cert_index);

    return cache != NULL && cache->computed ? cache->reverify_result
                                            : X509_V_OK;
}


const ONEM2M_SAE_CERT_IDENTITY *
ONEM2M_SAE_get_cert_identity(SSL *ssl, const char *sp_domain,
    size_t sp_domain_len, int *reason)
{
    sae_cert_cache  *cache;
    X509            *cert;
    long             verify_result;
    int              unused;

    if (reason == NULL) {
        reason = &unused;
    }

    if (ssl == NULL || sp_domain_len > SAE_MAX_DNS_NAME
        || (sp_domain == NULL && sp_domain_len != 0))
    {
        *reason = ONEM2M_SAE_CERT_ERROR;
        return NULL;
    }

    /* during the handshake the certificate may not be verified yet */
    cert = SSL_is_init_finished(ssl) ? SSL_get0_peer_certificate(ssl) : NULL;
    if (cert == NULL) {
        *reason = ONEM2M_SAE_CERT_NO_CERT;
        return NULL;
    }

    verify_result = SSL_get_verify_result(ssl);

    cache = sae_get_cache(ssl);
    if (cache == NULL) {
        *reason = ONEM2M_SAE_CERT_ERROR;
        return NULL;
    }

    if (!cache->computed || cache->cert != cert
        || cache->verify_result != verify_result
        || cache->domain_len != sp_domain_len
        || (sp_domain_len != 0
            && memcmp(cache->domain, sp_domain, sp_domain_len) != 0))
    {
        cache->computed = 1;
        cache->cert = cert;
        cache->verify_result = verify_result;
        if (sp_domain_len != 0) {
            memcpy(cache->domain, sp_domain, sp_domain_len);
        }
        cache->domain_len = sp_domain_len;

        cache->reverify_result = X509_V_OK;

        if (verify_result == X509_V_OK && SSL_session_reused(ssl)) {
            cache->reverify_result = sae_reverify(ssl, cert);
        }

        if (verify_result != X509_V_OK) {
            cache->reason = ONEM2M_SAE_CERT_UNVERIFIED;

        } else if (cache->reverify_result != X509_V_OK) {
            cache->reason = ONEM2M_SAE_CERT_STALE;

        } else {
            cache->reason = sae_derive(cert, sp_domain, sp_domain_len, cache);
        }
    }

    *reason = cache->reason;

    return cache->reason == ONEM2M_SAE_CERT_OK ? &cache->identity : NULL;
}
