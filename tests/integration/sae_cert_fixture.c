/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The certificate suites' prefix (sae_cert_fixture.h): a fresh nginx
 * prefix with a PKI issued by conf/onem2m-cert, and small text helpers.
 */

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>

#include <check.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/ssl.h>

#include <onem2m_sae.h>

#include "common/harness.h"
#include "integration/sae_cert_fixture.h"


harness_nginx  *ng;
char            pki[512];


char *
read_text(const char *path)
{
    FILE    *f;
    char    *text;
    long     len;

    f = fopen(path, "r");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_eq(fseek(f, 0, SEEK_END), 0);
    len = ftell(f);
    ck_assert_int_ge(len, 0);
    rewind(f);
    text = malloc(len + 1);
    ck_assert_ptr_nonnull(text);
    ck_assert_int_eq(fread(text, 1, len, f), (size_t) len);
    text[len] = '\0';
    fclose(f);

    return text;
}


/* replaces every "from" in *text by "to" */
void
replace_all(char **text, const char *from, const char *to)
{
    char    *out, *p, *hit;
    size_t   n, from_len, to_len, size;

    from_len = strlen(from);
    to_len = strlen(to);

    for (n = 0, p = *text; (hit = strstr(p, from)) != NULL; n++) {
        p = hit + from_len;
    }

    size = strlen(*text) + n * to_len + 1;
    out = malloc(size);
    ck_assert_ptr_nonnull(out);
    out[0] = '\0';

    for (p = *text; (hit = strstr(p, from)) != NULL; p = hit + from_len) {
        strncat(out, p, hit - p);
        strcat(out, to);
    }
    strcat(out, p);

    free(*text);
    *text = out;
}


/* conf/onem2m-cert with its arguments; output on failure */
void
onem2m_cert(const char *kind, const char *a, const char *b)
{
    char  *argv[] = { TOP_SRCDIR "/conf/onem2m-cert", (char *) kind, pki,
                      (char *) a, (char *) b, NULL };
    char  *out = NULL;
    int    rc;

    rc = harness_run(argv, NULL, harness_timeout_ms(20000), &out);
    ck_assert_msg(rc == 0, "onem2m-cert %s: %d %s", kind, rc,
                  out != NULL ? out : "");
    free(out);
}


/*
 * A certificate for "name" signed by the PKI's CA outside conf/onem2m-cert
 * (which issues neither wildcards nor server certificates without a
 * dNSName): subject CN cn, a P-256 key, the extensions given (openssl.cnf
 * syntax, one a line).
 */
void
issue_by_ca(const char *name, const char *cn, const char *extensions)
{
    FILE  *f;
    char   key[600], csr[600], pem[600], ext[600], ca_pem[600], ca_key[600];
    char   subj[300];
    char  *out = NULL;
    int    rc;

    snprintf(key, sizeof(key), "%s/%s.key", pki, name);
    snprintf(csr, sizeof(csr), "%s/%s.csr", pki, name);
    snprintf(pem, sizeof(pem), "%s/%s.pem", pki, name);
    snprintf(ext, sizeof(ext), "%s/%s.ext", pki, name);
    snprintf(ca_pem, sizeof(ca_pem), "%s/ca.pem", pki);
    snprintf(ca_key, sizeof(ca_key), "%s/ca.key", pki);
    snprintf(subj, sizeof(subj), "/CN=%s", cn);

    f = fopen(ext, "w");
    ck_assert_ptr_nonnull(f);
    ck_assert_int_ge(fputs(extensions, f), 0);
    ck_assert_int_eq(fclose(f), 0);

    {
        char  *req[] = { "openssl", "req", "-new", "-newkey", "ec",
                         "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                         "-sha256", "-subj", subj, "-keyout", key,
                         "-out", csr, NULL };
        char  *sign[] = { "openssl", "x509", "-req", "-in", csr,
                          "-CA", ca_pem, "-CAkey", ca_key, "-CAcreateserial",
                          "-days", "1", "-sha256", "-extfile", ext,
                          "-out", pem, NULL };

        rc = harness_run(req, NULL, harness_timeout_ms(20000), &out);
        ck_assert_msg(rc == 0, "openssl req: %d %s", rc,
                      out != NULL ? out : "");
        free(out);
        out = NULL;
        rc = harness_run(sign, NULL, harness_timeout_ms(20000), &out);
        ck_assert_msg(rc == 0, "openssl x509: %d %s", rc,
                      out != NULL ? out : "");
        free(out);
    }
}


void
sae_cert_setup(void)
{
    /* the IN-CSE writes to peers that may have gone */
    signal(SIGPIPE, SIG_IGN);

    ng = harness_nginx_new();
    ck_assert_ptr_nonnull(ng);
    snprintf(pki, sizeof(pki), "%s/pki", harness_nginx_prefix(ng));

    onem2m_cert("ca", SP_DOMAIN, NULL);
    onem2m_cert("cse", GATEWAY_ID, SP_DOMAIN);
    onem2m_cert("cse", "in-cse-1", SP_DOMAIN);
    onem2m_cert("cse", "in-cse-2", SP_DOMAIN);
    onem2m_cert("ae", "door", DOOR_AE_ID);
    ck_assert_int_eq(harness_nginx_write_file(ng, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
}


void
sae_cert_teardown(void)
{
    harness_nginx_free(ng);
}


void
header_value(const char *head, const char *name, char *out, size_t size)
{
    const char  *p, *end;
    size_t       len;

    out[0] = '\0';
    for (p = strstr(head, "\r\n"); p != NULL; p = strstr(p + 2, "\r\n")) {
        if (strncasecmp(p + 2, name, strlen(name)) == 0
            && p[2 + strlen(name)] == ':')
        {
            p += 2 + strlen(name) + 1;
            while (*p == ' ') {
                p++;
            }
            end = strstr(p, "\r\n");
            len = (size_t) (end - p) < size - 1 ? (size_t) (end - p)
                                                : size - 1;
            memcpy(out, p, len);
            out[len] = '\0';
            return;
        }
    }
}
