/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The error log: one info line per bound handshake, one per failure with
 * its reason; the keys (right or wrong) never appear, in any spelling.
 */

#include <ctype.h>
#include <stdio.h>
#include <check.h>

#include "integration/sae_fixture.h"

SAE_FIXTURE(SAE_SERVER)

static void
connect_once(const harness_tls_opts *o)
{
    harness_tls_result  r;
    harness_response    resp;

    harness_tls_request(harness_nginx_port(ng, 0), o, "GET", "/", NULL,
                        NULL, &r, &resp);
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}

static void
assert_no_keys(const char *text)
{
    sae_assert_no_key(text, SAE_LOCK1_KEY, 8);
    sae_assert_no_key(text, SAE_LOCK2_KEY, 8);
    sae_assert_no_key(text, SAE_WRONG_KEY, 8);
}

START_TEST(bound_handshake_logged_once_at_info)
{
    harness_tls_opts  o = sae_lock1(sae_versions[_i]);
    const char       *line = "[info] ";

    connect_once(&o);
    ck_assert(harness_log_wait(ng, "onem2m sae: psk identity \""
                               HARNESS_LOCK1_KPSA_ID "\" bound to \""
                               HARNESS_LOCK1_ENTITY "\"", 2000));
    ck_assert_uint_eq(harness_log_count(ng, "\" bound to \""), 1);
    /* the line is at info level */
    {
        const char  *log = harness_log(ng);
        const char  *hit = strstr(log, "\" bound to \"");
        const char  *bol = hit;

        while (bol > log && bol[-1] != '\n') {
            bol--;
        }
        ck_assert_ptr_nonnull(strstr(bol, line));
        ck_assert(strstr(bol, line) < hit);
    }
    assert_no_keys(harness_log(ng));
}
END_TEST

START_TEST(wrong_key_logged_with_reason)
{
    harness_tls_opts  o;

    o = sae_psk(sae_versions[_i], HARNESS_LOCK2_KPSA_ID, SAE_WRONG_KEY);
    if (sae_versions[_i] == TLS1_2_VERSION) {
        o.ciphers = "PSK-AES128-GCM-SHA256";
    }
    connect_once(&o);
    ck_assert(harness_log_wait(ng, "onem2m sae: wrong key for psk identity \""
                               HARNESS_LOCK2_KPSA_ID "\"", 2000));
    ck_assert(!harness_log_contains(ng, "\" bound to \""));
    assert_no_keys(harness_log(ng));
}
END_TEST

START_TEST(unknown_identity_logged_with_reason)
{
    harness_tls_opts  o;

    o = sae_psk(sae_versions[_i], "nobody@in.provider.com", SAE_LOCK1_KEY);
    connect_once(&o);
    ck_assert(harness_log_wait(ng, "onem2m sae: unknown psk identity "
                               "\"nobody@in.provider.com\"", 2000));
    assert_no_keys(harness_log(ng));
}
END_TEST

/* the whole line of the log that contains needle (static buffer) */
static const char *
log_line(const char *log, const char *needle)
{
    static char  line[8192];
    const char  *hit, *bol, *eol;

    hit = strstr(log, needle);
    if (hit == NULL) {
        return NULL;
    }
    for (bol = hit; bol > log && bol[-1] != '\n'; bol--) {
        /* back to the start of the line */
    }
    eol = strchr(hit, '\n');
    if (eol == NULL) {
        eol = hit + strlen(hit);
    }
    snprintf(line, sizeof(line), "%.*s", (int) (eol - bol), bol);
    return line;
}

/*
 * Log amplification (a client must not grow the log faster than it
 * sends): a 255-byte identity of quotes,
 * each of which is escaped to 4 bytes, gets one line that shows its first
 * 64 bytes and its real length: one event, one line of bounded size.
 */
START_TEST(long_quoted_identity_one_bounded_line)
{
    char              id[256], want[512];
    const char       *line;
    harness_tls_opts  o;
    size_t            i;

    memset(id, '"', 255);
    id[255] = '\0';
    o = sae_psk(sae_versions[_i], id, SAE_LOCK1_KEY);
    connect_once(&o);

    ck_assert(harness_log_wait(ng, "onem2m sae: unknown psk identity", 2000));
    ck_assert_uint_eq(harness_log_count(ng, "onem2m sae:"), 1);

    strcpy(want, "onem2m sae: unknown psk identity \"");
    for (i = 0; i < 64; i++) {
        strcat(want, "\\x22");
    }
    strcat(want, "\"... (255 bytes) while SSL handshaking, client: ");

    line = log_line(harness_log(ng), "onem2m sae:");
    ck_assert_ptr_nonnull(line);
    ck_assert_msg(strstr(line, want) != NULL, "unexpected line: %s", line);
    /* date, level, pid, 256 bytes of escapes, client and server */
    ck_assert_msg(strlen(line) < 512, "line of %zu bytes: %s",
                  strlen(line), line);
    assert_no_keys(harness_log(ng));
}
END_TEST

/* a short identity is written whole, without a length */
START_TEST(identity_of_64_bytes_not_cut)
{
    char              id[65], want[128];
    harness_tls_opts  o;

    memset(id, 'a', 64);
    id[64] = '\0';
    o = sae_psk(sae_versions[_i], id, SAE_LOCK1_KEY);
    connect_once(&o);

    snprintf(want, sizeof(want), "unknown psk identity \"%s\" while", id);
    ck_assert_msg(harness_log_wait(ng, want, 2000), "log lacks %s:\n%s",
                  want, harness_log(ng));
    ck_assert_uint_eq(harness_log_count(ng, "onem2m sae:"), 1);
    ck_assert(!harness_log_contains(ng, " bytes)"));
}
END_TEST

START_TEST(tls13_wrong_binder_is_logged_by_nginx_at_crit)
{
    harness_tls_opts  o;

    /*
     * nginx core logs SSL_R_BINDER_DOES_NOT_VERIFY at crit: anyone who
     * knows an identity can write crit lines (see docs/logging.md).  Pinned here so
     * that a change in nginx or OpenSSL is noticed.
     */
    o = sae_psk(TLS1_3_VERSION, HARNESS_LOCK1_KPSA_ID, SAE_WRONG_KEY);
    connect_once(&o);
    ck_assert(harness_log_wait(ng, "binder does not verify", 2000));
    ck_assert(harness_log_contains(ng, "[crit]"));
    assert_no_keys(harness_log(ng));
}
END_TEST

START_TEST(nginx_t_and_table_errors_never_show_keys)
{
    harness_nginx  *n = harness_nginx_new();
    const char     *out;

    /* a duplicate KpsaID, a bad hex key, a missing column */
    harness_nginx_write_file(n, "kpsa.table",
        "Clock-AE1 1a2b3c4d5e6f7a8b AE123456789012-Lock@in.provider.com\n"
        "Clock-AE2 12345678abcdefab AE123456789012-Lock@in.provider.com\n"
        "Clock-AE3 1a2b3c4d5e6f7a8x AE3@in.provider.com\n"
        "Clock-AE4 1a2b3c4d5e6f7a8a\n", 0600);
    harness_nginx_config(n, SAE_SERVER);
    ck_assert_int_ne(harness_nginx_test(n, &out), 0);
    ck_assert_ptr_nonnull(strstr(out, "[emerg]"));
    assert_no_keys(out);
    ck_assert_msg(strstr(out, "1a2b3c4d5e6f7a8x") == NULL,
                  "a bad key is echoed");
    harness_nginx_free(n);
}
END_TEST

Suite *sae_logs_suite(void)
{
    return CK_SUITE("sae_logs",
                    CK_TCASE_MS("logs", setup, teardown, 30000),
                    CK_LOOP(bound_handshake_logged_once_at_info, 2),
                    CK_LOOP(wrong_key_logged_with_reason, 2),
                    CK_LOOP(unknown_identity_logged_with_reason, 2),
                    CK_LOOP(long_quoted_identity_one_bounded_line, 2),
                    CK_LOOP(identity_of_64_bytes_not_cut, 2),
                    CK_TEST(tls13_wrong_binder_is_logged_by_nginx_at_crit),
                    CK_TCASE_MS("config", NULL, NULL, 30000),
                    CK_TEST(nginx_t_and_table_errors_never_show_keys));
}
