/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Header names as upstreams read them, and their removal in place: names
 * compare with case, "-", "_" and "." folded, since FastCGI, uwsgi, SCGI
 * and PHP merge those spellings, so a client's spelling the module did not
 * fold would reach the upstream as the identity or origin header.
 *
 * - dotted spellings of the identity header are stripped ("ignore_invalid_
 *   headers off" lets them through, FastCGI passes "HTTP_X.ONEM2M...");
 * - any spelling of X-M2M-Origin but the real one is refused (400, 4000)
 *   where originator checks run;
 * - stripping removes headers in place: $http_host, $cookie_* and the
 *   upstream see exactly the client's headers minus the stripped ones,
 *   wherever in the header list (first, middle, part boundaries, whole
 *   parts, last) the stripped ones are;
 * - "nginx -t" refuses identity header names that alias a header with a
 *   meaning, and warns about a server without SAE that shares an SAE
 *   server's address and passes requests on.
 */

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <check.h>

#include "integration/sae_fixture.h"

#define NAMES_SERVER \
    "server {\n" \
    SAE_TLS \
    "    onem2m_sae optional;\n" \
    "    onem2m_sae_cse_id mn-cse-123456;\n" \
    "    onem2m_sae_sp_id in.provider.com;\n" \
    "    ignore_invalid_headers off;\n" \
    "    location / {\n" \
    "        onem2m_sae_originator check;\n" \
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n" \
    "    }\n" \
    "    location /fcgi/ {\n" \
    "        onem2m_sae_originator check;\n" \
    "        fastcgi_param REQUEST_URI $request_uri;\n" \
    "        fastcgi_pass 127.0.0.1:%d;\n" \
    "    }\n" \
    "    location /vars/ {\n" \
    "        proxy_set_header X-Seen-Host $http_host;\n" \
    "        proxy_set_header X-Seen-Cookie-A $cookie_a;\n" \
    "        proxy_set_header X-Seen-Cookie $http_cookie;\n" \
    "        proxy_pass http://127.0.0.1:{{UPSTREAM}};\n" \
    "    }\n" \
    "}\n"

SAE_FIXTURE_FCGI(NAMES_SERVER)

/* name with case, "-", "_" and "." folded, as PHP reads a CGI param */
static int
folded_eq(const char *a, const char *b)
{
    for ( ;; a++, b++) {
        int  x = toupper((unsigned char) *a), y = toupper((unsigned char) *b);

        x = (x == '-' || x == '.') ? '_' : x;
        y = (y == '-' || y == '.') ? '_' : y;
        if (x != y) {
            return 0;
        }
        if (x == '\0') {
            return 1;
        }
    }
}

static size_t
folded_count(const harness_request *req, const char *name)
{
    size_t  i, n = 0;

    for (i = 0; i < req->nheaders; i++) {
        n += folded_eq(req->headers[i].name, name);
    }
    return n;
}


/* one request; its response is checked for status and freed */
static void
get(harness_tls_opts *o, const char *uri, const char *extra, int status,
    const char *rsc, const char *body)
{
    harness_tls_result  r;
    harness_response    resp;

    ck_assert_int_eq(harness_tls_request(harness_nginx_port(ng, 0), o,
                                         "GET", uri, extra, NULL, &r,
                                         &resp), 0);
    ck_assert_msg(resp.status == status, "%s %s: %d %s", uri, extra,
                  resp.status, resp.body);
    if (rsc != NULL) {
        sae_assert_resp_header(&resp, "X-M2M-RSC", rsc);
        ck_assert_str_eq(resp.body, body);
    }
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}


/* ------------------------------------------------------------------ */
/* dotted spellings of the identity header are stripped (item 7)      */

#define DOTTED \
    "X-M2M-Origin: Clock-AE1\r\n" \
    "X.Onem2m.Sae.Entity: forged-dots\r\n" \
    "x_onem2m.sae-entity: forged-mixed\r\n"

/* GET uri with DOTTED as o: what u saw, with n copies of name (folded) */
static const harness_request *
dotted_request(harness_tls_opts *o, const char *uri,
    harness_upstream *u, const char *name, size_t n)
{
    const harness_request  *req;

    get(o, uri, DOTTED, 200, NULL, NULL);
    req = harness_upstream_last(u);
    ck_assert_ptr_nonnull(req);
    ck_assert_msg(folded_count(req, name) == n, "%s: %s", uri,
                  sae_dump_headers(req));
    return req;
}

START_TEST(dotted_identity_header_stripped_fastcgi)
{
    harness_tls_opts        o = sae_lock1(TLS1_3_VERSION);
    const harness_request  *req;

    req = dotted_request(&o, "/fcgi/d", fcgi, "HTTP_X_ONEM2M_SAE_ENTITY", 1);
    sae_assert_req_header(req, "HTTP_X_ONEM2M_SAE_ENTITY",
                          HARNESS_LOCK1_ENTITY);
}
END_TEST

START_TEST(dotted_identity_header_stripped_proxy)
{
    harness_tls_opts  o = sae_cert_only(TLS1_3_VERSION);

    /* unbound, on the "vars" location: nothing of it may arrive */
    dotted_request(&o, "/vars/d", up, SAE_ENTITY_HEADER, 0);
}
END_TEST


/* ------------------------------------------------------------------ */
/* any other spelling of X-M2M-Origin is refused (item 7)             */

static const char *const  origin_aliases[] = {
    "X_M2M_Origin: Clock-AE1\r\n",
    "X.M2M.Origin: Clock-AE1\r\n",
    "x-m2m_origin: Clock-AE1\r\n",
    "X-M2M.ORIGIN: Clock-AE1\r\n",
    /* next to the real one */
    "X-M2M-Origin: Clock-AE1\r\nx_m2m_Origin: Clock-AE1\r\n",
};

#define N_ALIASES  (CK_N(origin_aliases))

START_TEST(origin_alias_refused)
{
    /* _i: the alias, then lock 1 or no binding at all */
    harness_tls_opts  o = (_i < (int) N_ALIASES)
                          ? sae_lock1(TLS1_3_VERSION)
                          : sae_cert_only(TLS1_3_VERSION);
    size_t            before = harness_upstream_count(up);

    get(&o, "/cse", origin_aliases[_i % N_ALIASES], 400, "4000",
        "{\"m2m:dbg\": \"X-M2M-Origin spelt with \\\"_\\\" or "
        "\\\".\\\"\"}");
    ck_assert_uint_eq(harness_upstream_count(up), before);
}
END_TEST

START_TEST(origin_in_any_case_is_the_real_one)
{
    harness_tls_opts  o = sae_lock1(TLS1_2_VERSION);

    get(&o, "/cse", "x-m2m-ORIGIN: Clock-AE1\r\n", 200, NULL, NULL);
    sae_assert_upstream_entity(harness_upstream_last(up),
                               HARNESS_LOCK1_ENTITY);
}
END_TEST


/* ------------------------------------------------------------------ */
/* headers removed in place (variables and upstreams see the rest)    */

/*
 * One letter per request header, in order: S a client identity header
 * (three spellings in turn), H "Host: gw", X "Connection: close",
 * C "Cookie: a=1; b=2", D "Cookie: c=3", K "X-Keep-<n>: v<n>".  nginx
 * keeps request headers in a list of parts of 20: the layouts put
 * stripped headers first, in the middle, at both ends of a part, as a
 * whole part, and last, before the bound entity is added.
 */
static const char *const  layouts[] = {
    "SHXCKKKKKKSKKKKKKKKSSKKKKDKKKKS",
    "HXCKKKKKKKKKKKKKKKKKSSSSSSSSSSSSSSSSSSSSKDK",
    "SSSSSSSSSSSSSSSSSSSSHXCKDK",
    "HXCDS",
    "HXCKDKKKKKKKKKKKKKKKS",
};

static const char *const  spellings[] = {
    SAE_ENTITY_HEADER, "x_onem2m_sae_entity", "X.ONEM2M.SAE.ENTITY"
};

START_TEST(headers_removed_in_place)
{
    const char             *layout = layouts[_i];
    harness_tls_opts        o = sae_lock1(TLS1_3_VERSION);
    harness_tls_result      r;
    harness_response        resp;
    harness_conn           *c;
    const harness_request  *req;
    char                    raw[8192], want[64][64], got[64][64];
    size_t                  n = 0, nwant = 0, ngot = 0, s = 0, i;

    n += (size_t) snprintf(raw + n, sizeof(raw) - n,
                           "GET /vars/%d HTTP/1.1\r\n", _i);
    for (i = 0; layout[i]; i++) {
        switch (layout[i]) {
        case 'S':
            n += (size_t) snprintf(raw + n, sizeof(raw) - n,
                                   "%s: forged-%zu\r\n",
                                   spellings[s++ % 3], i);
            break;
        case 'H':
            n += (size_t) snprintf(raw + n, sizeof(raw) - n, "Host: gw\r\n");
            break;
        case 'X':
            n += (size_t) snprintf(raw + n, sizeof(raw) - n,
                                   "Connection: close\r\n");
            break;
        case 'C':
        case 'D':
            snprintf(want[nwant++], sizeof(want[0]), "Cookie=%s",
                     layout[i] == 'C' ? "a=1; b=2" : "c=3");
            n += (size_t) snprintf(raw + n, sizeof(raw) - n,
                                   "Cookie: %s\r\n",
                                   layout[i] == 'C' ? "a=1; b=2" : "c=3");
            break;
        default:
            snprintf(want[nwant++], sizeof(want[0]), "X-Keep-%zu=v%zu", i,
                     i);
            n += (size_t) snprintf(raw + n, sizeof(raw) - n,
                                   "X-Keep-%zu: v%zu\r\n", i, i);
        }
    }
    n += (size_t) snprintf(raw + n, sizeof(raw) - n, "\r\n");
    ck_assert_uint_lt(n, sizeof(raw));

    c = harness_tls_connect(harness_nginx_port(ng, 0), &o, &r);
    ck_assert_ptr_nonnull(c);
    ck_assert_int_eq(harness_http_raw(c, raw, n, &resp), 0);
    harness_conn_close(c);
    ck_assert_int_eq(resp.status, 200);

    req = harness_upstream_last(up);
    ck_assert_ptr_nonnull(req);

    /* the variables read r->headers_in.host and the cookies */
    sae_assert_req_header(req, "X-Seen-Host", "gw");
    sae_assert_req_header(req, "X-Seen-Cookie-A", "1");
    sae_assert_req_header(req, "X-Seen-Cookie", "a=1; b=2; c=3");

    /* the bound entity, once, and no client copy */
    ck_assert_msg(folded_count(req, SAE_ENTITY_HEADER) == 1,
                  "upstream saw: %s", sae_dump_headers(req));
    sae_assert_upstream_entity(req, HARNESS_LOCK1_ENTITY);

    /* every other client header, in order (proxy sets Host, Connection) */
    for (i = 0; i < req->nheaders && ngot < 64; i++) {
        const char  *name = req->headers[i].name;

        if (strcasecmp(name, "Host") == 0
            || strcasecmp(name, "Connection") == 0
            || strncasecmp(name, "X-Seen-", 7) == 0
            || folded_eq(name, SAE_ENTITY_HEADER))
        {
            continue;
        }
        snprintf(got[ngot++], sizeof(got[0]), "%s=%s", name,
                 req->headers[i].value);
    }
    ck_assert_msg(ngot == nwant, "layout %s: %zu headers forwarded, %zu "
                  "sent: %s", layout, ngot, nwant, sae_dump_headers(req));
    for (i = 0; i < nwant; i++) {
        ck_assert_str_eq(got[i], want[i]);
    }
    harness_response_free(&resp);
    harness_tls_result_free(&r);
}
END_TEST


/* ------------------------------------------------------------------ */
/* "nginx -t" (items 5 and 1)                                         */

static harness_nginx  *t;

static void
conf_setup(void)
{
    t = harness_nginx_new();
    ck_assert_ptr_nonnull(t);
    ck_assert_int_eq(harness_nginx_write_file(t, "kpsa.table",
                                              HARNESS_SEED_TABLE, 0600), 0);
}

static void
conf_teardown(void)
{
    harness_nginx_free(t);
}

static const char *const  refused_names[] = {
    /* X-M2M- would overwrite X-M2M-Origin and void the originator check */
    "X-M2M-Origin", "x-m2m-origin", "X-M2M-RI", "X-M2M-Anything",
    /* X-M2M- spelt with _ or .: the same header to a FastCGI upstream */
    "X_M2M_Origin", "X-M2M_Origin", "x_m2m_ri", "X.M2M.Origin", "Cookie",
    "Authorization", "Content-Type",
    /* hop-by-hop, framing, routing, client address */
    "content_length", "Transfer-Encoding", "Host", "Forwarded",
    "X-Forwarded-For", "X_Forwarded_Proto", "X-Real-IP", "x.real.ip",
    "Proxy-Authorization", "Proxy-Connection", "TE", "Trailer", "Upgrade",
    "Connection", "Keep-Alive", "Expect", "Via",
    /* conditionals, and headers nginx reads itself */
    "If-None-Match", "Accept-Encoding", "User-Agent", "Referer",
};

START_TEST(identity_header_aliasing_a_meaning_refused)
{
    const char  *name = refused_names[_i];
    const char  *out;
    char         conf[1024], want[256];
    int          rc, line;

    snprintf(conf, sizeof(conf),
             "server {\n" SAE_TLS
             "    onem2m_sae_identity_header %s;   # here\n"
             "    location / { return 200; }\n"
             "}\n", name);
    ck_assert_int_eq(harness_nginx_config(t, conf), 0);
    rc = harness_nginx_test(t, &out);
    ck_assert_msg(rc == 1, "%s: nginx -t %d:\n%s", name, rc, out);
    snprintf(want, sizeof(want), "[emerg] \"%s\" cannot be the identity "
             "header in \"onem2m_sae_identity_header\": ", name);
    ck_assert_msg(strstr(out, want) != NULL, "no \"%s\" in:\n%s", want, out);
    ck_assert_msg(strstr(out, "(header names compare without case, \"-\", "
                         "\"_\" and \".\")") != NULL, "%s", out);
    line = harness_nginx_conf_line(t, "# here");
    ck_assert_int_gt(line, 0);
    snprintf(want, sizeof(want), " in %s:%d", harness_nginx_conf_path(t),
             line);
    ck_assert_msg(strstr(out, want) != NULL, "no \"%s\" in:\n%s", want, out);
    if (strncasecmp(name, "X", 1) == 0 && strchr("-_.", name[1])
        && strncasecmp(name + 2, "M2M", 3) == 0)
    {
        ck_assert_msg(strstr(out, "X-M2M- headers belong to oneM2M") != NULL,
                      "%s", out);
    }
}
END_TEST

START_TEST(identity_header_names_accepted)
{
    static const char *const  ok[] = {
        "X-Gateway-Entity", "X_Entity", "X-M2Mx-Entity", "X-Contented",
        "Hostname-Entity",
    };
    const char  *out;
    char         conf[1024];
    int          rc;

    snprintf(conf, sizeof(conf),
             "server {\n" SAE_TLS
             "    onem2m_sae_identity_header %s;\n"
             "    location / { return 200; }\n"
             "}\n", ok[_i]);
    ck_assert_int_eq(harness_nginx_config(t, conf), 0);
    rc = harness_nginx_test(t, &out);
    ck_assert_msg(rc == 0, "%s: nginx -t %d:\n%s", ok[_i], rc, out);
}
END_TEST

/* a sibling of the SAE server; _i picks the case */
static const struct {
    const char  *sibling;
    int          warns;
} siblings[] = {
    /* same address, proxies: warned */
    { "server {\n"
      "    listen 127.0.0.1:{{PORT}} ssl;   # sibling\n"
      "    {{CERT}}\n"
      "    server_name sibling;\n"
      "    location / { proxy_pass http://127.0.0.1:9; }\n"
      "}\n", 1 },
    /* same address, fastcgi_pass inside an "if" only: warned */
    { "server {\n"
      "    listen 127.0.0.1:{{PORT}} ssl;   # sibling\n"
      "    {{CERT}}\n"
      "    server_name sibling;\n"
      "    location / {\n"
      "        if ($arg_x) { fastcgi_pass 127.0.0.1:9; }\n"
      "        return 204;\n"
      "    }\n"
      "}\n", 1 },
    /* same address, answers itself: nothing to warn about */
    { "server {\n"
      "    listen 127.0.0.1:{{PORT}} ssl;   # sibling\n"
      "    {{CERT}}\n"
      "    server_name sibling;\n"
      "    location / { return 200; }\n"
      "}\n", 0 },
    /* another address: nothing to warn about */
    { "server {\n"
      "    listen 127.0.0.1:{{PORT1}} ssl;   # sibling\n"
      "    {{CERT}}\n"
      "    server_name sibling;\n"
      "    location / { proxy_pass http://127.0.0.1:9; }\n"
      "}\n", 0 },
};

START_TEST(sibling_without_sae_warned)
{
    const char  *out;
    char         conf[2048], want[512];
    int          rc;

    snprintf(conf, sizeof(conf),
             "server {   # sae\n" SAE_TLS
             "    location / { proxy_pass http://127.0.0.1:9; }\n"
             "}\n%s", siblings[_i].sibling);
    ck_assert_int_eq(harness_nginx_config(t, conf), 0);
    rc = harness_nginx_test(t, &out);
    ck_assert_msg(rc == 0, "nginx -t %d:\n%s", rc, out);
    snprintf(want, sizeof(want),
             "[warn] the server in %s:%d has no SAE but shares \"listen "
             "127.0.0.1:%d\" with the SAE server in %s:%d and passes "
             "requests on: a client of the SAE server can name it (SNI or "
             "Host) and send it any X-M2M-Origin unchecked; give it its own "
             "address, or SAE and \"onem2m_sae_originator check\"",
             harness_nginx_conf_path(t),
             harness_nginx_conf_line(t, "# sibling") - 1,
             harness_nginx_port(t, 0), harness_nginx_conf_path(t),
             harness_nginx_conf_line(t, "# sae"));
    if (siblings[_i].warns) {
        ck_assert_msg(strstr(out, want) != NULL, "no \"%s\" in:\n%s", want,
                      out);
    } else {
        ck_assert_msg(strstr(out, "has no SAE but shares") == NULL, "%s",
                      out);
    }
}
END_TEST

Suite *sae_header_names_suite(void)
{
    return CK_SUITE("sae_header_names",
                    CK_TCASE_MS("requests", setup, teardown, 30000),
                    CK_TEST(dotted_identity_header_stripped_fastcgi),
                    CK_TEST(dotted_identity_header_stripped_proxy),
                    CK_LOOP(origin_alias_refused, 2 * (int) N_ALIASES),
                    CK_TEST(origin_in_any_case_is_the_real_one),
                    CK_LOOP(headers_removed_in_place, CK_N(layouts)),
                    CK_TCASE_MS("config", conf_setup, conf_teardown, 30000),
                    CK_LOOP(identity_header_aliasing_a_meaning_refused,
                            CK_N(refused_names)),
                    CK_LOOP(identity_header_names_accepted, 5),
                    CK_LOOP(sibling_without_sae_warned, CK_N(siblings)));
}
