/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-maf-client: the phone's side of the MAF (Entity A, Source MAF
 * Client; TS-0003 8.8).  libcurl with a PSK client callback installed
 * through CURLOPT_SSL_CTX_FUNCTION (KmID/Km, TLS-PSK only: a server
 * certificate fails the handshake), the RFC 5705 exporter taken when the
 * handshake is done.  Prints what "openssl s_client -psk_identity ...
 * -psk ..." needs to reach the target (Entity B).  docs/maf.md.
 */

#include <getopt.h>
#include <malloc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <jansson.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <openssl/ssl.h>

#include "common/onem2m_id.h"
#include "common/onem2m_text.h"

#define EXPORTER_LABEL  "EXPORTER-oneM2M-Connection"
#define EXPORTER_LEN    48
#define KCID_LEN        16
#define KC_LEN          32

typedef struct {
    const char     *url;            /* https://host:port of the MAF */
    const char     *maf_fqdn;
    const char     *admin_fqdn;
    const char     *km_id;
    unsigned char   km[64];
    size_t          km_len;
    long            lifetime;
    const char     *target;
    const char     *labels[16];
    int             nlabels;
    int             from_exporter;
    const char     *connect_to;     /* curl's CURLOPT_CONNECT_TO entry */
    /* filled by the handshake */
    unsigned char   ekm[EXPORTER_LEN];
    int             have_ekm;
} client;

static client  cl;
/* the MAF's answer as received (a Key Retrieval's holds a Kc) */
static char    answer[65536];
static size_t  answer_len;

/* what jansson frees and the answer are wiped: they may hold a Kc */
static void
free_wiped(void *p)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}

static void
wipe_at_exit(void)
{
    OPENSSL_cleanse(answer, sizeof(answer));
    OPENSSL_cleanse(&cl, sizeof(cl));
}

static unsigned int
psk_cb(SSL *ssl, const char *hint, char *identity, unsigned int max_id,
    unsigned char *psk, unsigned int max_psk)
{
    size_t  n = strlen(cl.km_id);

    if (n + 1 > max_id || cl.km_len > max_psk) {
        return 0;
    }

    memcpy(identity, cl.km_id, n + 1);
    memcpy(psk, cl.km, cl.km_len);
    return (unsigned int) cl.km_len;
}

/* any server certificate: the MAF is authenticated by Km, nothing else */
static int
refuse_cert(int ok, X509_STORE_CTX *ctx)
{
    return 0;
}

static void
info_cb(const SSL *ssl, int where, int ret)
{
    if ((where & SSL_CB_HANDSHAKE_DONE) && !cl.have_ekm) {
        cl.have_ekm = SSL_export_keying_material((SSL *) ssl, cl.ekm,
                          EXPORTER_LEN, EXPORTER_LABEL,
                          sizeof(EXPORTER_LABEL) - 1, NULL, 0, 0) == 1;
    }
}

static CURLcode
ssl_ctx_cb(CURL *curl, void *ctx, void *arg)
{
    SSL_CTX_set_psk_client_callback(ctx, psk_cb);
    SSL_CTX_set_verify(ctx, SSL_VERIFY_PEER, refuse_cert);
    SSL_CTX_set_info_callback(ctx, info_cb);

    if (SSL_CTX_set_cipher_list(ctx, "PSK:!kRSAPSK") != 1) {
        return CURLE_SSL_CIPHER;
    }

    return CURLE_OK;
}

static size_t
collect(char *p, size_t size, size_t n, void *arg)
{
    json_t  **out = arg;

    if (answer_len + size * n >= sizeof(answer)) {
        return 0;
    }

    memcpy(answer + answer_len, p, size * n);
    answer_len += size * n;
    answer[answer_len] = '\0';
    json_decref(*out);
    *out = json_loads(answer, 0, NULL);
    return size * n;
}

/* POSTs body to the procedure's path: the oneM2M status code, or -1 */
static int
call(const char *path, json_t *body, json_t **resp)
{
    CURL               *c;
    CURLcode            rc;
    struct curl_slist  *hdr = NULL, *to = NULL;
    char               *text, url[1024], rsc_s[16] = "";
    int                 rsc = -1;

    *resp = NULL;
    text = json_dumps(body, JSON_COMPACT);
    snprintf(url, sizeof(url), "%s%s", cl.url, path);

    c = curl_easy_init();
    if (c == NULL || text == NULL) {
        free(text);
        return -1;
    }

    hdr = curl_slist_append(hdr, "Content-Type: application/json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, text);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_SSL_CTX_FUNCTION, ssl_ctx_cb);
    /* PSK authenticates the MAF; a certificate would fail (refuse_cert) */
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 0L);
    curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 0L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, collect);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, resp);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 20L);

    if (cl.connect_to != NULL) {
        to = curl_slist_append(to, cl.connect_to);
        curl_easy_setopt(c, CURLOPT_CONNECT_TO, to);
    }

    rc = curl_easy_perform(c);

    if (rc != CURLE_OK) {
        fprintf(stderr, "onem2m-maf-client: %s: %s\n", url,
                curl_easy_strerror(rc));
    } else if (*resp != NULL) {
        json_t  *r = json_object_get(*resp, "rsc");

        rsc = json_is_integer(r) ? (int) json_integer_value(r) : 0;
    }

    if (rc == CURLE_OK && rsc <= 0) {
        struct curl_header  *h;

        if (curl_easy_header(c, "X-M2M-RSC", 0, CURLH_HEADER, -1, &h)
            == CURLHE_OK)
        {
            snprintf(rsc_s, sizeof(rsc_s), "%s", h->value);
            rsc = atoi(rsc_s);
        }
    }

    curl_slist_free_all(hdr);
    curl_slist_free_all(to);
    curl_easy_cleanup(c);
    free(text);
    return rsc;
}

static json_t *
expiration(void)
{
    time_t     t = time(NULL) + cl.lifetime;
    struct tm  tm;
    char       buf[32];

    gmtime_r(&t, &tm);
    strftime(buf, sizeof(buf), "%Y%m%dT%H%M%S", &tm);
    return json_string(buf);
}

static json_t *
labels(void)
{
    json_t  *a = json_array();
    int      i;

    for (i = 0; i < cl.nlabels; i++) {
        json_array_append_new(a, json_string(cl.labels[i]));
    }

    return a;
}

static void
print_json(json_t *j)
{
    char  *s = json_dumps(j, JSON_INDENT(2) | JSON_SORT_KEYS);

    if (s != NULL) {
        puts(s);
        free(s);
    }
}

static int
finish(int rsc, json_t *resp, int want)
{
    if (rsc != want) {
        fprintf(stderr, "onem2m-maf-client: the MAF answered %d%s%s\n", rsc,
                resp && json_is_string(json_object_get(resp, "dbg"))
                ? ": " : "",
                resp && json_is_string(json_object_get(resp, "dbg"))
                ? json_string_value(json_object_get(resp, "dbg")) : "");
        json_decref(resp);
        return 1;
    }

    print_json(resp);
    json_decref(resp);
    return 0;
}

static int
register_key(void)
{
    json_t         *req, *resp = NULL;
    unsigned char   kc[KC_LEN];
    char            rel[2 * KCID_LEN + 1], kc_hex[2 * KC_LEN + 1], b64[64];
    const char     *got;
    int             rsc;

    req = json_pack("{s:s, s:o, s:s, s:i, s:[s], s:o}",
                    "mafFQDN", cl.maf_fqdn, "expirationTime", expiration(),
                    "adminFQDN", cl.admin_fqdn, "SUID", 32,
                    "targetIDs", cl.target, "labels", labels());

    if (!cl.from_exporter) {
        if (RAND_bytes(kc, KC_LEN) != 1) {
            return 1;
        }
        EVP_EncodeBlock((unsigned char *) b64, kc, KC_LEN);
        json_object_set_new(req, "keyValue", json_string(b64));
        OPENSSL_cleanse(b64, sizeof(b64));
    }

    rsc = call("/maf/v1/keyRegistration", req, &resp);
    json_decref(req);

    if (cl.from_exporter) {
        if (!cl.have_ekm) {
            fprintf(stderr, "onem2m-maf-client: no TLS exporter\n");
            json_decref(resp);
            return 1;
        }
        /* Kc: the 32 least significant bytes; KcID: the 16 most */
        memcpy(kc, cl.ekm + KCID_LEN, KC_LEN);
        onem2m_text_hex_encode(cl.ekm, KCID_LEN, rel);
        OPENSSL_cleanse(cl.ekm, sizeof(cl.ekm));
    }

    if (rsc != 2001) {
        OPENSSL_cleanse(kc, sizeof(kc));
        return finish(rsc, resp, 2001);
    }

    got = json_string_value(json_object_get(resp, "relativeKeyID"));

    if (got == NULL || (cl.from_exporter && strcmp(got, rel) != 0)) {
        fprintf(stderr, "onem2m-maf-client: the MAF's relativeKeyID is not "
                "the exporter's KcID\n");
        OPENSSL_cleanse(kc, sizeof(kc));
        json_decref(resp);
        return 1;
    }

    onem2m_text_hex_encode(kc, KC_LEN, kc_hex);
    OPENSSL_cleanse(kc, sizeof(kc));

    print_json(resp);
    printf("key identifier: %s@%s\n", got, cl.maf_fqdn);
    printf("kc: %s\n", kc_hex);
    printf("openssl s_client -psk_identity %s@%s -psk %s ...\n", got,
           cl.maf_fqdn, kc_hex);
    OPENSSL_cleanse(kc_hex, sizeof(kc_hex));
    json_decref(resp);
    return 0;
}

static void
usage(FILE *f)
{
    fprintf(f,
"usage: onem2m-maf-client --maf https://HOST:PORT --maf-fqdn FQDN\n"
"           --km-id KMID --km HEX [--admin-fqdn FQDN] [--lifetime SECONDS]\n"
"           [--label L]... [--connect-to HOST:PORT:ADDR:PORT] COMMAND\n"
"commands:\n"
"  register                       MAF Client Registration\n"
"  config REGID                   MAF Client Configuration Retrieval\n"
"  update REGID                   Registration Update (--lifetime, --label)\n"
"  deregister REGID               MAF Client De-Registration\n"
"  register-key --target ID [--exporter]\n"
"                                 Key Registration, SUID 32; Kc random or\n"
"                                 (--exporter) from the TLS exporter\n"
"  update-key RELID [--target ID] Key Registration Update\n"
"  deregister-key RELID           Key De-Registration\n"
"  retrieve-key RELID             Key Retrieval (as a target)\n");
}

/* options, then one branch per command: each builds its request body */

int
main(int argc, char **argv)
{
    static const struct option  opts[] = {
        { "maf", required_argument, NULL, 'u' },
        { "maf-fqdn", required_argument, NULL, 'f' },
        { "admin-fqdn", required_argument, NULL, 'a' },
        { "km-id", required_argument, NULL, 'i' },
        { "km", required_argument, NULL, 'k' },
        { "lifetime", required_argument, NULL, 'l' },
        { "label", required_argument, NULL, 'L' },
        { "target", required_argument, NULL, 't' },
        { "exporter", no_argument, NULL, 'e' },
        { "connect-to", required_argument, NULL, 'c' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    const char  *cmd, *arg, *km_hex = NULL;
    json_t      *req = NULL, *resp = NULL;
    size_t       i;
    int          c, rsc, want;

    cl.lifetime = 3600;
    json_set_alloc_funcs(malloc, free_wiped);
    atexit(wipe_at_exit);

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'u': cl.url = optarg; break;
        case 'f': cl.maf_fqdn = optarg; break;
        case 'a': cl.admin_fqdn = optarg; break;
        case 'i': cl.km_id = optarg; break;
        case 'k': km_hex = optarg; break;
        case 'l': cl.lifetime = strtol(optarg, NULL, 10); break;
        case 'L':
            if (cl.nlabels < 16) {
                cl.labels[cl.nlabels++] = optarg;
            }
            break;
        case 't': cl.target = optarg; break;
        case 'e': cl.from_exporter = 1; break;
        case 'c': cl.connect_to = optarg; break;
        case 'h': usage(stdout); return 0;
        default: usage(stderr); return 2;
        }
    }

    if (optind >= argc || !cl.url || !cl.maf_fqdn || !cl.km_id || !km_hex) {
        usage(stderr);
        return 2;
    }

    if (!onem2m_kpsa_id_valid(cl.km_id, strlen(cl.km_id))) {
        fprintf(stderr, "onem2m-maf-client: --km-id %s is no KmID "
                "(<relative>@<MAF-FQDN>)\n", cl.km_id);
        return 2;
    }

    if (strlen(km_hex) % 2 || strlen(km_hex) / 2 > sizeof(cl.km)
        || strlen(km_hex) == 0 || !onem2m_text_all_hex(km_hex,
                                                       strlen(km_hex)))
    {
        fprintf(stderr, "onem2m-maf-client: --km takes 1 to 64 bytes in "
                "hex\n");
        return 2;
    }

    for (i = 0; i < strlen(km_hex) / 2; i++) {
        cl.km[i] = (unsigned char)
            (onem2m_text_hex_value((unsigned char) km_hex[2 * i]) << 4
             | onem2m_text_hex_value((unsigned char) km_hex[2 * i + 1]));
    }
    cl.km_len = i;

    if (cl.admin_fqdn == NULL) {
        cl.admin_fqdn = cl.maf_fqdn;
    }

    cmd = argv[optind];
    arg = optind + 1 < argc ? argv[optind + 1] : NULL;
    curl_global_init(CURL_GLOBAL_DEFAULT);

    if (strcmp(cmd, "register") == 0) {
        req = json_pack("{s:s, s:o, s:s, s:o}", "mafFQDN", cl.maf_fqdn,
                        "expirationTime", expiration(),
                        "adminFQDN", cl.admin_fqdn, "labels", labels());
        rsc = call("/maf/v1/clientRegistration", req, &resp);
        want = 2001;

    } else if (strcmp(cmd, "register-key") == 0) {
        if (cl.target == NULL) {
            usage(stderr);
            return 2;
        }
        rsc = register_key();
        OPENSSL_cleanse(cl.km, sizeof(cl.km));
        return rsc;

    } else if (arg == NULL) {
        usage(stderr);
        return 2;

    } else if (strcmp(cmd, "config") == 0) {
        req = json_pack("{s:s, s:s}", "mafFQDN", cl.maf_fqdn,
                        "mafClientRegID", arg);
        rsc = call("/maf/v1/clientConfigRetrieval", req, &resp);
        want = 2000;

    } else if (strcmp(cmd, "update") == 0) {
        req = json_pack("{s:s, s:s, s:o}", "mafFQDN", cl.maf_fqdn,
                        "mafClientRegID", arg,
                        "expirationTime", expiration());
        if (cl.nlabels) {
            json_object_set_new(req, "labels", labels());
        }
        rsc = call("/maf/v1/clientRegistrationUpdate", req, &resp);
        want = 2004;

    } else if (strcmp(cmd, "deregister") == 0) {
        req = json_pack("{s:s, s:s}", "mafFQDN", cl.maf_fqdn,
                        "mafClientRegID", arg);
        rsc = call("/maf/v1/clientDeRegistration", req, &resp);
        want = 2002;

    } else if (strcmp(cmd, "update-key") == 0) {
        req = json_pack("{s:s, s:s, s:o}", "mafFQDN", cl.maf_fqdn,
                        "relativeKeyID", arg,
                        "expirationTime", expiration());
        if (cl.target) {
            json_object_set_new(req, "targetIDs",
                                json_pack("[s]", cl.target));
        }
        rsc = call("/maf/v1/keyRegistrationUpdate", req, &resp);
        want = 2004;

    } else if (strcmp(cmd, "deregister-key") == 0) {
        req = json_pack("{s:s, s:s}", "mafFQDN", cl.maf_fqdn,
                        "relativeKeyID", arg);
        rsc = call("/maf/v1/keyDeRegistration", req, &resp);
        want = 2002;

    } else if (strcmp(cmd, "retrieve-key") == 0) {
        req = json_pack("{s:s}", "relativeKeyID", arg);
        rsc = call("/maf/v1/keyRetrieval", req, &resp);
        want = 2000;

    } else {
        usage(stderr);
        return 2;
    }

    json_decref(req);
    OPENSSL_cleanse(cl.km, sizeof(cl.km));
    return finish(rsc, resp, want);
}
