/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: handshake events of the TLS hook.
 *
 * The hook reports each PSK handshake (bound, resumed, unknown identity,
 * wrong key, ...) to ngx_http_onem2m_sae_event(): it counts the event in
 * the server's live counters and writes it into the connection's error
 * log, the client's strings escaped (ngx_http_onem2m_log.c).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae_module.h"


static void ngx_http_onem2m_sae_event_log(ngx_log_t *log, ngx_uint_t failed,
    int event, u_char *id, size_t id_len, u_char *entity, size_t entity_len);


/* the live counter of each event of the TLS hook (ONEM2M_SAE_EV_*) */
static ngx_uint_t  ngx_http_onem2m_sae_counters[] = {
    NGX_CONF_UNSET_UINT,
    NGX_HTTP_ONEM2M_STATUS_PSK,             /* ONEM2M_SAE_EV_BOUND */
    NGX_HTTP_ONEM2M_STATUS_UNKNOWN,         /* ONEM2M_SAE_EV_UNKNOWN */
    NGX_HTTP_ONEM2M_STATUS_BAD_KEY,         /* ONEM2M_SAE_EV_BAD_KEY */
    NGX_CONF_UNSET_UINT,                    /* ONEM2M_SAE_EV_NO_TABLE */
    NGX_HTTP_ONEM2M_STATUS_RESUMED,         /* ONEM2M_SAE_EV_RESUMED */
    NGX_HTTP_ONEM2M_STATUS_RESUME_REFUSED,  /* ONEM2M_SAE_EV_RESUME_REFUSED */
    NGX_HTTP_ONEM2M_STATUS_BAD_IDENTITY,    /* ONEM2M_SAE_EV_BAD_IDENTITY */
    NGX_CONF_UNSET_UINT                     /* ONEM2M_SAE_EV_OTHER_TABLE */
};


/*
 * Handshake events of the TLS hook, into the connection's error log (its
 * context adds the client address): arg is the module server
 * configurations of the server whose SSL_CTX the connection has.
 * Failures at the server's "onem2m_sae_log_level", the rest at info.
 */

void
ngx_http_onem2m_sae_event(SSL *ssl, void *arg, int event,
    const char *identity, size_t identity_len, const ONEM2M_SAE_ENTRY *entry)
{
    void                           **srv_conf = arg;

    size_t                           id_len, entity_len;
    ngx_uint_t                       failed;
    ngx_log_t                       *log;
    ngx_connection_t                *c;
    ngx_http_onem2m_sae_srv_conf_t  *sscf;
    u_char                           id[NGX_HTTP_ONEM2M_LOG_ID_SIZE];
    u_char                           entity[NGX_HTTP_ONEM2M_LOG_ID_SIZE];

    sscf = srv_conf[ngx_http_onem2m_sae_module.ctx_index];

    if (event > 0 && event < (int) (sizeof(ngx_http_onem2m_sae_counters)
                                    / sizeof(ngx_uint_t))
        && ngx_http_onem2m_sae_counters[event] != NGX_CONF_UNSET_UINT)
    {
        ngx_http_onem2m_status_count(srv_conf,
                                     ngx_http_onem2m_sae_counters[event]);
    }

    c = ngx_ssl_get_connection(ssl);
    log = c ? c->log : ngx_cycle->log;

    failed = sscf->log_level;

    /* nginx keeps the most verbose log first, as ngx_log_error() knows */

    if (log->log_level < NGX_LOG_INFO && log->log_level < failed) {
        return;
    }

    id_len = ngx_http_onem2m_log_id(id, (const u_char *) identity,
                                    identity ? identity_len : 0)
             - id;
    entity_len = 0;

    if (entry) {
        entity_len = ngx_http_onem2m_log_id(entity,
                                            (const u_char *) entry->entity,
                                            entry->entity_len)
                     - entity;
    }

    ngx_http_onem2m_sae_event_log(log, failed, event, id, id_len, entity,
                                  entity_len);
}


/* the line of an event, failures at level failed */

static void
ngx_http_onem2m_sae_event_log(ngx_log_t *log, ngx_uint_t failed, int event,
    u_char *id, size_t id_len, u_char *entity, size_t entity_len)
{
    switch (event) {

    case ONEM2M_SAE_EV_BOUND:
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "onem2m sae: psk identity %*s bound to %*s",
                      id_len, id, entity_len, entity);
        break;

    case ONEM2M_SAE_EV_RESUMED:
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "onem2m sae: resumed session of psk identity %*s "
                      "bound to %*s", id_len, id, entity_len, entity);
        break;

    case ONEM2M_SAE_EV_UNKNOWN:
        ngx_log_error(failed, log, 0,
                      "onem2m sae: unknown psk identity %*s", id_len, id);
        break;

    case ONEM2M_SAE_EV_BAD_KEY:
        ngx_log_error(failed, log, 0,
                      "onem2m sae: wrong key for psk identity %*s",
                      id_len, id);
        break;

    case ONEM2M_SAE_EV_RESUME_REFUSED:
        ngx_log_error(failed, log, 0,
                      "onem2m sae: resumed session of psk identity %*s "
                      "not bound: identity no longer in the table",
                      id_len, id);
        break;

    case ONEM2M_SAE_EV_BAD_IDENTITY:
        ngx_log_error(failed, log, 0,
                      "onem2m sae: malformed psk identity %*s", id_len, id);
        break;

    case ONEM2M_SAE_EV_NO_TABLE:
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "onem2m sae: psk identity %*s offered to a server "
                      "without psk table", id_len, id);
        break;

    case ONEM2M_SAE_EV_OTHER_TABLE:
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "onem2m sae: psk identity %*s found in the table "
                      "of another server than the one SNI selected, "
                      "not bound", id_len, id);
        break;

    default:
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "onem2m sae: event %d for psk identity %*s",
                      event, id_len, id);
        break;
    }
}
