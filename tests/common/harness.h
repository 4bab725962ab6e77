/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Integration test harness: a real /usr/sbin/nginx with the module, an
 * in-test OpenSSL PSK client and an in-test upstream that records what it
 * receives.
 *
 * Typical use in a Check test:
 *
 *     harness_upstream *up = harness_upstream_start(HARNESS_UPSTREAM_HTTP);
 *     harness_nginx    *ng = harness_nginx_new();
 *
 *     harness_nginx_write_file(ng, "kpsa.table", TABLE, 0600);
 *     harness_nginx_set_upstream(ng, up);
 *     harness_nginx_config(ng,
 *         "server {\n"
 *         "    listen 127.0.0.1:{{PORT}} ssl;\n"
 *         "    {{CERT}}\n"
 *         "    onem2m_sae_psk_table kpsa:{{PREFIX}}/kpsa.table;\n"
 *         "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n"
 *         "}\n");
 *     ck_assert_int_eq(harness_nginx_start(ng), 0);
 *     ... harness_tls_request(...) ...
 *     ck_assert_int_eq(harness_nginx_stop(ng), 0);
 *     harness_nginx_free(ng);
 *     harness_upstream_stop(up);
 *
 * Configuration templates.  harness_nginx_config() writes
 * <prefix>/nginx.conf as: a main-context preamble (load_module of
 * BUILD_DIR/nginx/objs/ngx_http_onem2m_sae_module.so, daemon off,
 * master_process on|off, worker_processes 1 (see _set_workers()), pid,
 * error_log <prefix>/error.log info, events {}), then "http {", the http
 * preamble (onem2m_sae_provider_path BUILD_DIR/provider, access_log off,
 * every temp path inside the prefix), the expanded template, and "}".
 * Placeholders:
 *
 *     {{PREFIX}}    the temporary prefix (absolute, no trailing slash)
 *     {{PORT}}      first free loopback port (also {{PORT0}})
 *     {{PORT1}}     second free loopback port
 *     {{UPSTREAM}}  the port of the upstream given to _set_upstream()
 *                   (9 when none was given)
 *     {{CERT}}      "ssl_certificate <prefix>/cert.pem;
 *                    ssl_certificate_key <prefix>/cert.key;"
 *                   (a throwaway self-signed P-256 certificate, written
 *                   into every prefix)
 *     {{MODULE}}    the module's .so, {{PROVIDER_DIR}} the provider's
 *                   directory, as harness_module_so() and
 *                   harness_provider_dir() say (for raw configurations)
 *
 * harness_nginx_config_raw() writes the template expanded but without any
 * preamble (for tests of the main and http contexts).
 *
 * nginx is started as "nginx -p <prefix> -e <prefix>/error.log -c
 * <prefix>/nginx.conf", its stdout and stderr go to <prefix>/stderr.log.
 * Workers run as nginx's default user (www-data): the prefix is 0755, a
 * table written with mode 0600 is readable by the master only (which is
 * where the module must load it).
 *
 * Memory checking: set ONEM2M_TEST_NGINX_WRAPPER to a command line that is
 * put in front of nginx, e.g.
 *
 *     ONEM2M_TEST_NGINX_WRAPPER="valgrind --error-exitcode=99
 *         --leak-check=full --errors-for-leak-kinds=definite -q"
 *
 * valgrind follows nginx's fork() into the workers; when the wrapper's
 * first word is "valgrind" the harness adds
 * --suppressions=tests/integration/valgrind-nginx.supp (nginx core's own
 * by-design leaks only); every timeout of the harness is multiplied by 20
 * while a wrapper is set, and
 * harness_nginx_stop() fails when the master's exit status is not 0 or a
 * worker exited with a non-zero code or on a signal (a worker that exits
 * with valgrind's 99 is logged by the master).  The valgrind report is in
 * <prefix>/stderr.log; prefixes of failed tests are kept (see below).
 *
 * Prefixes are removed by harness_nginx_free() unless ONEM2M_TEST_KEEP=1
 * (then their path is printed).
 *
 * Every socket operation has a timeout; nothing sleeps for a fixed time
 * where polling works.  No function prints key material.  Every process
 * the harness spawns gets PR_SET_PDEATHSIG (SIGTERM): a test killed by
 * Check's timeout does not leave nginx running.
 */

#ifndef ONEM2M_TEST_HARNESS_H
#define ONEM2M_TEST_HARNESS_H

#include <stddef.h>
#include <sys/types.h>
#include <openssl/ssl.h>

#ifndef BUILD_DIR
#define BUILD_DIR "build"
#endif
#ifndef NGINX_BIN
#define NGINX_BIN "/usr/sbin/nginx"
#endif

#define HARNESS_MODULE_SO  BUILD_DIR "/nginx/objs/ngx_http_onem2m_sae_module.so"
#define HARNESS_PROVIDER_DIR  BUILD_DIR "/provider"

/*
 * What the integration suites run: the build's module and provider in
 * Debian's nginx, unless the environment names others, so that the same
 * suites run on every supported nginx ("make compat"):
 *   ONEM2M_TEST_NGINX          the nginx binary          (NGINX_BIN)
 *   ONEM2M_TEST_MODULE         the module's .so          (HARNESS_MODULE_SO)
 *   ONEM2M_TEST_PROVIDER_DIR   where onem2m.so is        (HARNESS_PROVIDER_DIR)
 *   ONEM2M_TEST_LIBRARY_PATH   LD_LIBRARY_PATH of the nginx processes the
 *                              harness starts (its OpenSSL), unset: none
 * The in-process suites (provider, hook) and the tests' TLS clients keep
 * the system's OpenSSL and the build's provider.
 */
const char *harness_nginx_bin(void);
const char *harness_module_so(void);
const char *harness_provider_dir(void);

/* the seed's two door locks (TS-0003 example, Table 7.1.2-2) */
#define HARNESS_LOCK1_ENTITY  "Clock-AE1"
#define HARNESS_LOCK1_KPSA_ID "AE123456789012-Lock@in.provider.com"
#define HARNESS_LOCK1_KEY_HEX "1a2b3c4d5e6f7a8b"
#define HARNESS_LOCK2_ENTITY  "Clock-AE2"
#define HARNESS_LOCK2_KPSA_ID "AE123456789015-Lock@in.provider.com"
#define HARNESS_LOCK2_KEY_HEX "12345678abcdefab"
#define HARNESS_SEED_TABLE \
    HARNESS_LOCK1_ENTITY " " HARNESS_LOCK1_KEY_HEX " " \
    HARNESS_LOCK1_KPSA_ID "\n" \
    HARNESS_LOCK2_ENTITY " " HARNESS_LOCK2_KEY_HEX " " \
    HARNESS_LOCK2_KPSA_ID "\n"

/*
 * A timeout of base_ms scaled for wrappers (x20 under valgrind).  The
 * harness's own waits take base values and scale them once themselves
 * (harness_log_wait(), harness_nginx_*()); a test scales only the
 * deadlines of its own poll loops: harness_deadline_ms().
 */
int harness_timeout_ms(int base_ms);

/* the one monotonic clock of the tests, in ms and in us */
long long harness_now_ms(void);
long long harness_now_us(void);

/* harness_now_ms() + harness_timeout_ms(base_ms): a poll loop's deadline */
long long harness_deadline_ms(int base_ms);

/* a free TCP port on 127.0.0.1 (bound and released), -1 on error */
int harness_free_port(void);

/*
 * Sockets for tests with clients or servers of their own, on 127.0.0.1:
 * a blocking connection to port (-1 on error), and a listening socket on
 * a free port with SO_REUSEADDR, whose port goes to *port (-1 on error).
 */
int harness_connect(int port);
int harness_listen(int backlog, int *port);

/* hex "1a2b.." to bytes; returns the length or -1 */
int harness_unhex(const char *hex, unsigned char *out, size_t max);


/* ------------------------------------------------------------------ */
/* headers, requests and responses                                    */

typedef struct {
    char               *name;      /* raw name as received */
    char               *value;
} harness_header;

typedef struct {
    char                method[32];
    char               *uri;
    harness_header     *headers;   /* in order; FastCGI: the params */
    size_t              nheaders;
    char               *body;      /* NUL-terminated */
    size_t              body_len;
} harness_request;

typedef struct {
    int                 status;    /* 0 when no valid response came */
    harness_header     *headers;
    size_t              nheaders;
    char               *body;      /* NUL-terminated */
    size_t              body_len;
} harness_response;

/* first value of the header (case-insensitive name), or NULL */
const char *harness_header_get(const harness_header *h, size_t n,
    const char *name);
/* how many headers of that name (case-insensitive) */
size_t harness_header_count(const harness_header *h, size_t n,
    const char *name);

#define harness_req_header(req, name) \
    harness_header_get((req)->headers, (req)->nheaders, (name))
#define harness_resp_header(resp, name) \
    harness_header_get((resp)->headers, (resp)->nheaders, (name))

void harness_response_free(harness_response *resp);


/* ------------------------------------------------------------------ */
/* the in-test upstream                                               */

#define HARNESS_UPSTREAM_HTTP     0   /* HTTP/1.x, for proxy_pass */
#define HARNESS_UPSTREAM_FASTCGI  1   /* FastCGI responder, fastcgi_pass */

typedef struct harness_upstream harness_upstream;

/*
 * Starts a server thread on a free loopback port.  It records every
 * request (HTTP: method, URI, headers in order with their raw names, body;
 * FastCGI: REQUEST_METHOD, REQUEST_URI and all params as headers, stdin as
 * body) and answers 200 with {"upstream": "ok"} and Connection: close.
 */
harness_upstream *harness_upstream_start(int kind);
int harness_upstream_port(const harness_upstream *up);
size_t harness_upstream_count(harness_upstream *up);
/* the i-th recorded request (stable until _stop), or NULL */
const harness_request *harness_upstream_request(harness_upstream *up,
    size_t i);
/* the last recorded request, or NULL */
const harness_request *harness_upstream_last(harness_upstream *up);
void harness_upstream_stop(harness_upstream *up);


/* ------------------------------------------------------------------ */
/* nginx                                                              */

typedef struct harness_nginx harness_nginx;

/* creates a 0755 temporary prefix under /tmp with cert.pem/cert.key */
harness_nginx *harness_nginx_new(void);
const char *harness_nginx_prefix(const harness_nginx *ng);
int harness_nginx_port(const harness_nginx *ng, int i);  /* i = 0, 1 */
void harness_nginx_set_upstream(harness_nginx *ng, harness_upstream *up);
void harness_nginx_set_master(harness_nginx *ng, int on);  /* default on */
/* worker_processes of harness_nginx_config(); default 1 */
void harness_nginx_set_workers(harness_nginx *ng, int n);

/* writes <prefix>/<name> with mode; 0 or -1 */
int harness_nginx_write_file(harness_nginx *ng, const char *name,
    const char *content, mode_t mode);

int harness_nginx_config(harness_nginx *ng, const char *http_template);
int harness_nginx_config_raw(harness_nginx *ng, const char *template);
/* 1-based line of the first nginx.conf line containing needle, or -1 */
int harness_nginx_conf_line(harness_nginx *ng, const char *needle);
const char *harness_nginx_conf_path(const harness_nginx *ng);

/*
 * Runs "nginx -t" on the current configuration; returns its exit status
 * and stores its stderr (NUL-terminated, owned by ng, valid until the next
 * call) in *out when out is not NULL.
 */
int harness_nginx_test(harness_nginx *ng, const char **out);

/*
 * Starts nginx and waits until every configured port accepts and (master
 * mode) a worker has started, so that signals and clients are safe; 0 or
 * -1 (nginx exited: see harness_log()).
 */
int harness_nginx_start(harness_nginx *ng);
pid_t harness_nginx_pid(const harness_nginx *ng);

/*
 * SIGHUP, then waits for the outcome: 0 when the new configuration's
 * workers run and the old workers are gone, -1 when the master logged an
 * [emerg] for the new configuration (the old one keeps serving), -2 on
 * timeout.
 */
int harness_nginx_reload(harness_nginx *ng);

/*
 * The two halves of harness_nginx_reload(), for requests in flight:
 * _start returns once the new workers run (0), or -1/-2 as above; the old
 * workers may still be finishing requests until _wait_old returns 0.
 */
int harness_nginx_reload_start(harness_nginx *ng);
int harness_nginx_reload_wait_old(harness_nginx *ng);

/*
 * SIGQUIT, waits (SIGKILL after the timeout).  Returns 0 when the master
 * exited with 0 and the log shows no worker that exited with a non-zero
 * code or on a signal; otherwise non-zero.
 */
int harness_nginx_stop(harness_nginx *ng);

/* stops nginx if running, removes the prefix (unless ONEM2M_TEST_KEEP) */
void harness_nginx_free(harness_nginx *ng);

/* the error log (re-read on every call; owned by ng) */
const char *harness_log(harness_nginx *ng);
int harness_log_contains(harness_nginx *ng, const char *needle);
size_t harness_log_count(harness_nginx *ng, const char *needle);
/*
 * Polls the log until it contains needle, for timeout_ms scaled here (pass
 * the base, not harness_timeout_ms()); 1 found, 0 timeout.
 */
int harness_log_wait(harness_nginx *ng, const char *needle, int timeout_ms);
/* the same until it contains needle at least n times */
int harness_log_wait_count(harness_nginx *ng, const char *needle, size_t n,
    int timeout_ms);


/* ------------------------------------------------------------------ */
/* the TLS client                                                     */

typedef struct {
    int                  version;       /* TLS1_2_VERSION, TLS1_3_VERSION,
                                           0: both */
    const char          *ciphers;       /* TLS 1.2 list; NULL: "PSK" */
    const char          *ciphersuites;  /* TLS 1.3; NULL: OpenSSL default */
    const char          *identity;      /* NULL: no PSK (certificate-only) */
    const unsigned char *key;
    size_t               key_len;
    const char          *sni;           /* NULL: no SNI */
    int                  allow_no_dhe;  /* SSL_OP_ALLOW_NO_DHE_KEX */
    const char          *groups;        /* NULL: OpenSSL default */
    SSL_SESSION         *resume;        /* session to resume, or NULL */
    int                  no_ticket;     /* SSL_OP_NO_TICKET (TLS 1.2 ids) */
    const char          *cert_file;     /* client certificate chain (PEM), */
    const char          *key_file;      /* and its key; NULL: none */
} harness_tls_opts;

typedef struct {
    int                  handshake_ok;
    int                  version;       /* negotiated, 0 if none */
    char                 cipher[64];    /* negotiated cipher name */
    int                  alert;         /* alert description received, -1 */
    int                  resumed;       /* SSL_session_reused() */
    SSL_SESSION         *session;       /* caller frees (SSL_SESSION_free) */
} harness_tls_result;

typedef struct harness_conn harness_conn;

/*
 * TCP connect to 127.0.0.1:port and TLS handshake.  Returns the connection
 * when the handshake succeeded (result->handshake_ok), NULL otherwise (the
 * result says why).  For TLS 1.3 the session is taken after a first read
 * attempt, so that the server's tickets are in.
 */
harness_conn *harness_tls_connect(int port, const harness_tls_opts *opts,
    harness_tls_result *result);

/*
 * Sends "<method> <uri> HTTP/1.1", "Host: localhost" (unless the extra
 * lines have a Host), the raw extra header lines
 * ("Name: value\r\n"..., may be NULL), Content-Length when body is not
 * NULL, Connection: close unless keep_alive, then reads one response.
 * 0 when a response was parsed.
 */
int harness_http(harness_conn *c, const char *method, const char *uri,
    const char *extra_headers, const char *body, int keep_alive,
    harness_response *resp);

/* writes raw bytes, reads nothing; 0 or -1 */
int harness_conn_write(harness_conn *c, const char *data, size_t len);

/*
 * sends raw bytes as they are, then reads one response (an interim 1xx
 * response, e.g. to "Expect: 100-continue", counts as one)
 */
int harness_http_raw(harness_conn *c, const char *raw, size_t len,
    harness_response *resp);

/* refreshes result->session (after a read: TLS 1.3 tickets) */
void harness_conn_session(harness_conn *c, harness_tls_result *result);

void harness_conn_close(harness_conn *c);

/* the connection's SSL object (the exporter, the session's details) */
SSL *harness_conn_ssl(harness_conn *c);

/*
 * Connect, handshake, one request with Connection: close, close.
 * Returns 0 when the handshake succeeded and a response was parsed.
 */
int harness_tls_request(int port, const harness_tls_opts *opts,
    const char *method, const char *uri, const char *extra_headers,
    const char *body, harness_tls_result *result, harness_response *resp);

void harness_tls_result_free(harness_tls_result *result);

/*
 * Runs a command (argv[0] is searched in PATH) with stdin from in (may be
 * NULL), kills it after timeout_ms; stdout+stderr go to *out (malloc'd,
 * NUL-terminated, caller frees).  Returns the exit status, -1 on error or
 * timeout.
 */
int harness_run(char *const argv[], const char *in, int timeout_ms,
    char **out);

#endif /* ONEM2M_TEST_HARNESS_H */
