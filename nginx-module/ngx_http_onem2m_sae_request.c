/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: the binding at request time.
 *
 * The binding of a TLS connection (the PSK entry of its handshake, or the
 * identity of the client certificate nginx verified) is looked up once per
 * connection and kept in the SSL object's ex_data; the request's view of
 * it, valid for the request's server, is computed once per request and
 * kept in the request's context (ngx_http_onem2m_sae_view()).  The phase
 * handlers strip client copies of the identity header and add the bound
 * one (POST_READ), and refuse requests without a binding where one is
 * required (PREACCESS, 4107).
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae_module.h"
#include "ngx_http_onem2m_sae_live.h"
#include "ngx_http_onem2m_header.h"


/* the binding of a TLS connection, cached for its keepalive requests */
typedef struct {
    const ONEM2M_SAE_ENTRY          *entry;
    const ONEM2M_SAE_TABLE          *table;
    ngx_http_onem2m_sae_binding_t    binding;
    /* the server the certificate binding was made for */
    ngx_http_onem2m_sae_srv_conf_t  *cert_sscf;
    unsigned                         cert_logged:1;
} ngx_http_onem2m_sae_conn_t;


static void ngx_http_onem2m_sae_view_compute(ngx_http_request_t *r,
    ngx_http_onem2m_sae_view_t *view);
static ngx_http_onem2m_sae_binding_t *ngx_http_onem2m_sae_lookup(
    ngx_http_request_t *r, ngx_http_onem2m_sae_srv_conf_t *sscf);
static ngx_http_onem2m_sae_conn_t *ngx_http_onem2m_sae_get_conn(
    ngx_http_request_t *r);
static ngx_int_t ngx_http_onem2m_sae_psk_binding(ngx_connection_t *c,
    SSL *ssl, ngx_http_onem2m_sae_conn_t *sc,
    ngx_http_onem2m_sae_srv_conf_t *sscf);
static ngx_int_t ngx_http_onem2m_sae_maf_binding(ngx_connection_t *c,
    const ONEM2M_SAE_ENTRY *entry, ngx_http_onem2m_sae_conn_t *sc,
    ngx_http_onem2m_sae_srv_conf_t *sscf);
static ngx_http_onem2m_sae_binding_t *ngx_http_onem2m_sae_cert_binding(
    ngx_http_request_t *r, ngx_http_onem2m_sae_conn_t *sc,
    ngx_http_onem2m_sae_srv_conf_t *sscf);
static void ngx_http_onem2m_sae_cert_unbound(ngx_http_request_t *r,
    ngx_http_onem2m_sae_conn_t *sc, int reason);


static ngx_str_t  ngx_http_onem2m_sae_methods[] = {
    ngx_string(""),
    ngx_string("psk"),
    ngx_string("cert"),
    ngx_string("maf")
};


/* SSL ex_data slot of the per-connection binding cache */
static int  ngx_http_onem2m_sae_conn_index = -1;


ngx_int_t
ngx_http_onem2m_sae_request_init(ngx_conf_t *cf)
{
    if (ngx_http_onem2m_sae_conn_index != -1) {
        return NGX_OK;
    }

    ngx_http_onem2m_sae_conn_index = SSL_get_ex_new_index(0, NULL, NULL,
                                                          NULL, NULL);
    if (ngx_http_onem2m_sae_conn_index == -1) {
        ngx_ssl_error(NGX_LOG_EMERG, cf->log, 0,
                      "onem2m sae: SSL_get_ex_new_index() failed");
        return NGX_ERROR;
    }

    return NGX_OK;
}


/* the exported API (ngx_http_onem2m_sae.h) */

ngx_http_onem2m_sae_view_t *
ngx_http_onem2m_sae_view(ngx_http_request_t *r)
{
    ngx_http_onem2m_sae_view_t  *view;

    view = ngx_http_get_module_ctx(r, ngx_http_onem2m_sae_module);

    if (view != NULL) {
        return view;
    }

    view = ngx_pcalloc(r->pool, sizeof(ngx_http_onem2m_sae_view_t));
    if (view == NULL) {
        return NULL;
    }

    ngx_http_onem2m_sae_view_compute(r, view);

    ngx_http_set_ctx(r, view, ngx_http_onem2m_sae_module);

    return view;
}


ngx_http_onem2m_sae_binding_t *
ngx_http_onem2m_sae_binding(ngx_http_request_t *r)
{
    ngx_http_onem2m_sae_view_t  *view;

    view = ngx_http_onem2m_sae_view(r);

    return view ? view->binding : NULL;
}


ngx_uint_t
ngx_http_onem2m_sae_mode(ngx_http_request_t *r)
{
    ngx_http_onem2m_sae_loc_conf_t  *slcf;
    ngx_http_onem2m_sae_srv_conf_t  *sscf;

    slcf = ngx_http_get_module_loc_conf(r, ngx_http_onem2m_sae_module);

    if (slcf->mode != NGX_CONF_UNSET_UINT) {
        return slcf->mode;
    }

    sscf = ngx_http_get_module_srv_conf(r, ngx_http_onem2m_sae_module);

    return sscf->table ? NGX_HTTP_ONEM2M_SAE_REQUIRED
                       : NGX_HTTP_ONEM2M_SAE_OFF;
}


/*
 * The one place where a request's view of its binding is computed, once
 * per request (again after an internal redirect, which clears the
 * request's contexts).  A check of the binding against the live table
 * (a key revoked since the handshake) belongs here, after the lookup:
 * clearing view->binding leaves the request unbound everywhere at once.
 */

static void
ngx_http_onem2m_sae_view_compute(ngx_http_request_t *r,
    ngx_http_onem2m_sae_view_t *view)
{
    ngx_http_onem2m_sae_srv_conf_t  *sscf;

    sscf = ngx_http_get_module_srv_conf(r, ngx_http_onem2m_sae_module);

    view->table = sscf->table;
    view->methods = ngx_http_onem2m_sae_srv_methods(r->srv_conf);
    view->binding = ngx_http_onem2m_sae_lookup(r, sscf);
}


/* the exported API (ngx_http_onem2m_sae.h) */


/* the binding of the connection that counts for the server sscf */

static ngx_http_onem2m_sae_binding_t *
ngx_http_onem2m_sae_lookup(ngx_http_request_t *r,
    ngx_http_onem2m_sae_srv_conf_t *sscf)
{
    ngx_http_onem2m_sae_conn_t     *sc;
    ngx_http_onem2m_sae_binding_t  *cert;

    if (!sscf->enabled) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "onem2m sae: unbound: server without SAE");
        return NULL;
    }

    sc = ngx_http_onem2m_sae_get_conn(r);

    if (sc == NULL) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "onem2m sae: unbound: no TLS, or the handshake is "
                       "not finished");
        return NULL;
    }

    if (sc->entry == NULL) {
        if (!sscf->certificates) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "onem2m sae: unbound: no PSK binding, and the "
                           "server takes no certificates");
            return NULL;
        }

        cert = ngx_http_onem2m_sae_cert_binding(r, sc, sscf);

        if (cert == NULL) {
            ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "onem2m sae: unbound: no PSK binding, and no "
                           "certificate that binds");
        } else {
            ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                           "onem2m sae: bound to \"%V\" by certificate "
                           "\"%V\"", &cert->entity, &cert->credential_id);
        }

        return cert;
    }

    /*
     * The handshake may have used another server's table (SNI chose
     * another server than Host does): the binding counts only for a
     * server with the very table it was made with.
     */

    if (sc->table != sscf->table) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "onem2m sae: binding made with another table");
        return NULL;
    }

    /* a live store: revoked or rekeyed since the handshake, unbound */

    if (ngx_http_onem2m_sae_live_current(r, sscf->table, &sc->binding)
        != NGX_OK)
    {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "onem2m sae: unbound: psk identity \"%V\" no longer "
                       "current in the live store", &sc->binding.kpsa_id);
        return NULL;
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "onem2m sae: bound to \"%V\" by psk identity \"%V\"",
                   &sc->binding.entity, &sc->binding.kpsa_id);

    return &sc->binding;
}


/* request phases */


/* request phases */

ngx_int_t
ngx_http_onem2m_sae_post_read_handler(ngx_http_request_t *r)
{
    ngx_str_t                        *name;
    ngx_uint_t                        removed;
    ngx_table_elt_t                  *h;
    ngx_http_onem2m_sae_view_t       *view;
    ngx_http_onem2m_sae_srv_conf_t   *sscf;
    ngx_http_onem2m_sae_main_conf_t  *smcf;

    smcf = ngx_http_get_module_main_conf(r, ngx_http_onem2m_sae_module);

    if (smcf->sae_servers == 0 || r != r->main) {
        return NGX_DECLINED;
    }

    /*
     * Every identity header name of the http block, stripped on every
     * server, not only on SAE ones: a client naming a sibling server (Host
     * or SNI), or a plain HTTP one, must not reach its upstream, often the
     * same CSE, with a forged identity under any server's header name.
     */

    removed = 0;
    name = NULL;

    if (ngx_http_onem2m_header_remove(&r->headers_in.headers, smcf->strip,
                                      &removed, &name)
        != NGX_OK)
    {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (removed) {
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "onem2m sae: %ui client identity header(s) removed, "
                      "the first a spelling of \"%V\"", removed, name);
    }

    sscf = ngx_http_get_module_srv_conf(r, ngx_http_onem2m_sae_module);

    if (!sscf->enabled) {
        return NGX_DECLINED;
    }

    view = ngx_http_onem2m_sae_view(r);
    if (view == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (view->binding == NULL) {
        return NGX_DECLINED;
    }

    h = ngx_list_push(&r->headers_in.headers);
    if (h == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    h->hash = sscf->header_hash;
    h->key = sscf->header;
    h->lowcase_key = sscf->header_lowcase;
    h->value = view->binding->entity;

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "onem2m sae: identity header \"%V: %V\"", &h->key,
                   &h->value);

    return NGX_DECLINED;
}

ngx_int_t
ngx_http_onem2m_sae_preaccess_handler(ngx_http_request_t *r)
{
    ngx_http_onem2m_sae_view_t  *view;

    if (ngx_http_onem2m_sae_mode(r) != NGX_HTTP_ONEM2M_SAE_REQUIRED) {
        return NGX_DECLINED;
    }

    view = ngx_http_onem2m_sae_view(r);
    if (view == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (view->binding != NULL) {
        ngx_log_debug0(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "onem2m sae: required, and bound: passes");
        return NGX_DECLINED;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "onem2m sae: request without security association "
                  "refused (4107)");

    return ngx_http_onem2m_send_error(r,
                           NGX_HTTP_ONEM2M_SECURITY_ASSOCIATION_REQUIRED,
                           "security association required");
}


/*
 * The PSK binding of the connection under r as the handshake made it
 * (current or not), and the table it was made with, when r carries the
 * identity header the POST_READ handler added: what the upstream is told.
 * NULL for a request without it (unbound: nothing of a binding goes
 * upstream).  The header outlives internal redirects, which clear the
 * request's view; only the module's own entry has the server's lowcase
 * name pointer (client copies were stripped).
 */

ngx_http_onem2m_sae_binding_t *
ngx_http_onem2m_sae_sent_binding(ngx_http_request_t *r,
    const ONEM2M_SAE_TABLE **table)
{
    ngx_uint_t                       i;
    ngx_list_part_t                 *part;
    ngx_table_elt_t                 *h;
    ngx_http_onem2m_sae_conn_t      *sc;
    ngx_http_onem2m_sae_srv_conf_t  *sscf;

    if (r->connection->ssl == NULL || ngx_http_onem2m_sae_conn_index == -1) {
        return NULL;
    }

    sc = SSL_get_ex_data(r->connection->ssl->connection,
                         ngx_http_onem2m_sae_conn_index);
    sscf = ngx_http_get_module_srv_conf(r, ngx_http_onem2m_sae_module);

    if (sc == NULL || sc->entry == NULL || sscf->header_lowcase == NULL) {
        return NULL;
    }

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */ ; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                return NULL;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        if (h[i].lowcase_key == sscf->header_lowcase) {
            *table = sc->table;
            return &sc->binding;
        }
    }
}


/*
 * The binding of the TLS connection under the request, looked up once per
 * connection and kept in the SSL object's ex_data, in memory of the client
 * connection's pool (for HTTP/2 the real connection, not the stream's).
 */

static ngx_http_onem2m_sae_conn_t *
ngx_http_onem2m_sae_get_conn(ngx_http_request_t *r)
{
    SSL                         *ssl;
    ngx_connection_t            *c;
    ngx_http_onem2m_sae_conn_t  *sc;

    c = r->connection;

    if (c->ssl == NULL || ngx_http_onem2m_sae_conn_index == -1) {
        return NULL;
    }

    ssl = c->ssl->connection;

    sc = SSL_get_ex_data(ssl, ngx_http_onem2m_sae_conn_index);
    if (sc) {
        return sc;
    }

    /* early data is processed before the handshake proved the key */

    if (!SSL_is_init_finished(ssl)) {
        return NULL;
    }

#if (NGX_HTTP_V2)
    if (r->main->stream) {
        c = r->main->stream->connection->connection;
    }
#endif

    sc = ngx_pcalloc(c->pool, sizeof(ngx_http_onem2m_sae_conn_t));
    if (sc == NULL) {
        return NULL;
    }

    if (ngx_http_onem2m_sae_psk_binding(c, ssl, sc,
            ngx_http_get_module_srv_conf(r, ngx_http_onem2m_sae_module))
        != NGX_OK)
    {
        return NULL;
    }

    if (SSL_set_ex_data(ssl, ngx_http_onem2m_sae_conn_index, sc) == 0) {
        return NULL;
    }

    return sc;
}


/* the PSK binding of the handshake, if any, into sc */

static ngx_int_t
ngx_http_onem2m_sae_psk_binding(ngx_connection_t *c, SSL *ssl,
    ngx_http_onem2m_sae_conn_t *sc, ngx_http_onem2m_sae_srv_conf_t *sscf)
{
    u_char                  *p;
    ngx_int_t                rc;
    const ONEM2M_SAE_ENTRY  *entry;

    entry = ONEM2M_SAE_get_binding(ssl);

    if (entry) {
        rc = ngx_http_onem2m_sae_maf_binding(c, entry, sc, sscf);

        if (rc != NGX_DECLINED) {
            return rc;
        }
    }

    if (entry
        && (!onem2m_text_all_visible(entry->entity, entry->entity_len)
            || entry->entity_len == 0))
    {
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "onem2m sae: entity of psk identity is not printable, "
                      "connection left unbound");
        entry = NULL;
    }

    if (entry) {
        p = ngx_pnalloc(c->pool, sizeof("12-") - 1 + entry->kpsa_id_len);
        if (p == NULL) {
            return NGX_ERROR;
        }

        sc->entry = entry;
        sc->table = ONEM2M_SAE_get_binding_table(ssl);
        sc->binding.method = NGX_HTTP_ONEM2M_SAE_PSK;
        sc->binding.entity_type = entry->entity_type;
        sc->binding.entity.data = (u_char *) entry->entity;
        sc->binding.entity.len = entry->entity_len;
        sc->binding.kpsa_id.data = (u_char *) entry->kpsa_id;
        sc->binding.kpsa_id.len = entry->kpsa_id_len;
        sc->binding.credential_id.data = p;
        sc->binding.credential_id.len =
            ngx_cpymem(ngx_cpymem(p, "12-", 3), entry->kpsa_id,
                       entry->kpsa_id_len)
            - p;
    }

    return NGX_OK;
}


/*
 * A binding whose identity names a MAF of the request's server (the
 * first request's, for the connection): a MAF key, the method "maf" and
 * the Credential-ID of its Key Identifier.  A malformed one (a KpsaID the
 * store holds under a MAF's FQDN) is left unbound, with the reason.
 * NGX_DECLINED: not a MAF's identity.
 */

static ngx_int_t
ngx_http_onem2m_sae_maf_binding(ngx_connection_t *c,
    const ONEM2M_SAE_ENTRY *entry, ngx_http_onem2m_sae_conn_t *sc,
    ngx_http_onem2m_sae_srv_conf_t *sscf)
{
    u_char        *p, *last;
    size_t         len;
    ngx_int_t      rc;
    onem2m_keyid   k;
    u_char         id[NGX_HTTP_ONEM2M_LOG_ID_SIZE];

    rc = ngx_http_onem2m_sae_maf_key(sscf, (const u_char *) entry->kpsa_id,
                                     entry->kpsa_id_len, &k);

    if (rc < 0) {
        return NGX_DECLINED;
    }

    if (rc != ONEM2M_KEYID_OK
        || !onem2m_text_all_visible(entry->entity, entry->entity_len)
        || entry->entity_len == 0)
    {
        last = ngx_http_onem2m_log_id(id, (const u_char *) entry->kpsa_id,
                                      entry->kpsa_id_len);
        ngx_log_error(NGX_LOG_ERR, c->log, 0,
                      "onem2m sae: psk identity %*s names a trusted MAF "
                      "but %s, connection left unbound",
                      last - id, id,
                      rc != ONEM2M_KEYID_OK
                      ? onem2m_keyid_reason(rc)
                      : "its entity is not printable");
        return NGX_OK;
    }

    p = ngx_pnalloc(c->pool, ONEM2M_KEYID_CRED_MAX);
    if (p == NULL) {
        return NGX_ERROR;
    }

    len = onem2m_keyid_credential_id(&k, (char *) p, ONEM2M_KEYID_CRED_MAX);
    if (len == 0) {
        return NGX_ERROR;
    }

    sc->entry = entry;
    sc->table = ONEM2M_SAE_get_binding_table(c->ssl->connection);
    sc->binding.method = NGX_HTTP_ONEM2M_SAE_MAF;
    sc->binding.entity_type = entry->entity_type;
    sc->binding.entity.data = (u_char *) entry->entity;
    sc->binding.entity.len = entry->entity_len;
    sc->binding.kpsa_id.data = (u_char *) entry->kpsa_id;
    sc->binding.kpsa_id.len = entry->kpsa_id_len;
    sc->binding.credential_id.data = p;
    sc->binding.credential_id.len = len;

    return NGX_OK;
}


/*
 * The identity of the client certificate nginx verified, for the SP
 * domain of the request's server.  It binds only if the server's own
 * SSL_CTX (its CA list) verified it: without SNI, or with SNI naming
 * another server, the handshake ran on another server's SSL_CTX, whose
 * CAs the request's server does not trust (nginx answers 421 only when
 * SNI was sent).  A resumed session carries the verification of the
 * SSL_CTX it was made on: nginx's session id context differs between
 * servers with other certificates or CAs, and a resumption without SNI
 * stays on the default server's SSL_CTX.  So one server at most binds a
 * connection's certificate; the identity is copied into the connection's
 * pool once, and earlier requests keep valid pointers.  A certificate
 * that binds nothing is logged once per connection, with the reason.
 */

static ngx_http_onem2m_sae_binding_t *
ngx_http_onem2m_sae_cert_binding(ngx_http_request_t *r,
    ngx_http_onem2m_sae_conn_t *sc, ngx_http_onem2m_sae_srv_conf_t *sscf)
{
    int                               reason;
    u_char                           *entity, *credential_id, *last;
    ngx_connection_t                 *c;
    const ONEM2M_SAE_CERT_IDENTITY   *id;
    u_char                            log_entity[
                                         NGX_HTTP_ONEM2M_LOG_ID_SIZE];

    if (sc->cert_sscf == sscf) {
        return &sc->binding;
    }

    c = r->connection;

    id = ONEM2M_SAE_get_cert_identity(c->ssl->connection,
                                      (const char *) sscf->sp_domain.data,
                                      sscf->sp_domain.len, &reason);

    if (id != NULL && (sscf->ssl_ctx == NULL
                       || SSL_get_SSL_CTX(c->ssl->connection)
                          != sscf->ssl_ctx))
    {
        if (sc->cert_logged) {
            return NULL;
        }

        sc->cert_logged = 1;

        ngx_log_error(NGX_LOG_INFO, c->log, 0,
                      "onem2m sae: client certificate binds nothing: "
                      "verified by the CA list of another server");
        return NULL;
    }

    if (id == NULL) {
        ngx_http_onem2m_sae_cert_unbound(r, sc, reason);
        return NULL;
    }

    if (!onem2m_text_all_visible(id->entity, id->entity_len)) {
        return NULL;
    }

    /* sae_cert.c rewrites its buffers for another SP domain */

    entity = ngx_pnalloc(c->pool, id->entity_len + 1);
    credential_id = ngx_pnalloc(c->pool, id->credential_id_len + 1);

    if (entity == NULL || credential_id == NULL) {
        return NULL;
    }

    ngx_memcpy(entity, id->entity, id->entity_len);
    entity[id->entity_len] = '\0';
    ngx_memcpy(credential_id, id->credential_id, id->credential_id_len);
    credential_id[id->credential_id_len] = '\0';

    sc->binding.method = NGX_HTTP_ONEM2M_SAE_CERT;
    sc->binding.entity_type = id->entity_type;
    sc->binding.entity.data = entity;
    sc->binding.entity.len = id->entity_len;
    ngx_str_null(&sc->binding.kpsa_id);
    sc->binding.credential_id.data = credential_id;
    sc->binding.credential_id.len = id->credential_id_len;
    sc->cert_sscf = sscf;

    ngx_http_onem2m_status_count(r->srv_conf,
                                 SSL_session_reused(c->ssl->connection)
                                 ? NGX_HTTP_ONEM2M_STATUS_RESUMED
                                 : NGX_HTTP_ONEM2M_STATUS_CERT);

    last = ngx_http_onem2m_log_id(log_entity, entity, id->entity_len);

    ngx_log_error(NGX_LOG_INFO, c->log, 0,
                  "onem2m sae: client certificate bound to %*s",
                  last - log_entity, log_entity);

    return &sc->binding;
}


/* why a client certificate binds nothing, once per connection */

static void
ngx_http_onem2m_sae_cert_unbound(ngx_http_request_t *r,
    ngx_http_onem2m_sae_conn_t *sc, int reason)
{
    const char        *why;
    ngx_connection_t  *c;

    c = r->connection;

    if (reason == ONEM2M_SAE_CERT_NO_CERT || sc->cert_logged) {
        return;
    }

    sc->cert_logged = 1;

    switch (reason) {
    case ONEM2M_SAE_CERT_UNVERIFIED:
        why = "not verified";
        break;
    case ONEM2M_SAE_CERT_NO_IDENTITY:
        why = "no AE-ID URI and no CSE-ID dNSName of "
              "\"onem2m_sae_sp_domain\"";
        break;
    case ONEM2M_SAE_CERT_AMBIGUOUS:
        why = "several URIs or identities";
        break;
    case ONEM2M_SAE_CERT_WILDCARD:
        why = "a wildcard name";
        break;
    case ONEM2M_SAE_CERT_STALE:
        /* the session's, verified again under the current CAs, CRLs */
        ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                      "onem2m sae: client certificate binds nothing: "
                      "the resumed session's certificate no longer "
                      "verifies (%s)",
                      X509_verify_cert_error_string(
                          ONEM2M_SAE_get_cert_reverify_result(
                              c->ssl->connection)));
        return;
    default:
        why = "internal error";
        break;
    }

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "onem2m sae: client certificate binds nothing: %s",
                  why);
}

ngx_int_t
ngx_http_onem2m_sae_variable(ngx_http_request_t *r,
    ngx_http_variable_value_t *v, uintptr_t data)
{
    ngx_str_t                      *s;
    ngx_http_onem2m_sae_view_t     *view;
    ngx_http_onem2m_sae_binding_t  *binding;

    view = ngx_http_onem2m_sae_view(r);
    if (view == NULL) {
        return NGX_ERROR;
    }

    binding = view->binding;

    /* unbound: empty strings, as documented */

    if (binding == NULL) {
        s = &ngx_http_onem2m_sae_methods[NGX_HTTP_ONEM2M_SAE_UNBOUND];

    } else {
        switch (data) {

        case NGX_HTTP_ONEM2M_SAE_VAR_ENTITY:
            s = &binding->entity;
            break;

        case NGX_HTTP_ONEM2M_SAE_VAR_KPSA_ID:
            s = &binding->kpsa_id;
            break;

        case NGX_HTTP_ONEM2M_SAE_VAR_CREDENTIAL_ID:
            s = &binding->credential_id;
            break;

        default: /* NGX_HTTP_ONEM2M_SAE_VAR_METHOD */
            s = &ngx_http_onem2m_sae_methods[binding->method];
            break;
        }
    }

    v->len = s->len;
    v->valid = 1;
    v->no_cacheable = 1;
    v->not_found = 0;
    v->data = s->data;

    return NGX_OK;
}
