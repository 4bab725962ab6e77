/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MAF suites' fixture (maf_fixture.h).  The MAF runs with its stderr
 * in <prefix>/maf.log, with PR_SET_PDEATHSIG, and is stopped by its PID.
 */

#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <check.h>
#include <openssl/ssl.h>

#include "maf/maf_fixture.h"

#define MAF_TABLE \
    MAF_PHONE_ID " " MAF_KM_HEX " " MAF_PHONE_KMID "\n" \
    MAF_INCSE_ID " " MAF_KM_HEX " " MAF_INCSE_KMID "\n" \
    MAF_OTHER_ID " " MAF_KM_HEX " " MAF_OTHER_KMID "\n"

/* "optional": the MAF itself must refuse what nginx leaves unbound */
#define MAF_SERVER \
    "server {\n" \
    "    listen 127.0.0.1:{{PORT}} ssl;\n" \
    "    {{CERT}}\n" \
    "    ssl_protocols TLSv1.2 TLSv1.3;\n" \
    "    ssl_ciphers PSK-AES128-GCM-SHA256:PSK-AES256-GCM-SHA384:" \
    "ECDHE-ECDSA-AES128-GCM-SHA256;\n" \
    "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n" \
    "    onem2m_sae optional;\n" \
    "    location /maf/ {\n" \
    "        onem2m_sae_exporter_header X-Onem2m-Sae-Exporter " \
    "EXPORTER-oneM2M-Connection 48;\n" \
    "        proxy_pass http://unix:{{PREFIX}}/maf.sock;\n" \
    "    }\n" \
    "}\n"

int  maf_tls_version = TLS1_3_VERSION;

static const char  kek_hex[] =
    "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n";

static int
socket_up(const char *path)
{
    struct sockaddr_un  un;
    int                 fd, ok;

    memset(&un, 0, sizeof(un));
    un.sun_family = AF_UNIX;
    snprintf(un.sun_path, sizeof(un.sun_path), "%s", path);
    fd = socket(AF_UNIX, SOCK_STREAM, 0);
    ok = fd >= 0 && connect(fd, (struct sockaddr *) &un, sizeof(un)) == 0;
    if (fd >= 0) {
        close(fd);
    }
    return ok;
}

void
maf_env_start(maf_env *e, const char *const *extra)
{
    char        conninfo[PATH_MAX + 64], sock[PATH_MAX], listen_[PATH_MAX + 8];
    char        kek[PATH_MAX];
    const char *argv[48], *wrapper;
    char       *w;
    int         n = 0, fd, rc;
    long long   deadline;

    memset(e, 0, sizeof(*e));
    ck_assert_int_eq(fleet_pg_new(&e->pg), 0);

    e->ng = harness_nginx_new();
    ck_assert_ptr_nonnull(e->ng);
    ck_assert_int_eq(harness_nginx_write_file(e->ng, "kpsa.table", MAF_TABLE,
                                              0600), 0);
    ck_assert_int_eq(harness_nginx_write_file(e->ng, "kek", kek_hex, 0600),
                     0);

    snprintf(sock, sizeof(sock), "%s/maf.sock", harness_nginx_prefix(e->ng));
    snprintf(listen_, sizeof(listen_), "unix:%s", sock);
    snprintf(kek, sizeof(kek), "%s/kek", harness_nginx_prefix(e->ng));
    snprintf(e->log, sizeof(e->log), "%s/maf.log",
             harness_nginx_prefix(e->ng));
    fleet_pg_conninfo(&e->pg, FLEET_ADMIN, conninfo, sizeof(conninfo));

    /* ONEM2M_TEST_MAF_WRAPPER: e.g. "valgrind -q --error-exitcode=99" */
    wrapper = getenv("ONEM2M_TEST_MAF_WRAPPER");
    if (wrapper != NULL && *wrapper != '\0') {
        snprintf(e->wrapper, sizeof(e->wrapper), "%s", wrapper);
        for (w = strtok(e->wrapper, " "); w != NULL && n < 12;
             w = strtok(NULL, " "))
        {
            argv[n++] = w;
        }
    }

    argv[n++] = MAF_BIN;
    argv[n++] = "--fqdn";
    argv[n++] = MAF_FQDN;
    argv[n++] = "--admin-fqdn";
    argv[n++] = MAF_ADMIN;
    argv[n++] = "--db";
    argv[n++] = conninfo;
    argv[n++] = "--kek";
    argv[n++] = kek;
    argv[n++] = "--listen";
    argv[n++] = listen_;
    argv[n++] = "--socket-mode";
    argv[n++] = "0666";
    while (extra != NULL && *extra != NULL && n < 46) {
        argv[n++] = *extra++;
    }
    argv[n] = NULL;

    e->maf = fork();

    if (e->maf == 0) {
        fd = open(e->log, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
        if (fd < 0 || dup2(fd, 2) < 0) {
            _exit(126);
        }
        prctl(PR_SET_PDEATHSIG, SIGTERM);
        execvp(argv[0], (char *const *) argv);
        _exit(127);
    }

    ck_assert_int_gt(e->maf, 0);
    deadline = harness_now_ms() + harness_timeout_ms(10000)
               + (e->wrapper[0] ? 20000 : 0);

    while (!socket_up(sock) && harness_now_ms() < deadline) {
        ck_assert_msg(waitpid(e->maf, &rc, WNOHANG) == 0,
                      "onem2m-maf exited");
        usleep(20000);
    }

    ck_assert_msg(socket_up(sock), "onem2m-maf does not listen");

    ck_assert_int_eq(harness_nginx_config(e->ng, MAF_SERVER), 0);
    rc = harness_nginx_start(e->ng);
    ck_assert_msg(rc == 0, "nginx did not start:\n%s", harness_log(e->ng));
}

void
maf_env_stop(maf_env *e)
{
    int  status;

    if (e->ng != NULL) {
        harness_nginx_stop(e->ng);
        harness_nginx_free(e->ng);
        e->ng = NULL;
    }

    if (e->maf > 0) {
        ck_assert_int_eq(fleet_kill_wait(e->maf, SIGTERM, SIGKILL,
                                         e->wrapper[0] ? 60000 : 5000,
                                         &status), 0);
        e->maf = 0;
        /* a clean stop, and under a wrapper no error it reported */
        ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0,
                      "onem2m-maf ended with status %#x, see %s", status,
                      e->log);
    }

    fleet_pg_free(&e->pg);
}

void
maf_answer_free(maf_answer *a)
{
    json_decref(a->body);
    a->body = NULL;
}

static const unsigned char *
km(void)
{
    static unsigned char  k[16];

    harness_unhex(MAF_KM_HEX, k, sizeof(k));
    return k;
}

harness_conn *
maf_connect(maf_env *e, const char *kmid)
{
    harness_tls_opts    o;
    harness_tls_result  r;
    harness_conn       *c;

    memset(&o, 0, sizeof(o));

    if (kmid != NULL) {
        o.identity = kmid;
        o.key = km();
        o.key_len = 16;
        o.version = maf_tls_version;
    } else {
        o.version = TLS1_2_VERSION;
        o.ciphers = "ECDHE-ECDSA-AES128-GCM-SHA256";
    }

    c = harness_tls_connect(harness_nginx_port(e->ng, 0), &o, &r);
    ck_assert_msg(c != NULL, "no handshake as %s", kmid ? kmid : "-");
    harness_tls_result_free(&r);
    return c;
}

static void
answer(harness_response *resp, maf_answer *a)
{
    const char  *rsc = harness_resp_header(resp, "X-M2M-RSC");

    a->status = resp->status;
    a->rsc = rsc ? atoi(rsc) : 0;
    a->body = json_loadb(resp->body ? resp->body : "", resp->body_len, 0,
                         NULL);
    harness_response_free(resp);
}

static void
post_on(harness_conn *c, const char *method, const char *path,
    const char *body, const char *extra, int keep, maf_answer *a)
{
    harness_response  resp;
    char              hdr[1024];

    snprintf(hdr, sizeof(hdr), "Content-Type: application/json\r\n%s",
             extra ? extra : "");
    ck_assert_int_eq(harness_http(c, method, path, hdr, body, keep, &resp),
                     0);
    answer(&resp, a);
}

void
maf_post_on(harness_conn *c, const char *path, const char *body,
    maf_answer *a)
{
    post_on(c, "POST", path, body, NULL, 1, a);
}

void
maf_post(maf_env *e, const char *kmid, const char *method, const char *path,
    const char *body, const char *extra, unsigned char *ekm, maf_answer *a)
{
    harness_conn  *c = maf_connect(e, kmid);

    if (ekm != NULL) {
        ck_assert_int_eq(SSL_export_keying_material(harness_conn_ssl(c),
                             ekm, 48, "EXPORTER-oneM2M-Connection", 26,
                             NULL, 0, 0), 1);
    }

    post_on(c, method, path, body, extra, 0, a);
    harness_conn_close(c);
}

const char *
maf_time_in(long seconds, char buf[32])
{
    time_t     t = time(NULL) + seconds;
    struct tm  tm;

    gmtime_r(&t, &tm);
    strftime(buf, 32, "%Y%m%dT%H%M%S", &tm);
    return buf;
}

const char *
maf_str(const maf_answer *a, const char *member)
{
    return json_string_value(json_object_get(a->body, member));
}

const char *
maf_register(maf_env *e, const char *kmid, long seconds)
{
    static char  reg[64];
    char         body[512], t[32];
    maf_answer   a;

    snprintf(body, sizeof(body), "{\"mafFQDN\": \"" MAF_FQDN "\", "
             "\"expirationTime\": \"%s\", \"adminFQDN\": \"" MAF_ADMIN
             "\"}", maf_time_in(seconds, t));
    maf_post(e, kmid, "POST", "/maf/v1/clientRegistration", body, NULL, NULL,
             &a);
    ck_assert_int_eq(a.rsc, 2001);
    ck_assert_int_eq(a.status, 201);
    snprintf(reg, sizeof(reg), "%s", maf_str(&a, "mafClientRegID"));
    maf_answer_free(&a);
    return reg;
}

char *
maf_key_body(const char *target, const char *key_b64, long seconds,
    int suid)
{
    char  *body, t[32], key[128] = "";

    if (key_b64 != NULL) {
        snprintf(key, sizeof(key), ", \"keyValue\": \"%s\"", key_b64);
    }

    ck_assert_int_gt(asprintf(&body, "{\"mafFQDN\": \"" MAF_FQDN "\", "
                              "\"expirationTime\": \"%s\", \"adminFQDN\": \""
                              MAF_ADMIN "\", \"SUID\": %d, \"targetIDs\": "
                              "[\"%s\"], \"labels\": [\"door\"]%s}",
                              maf_time_in(seconds, t), suid, target, key),
                     0);
    return body;
}
