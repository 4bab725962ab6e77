/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: live key stores ("kpsa-lmdb:").
 *
 * A live store changes while nginx runs: the sync daemon writes it, every
 * worker reads it, no reload.  This module (one of the five in the shared
 * object) owns what that takes on the nginx side:
 *
 *   - "onem2m_sae_kek_file": the key-encryption key of a live store,
 *     read by the provider in the master when the table is opened at
 *     configuration time (a root-only file the workers never read);
 *   - init_process: each worker opens its own reader of every live store
 *     (ONEM2M_SAE_table_child_init(): an LMDB environment never crosses
 *     fork);
 *   - the per-request check of a PSK binding: a credential revoked,
 *     rekeyed or moved since the handshake unbinds the connection, and
 *     the connection is closed after this request;
 *   - the same check once more when the request body is complete (a
 *     request body filter), so that a request whose headers came before
 *     the revocation and whose body came after it never reaches the
 *     upstream complete;
 *   - staleness: "onem2m_sae_store_max_age" and one warning per crossing
 *     (worker 0 only, so that the log has it once), and the store's age
 *     and last sequence in the "onem2m_sae_status" output;
 *   - damage: a store that cannot be opened or read (data.mdb cut or
 *     overwritten, replaced by a broken one) fails closed for its servers
 *     only; the worker lives and keeps serving every other server, the
 *     provider retries once a second, the tick logs each change of state
 *     once (worker 0), and the status output says whether it is up and
 *     which data.mdb (device, inode) it reads.
 *
 * Its server configurations are merged before the SAE module's, which
 * opens the tables (module order in "config").
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"
#include "ngx_http_onem2m_sae_module.h"
#include "ngx_http_onem2m_sae_live.h"
#include "common/onem2m_uri.h"


/* the staleness check, once a second in worker 0 */
#define NGX_HTTP_ONEM2M_SAE_LIVE_TICK     1000


typedef struct {
    ONEM2M_SAE_TABLE          *table;
    ngx_str_t                  uri;
    /* the smallest "onem2m_sae_store_max_age" of its servers, 0: off */
    time_t                     max_age;
    /* the worker 0 tick's view: what it last logged */
    unsigned long long         ino;
    unsigned                   replaced;
    unsigned                   stale:1;
    unsigned                   down:1;
} ngx_http_onem2m_sae_live_store_t;


typedef struct {
    /* the live stores of the configuration: ngx_http_onem2m_sae_live_store_t */
    ngx_array_t                stores;
    ngx_event_t                tick;
} ngx_http_onem2m_sae_live_main_conf_t;


typedef struct {
    ngx_str_t                  kek_file;
    u_char                    *kek_conf_file;
    ngx_uint_t                 kek_conf_line;
    time_t                     max_age;
} ngx_http_onem2m_sae_live_srv_conf_t;


/* the result of a request's check (module ctx of the main request) */
typedef struct {
    ngx_int_t                  rc;
} ngx_http_onem2m_sae_live_ctx_t;


static ngx_uint_t ngx_http_onem2m_sae_live_has(
    ngx_http_onem2m_sae_live_main_conf_t *lmcf, ONEM2M_SAE_TABLE *table);
static void ngx_http_onem2m_sae_live_drop(ngx_http_request_t *r,
    ngx_http_onem2m_sae_binding_t *binding, int rc, const char *when);
static void ngx_http_onem2m_sae_live_close(ngx_http_request_t *r);
static ngx_int_t ngx_http_onem2m_sae_live_body_filter(ngx_http_request_t *r,
    ngx_chain_t *in);
static ngx_int_t ngx_http_onem2m_sae_live_body_end(ngx_http_request_t *r);
static void ngx_http_onem2m_sae_live_tick(ngx_event_t *ev);
static void ngx_http_onem2m_sae_live_health(ngx_log_t *log,
    ngx_http_onem2m_sae_live_store_t *store, ngx_int_t up,
    ONEM2M_SAE_TABLE_INFO *info);
static ngx_int_t ngx_http_onem2m_sae_live_register(ngx_conf_t *cf,
    ONEM2M_SAE_TABLE *table, const char *uri, time_t max_age);

static ngx_int_t ngx_http_onem2m_sae_live_init(ngx_conf_t *cf);
static void *ngx_http_onem2m_sae_live_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_onem2m_sae_live_create_srv_conf(ngx_conf_t *cf);
static char *ngx_http_onem2m_sae_live_merge_srv_conf(ngx_conf_t *cf,
    void *parent, void *child);
static char *ngx_http_onem2m_sae_kek_file(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static ngx_int_t ngx_http_onem2m_sae_live_init_process(ngx_cycle_t *cycle);


static ngx_command_t  ngx_http_onem2m_sae_live_commands[] = {

    { ngx_string("onem2m_sae_kek_file"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_onem2m_sae_kek_file,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

    { ngx_string("onem2m_sae_store_max_age"),
      NGX_HTTP_MAIN_CONF|NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_conf_set_sec_slot,
      NGX_HTTP_SRV_CONF_OFFSET,
      offsetof(ngx_http_onem2m_sae_live_srv_conf_t, max_age),
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_onem2m_sae_live_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_onem2m_sae_live_init,         /* postconfiguration */

    ngx_http_onem2m_sae_live_create_main_conf,
                                           /* create main configuration */
    NULL,                                  /* init main configuration */

    ngx_http_onem2m_sae_live_create_srv_conf,
                                           /* create server configuration */
    ngx_http_onem2m_sae_live_merge_srv_conf,
                                           /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_onem2m_sae_live_module = {
    NGX_MODULE_V1,
    &ngx_http_onem2m_sae_live_module_ctx,  /* module context */
    ngx_http_onem2m_sae_live_commands,     /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    ngx_http_onem2m_sae_live_init_process, /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_http_request_body_filter_pt   ngx_http_next_request_body_filter;


/* the exported API (ngx_http_onem2m_sae_live.h) */

void
ngx_http_onem2m_sae_live_scheme(ngx_str_t *path, ngx_str_t *scheme)
{
    size_t            prefix;
    static ngx_str_t  text = ngx_string(ONEM2M_SAE_URI_SCHEME ":");
    static ngx_str_t  live = ngx_string(NGX_HTTP_ONEM2M_SAE_LIVE_SCHEME);

    /* the provider's own rule (common/onem2m_uri.c) */
    *scheme = onem2m_uri_scheme((char *) path->data, path->len, &prefix)
              == ONEM2M_URI_LMDB ? live : text;

    path->data += prefix;
    path->len -= prefix;
}


ONEM2M_SAE_TABLE *
ngx_http_onem2m_sae_live_open(ngx_conf_t *cf, void **srv_conf,
    const char *provider_dir, const char *uri, ONEM2M_SAE_DIAG_CB diag,
    void *diag_arg)
{
    u_char                               *kek, *last;
    ngx_uint_t                            live;
    ONEM2M_SAE_TABLE                     *table;
    ngx_http_onem2m_sae_live_srv_conf_t  *lscf;
    u_char                                msg[NGX_MAX_PATH + 128];

    lscf = srv_conf[ngx_http_onem2m_sae_live_module.ctx_index];

    live = ngx_strncmp(uri, NGX_HTTP_ONEM2M_SAE_LIVE_SCHEME,
                       sizeof(NGX_HTTP_ONEM2M_SAE_LIVE_SCHEME) - 1) == 0;

    if (live && lscf->kek_file.len == 0) {
        diag(diag_arg, ONEM2M_SAE_DIAG_ERROR,
             "a live store needs an \"onem2m_sae_kek_file\"");
        return NULL;
    }

    if (!live && lscf->kek_file.len) {
        last = ngx_snprintf(msg, sizeof(msg) - 1,
                            "\"onem2m_sae_kek_file\" of %s:%ui is for a "
                            "live store (\"" NGX_HTTP_ONEM2M_SAE_LIVE_SCHEME
                            "\"), not for a text table",
                            lscf->kek_conf_file, lscf->kek_conf_line);
        *last = '\0';
        diag(diag_arg, ONEM2M_SAE_DIAG_ERROR, (char *) msg);
        return NULL;
    }

    kek = NULL;

    if (live) {
        kek = ngx_pnalloc(cf->temp_pool, lscf->kek_file.len + 1);
        if (kek == NULL) {
            return NULL;
        }

        *ngx_cpymem(kek, lscf->kek_file.data, lscf->kek_file.len) = '\0';
    }

    table = ONEM2M_SAE_table_open_ex(NULL, provider_dir, uri, (char *) kek,
                                     diag, diag_arg);

    /* the scheme says it: asking the store would open it in the master */

    if (table == NULL || !live) {
        return table;
    }

    if (ngx_http_onem2m_sae_live_register(cf, table, uri, lscf->max_age)
        != NGX_OK)
    {
        ONEM2M_SAE_table_free(table);
        return NULL;
    }

    return table;
}


ngx_int_t
ngx_http_onem2m_sae_live_current(ngx_http_request_t *r,
    ONEM2M_SAE_TABLE *table, ngx_http_onem2m_sae_binding_t *binding)
{
    int                                    rc;
    ngx_http_onem2m_sae_live_ctx_t        *ctx;
    ngx_http_onem2m_sae_live_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_onem2m_sae_live_module);

    /* a text table never changes under a connection */

    if (r->connection->ssl == NULL
        || !ngx_http_onem2m_sae_live_has(lmcf, table))
    {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_onem2m_sae_live_module);

    if (ctx) {
        return ctx->rc;
    }

    ctx = ngx_pcalloc(r->pool, sizeof(ngx_http_onem2m_sae_live_ctx_t));
    if (ctx == NULL) {
        return NGX_DECLINED;
    }

    ngx_http_set_ctx(r->main, ctx, ngx_http_onem2m_sae_live_module);

    rc = ONEM2M_SAE_binding_current(r->connection->ssl->connection);

    if (rc == 1) {
        ctx->rc = NGX_OK;
        return NGX_OK;
    }

    ctx->rc = NGX_DECLINED;

    ngx_http_onem2m_sae_live_drop(r, binding, rc, "");

    return NGX_DECLINED;
}


ngx_buf_t *
ngx_http_onem2m_sae_live_metrics(ngx_http_request_t *r)
{
    size_t                                 size;
    time_t                                 age;
    ngx_int_t                              up;
    ngx_buf_t                             *b;
    ngx_uint_t                             i;
    ONEM2M_SAE_TABLE_INFO                  info;
    ngx_http_onem2m_sae_live_store_t      *store;
    ngx_http_onem2m_sae_live_main_conf_t  *lmcf;

    static const char  *help =
        "# HELP onem2m_sae_store_age_seconds Seconds since the live store's "
        "last sync with its source (-1: never synced)\n"
        "# TYPE onem2m_sae_store_age_seconds gauge\n"
        "# HELP onem2m_sae_store_last_seq Last sequence number of the "
        "source in the live store\n"
        "# TYPE onem2m_sae_store_last_seq gauge\n"
        "# HELP onem2m_sae_store_entries Credentials in the live store\n"
        "# TYPE onem2m_sae_store_entries gauge\n"
        "# HELP onem2m_sae_store_up 1: the live store is readable in the "
        "worker that answers; 0: damaged, replaced by a broken store or "
        "gone, its servers refuse psk handshakes\n"
        "# TYPE onem2m_sae_store_up gauge\n"
        "# HELP onem2m_sae_store_inode Inode of the data.mdb the answering "
        "worker reads (dev: its device; 0: none open)\n"
        "# TYPE onem2m_sae_store_inode gauge\n";

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_onem2m_sae_live_module);

    if (lmcf->stores.nelts == 0) {
        return NULL;
    }

    store = lmcf->stores.elts;
    size = ngx_strlen(help);

    for (i = 0; i < lmcf->stores.nelts; i++) {
        size += 5 * (sizeof("onem2m_sae_store_entries{store=\"\"} \n") - 1
                     + 2 * store[i].uri.len + NGX_INT64_LEN)
                + sizeof(",dev=\"\"") - 1 + NGX_INT64_LEN;
    }

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NULL;
    }

    b->last = ngx_cpymem(b->last, help, ngx_strlen(help));

    for (i = 0; i < lmcf->stores.nelts; i++) {
        ngx_memzero(&info, sizeof(ONEM2M_SAE_TABLE_INFO));

        up = ONEM2M_SAE_table_info(store[i].table, &info) == 1;

        b->last = ngx_sprintf(b->last, "onem2m_sae_store_up{store=\"");
        b->last = ngx_http_onem2m_status_escape(b->last, &store[i].uri);
        b->last = ngx_sprintf(b->last, "\"} %d\nonem2m_sae_store_inode"
                                       "{store=\"", up ? 1 : 0);
        b->last = ngx_http_onem2m_status_escape(b->last, &store[i].uri);
        b->last = ngx_sprintf(b->last, "\",dev=\"%uL\"} %uL\n",
                              (uint64_t) info.dev, (uint64_t) info.ino);

        if (!up) {
            continue;
        }

        age = info.synced_at ? ngx_time() - (time_t) info.synced_at : -1;

        b->last = ngx_sprintf(b->last, "onem2m_sae_store_age_seconds"
                                       "{store=\"");
        b->last = ngx_http_onem2m_status_escape(b->last, &store[i].uri);
        b->last = ngx_sprintf(b->last, "\"} %T\nonem2m_sae_store_last_seq"
                                       "{store=\"", age);
        b->last = ngx_http_onem2m_status_escape(b->last, &store[i].uri);
        b->last = ngx_sprintf(b->last, "\"} %uL\nonem2m_sae_store_entries"
                                       "{store=\"",
                              (uint64_t) info.last_seq);
        b->last = ngx_http_onem2m_status_escape(b->last, &store[i].uri);
        b->last = ngx_sprintf(b->last, "\"} %uL\n", (uint64_t) info.count);
    }

    return b;
}


/* whether table is one of the configuration's live stores (a few at most) */

static ngx_uint_t
ngx_http_onem2m_sae_live_has(ngx_http_onem2m_sae_live_main_conf_t *lmcf,
    ONEM2M_SAE_TABLE *table)
{
    ngx_uint_t                         i;
    ngx_http_onem2m_sae_live_store_t  *store;

    store = lmcf->stores.elts;

    for (i = 0; i < lmcf->stores.nelts; i++) {
        if (store[i].table == table) {
            return 1;
        }
    }

    return 0;
}


/* a binding dropped: logged once, the connection closed after this request */

static void
ngx_http_onem2m_sae_live_drop(ngx_http_request_t *r,
    ngx_http_onem2m_sae_binding_t *binding, int rc, const char *when)
{
    u_char      *id_last, *entity_last;
    long long    expires;
    ngx_uint_t   level;
    u_char       id[NGX_HTTP_ONEM2M_LOG_ID_SIZE];
    u_char       entity[NGX_HTTP_ONEM2M_LOG_ID_SIZE];

    id_last = ngx_http_onem2m_log_id(id, binding->kpsa_id.data,
                                     binding->kpsa_id.len);
    entity_last = ngx_http_onem2m_log_id(entity, binding->entity.data,
                                         binding->entity.len);

    level = rc < 0 ? NGX_LOG_ERR : NGX_LOG_NOTICE;

    /* a MAF key past its expirationTime (TS-0003 8.2.2.3) */
    expires = ONEM2M_SAE_binding_expires(r->connection->ssl->connection);

    ngx_log_error(level, r->connection->log, 0,
                  "onem2m sae: binding of psk identity %*s to %*s dropped: "
                  "%s, connection closed%s",
                  id_last - id, id, entity_last - entity, entity,
                  rc < 0 ? "the live store failed"
                  : expires != 0 && (long long) ngx_time() >= expires
                  ? "credential expired"
                  : "credential revoked, rekeyed or moved", when);

    ngx_http_onem2m_sae_live_close(r);
}


/*
 * The request body filter: when the last buffer of the body passes, the
 * binding is checked once more, before the upstream module has the whole
 * request.  A client could otherwise send the headers while its key is
 * good, wait for the revocation and then finish the body (on HTTP/2, on
 * every stream it opened before).  Buffered bodies (the default): the
 * upstream sees nothing.  Unbuffered ones ("proxy_request_buffering off"
 * and the like): it has seen the headers and the body without its last
 * buffer, and its connection is closed, so it never gets a complete
 * request.  A filter can only return a status: the answer is nginx's own
 * 403 page with the oneM2M headers (X-M2M-RSC: 4107).
 */

static ngx_int_t
ngx_http_onem2m_sae_live_body_filter(ngx_http_request_t *r, ngx_chain_t *in)
{
    ngx_chain_t  *cl;

    for (cl = in; cl; cl = cl->next) {
        if (cl->buf->last_buf) {
            if (ngx_http_onem2m_sae_live_body_end(r) != NGX_OK) {
                return NGX_HTTP_FORBIDDEN;
            }

            break;
        }
    }

    return ngx_http_next_request_body_filter(r, in);
}


static ngx_int_t
ngx_http_onem2m_sae_live_body_end(ngx_http_request_t *r)
{
    int                                    rc;
    const ONEM2M_SAE_TABLE                *table;
    ngx_http_onem2m_sae_view_t            *view;
    ngx_http_onem2m_sae_binding_t         *binding;
    ngx_http_onem2m_sae_live_ctx_t        *ctx;
    ngx_http_onem2m_sae_live_main_conf_t  *lmcf;

    lmcf = ngx_http_get_module_main_conf(r, ngx_http_onem2m_sae_live_module);

    /*
     * What the upstream is about to be told, not the request's view: an
     * internal redirect clears the view, not the identity header.
     */

    binding = ngx_http_onem2m_sae_sent_binding(r, &table);

    if (binding == NULL
        || !ngx_http_onem2m_sae_live_has(lmcf, (ONEM2M_SAE_TABLE *) table))
    {
        return NGX_OK;
    }

    rc = ONEM2M_SAE_binding_current(r->connection->ssl->connection);

    if (rc == 1) {
        return NGX_OK;
    }

    ctx = ngx_http_get_module_ctx(r->main, ngx_http_onem2m_sae_live_module);

    if (ctx) {
        ctx->rc = NGX_DECLINED;
    }

    ngx_http_onem2m_sae_live_drop(r, binding, rc,
                                  ", request refused at the end of its body");

    /* the identity header is set already: refused, in optional mode too */

    view = ngx_http_get_module_ctx(r, ngx_http_onem2m_sae_module);

    if (view) {
        view->binding = NULL;
    }

    if (ngx_http_onem2m_error_headers(r,
                           NGX_HTTP_ONEM2M_SECURITY_ASSOCIATION_REQUIRED)
        != NGX_OK)
    {
        return NGX_ERROR;
    }

    return NGX_DECLINED;
}


/*
 * Closes the connection of a request whose binding was dropped, once the
 * answer is out.  HTTP/2: as nginx does for a graceful shutdown
 * (ngx_close_idle_connections()), the connection is flagged and its read
 * handler posted: it sends GOAWAY, takes no new stream, and closes when
 * the streams in progress are done.
 */

static void
ngx_http_onem2m_sae_live_close(ngx_http_request_t *r)
{
#if (NGX_HTTP_V2)
    ngx_connection_t  *c;

    if (r->main->stream) {
        c = r->main->stream->connection->connection;

        if (!c->close) {
            c->close = 1;
            ngx_post_event(c->read, &ngx_posted_events);
        }

        return;
    }
#endif

    r->main->keepalive = 0;
}


/*
 * Once a second in worker 0: each store's health (the provider verifies it
 * on info(): whole, still the data.mdb its directory names), then its
 * staleness.  Each change is logged once, not every tick.
 */

static void
ngx_http_onem2m_sae_live_tick(ngx_event_t *ev)
{
    time_t                                 age;
    ngx_int_t                              up;
    ngx_uint_t                             i;
    ONEM2M_SAE_TABLE_INFO                  info;
    ngx_http_onem2m_sae_live_store_t      *store;
    ngx_http_onem2m_sae_live_main_conf_t  *lmcf = ev->data;

    store = lmcf->stores.elts;

    for (i = 0; i < lmcf->stores.nelts; i++) {

        ngx_memzero(&info, sizeof(ONEM2M_SAE_TABLE_INFO));

        up = ONEM2M_SAE_table_info(store[i].table, &info) == 1;

        ngx_http_onem2m_sae_live_health(ev->log, &store[i], up, &info);

        if (!up || store[i].max_age == 0 || info.synced_at == 0) {
            continue;
        }

        age = ngx_time() - (time_t) info.synced_at;

        if (age > store[i].max_age && !store[i].stale) {
            store[i].stale = 1;
            ngx_log_error(NGX_LOG_WARN, ev->log, 0,
                          "onem2m sae: live store \"%V\" is stale: last "
                          "synced %T s ago (onem2m_sae_store_max_age %T), "
                          "serving its last good state",
                          &store[i].uri, age, store[i].max_age);

        } else if (age <= store[i].max_age && store[i].stale) {
            store[i].stale = 0;
            ngx_log_error(NGX_LOG_NOTICE, ev->log, 0,
                          "onem2m sae: live store \"%V\" is fresh again: "
                          "last synced %T s ago", &store[i].uri, age);
        }
    }

    ngx_add_timer(ev, NGX_HTTP_ONEM2M_SAE_LIVE_TICK);
}


/* a store's change of health or of data.mdb, logged once */

static void
ngx_http_onem2m_sae_live_health(ngx_log_t *log,
    ngx_http_onem2m_sae_live_store_t *store, ngx_int_t up,
    ONEM2M_SAE_TABLE_INFO *info)
{
    if (info->replaced != store->replaced) {
        store->replaced = info->replaced;
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "onem2m sae: live store \"%V\" was replaced on disk "
                      "(data.mdb inode %uL, now %uL): %s", &store->uri,
                      (uint64_t) store->ino, (uint64_t) info->ino,
                      up ? "reopened" : "the new store cannot be read, "
                                        "its servers refuse psk handshakes");
    }

    if (info->ino) {
        store->ino = info->ino;
    }

    if (!up && !store->down) {
        store->down = 1;
        ngx_log_error(NGX_LOG_ALERT, log, 0,
                      "onem2m sae: live store \"%V\" cannot be read: %s; "
                      "its servers refuse psk handshakes until it can "
                      "(retried every second)", &store->uri,
                      info->error[0] ? info->error : "unknown error");

    } else if (up && store->down) {
        store->down = 0;
        ngx_log_error(NGX_LOG_NOTICE, log, 0,
                      "onem2m sae: live store \"%V\" can be read again "
                      "(data.mdb inode %uL)", &store->uri,
                      (uint64_t) info->ino);
    }
}


/* a live table, once, for child_init and the counters */

static ngx_int_t
ngx_http_onem2m_sae_live_register(ngx_conf_t *cf, ONEM2M_SAE_TABLE *table,
    const char *uri, time_t max_age)
{
    ngx_uint_t                             i;
    ngx_http_onem2m_sae_live_store_t      *store;
    ngx_http_onem2m_sae_live_main_conf_t  *lmcf;

    lmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_onem2m_sae_live_module);

    store = lmcf->stores.elts;

    for (i = 0; i < lmcf->stores.nelts; i++) {
        if (store[i].table == table) {
            if (max_age && (store[i].max_age == 0
                            || max_age < store[i].max_age))
            {
                store[i].max_age = max_age;
            }

            return NGX_OK;
        }
    }

    store = ngx_array_push(&lmcf->stores);
    if (store == NULL) {
        return NGX_ERROR;
    }

    ngx_memzero(store, sizeof(ngx_http_onem2m_sae_live_store_t));

    store->table = table;
    store->max_age = max_age;
    store->uri.len = ngx_strlen(uri);
    store->uri.data = ngx_pnalloc(cf->pool, store->uri.len);

    if (store->uri.data == NULL) {
        return NGX_ERROR;
    }

    ngx_memcpy(store->uri.data, uri, store->uri.len);

    return NGX_OK;
}


/* the body filter, where a live store can change under a request */

static ngx_int_t
ngx_http_onem2m_sae_live_init(ngx_conf_t *cf)
{
    ngx_http_onem2m_sae_live_main_conf_t  *lmcf;

    lmcf = ngx_http_conf_get_module_main_conf(cf,
                                              ngx_http_onem2m_sae_live_module);

    if (lmcf->stores.nelts == 0) {
        return NGX_OK;
    }

    ngx_http_next_request_body_filter = ngx_http_top_request_body_filter;
    ngx_http_top_request_body_filter = ngx_http_onem2m_sae_live_body_filter;

    return NGX_OK;
}


static void *
ngx_http_onem2m_sae_live_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_onem2m_sae_live_main_conf_t  *lmcf;

    lmcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_onem2m_sae_live_main_conf_t));
    if (lmcf == NULL) {
        return NULL;
    }

    if (ngx_array_init(&lmcf->stores, cf->pool, 1,
                       sizeof(ngx_http_onem2m_sae_live_store_t))
        != NGX_OK)
    {
        return NULL;
    }

    return lmcf;
}


static void *
ngx_http_onem2m_sae_live_create_srv_conf(ngx_conf_t *cf)
{
    ngx_http_onem2m_sae_live_srv_conf_t  *lscf;

    lscf = ngx_pcalloc(cf->pool, sizeof(ngx_http_onem2m_sae_live_srv_conf_t));
    if (lscf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     lscf->kek_file = { 0, NULL };
     *     lscf->kek_conf_file = NULL;
     *     lscf->kek_conf_line = 0;
     */

    lscf->max_age = NGX_CONF_UNSET;

    return lscf;
}


static char *
ngx_http_onem2m_sae_live_merge_srv_conf(ngx_conf_t *cf, void *parent,
    void *child)
{
    ngx_http_onem2m_sae_live_srv_conf_t *prev = parent;
    ngx_http_onem2m_sae_live_srv_conf_t *conf = child;

    if (conf->kek_file.data == NULL) {
        conf->kek_file = prev->kek_file;
        conf->kek_conf_file = prev->kek_conf_file;
        conf->kek_conf_line = prev->kek_conf_line;
    }

    ngx_conf_merge_sec_value(conf->max_age, prev->max_age, 30);

    return NGX_CONF_OK;
}


/*
 * "onem2m_sae_kek_file path": relative to the configuration prefix, like
 * the table; where it was written is kept for the error on a text table.
 */

static char *
ngx_http_onem2m_sae_kek_file(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_onem2m_sae_live_srv_conf_t *lscf = conf;

    ngx_str_t  *value;

    if (lscf->kek_file.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"onem2m_sae_kek_file\" needs a file name");
        return NGX_CONF_ERROR;
    }

    lscf->kek_file = value[1];

    if (ngx_conf_full_name(cf->cycle, &lscf->kek_file, 1) != NGX_OK) {
        return NGX_CONF_ERROR;
    }

    lscf->kek_conf_file = cf->conf_file->file.name.data;
    lscf->kek_conf_line = cf->conf_file->line;

    return NGX_CONF_OK;
}


/*
 * Each worker opens its own reader of every live store.  One that cannot
 * be opened is not fatal: the worker serves every other server, the
 * store's servers refuse psk handshakes (fail closed) and the provider
 * retries once a second.  Worker 0 watches health and staleness.
 */

static ngx_int_t
ngx_http_onem2m_sae_live_init_process(ngx_cycle_t *cycle)
{
    ngx_int_t                              up;
    ngx_uint_t                             i;
    ngx_http_conf_ctx_t                   *ctx;
    ONEM2M_SAE_TABLE_INFO                  info;
    ngx_http_onem2m_sae_live_store_t      *store;
    ngx_http_onem2m_sae_live_main_conf_t  *lmcf;

    ctx = (ngx_http_conf_ctx_t *) cycle->conf_ctx[ngx_http_module.index];

    if (ctx == NULL) {
        return NGX_OK;
    }

    lmcf = ctx->main_conf[ngx_http_onem2m_sae_live_module.ctx_index];
    store = lmcf->stores.elts;

    for (i = 0; i < lmcf->stores.nelts; i++) {
        up = ONEM2M_SAE_table_child_init(store[i].table) == 1;

        ngx_memzero(&info, sizeof(ONEM2M_SAE_TABLE_INFO));
        (void) ONEM2M_SAE_table_info(store[i].table, &info);

        store[i].ino = info.ino;
        store[i].replaced = info.replaced;

        if (!up) {
            store[i].down = 1;
            ngx_log_error(NGX_LOG_ALERT, cycle->log, 0,
                          "onem2m sae: cannot open the live store \"%V\" "
                          "in this worker: %s; its servers refuse psk "
                          "handshakes until it can (retried every second)",
                          &store[i].uri,
                          info.error[0] ? info.error : "unknown error");
            continue;
        }

        if (info.stale_readers > 0) {
            ngx_log_error(NGX_LOG_NOTICE, cycle->log, 0,
                          "onem2m sae: live store \"%V\": %d reader "
                          "slot%s of dead processes cleared", &store[i].uri,
                          info.stale_readers,
                          info.stale_readers == 1 ? "" : "s");
        }
    }

    if (lmcf->stores.nelts == 0
        || !((ngx_process == NGX_PROCESS_WORKER && ngx_worker == 0)
             || ngx_process == NGX_PROCESS_SINGLE))
    {
        return NGX_OK;
    }

    lmcf->tick.handler = ngx_http_onem2m_sae_live_tick;
    lmcf->tick.data = lmcf;
    lmcf->tick.log = cycle->log;
    lmcf->tick.cancelable = 1;

    ngx_add_timer(&lmcf->tick, NGX_HTTP_ONEM2M_SAE_LIVE_TICK);

    return NGX_OK;
}
