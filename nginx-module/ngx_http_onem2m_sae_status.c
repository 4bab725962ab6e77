
/*
 * oneM2M SAE for nginx: live counters of the SAE servers, in a shared
 * memory zone that every worker adds to (like stub_status, not per worker),
 * served in the Prometheus text format by "onem2m_sae_status".
 *
 * The zone "onem2m_sae_status" has a fixed size, so a reload keeps it
 * (ngx_shared_memory_add() with the same name, size and tag) and counting
 * goes on.  It holds one slot per server label, found by label at every
 * configuration cycle: a server keeps its counts across reloads as long as
 * its label stays, a new label gets a new slot at zero, and a slot is never
 * given to another label while the zone lives (old workers still finishing
 * their connections add to the slots they were configured with).  Labels
 * that disappear keep their slot, no longer served, until nginx restarts;
 * when the zone is full, a new label is not counted and nginx -t says so.
 *
 * A server's counters pointer is resolved when the zone is initialised, in
 * the master before the workers fork: counting is an atomic add on it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"
#include "ngx_http_onem2m_sae_live.h"


#define NGX_HTTP_ONEM2M_STATUS_ZONE_SIZE  (256 * 1024)
#define NGX_HTTP_ONEM2M_STATUS_LABEL_MAX  255


typedef struct ngx_http_onem2m_status_slot_s  ngx_http_onem2m_status_slot_t;

/* in the zone: the counters of one label */
struct ngx_http_onem2m_status_slot_s {
    ngx_atomic_t                     counters[NGX_HTTP_ONEM2M_STATUS_N];
    ngx_http_onem2m_status_slot_t   *next;
    size_t                           len;
    u_char                           label[1];
};


typedef struct {
    ngx_http_onem2m_status_slot_t   *slots;
} ngx_http_onem2m_status_sh_t;


/* a counted label of this configuration */
typedef struct {
    ngx_str_t                        label;
    ngx_http_onem2m_status_slot_t   *slot;     /* NULL: the zone is full */
} ngx_http_onem2m_status_server_t;


typedef struct {
    /* a location has "onem2m_sae_status": counters are kept */
    ngx_flag_t                       enabled;
    ngx_array_t                      servers;  /* unique labels */
    ngx_array_t                      confs;    /* of counted servers */
    ngx_shm_zone_t                  *zone;
} ngx_http_onem2m_status_main_conf_t;


typedef struct {
    ngx_str_t                        label;
    ngx_uint_t                       server;   /* index in servers */
    ngx_atomic_t                    *counters; /* in the zone, or NULL */
} ngx_http_onem2m_status_srv_conf_t;


/* a line of the output: family{server="<label>",<label>="<value>"} */
typedef struct {
    char                            *family;
    char                            *help;     /* first of a family only */
    char                            *label;
    char                            *value;
    ngx_uint_t                       counter;
} ngx_http_onem2m_status_metric_t;


static ngx_int_t ngx_http_onem2m_status_handler(ngx_http_request_t *r);
static ngx_int_t ngx_http_onem2m_status_init_zone(ngx_shm_zone_t *shm_zone,
    void *data);

static void *ngx_http_onem2m_status_create_main_conf(ngx_conf_t *cf);
static void *ngx_http_onem2m_status_create_srv_conf(ngx_conf_t *cf);
static ngx_int_t ngx_http_onem2m_status_init(ngx_conf_t *cf);
static char *ngx_http_onem2m_status(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);
static char *ngx_http_onem2m_status_label(ngx_conf_t *cf, ngx_command_t *cmd,
    void *conf);


static ngx_command_t  ngx_http_onem2m_status_commands[] = {

    { ngx_string("onem2m_sae_status"),
      NGX_HTTP_LOC_CONF|NGX_CONF_NOARGS,
      ngx_http_onem2m_status,
      0,
      0,
      NULL },

    { ngx_string("onem2m_sae_status_label"),
      NGX_HTTP_SRV_CONF|NGX_CONF_TAKE1,
      ngx_http_onem2m_status_label,
      NGX_HTTP_SRV_CONF_OFFSET,
      0,
      NULL },

      ngx_null_command
};


static ngx_http_module_t  ngx_http_onem2m_sae_status_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_onem2m_status_init,           /* postconfiguration */

    ngx_http_onem2m_status_create_main_conf, /* create main configuration */
    NULL,                                  /* init main configuration */

    ngx_http_onem2m_status_create_srv_conf, /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_onem2m_sae_status_module = {
    NGX_MODULE_V1,
    &ngx_http_onem2m_sae_status_module_ctx, /* module context */
    ngx_http_onem2m_status_commands,       /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static ngx_str_t  ngx_http_onem2m_status_zone_name =
    ngx_string("onem2m_sae_status");

static ngx_str_t  ngx_http_onem2m_status_type =
    ngx_string("text/plain; version=0.0.4; charset=utf-8");


/* in the order served: the lines of a family stay together */

#define NGX_HTTP_ONEM2M_STATUS_HS      "onem2m_sae_handshakes_total"
#define NGX_HTTP_ONEM2M_STATUS_ANSWER  "onem2m_sae_answers_total"

static ngx_http_onem2m_status_metric_t  ngx_http_onem2m_status_metrics[] = {

    { NGX_HTTP_ONEM2M_STATUS_HS,
      "TLS handshakes and bindings of SAE servers, by result.",
      "result", "psk", NGX_HTTP_ONEM2M_STATUS_PSK },
    { NGX_HTTP_ONEM2M_STATUS_HS, NULL,
      "result", "cert", NGX_HTTP_ONEM2M_STATUS_CERT },
    { NGX_HTTP_ONEM2M_STATUS_HS, NULL,
      "result", "resumed", NGX_HTTP_ONEM2M_STATUS_RESUMED },
    { NGX_HTTP_ONEM2M_STATUS_HS, NULL,
      "result", "unknown_identity", NGX_HTTP_ONEM2M_STATUS_UNKNOWN },
    { NGX_HTTP_ONEM2M_STATUS_HS, NULL,
      "result", "wrong_key", NGX_HTTP_ONEM2M_STATUS_BAD_KEY },
    { NGX_HTTP_ONEM2M_STATUS_HS, NULL,
      "result", "malformed_identity", NGX_HTTP_ONEM2M_STATUS_BAD_IDENTITY },
    { NGX_HTTP_ONEM2M_STATUS_HS, NULL,
      "result", "resumption_refused", NGX_HTTP_ONEM2M_STATUS_RESUME_REFUSED },

    { NGX_HTTP_ONEM2M_STATUS_ANSWER,
      "oneM2M error answers of the gateway itself, by response status code.",
      "rsc", "4000", NGX_HTTP_ONEM2M_STATUS_4000 },
    { NGX_HTTP_ONEM2M_STATUS_ANSWER, NULL,
      "rsc", "4106", NGX_HTTP_ONEM2M_STATUS_4106 },
    { NGX_HTTP_ONEM2M_STATUS_ANSWER, NULL,
      "rsc", "4107", NGX_HTTP_ONEM2M_STATUS_4107 },

    { NULL, NULL, NULL, NULL, 0 }
};


/* counting (ngx_http_onem2m_sae.h) */

void
ngx_http_onem2m_status_count(void **srv_conf, ngx_uint_t counter)
{
    ngx_http_onem2m_status_srv_conf_t  *stcf;

    stcf = srv_conf[ngx_http_onem2m_sae_status_module.ctx_index];

    if (stcf->counters) {
        (void) ngx_atomic_fetch_add(&stcf->counters[counter], 1);
    }
}


void
ngx_http_onem2m_status_count_rsc(ngx_http_request_t *r, ngx_uint_t rsc)
{
    switch (rsc) {

    case NGX_HTTP_ONEM2M_BAD_REQUEST:
        ngx_http_onem2m_status_count(r->srv_conf,
                                     NGX_HTTP_ONEM2M_STATUS_4000);
        break;

    case NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED:
        ngx_http_onem2m_status_count(r->srv_conf,
                                     NGX_HTTP_ONEM2M_STATUS_4106);
        break;

    case NGX_HTTP_ONEM2M_SECURITY_ASSOCIATION_REQUIRED:
        ngx_http_onem2m_status_count(r->srv_conf,
                                     NGX_HTTP_ONEM2M_STATUS_4107);
        break;

    default:
        break;
    }
}


/* the handler */

static ngx_int_t
ngx_http_onem2m_status_handler(ngx_http_request_t *r)
{
    size_t                               size;
    ngx_int_t                            rc;
    ngx_buf_t                           *b, *live;
    ngx_uint_t                           i;
    ngx_chain_t                          out, out_live;
    ngx_http_onem2m_status_slot_t       *slot;
    ngx_http_onem2m_status_metric_t     *m;
    ngx_http_onem2m_status_server_t     *server;
    ngx_http_onem2m_status_main_conf_t  *stmf;

    if (!(r->method & (NGX_HTTP_GET|NGX_HTTP_HEAD))) {
        return NGX_HTTP_NOT_ALLOWED;
    }

    rc = ngx_http_discard_request_body(r);

    if (rc != NGX_OK) {
        return rc;
    }

    stmf = ngx_http_get_module_main_conf(r,
                                         ngx_http_onem2m_sae_status_module);
    server = stmf->servers.elts;

    /* the labels escaped take at most twice their length */

    size = 0;

    for (m = ngx_http_onem2m_status_metrics; m->family; m++) {

        if (m->help) {
            size += sizeof("# HELP  \n# TYPE  counter\n") - 1
                    + 2 * ngx_strlen(m->family) + ngx_strlen(m->help);
        }

        for (i = 0; i < stmf->servers.nelts; i++) {
            size += sizeof("{server=\"\",=\"\"} \n") - 1
                    + ngx_strlen(m->family) + 2 * server[i].label.len
                    + ngx_strlen(m->label) + ngx_strlen(m->value)
                    + NGX_ATOMIC_T_LEN;
        }
    }

    b = ngx_create_temp_buf(r->pool, size);
    if (b == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    for (m = ngx_http_onem2m_status_metrics; m->family; m++) {

        if (m->help) {
            b->last = ngx_sprintf(b->last, "# HELP %s %s\n# TYPE %s counter\n",
                                  m->family, m->help, m->family);
        }

        for (i = 0; i < stmf->servers.nelts; i++) {
            slot = server[i].slot;

            if (slot == NULL) {
                continue;
            }

            b->last = ngx_sprintf(b->last, "%s{server=\"", m->family);
            b->last = ngx_http_onem2m_status_escape(b->last,
                                                    &server[i].label);
            b->last = ngx_sprintf(b->last, "\",%s=\"%s\"} %uA\n",
                                  m->label, m->value,
                                  slot->counters[m->counter]);
        }
    }

    /* the gauges of live stores follow (ngx_http_onem2m_sae_live.c) */
    live = ngx_http_onem2m_sae_live_metrics(r);

    out.buf = b;
    out.next = NULL;

    if (live) {
        out.next = &out_live;
        out_live.buf = live;
        out_live.next = NULL;
        b->last_in_chain = 0;
        b = live;
    }

    r->headers_out.status = NGX_HTTP_OK;
    r->headers_out.content_type = ngx_http_onem2m_status_type;
    r->headers_out.content_type_len = ngx_http_onem2m_status_type.len;
    r->headers_out.content_length_n = (out.buf->last - out.buf->pos)
                                      + (live ? live->last - live->pos : 0);

    b->last_buf = (r == r->main) ? 1 : 0;
    b->last_in_chain = 1;

    rc = ngx_http_send_header(r);

    if (rc == NGX_ERROR || rc > NGX_OK || r->header_only) {
        return rc;
    }

    return ngx_http_output_filter(r, &out);
}


/* a label value of the text format: backslash, quote and newline escaped */

u_char *
ngx_http_onem2m_status_escape(u_char *dst, ngx_str_t *src)
{
    size_t  i;

    for (i = 0; i < src->len; i++) {

        switch (src->data[i]) {

        case '\\':
        case '"':
            *dst++ = '\\';
            *dst++ = src->data[i];
            break;

        case '\n':
            *dst++ = '\\';
            *dst++ = 'n';
            break;

        default:
            *dst++ = src->data[i];
        }
    }

    return dst;
}


/*
 * In the master, once per configuration cycle, before the workers fork:
 * the zone of the previous cycle when it was kept (data is then its
 * configuration), the labels looked up or added, each counted server's
 * counters pointer set.
 */

static ngx_int_t
ngx_http_onem2m_status_init_zone(ngx_shm_zone_t *shm_zone, void *data)
{
    ngx_http_onem2m_status_main_conf_t *stmf = shm_zone->data;

    size_t                                len;
    ngx_uint_t                            i;
    ngx_slab_pool_t                      *shpool;
    ngx_http_onem2m_status_sh_t          *sh;
    ngx_http_onem2m_status_slot_t        *slot, **last;
    ngx_http_onem2m_status_server_t      *server;
    ngx_http_onem2m_status_srv_conf_t   **stcfp;

    shpool = (ngx_slab_pool_t *) shm_zone->shm.addr;

    if (data || shm_zone->shm.exists) {
        sh = shpool->data;

    } else {
        sh = ngx_slab_calloc(shpool, sizeof(ngx_http_onem2m_status_sh_t));
        if (sh == NULL) {
            return NGX_ERROR;
        }

        shpool->data = sh;

        len = sizeof(" in onem2m_sae_status zone \"\"")
              + shm_zone->shm.name.len;

        shpool->log_ctx = ngx_slab_alloc(shpool, len);
        if (shpool->log_ctx == NULL) {
            return NGX_ERROR;
        }

        ngx_sprintf(shpool->log_ctx, " in onem2m_sae_status zone \"%V\"%Z",
                    &shm_zone->shm.name);

        /* a full zone is reported below, once per label */
        shpool->log_nomem = 0;
    }

    server = stmf->servers.elts;

    for (i = 0; i < stmf->servers.nelts; i++) {

        last = &sh->slots;

        for (slot = sh->slots; slot; slot = slot->next) {
            if (slot->len == server[i].label.len
                && ngx_memcmp(slot->label, server[i].label.data,
                              slot->len) == 0)
            {
                break;
            }

            last = &slot->next;
        }

        if (slot == NULL) {
            slot = ngx_slab_calloc(shpool,
                                   sizeof(ngx_http_onem2m_status_slot_t)
                                   + server[i].label.len);
            if (slot == NULL) {
                ngx_log_error(NGX_LOG_WARN, shm_zone->shm.log, 0,
                              "onem2m_sae_status: zone \"%V\" is full, "
                              "server \"%V\" is not counted until nginx "
                              "restarts",
                              &shm_zone->shm.name, &server[i].label);
                server[i].slot = NULL;
                continue;
            }

            slot->len = server[i].label.len;
            ngx_memcpy(slot->label, server[i].label.data, slot->len);

            *last = slot;
        }

        server[i].slot = slot;
    }

    stcfp = stmf->confs.elts;

    for (i = 0; i < stmf->confs.nelts; i++) {
        slot = server[stcfp[i]->server].slot;
        stcfp[i]->counters = slot ? slot->counters : NULL;
    }

    return NGX_OK;
}


/* configuration */

static void *
ngx_http_onem2m_status_create_main_conf(ngx_conf_t *cf)
{
    ngx_http_onem2m_status_main_conf_t  *stmf;

    stmf = ngx_pcalloc(cf->pool, sizeof(ngx_http_onem2m_status_main_conf_t));
    if (stmf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     stmf->enabled = 0;
     *     stmf->zone = NULL;
     */

    if (ngx_array_init(&stmf->servers, cf->pool, 4,
                       sizeof(ngx_http_onem2m_status_server_t))
        != NGX_OK
        || ngx_array_init(&stmf->confs, cf->pool, 4,
                          sizeof(ngx_http_onem2m_status_srv_conf_t *))
           != NGX_OK)
    {
        return NULL;
    }

    return stmf;
}


static void *
ngx_http_onem2m_status_create_srv_conf(ngx_conf_t *cf)
{
    ngx_http_onem2m_status_srv_conf_t  *stcf;

    stcf = ngx_pcalloc(cf->pool, sizeof(ngx_http_onem2m_status_srv_conf_t));
    if (stcf == NULL) {
        return NULL;
    }

    /*
     * set by ngx_pcalloc():
     *
     *     stcf->label = { 0, NULL };
     *     stcf->server = 0;
     *     stcf->counters = NULL;
     */

    return stcf;
}


/*
 * After every server is merged (the SAE module knows its servers then):
 * with a status location, every SAE server gets a label, its own
 * "onem2m_sae_status_label" or else its first server name ("_" for none),
 * and the zone is added.
 */

static ngx_int_t
ngx_http_onem2m_status_init(ngx_conf_t *cf)
{
    ngx_str_t                            *label;
    ngx_uint_t                            s, i;
    ngx_http_core_srv_conf_t            **cscfp;
    ngx_http_core_main_conf_t            *cmcf;
    ngx_http_onem2m_status_server_t      *server;
    ngx_http_onem2m_status_srv_conf_t    *stcf, **stcfp;
    ngx_http_onem2m_status_main_conf_t   *stmf;
    static ngx_str_t                      none = ngx_string("_");

    stmf = ngx_http_conf_get_module_main_conf(cf,
                                           ngx_http_onem2m_sae_status_module);

    if (!stmf->enabled) {
        return NGX_OK;
    }

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {

        if (ngx_http_onem2m_sae_srv_methods(cscfp[s]->ctx->srv_conf) == 0) {
            continue;
        }

        stcf = cscfp[s]->ctx->srv_conf[
                                 ngx_http_onem2m_sae_status_module.ctx_index];

        label = &stcf->label;

        if (label->len == 0) {
            label = cscfp[s]->server_name.len ? &cscfp[s]->server_name
                                              : &none;
        }

        if (label->len > NGX_HTTP_ONEM2M_STATUS_LABEL_MAX) {
            ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                          "server name \"%V\" is longer than %d bytes for "
                          "\"onem2m_sae_status\": set "
                          "\"onem2m_sae_status_label\" in the server "
                          "in %s:%ui", label,
                          NGX_HTTP_ONEM2M_STATUS_LABEL_MAX,
                          cscfp[s]->file_name, cscfp[s]->line);
            return NGX_ERROR;
        }

        /* servers with one label share its counters */

        server = stmf->servers.elts;

        for (i = 0; i < stmf->servers.nelts; i++) {
            if (server[i].label.len == label->len
                && ngx_memcmp(server[i].label.data, label->data,
                              label->len) == 0)
            {
                break;
            }
        }

        if (i == stmf->servers.nelts) {
            server = ngx_array_push(&stmf->servers);
            if (server == NULL) {
                return NGX_ERROR;
            }

            server->label = *label;
            server->slot = NULL;
        }

        stcf->server = i;

        stcfp = ngx_array_push(&stmf->confs);
        if (stcfp == NULL) {
            return NGX_ERROR;
        }

        *stcfp = stcf;
    }

    stmf->zone = ngx_shared_memory_add(cf, &ngx_http_onem2m_status_zone_name,
                                       NGX_HTTP_ONEM2M_STATUS_ZONE_SIZE,
                                       &ngx_http_onem2m_sae_status_module);
    if (stmf->zone == NULL) {
        return NGX_ERROR;
    }

    stmf->zone->init = ngx_http_onem2m_status_init_zone;
    stmf->zone->data = stmf;

    return NGX_OK;
}


static char *
ngx_http_onem2m_status(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_core_loc_conf_t            *clcf;
    ngx_http_onem2m_status_main_conf_t  *stmf;

    clcf = ngx_http_conf_get_module_loc_conf(cf, ngx_http_core_module);

    if (clcf->handler) {
        return "is duplicate";
    }

    clcf->handler = ngx_http_onem2m_status_handler;

    stmf = ngx_http_conf_get_module_main_conf(cf,
                                           ngx_http_onem2m_sae_status_module);
    stmf->enabled = 1;

    return NGX_CONF_OK;
}


static char *
ngx_http_onem2m_status_label(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_onem2m_status_srv_conf_t *stcf = conf;

    ngx_str_t   *value;
    ngx_uint_t   i;

    if (stcf->label.data) {
        return "is duplicate";
    }

    value = cf->args->elts;

    if (value[1].len == 0 || value[1].len > NGX_HTTP_ONEM2M_STATUS_LABEL_MAX) {
        ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                           "\"%V\" needs a label of 1 to %d bytes",
                           &cmd->name, NGX_HTTP_ONEM2M_STATUS_LABEL_MAX);
        return NGX_CONF_ERROR;
    }

    for (i = 0; i < value[1].len; i++) {
        if (value[1].data[i] < 0x20 || value[1].data[i] == 0x7f) {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "control character in the label of \"%V\"",
                               &cmd->name);
            return NGX_CONF_ERROR;
        }
    }

    stcf->label = value[1];

    return NGX_CONF_OK;
}
