/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A request staged before a revocation does not reach the upstream after
 * it.  A client sends the headers of a request while its credential
 * stands (nginx has run the request's header phases: it answered
 * "100 Continue", or on HTTP/2 opened the stream's flow-control window),
 * the credential is revoked with "onem2m-kpsa del" on the live store, and
 * the client finishes the body: 403 with X-M2M-RSC 4107, the connection
 * closed, and the upstream gets no complete request.  HTTP/1.1 with
 * Content-Length and chunked bodies, buffered and unbuffered
 * ("proxy_request_buffering off"), FastCGI, an internally redirected
 * request in an "onem2m_sae optional" location, and HTTP/2 streams opened
 * before the revocation.  A real nginx, a "kpsa-lmdb:" store, the in-test
 * upstreams.
 */

#include <stdio.h>
#include <check.h>

#include "check_cases.h"
#include "integration/live_fixture.h"
#include "integration/live_h2.h"

#define BODY_SERVER \
    LIVE_SERVER_WITH("", \
        "    location /unbuffered {\n" \
        "        proxy_request_buffering off;\n" \
        "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n" \
        "    }\n" \
        "    location /fcgi {\n" \
        "        include {{PREFIX}}/fcgi.conf;\n" \
        "    }\n" \
        "    location /redirect { try_files /none /optional; }\n" \
        "    location /optional {\n" \
        "        onem2m_sae optional;\n" \
        "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n" \
        "    }\n")

#define DROPPED_AT_BODY_END \
    "dropped: credential revoked, rekeyed or moved, connection closed, " \
    "request refused at the end of its body"

/* the body's two halves: the second one after the revocation */
static const struct {
    const char  *name;
    int          version;
    const char  *uri;
    const char  *framing;        /* Content-Length or chunked */
    const char  *first, *second;
    int          revoke;
} rows[] = {
    { "length, TLS 1.2", TLS1_2_VERSION, "/buffered", "Content-Length: 10",
      "hello", "world", 1 },
    { "chunked, TLS 1.3", TLS1_3_VERSION, "/buffered",
      "Transfer-Encoding: chunked", "5\r\nhello\r\n",
      "5\r\nworld\r\n0\r\n\r\n", 1 },
    { "unbuffered, TLS 1.3", TLS1_3_VERSION, "/unbuffered",
      "Content-Length: 10", "hello", "world", 1 },
    { "fastcgi, TLS 1.2", TLS1_2_VERSION, "/fcgi", "Content-Length: 10",
      "hello", "world", 1 },
    /* an internal redirect clears the request's view, not its header */
    { "redirected, optional", TLS1_2_VERSION, "/redirect",
      "Content-Length: 10", "hello", "world", 1 },
    /* the control: nothing revoked, the request goes through */
    { "control, TLS 1.2", TLS1_2_VERSION, "/buffered", "Content-Length: 10",
      "hello", "world", 0 },
    { "control fastcgi", TLS1_3_VERSION, "/fcgi",
      "Transfer-Encoding: chunked", "5\r\nhello\r\n",
      "5\r\nworld\r\n0\r\n\r\n", 0 },
};

static harness_upstream  *fcgi;

/* "onem2m-kpsa -f kpsa-lmdb:<store> del kpsa_id", as an operator does */
static void
kpsa_del(const char *kpsa_id)
{
    char   table[600], *out = NULL;
    char  *argv[] = { BUILD_DIR "/tools/onem2m-kpsa", "-f", table, "del",
                      (char *) kpsa_id, NULL };
    int    rc;

    snprintf(table, sizeof(table), "kpsa-lmdb:%s", ls.dir);
    rc = harness_run(argv, NULL, harness_timeout_ms(10000), &out);
    ck_assert_msg(rc == 0, "onem2m-kpsa del: %d\n%s", rc, out);
    free(out);
}

/* how many requests of either upstream carry the whole body */
static size_t
complete_requests(void)
{
    harness_upstream        *ups[2] = { up, fcgi };
    const harness_request   *req;
    size_t                   i, j, n = 0;

    for (j = 0; j < 2; j++) {
        for (i = 0; (req = harness_upstream_request(ups[j], i)) != NULL;
             i++)
        {
            n += req->body_len == 10
                 && strcmp(req->body, "helloworld") == 0;
        }
    }
    return n;
}

static void
start_body_server(void)
{
    char  conf[256];

    fcgi = harness_upstream_start(HARNESS_UPSTREAM_FASTCGI);
    ck_assert_ptr_nonnull(fcgi);
    live_new(&ls, up, BODY_SERVER);
    snprintf(conf, sizeof(conf), "fastcgi_pass 127.0.0.1:%d;\n"
             "fastcgi_param REQUEST_URI $request_uri;\n"
             "fastcgi_param CONTENT_LENGTH $content_length;\n",
             harness_upstream_port(fcgi));
    ck_assert_int_eq(harness_nginx_write_file(ls.ng, "fcgi.conf", conf,
                                              0644), 0);
    ck_assert_msg(harness_nginx_start(ls.ng) == 0, "%s", harness_log(ls.ng));
}

START_TEST(body_finished_after_revoke_is_refused)
{
    harness_tls_opts    o = sae_psk(rows[_i].version, HARNESS_LOCK1_KPSA_ID,
                                    SAE_LOCK1_KEY);
    harness_tls_result  r;
    harness_response    resp;
    harness_conn       *c;
    char                head[256];
    int                 n;

    start_body_server();
    c = harness_tls_connect(harness_nginx_port(ls.ng, 0), &o, &r);
    ck_assert_ptr_nonnull(c);

    /* "100 Continue": the header phases are done, the body is awaited */
    n = snprintf(head, sizeof(head), "POST %s HTTP/1.1\r\nHost: localhost\r\n"
                 "Expect: 100-continue\r\n%s\r\n\r\n", rows[_i].uri,
                 rows[_i].framing);
    ck_assert_int_eq(harness_http_raw(c, head, (size_t) n, &resp), 0);
    ck_assert_msg(resp.status == 100, "%s: %d", rows[_i].name, resp.status);
    harness_response_free(&resp);
    ck_assert_int_eq(harness_conn_write(c, rows[_i].first,
                                        strlen(rows[_i].first)), 0);

    if (rows[_i].revoke) {
        kpsa_del(HARNESS_LOCK1_KPSA_ID);
    }

    ck_assert_int_eq(harness_http_raw(c, rows[_i].second,
                                      strlen(rows[_i].second), &resp), 0);

    if (!rows[_i].revoke) {
        ck_assert_msg(resp.status == 200, "%s: %d", rows[_i].name,
                      resp.status);
        ck_assert_uint_eq(complete_requests(), 1);
        goto done;
    }

    ck_assert_msg(resp.status == 403, "%s: %d", rows[_i].name, resp.status);
    sae_assert_resp_header(&resp, "X-M2M-RSC", "4107");
    sae_assert_resp_header(&resp, "Connection", "close");
    ck_assert_msg(harness_log_wait(ls.ng, DROPPED_AT_BODY_END,
                                   2000),
                  "%s", harness_log(ls.ng));

    /* closed: a next request gets no answer */
    harness_response_free(&resp);
    ck_assert_int_ne(harness_http(c, "GET", "/next", NULL, NULL, 1, &resp),
                     0);

    /* unbuffered, the upstream saw the start; never the whole request */
    ck_assert_uint_eq(complete_requests(), 0);
    if (strcmp(rows[_i].uri, "/unbuffered") != 0) {
        ck_assert_uint_eq(harness_upstream_count(up), 0);
        ck_assert_uint_eq(harness_upstream_count(fcgi), 0);
    }

done:
    harness_response_free(&resp);
    harness_conn_close(c);
    harness_tls_result_free(&r);
    live_free(&ls, 1);
    harness_upstream_stop(fcgi);
}
END_TEST

/* two HTTP/2 streams with half a body each when the credential goes */
START_TEST(http2_streams_finished_after_revoke_are_refused)
{
    h2_conn  h;

    if (!h2_nginx_has_http2()) {
        return;
    }

    live_start(&ls, up, LIVE_SERVER_WITH(" http2", ""));
    h2_open(&h, harness_nginx_port(ls.ng, 0));

    h2_post(&h, 1, "/h2-one", 10);
    h2_data(&h, 1, "hello", 0);
    ck_assert_int_eq(h2_wait_window_update(&h, 1), 0);
    h2_post(&h, 3, "/h2-two", 10);
    h2_data(&h, 3, "hello", 0);
    ck_assert_int_eq(h2_wait_window_update(&h, 3), 0);

    kpsa_del(HARNESS_LOCK1_KPSA_ID);

    h2_data(&h, 1, "world", 1);
    ck_assert_int_eq(h2_status(&h, 1), 403);
    h2_data(&h, 3, "world", 1);
    ck_assert_int_eq(h2_status(&h, 3), 403);
    ck_assert_uint_eq(harness_upstream_count(up), 0);

    /* GOAWAY, then the end of the connection */
    while (!h.eof && !h.timedout) {
        h2_status(&h, 5);
    }
    ck_assert_int_eq(h.goaway, 1);
    ck_assert_int_eq(h.eof, 1);
    ck_assert_uint_eq(harness_log_count(ls.ng, DROPPED_AT_BODY_END), 2);
    h2_close(&h);
    live_free(&ls, 1);
}
END_TEST

Suite *live_body_suite(void)
{
    return CK_SUITE("live_body",
                    CK_TCASE_MS("http1", live_setup, live_teardown, 30000),
                    CK_LOOP(body_finished_after_revoke_is_refused, CK_N(rows)),
                    CK_TCASE_MS("http2", live_setup, live_teardown, 30000),
                    CK_TEST(http2_streams_finished_after_revoke_are_refused));
}
