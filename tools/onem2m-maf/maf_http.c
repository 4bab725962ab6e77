/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-maf's HTTP side and main(): libmicrohttpd on a Unix socket (or
 * loopback) behind nginx, one thread, so one PostgreSQL connection.  A
 * request without the identity header nginx's SAE module adds is refused
 * (4106): the MAF never authenticates anyone itself.  One line per request
 * on stderr, never a key.
 */

#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <malloc.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include <microhttpd.h>
#include <openssl/crypto.h>

#include "common/onem2m_id.h"
#include "common/onem2m_text.h"
#include "store/kpsa_store.h"
#include "maf.h"

typedef struct {
    char    *data;
    size_t   len;
    int      too_big;
} maf_body;

typedef struct {
    maf_config   cf;
    maf_db      *db;
    mode_t       socket_mode;
} maf_server;

/*
 * Answers and jansson's strings may hold a Kc (Key Retrieval): every block
 * jansson frees, and every answer, is wiped first.
 */
static void
maf_free_wiped(void *p)
{
    if (p != NULL) {
        OPENSSL_cleanse(p, malloc_usable_size(p));
        free(p);
    }
}

static enum MHD_Result
maf_send(struct MHD_Connection *conn, int rsc, json_t *body,
    const char *why)
{
    struct MHD_Response  *r;
    char                 *text, rsc_text[8];
    enum MHD_Result       ret;

    if (body == NULL) {
        body = json_pack("{s:i, s:s}", "rsc", rsc, "dbg", why);
    }

    text = body ? json_dumps(body, JSON_COMPACT) : NULL;
    json_decref(body);

    if (text == NULL) {
        return MHD_NO;
    }

    r = MHD_create_response_from_buffer_with_free_callback(strlen(text),
                                                           text,
                                                           maf_free_wiped);
    if (r == NULL) {
        maf_free_wiped(text);
        return MHD_NO;
    }

    snprintf(rsc_text, sizeof(rsc_text), "%d", rsc);
    MHD_add_response_header(r, "Content-Type", "application/json");
    MHD_add_response_header(r, "X-M2M-RSC", rsc_text);
    MHD_add_response_header(r, "Cache-Control", "no-store");

    ret = MHD_queue_response(conn, (unsigned) maf_proto_http_status(rsc), r);
    MHD_destroy_response(r);
    return ret;
}

static void
maf_log(const char *proc, const char *client, int rsc, const char *why)
{
    char  q[ONEM2M_TEXT_LOG_SIZE(64)];

    onem2m_text_log_quote(q, sizeof(q), client ? client : "",
                          client ? strlen(client) : 0, 64);
    fprintf(stderr, "onem2m-maf: %s by %s: %d%s%s\n", proc, q, rsc,
            why && why[0] ? " " : "", why ? why : "");
}

/*
 * One request: libmicrohttpd calls this first without data, then with each
 * piece of the body, then once more; the order of refusals (procedure,
 * identity, size, decoding) is the whole HTTP contract, kept in one place.
 */

static enum MHD_Result
maf_handle(void *cls, struct MHD_Connection *conn, const char *url,
    const char *method, const char *version, const char *upload,
    size_t *upload_size, void **con_cls)
{
    maf_server      *srv = cls;
    maf_body        *b = *con_cls;
    const maf_proc  *proc;
    const char      *client, *exporter;
    maf_request      req;
    maf_response     resp;
    char             why[160];
    int              rsc;
    enum MHD_Result  ret;

    if (b == NULL) {
        b = calloc(1, sizeof(*b));
        if (b == NULL) {
            return MHD_NO;
        }
        *con_cls = b;
        return MHD_YES;
    }

    if (*upload_size != 0) {
        if (b->len + *upload_size > MAF_MAX_BODY) {
            b->too_big = 1;
        } else {
            /* one buffer, never moved: realloc would leave key copies */
            if (b->data == NULL
                && (b->data = malloc(MAF_MAX_BODY + 1)) == NULL)
            {
                return MHD_NO;
            }
            memcpy(b->data + b->len, upload, *upload_size);
            b->len += *upload_size;
            b->data[b->len] = '\0';
        }
        *upload_size = 0;
        return MHD_YES;
    }

    client = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                         srv->cf.identity_header);
    exporter = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                           srv->cf.exporter_header);

    proc = maf_proto_route(method, url, &rsc);

    if (proc == NULL) {
        maf_log("?", client, rsc, "no such procedure");
        return maf_send(conn, rsc, NULL, rsc == MAF_RSC_NOT_FOUND
                        ? "no such procedure" : "procedures are POSTed");
    }

    if (client == NULL || client[0] == '\0'
        || strlen(client) > MAF_ID_MAX
        || onem2m_id_parse(client, strlen(client), NULL) == 0)
    {
        maf_log(proc->name, client, MAF_RSC_NOT_AUTHENTICATED, "unbound");
        return maf_send(conn, MAF_RSC_NOT_AUTHENTICATED, NULL,
                        "no MAF Client ID: the connection is bound to no "
                        "AE-ID or CSE-ID");
    }

    if (b->too_big) {
        maf_log(proc->name, client, MAF_RSC_BAD_REQUEST, "body too big");
        return maf_send(conn, MAF_RSC_BAD_REQUEST, NULL,
                        "request body too big");
    }

    rsc = maf_proto_decode(proc, b->data ? b->data : "", b->len, &req, why,
                           sizeof(why));

    if (rsc != 0) {
        maf_log(proc->name, client, rsc, why);
        return maf_send(conn, rsc, NULL, why);
    }

    maf_proc_run(&srv->cf, srv->db, client, exporter, &req, &resp);
    maf_request_free(&req);

    maf_log(proc->name, client, resp.rsc,
            resp.body == NULL ? resp.why : NULL);

    ret = maf_send(conn, resp.rsc, resp.body, resp.why);
    return ret;
}

static void
maf_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
    enum MHD_RequestTerminationCode toe)
{
    maf_body  *b = *con_cls;

    if (b != NULL) {
        maf_free_wiped(b->data);
        free(b);
        *con_cls = NULL;
    }
}

/* "unix:/path" or "127.0.0.1:port" (loopback only) */
static int
maf_listen(const char *spec, mode_t mode)
{
    int                  fd, on = 1;
    struct sockaddr_un   un;
    struct sockaddr_in   in;
    const char          *colon;

    if (strncmp(spec, "unix:", 5) == 0) {
        if (strlen(spec + 5) >= sizeof(un.sun_path)) {
            return -1;
        }
        memset(&un, 0, sizeof(un));
        un.sun_family = AF_UNIX;
        strcpy(un.sun_path, spec + 5);
        unlink(un.sun_path);
        fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (fd < 0 || bind(fd, (struct sockaddr *) &un, sizeof(un)) != 0
            || chmod(un.sun_path, mode) != 0 || listen(fd, 128) != 0)
        {
            return -1;
        }
        return fd;
    }

    colon = strrchr(spec, ':');
    memset(&in, 0, sizeof(in));
    in.sin_family = AF_INET;

    if (colon == NULL || colon - spec != 9
        || strncmp(spec, "127.0.0.1", 9) != 0
        || (in.sin_port = htons((uint16_t) atoi(colon + 1))) == 0)
    {
        return -1;
    }

    in.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);

    if (fd < 0
        || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on)) != 0
        || bind(fd, (struct sockaddr *) &in, sizeof(in)) != 0
        || listen(fd, 128) != 0)
    {
        return -1;
    }

    return fd;
}

static void
usage(FILE *f)
{
    fprintf(f,
        "usage: onem2m-maf --fqdn FQDN --admin-fqdn FQDN --db CONNINFO\n"
        "                  --kek FILE --listen unix:PATH|127.0.0.1:PORT\n"
        "                  [--socket-mode OCTAL] [--identity-header NAME]\n"
        "                  [--exporter-header NAME]\n"
        "                  [--max-registration-lifetime SECONDS]\n"
        "                  [--max-key-lifetime SECONDS]\n"
        "The M2M Authentication Function (TS-0003 8.8) behind nginx and\n"
        "the oneM2M SAE module: docs/maf.md.\n");
}

static int
parse_args(int argc, char **argv, maf_server *srv)
{
    static const struct option  opts[] = {
        { "fqdn", required_argument, NULL, 'f' },
        { "admin-fqdn", required_argument, NULL, 'a' },
        { "db", required_argument, NULL, 'd' },
        { "kek", required_argument, NULL, 'k' },
        { "listen", required_argument, NULL, 'l' },
        { "socket-mode", required_argument, NULL, 'm' },
        { "identity-header", required_argument, NULL, 'i' },
        { "exporter-header", required_argument, NULL, 'e' },
        { "max-registration-lifetime", required_argument, NULL, 'R' },
        { "max-key-lifetime", required_argument, NULL, 'K' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 }
    };
    maf_config  *cf = &srv->cf;
    int          c;

    cf->identity_header = "X-Onem2m-Sae-Entity";
    cf->exporter_header = "X-Onem2m-Sae-Exporter";
    cf->max_registration = 30 * 86400;
    cf->max_key = 86400;
    srv->socket_mode = 0660;

    while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (c) {
        case 'f': cf->fqdn = optarg; break;
        case 'a': cf->admin_fqdn = optarg; break;
        case 'd': cf->conninfo = optarg; break;
        case 'k': cf->kek_file = optarg; break;
        case 'l': cf->listen = optarg; break;
        case 'm': srv->socket_mode = (mode_t) strtol(optarg, NULL, 8); break;
        case 'i': cf->identity_header = optarg; break;
        case 'e': cf->exporter_header = optarg; break;
        case 'R': cf->max_registration = strtoll(optarg, NULL, 10); break;
        case 'K': cf->max_key = strtoll(optarg, NULL, 10); break;
        case 'h': usage(stdout); exit(0);
        default: usage(stderr); return -1;
        }
    }

    if (optind != argc || !cf->fqdn || !cf->admin_fqdn || !cf->conninfo
        || !cf->kek_file || !cf->listen)
    {
        usage(stderr);
        return -1;
    }

    if (!onem2m_host_name_valid(cf->fqdn, strlen(cf->fqdn), 0)
        || !onem2m_host_name_valid(cf->admin_fqdn, strlen(cf->admin_fqdn),
                                   0))
    {
        fprintf(stderr, "onem2m-maf: --fqdn and --admin-fqdn take host "
                "names\n");
        return -1;
    }

    if (cf->max_registration <= 0 || cf->max_key <= 0) {
        fprintf(stderr, "onem2m-maf: lifetimes are positive seconds\n");
        return -1;
    }

    return 0;
}

int
main(int argc, char **argv)
{
    maf_server         srv;
    struct MHD_Daemon *d;
    sigset_t           set;
    char               err[256];
    int                fd, sig;

    memset(&srv, 0, sizeof(srv));
    json_set_alloc_funcs(malloc, maf_free_wiped);

    if (parse_args(argc, argv, &srv) != 0) {
        return 2;
    }

    if (!kpsa_kek_load(srv.cf.kek_file, srv.cf.kek, err, sizeof(err))) {
        fprintf(stderr, "onem2m-maf: --kek %s: %s\n", srv.cf.kek_file, err);
        return 1;
    }

    srv.db = maf_db_open(srv.cf.conninfo, err, sizeof(err));

    if (srv.db == NULL) {
        fprintf(stderr, "onem2m-maf: --db: %s\n", err);
        return 1;
    }

    fd = maf_listen(srv.cf.listen, srv.socket_mode);

    if (fd < 0) {
        fprintf(stderr, "onem2m-maf: --listen %s: %s (unix:PATH or "
                "127.0.0.1:PORT)\n", srv.cf.listen, strerror(errno));
        return 1;
    }

    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGPIPE);
    pthread_sigmask(SIG_BLOCK, &set, NULL);

    d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG,
                         0, NULL, NULL, maf_handle, &srv,
                         MHD_OPTION_LISTEN_SOCKET, fd,
                         MHD_OPTION_NOTIFY_COMPLETED, maf_completed, NULL,
                         MHD_OPTION_CONNECTION_TIMEOUT, (unsigned) 30,
                         MHD_OPTION_END);

    if (d == NULL) {
        fprintf(stderr, "onem2m-maf: libmicrohttpd does not start\n");
        return 1;
    }

    fprintf(stderr, "onem2m-maf: %s for %s listening on %s\n", srv.cf.fqdn,
            srv.cf.admin_fqdn, srv.cf.listen);

    sigdelset(&set, SIGPIPE);

    do {
        if (sigwait(&set, &sig) != 0) {
            break;
        }
    } while (sig != SIGTERM && sig != SIGINT);

    MHD_stop_daemon(d);
    maf_db_close(srv.db);
    OPENSSL_cleanse(srv.cf.kek, sizeof(srv.cf.kek));

    if (strncmp(srv.cf.listen, "unix:", 5) == 0) {
        unlink(srv.cf.listen + 5);
    }

    fprintf(stderr, "onem2m-maf: stopped\n");
    return 0;
}
