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


static ngx_uint_t ngx_http_onem2m_sae_event_store_quiet(ngx_log_t *log,
    ngx_uint_t level);
static void ngx_http_onem2m_sae_event_log(ngx_log_t *log, ngx_uint_t failed,
    int event, u_char *id, size_t id_len, u_char *entity, size_t entity_len);


/* what becomes of an event of the TLS hook */
typedef struct {
    /* its live counter (NGX_HTTP_ONEM2M_STATUS_*), or NGX_CONF_UNSET_UINT */
    ngx_uint_t                 counter;
    /* a failure: logged at "onem2m_sae_log_level", else at info */
    ngx_uint_t                 failure;
    /* the line: "%*s" the identity, then (if at all) the entity */
    char                      *text;
} ngx_http_onem2m_sae_event_t;


/* indexed by ONEM2M_SAE_EV_* */
static ngx_http_onem2m_sae_event_t  ngx_http_onem2m_sae_events[] = {

    { NGX_CONF_UNSET_UINT, 0, NULL },

    /* ONEM2M_SAE_EV_BOUND */
    { NGX_HTTP_ONEM2M_STATUS_PSK, 0,
      "onem2m sae: psk identity %*s bound to %*s" },

    /* ONEM2M_SAE_EV_UNKNOWN */
    { NGX_HTTP_ONEM2M_STATUS_UNKNOWN, 1,
      "onem2m sae: unknown psk identity %*s" },

    /* ONEM2M_SAE_EV_BAD_KEY */
    { NGX_HTTP_ONEM2M_STATUS_BAD_KEY, 1,
      "onem2m sae: wrong key for psk identity %*s" },

    /* ONEM2M_SAE_EV_NO_TABLE */
    { NGX_CONF_UNSET_UINT, 0,
      "onem2m sae: psk identity %*s offered to a server without psk table" },

    /* ONEM2M_SAE_EV_RESUMED */
    { NGX_HTTP_ONEM2M_STATUS_RESUMED, 0,
      "onem2m sae: resumed session of psk identity %*s bound to %*s" },

    /* ONEM2M_SAE_EV_RESUME_REFUSED */
    { NGX_HTTP_ONEM2M_STATUS_RESUME_REFUSED, 1,
      "onem2m sae: resumed session of psk identity %*s not bound: "
      "identity no longer in the table" },

    /* ONEM2M_SAE_EV_BAD_IDENTITY */
    { NGX_HTTP_ONEM2M_STATUS_BAD_IDENTITY, 1,
      "onem2m sae: malformed psk identity %*s" },

    /* ONEM2M_SAE_EV_OTHER_TABLE */
    { NGX_CONF_UNSET_UINT, 0,
      "onem2m sae: psk identity %*s found in the table of another server "
      "than the one SNI selected, not bound" },

    /* ONEM2M_SAE_EV_STORE_ERROR */
    { NGX_CONF_UNSET_UINT, 1,
      "onem2m sae: the psk table failed the lookup of psk identity %*s, "
      "refused" },

    /* ONEM2M_SAE_EV_EXPIRED: counted as unknown, as the client sees it */
    { NGX_HTTP_ONEM2M_STATUS_UNKNOWN, 1,
      "onem2m sae: expired psk identity %*s (its expiration has passed), "
      "refused as unknown" }
};

#define NGX_HTTP_ONEM2M_SAE_EVENTS                                          \
    (int) (sizeof(ngx_http_onem2m_sae_events)                               \
           / sizeof(ngx_http_onem2m_sae_event_t))


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
    ngx_int_t                        rc;
    ngx_uint_t                       failed, level;
    onem2m_keyid                     k;
    ngx_log_t                       *log;
    ngx_connection_t                *c;
    ngx_http_onem2m_sae_srv_conf_t  *sscf;
    u_char                           id[NGX_HTTP_ONEM2M_LOG_ID_SIZE];
    u_char                           entity[NGX_HTTP_ONEM2M_LOG_ID_SIZE];

    sscf = srv_conf[ngx_http_onem2m_sae_module.ctx_index];

    if (event > 0 && event < NGX_HTTP_ONEM2M_SAE_EVENTS
        && ngx_http_onem2m_sae_events[event].counter != NGX_CONF_UNSET_UINT)
    {
        ngx_http_onem2m_status_count(srv_conf,
                                     ngx_http_onem2m_sae_events[event].counter);
    }

    c = ngx_ssl_get_connection(ssl);
    log = c ? c->log : ngx_cycle->log;

    failed = sscf->log_level;

    if (event == ONEM2M_SAE_EV_STORE_ERROR
        && ngx_http_onem2m_sae_event_store_quiet(log, failed))
    {
        return;
    }

    /*
     * nginx keeps the most verbose log first, as ngx_log_error() knows:
     * a line of this event's level that it would drop is not formatted
     */

    if (event > 0 && event < NGX_HTTP_ONEM2M_SAE_EVENTS) {
        level = ngx_http_onem2m_sae_events[event].failure ? failed
                                                          : NGX_LOG_INFO;
    } else {
        level = NGX_LOG_INFO;
    }

    if (log->log_level < level) {
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

    /* a trusted MAF's identity that is no Key Identifier: say why */

    if (event == ONEM2M_SAE_EV_UNKNOWN) {
        rc = ngx_http_onem2m_sae_maf_key(sscf, (const u_char *) identity,
                                         identity_len, &k);

        if (rc > 0) {
            ngx_log_error(failed, log, 0,
                          "onem2m sae: malformed MAF Key Identifier %*s: "
                          "%s, refused as unknown",
                          id_len, id, onem2m_keyid_reason(rc));
            return;
        }
    }

    ngx_http_onem2m_sae_event_log(log, failed, event, id, id_len, entity,
                                  entity_len);
}


/*
 * A store that cannot be read fails every handshake of its servers: one
 * line a second per worker, not one per handshake (the store's state is
 * logged by the live module's tick, once per change).  1: not this one.
 */

static ngx_uint_t
ngx_http_onem2m_sae_event_store_quiet(ngx_log_t *log, ngx_uint_t level)
{
    static time_t      last;
    static ngx_uint_t  quiet;

    if (ngx_time() == last) {
        quiet++;
        return 1;
    }

    last = ngx_time();

    if (quiet) {
        ngx_log_error(level, log, 0,
                      "onem2m sae: %ui more psk handshakes refused since "
                      "the last such line: the psk table failed their "
                      "lookup",
                      quiet);
        quiet = 0;
    }

    return 0;
}


/* the line of an event, failures at level failed */

static void
ngx_http_onem2m_sae_event_log(ngx_log_t *log, ngx_uint_t failed, int event,
    u_char *id, size_t id_len, u_char *entity, size_t entity_len)
{
    ngx_uint_t                    level;
    ngx_http_onem2m_sae_event_t  *e;

    if (event <= 0 || event >= NGX_HTTP_ONEM2M_SAE_EVENTS) {
        ngx_log_error(NGX_LOG_INFO, log, 0,
                      "onem2m sae: event %d for psk identity %*s",
                      event, id_len, id);
        return;
    }

    e = &ngx_http_onem2m_sae_events[event];

    /* a text without the entity leaves its arguments unread */

    level = e->failure ? failed : NGX_LOG_INFO;

    ngx_log_error(level, log, 0, e->text, id_len, id, entity_len, entity);
}
