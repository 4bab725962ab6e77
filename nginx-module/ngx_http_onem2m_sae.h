/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: what the modules of this shared object share.
 *
 * The SAE module owns the binding of a connection (who the TLS handshake
 * authenticated); the originator module and any later module read it here.
 */


#ifndef _NGX_HTTP_ONEM2M_SAE_H_INCLUDED_
#define _NGX_HTTP_ONEM2M_SAE_H_INCLUDED_


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include <onem2m_sae.h>
#include "common/onem2m_text.h"


/* onem2m_sae off | optional | required */
#define NGX_HTTP_ONEM2M_SAE_OFF        0
#define NGX_HTTP_ONEM2M_SAE_OPTIONAL   1
#define NGX_HTTP_ONEM2M_SAE_REQUIRED   2

/* how the entity was authenticated */
#define NGX_HTTP_ONEM2M_SAE_UNBOUND    0
#define NGX_HTTP_ONEM2M_SAE_PSK        1
#define NGX_HTTP_ONEM2M_SAE_CERT       2
#define NGX_HTTP_ONEM2M_SAE_MAF        3     /* a MAF key (Kc), TS-0003 8.8 */

/* oneM2M response status codes used at the edge (TS-0004, TS-0009) */
#define NGX_HTTP_ONEM2M_BAD_REQUEST                  4000
#define NGX_HTTP_ONEM2M_ORIGINATOR_HAS_NO_PRIVILEGE  4103
#define NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED 4106
#define NGX_HTTP_ONEM2M_SECURITY_ASSOCIATION_REQUIRED 4107
#define NGX_HTTP_ONEM2M_INTERNAL_SERVER_ERROR        5000


typedef struct {
    ngx_uint_t                 method;        /* NGX_HTTP_ONEM2M_SAE_* */
    ngx_uint_t                 entity_type;   /* ONEM2M_SAE_ENTITY_* */
    ngx_str_t                  entity;        /* AE-ID or CSE-ID */
    ngx_str_t                  kpsa_id;       /* empty for certificates */
    ngx_str_t                  credential_id; /* "12-<KpsaID>", TS-0003 10.4,
                                                 a MAF key's lower-cased */
    /*
     * The originator check's reading of entity, made once per connection
     * (ngx_http_onem2m_originator_handler.c): NULL until it first needs it.
     */
    void                      *originator;
} ngx_http_onem2m_sae_binding_t;


/* how a server's clients can associate: a mask of the two, or 0 */
#define NGX_HTTP_ONEM2M_SAE_BY_PSK     0x01
#define NGX_HTTP_ONEM2M_SAE_BY_CERT    0x02


/*
 * The request's one view of its binding: computed once per request by the
 * SAE module (ngx_http_onem2m_sae_request.c) and kept in the request's
 * context; the identity header, "onem2m_sae required", the variables and
 * the originator check all read it, and nothing else.
 */
typedef struct {
    /*
     * The binding of the request's connection valid for the server that
     * serves the request (entity, its kind, credential, method), or NULL
     * when the connection is unbound (no SAE handshake, or one made
     * against another server's table).
     */
    ngx_http_onem2m_sae_binding_t  *binding;
    /* the psk-lookup-table of the request's server, or NULL */
    ONEM2M_SAE_TABLE               *table;
    /* how the server's clients can associate: NGX_HTTP_ONEM2M_SAE_BY_* */
    ngx_uint_t                      methods;
} ngx_http_onem2m_sae_view_t;


/* the request's view, or NULL when memory ran out */
ngx_http_onem2m_sae_view_t *ngx_http_onem2m_sae_view(ngx_http_request_t *r);

/* its binding: NULL when unbound (or when memory ran out) */
ngx_http_onem2m_sae_binding_t *ngx_http_onem2m_sae_binding(
    ngx_http_request_t *r);

/*
 * The ways of association of a server: srv_conf is its array of module
 * server configurations (ngx_http_conf_ctx_t.srv_conf, or r->srv_conf),
 * valid once the SAE module's postconfiguration has run.
 */
ngx_uint_t ngx_http_onem2m_sae_srv_methods(void **srv_conf);

/* the server's "onem2m_sae_sp_domain" (empty when not set), likewise */
ngx_str_t *ngx_http_onem2m_sae_srv_sp_domain(void **srv_conf);

/*
 * Warns (nginx -t) when the key table at path (NUL-terminated) belongs to
 * the user the workers run as; uri, file and line name the directive.
 */
void ngx_http_onem2m_sae_check_table_owner(ngx_conf_t *cf, ngx_str_t *uri,
    u_char *path, u_char *file, ngx_uint_t line);

/*
 * Refuses (nginx -t, NGX_ERROR) a live store at path (its directory)
 * that the workers' user cannot open as a worker does (data.mdb read,
 * lock.mdb read and write), naming the file, the user and the fix.
 */
ngx_int_t ngx_http_onem2m_sae_check_store_access(ngx_conf_t *cf,
    ngx_str_t *uri, u_char *path, u_char *file, ngx_uint_t line);

/* the effective "onem2m_sae" mode of the request's location */
ngx_uint_t ngx_http_onem2m_sae_mode(ngx_http_request_t *r);

/*
 * Answers the request in oneM2M form and finalizes it: the HTTP status
 * mapped from rsc (TS-0009 Table 6.3.2-1), X-M2M-RSC, X-M2M-RI and
 * X-M2M-RVI echoed from the request, Content-Type application/json and the
 * body {"m2m:dbg": "<dbg>"}.  The request body is discarded.  Returns
 * NGX_DONE (or an error): a phase handler returns it as it is.
 */
ngx_int_t ngx_http_onem2m_send_error(ngx_http_request_t *r, ngx_uint_t rsc,
    const char *dbg);

/*
 * The headers of that answer (X-M2M-RSC, X-M2M-RI and X-M2M-RVI echoed),
 * counted, for an answer nginx makes itself: a request body filter can
 * only return a status.  NGX_OK or NGX_ERROR.
 */
ngx_int_t ngx_http_onem2m_error_headers(ngx_http_request_t *r,
    ngx_uint_t rsc);


/* bytes of a client's string in a log line, before escaping */
#define NGX_HTTP_ONEM2M_LOG_ID_MAX   64
/* the most ngx_http_onem2m_log_id() writes: quotes, escapes, real length */
#define NGX_HTTP_ONEM2M_LOG_ID_SIZE                                          \
    ONEM2M_TEXT_LOG_SIZE(NGX_HTTP_ONEM2M_LOG_ID_MAX)

/*
 * A string from the network (or a table) for the error log, quoted,
 * escaped and cut by onem2m_text_log_quote() (ngx_http_onem2m_log.c);
 * "%*s" with dst and the length up to the returned end.  Whether an
 * identifier may go into a header at all is onem2m_text_all_visible().
 */
u_char *ngx_http_onem2m_log_id(u_char *dst, const u_char *src, size_t len);


/* the live counters of a server (ngx_http_onem2m_sae_status.c) */
#define NGX_HTTP_ONEM2M_STATUS_PSK             0
#define NGX_HTTP_ONEM2M_STATUS_CERT            1
#define NGX_HTTP_ONEM2M_STATUS_RESUMED         2
#define NGX_HTTP_ONEM2M_STATUS_UNKNOWN         3
#define NGX_HTTP_ONEM2M_STATUS_BAD_KEY         4
#define NGX_HTTP_ONEM2M_STATUS_BAD_IDENTITY    5
#define NGX_HTTP_ONEM2M_STATUS_RESUME_REFUSED  6
#define NGX_HTTP_ONEM2M_STATUS_4000            7
#define NGX_HTTP_ONEM2M_STATUS_4106            8
#define NGX_HTTP_ONEM2M_STATUS_4107            9
#define NGX_HTTP_ONEM2M_STATUS_N               10

/*
 * Adds one to a counter of the server whose module server configurations
 * are srv_conf (r->srv_conf, or the event argument of the TLS hook): an
 * atomic add in the shared zone, on a pointer set when the zone was
 * initialised; nothing when no location has "onem2m_sae_status".
 */
void ngx_http_onem2m_status_count(void **srv_conf, ngx_uint_t counter);

/* the same for a oneM2M answer of the gateway (4000, 4106, 4107) */
void ngx_http_onem2m_status_count_rsc(ngx_http_request_t *r,
    ngx_uint_t rsc);

/* a label value of the status output, escaped: at most 2 * len bytes */
u_char *ngx_http_onem2m_status_escape(u_char *dst, ngx_str_t *src);


#endif /* _NGX_HTTP_ONEM2M_SAE_H_INCLUDED_ */
