/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: originator checks at the edge.
 *
 * TS-0003 7.2.1 and TS-0004 7.3.2.1 ask the receiving CSE to check that
 * the From parameter (X-M2M-Origin) of a request matches the entity its
 * security association authenticated.  The CSEs people run take
 * X-M2M-Origin as it comes, so this module does the check in nginx, in
 * front of them, using the binding the SAE module made at handshake time:
 *
 *   session bound to an AE:  From must be its AE-ID-Stem (4106, 4000);
 *                            an AE registration may ask for an ID ("C",
 *                            "S" or no From): refused ("check") or given
 *                            the provisioned AE-ID ("assign");
 *   session bound to a CSE:  it forwards for others, but cannot claim
 *                            another CSE with credentials or this gateway;
 *   no binding:              a credential's entity must come through its
 *                            own association (4106), a CSE-ID needs one
 *                            (4107).
 *
 * The entities with credentials are those of the server's PSK table and
 * those "onem2m_sae_cert_entity" names: a certificate says who its holder
 * is, but only the operator knows which others hold one.
 *
 * Identifiers compare with their case, but where a claim could stand for
 * someone protected (this gateway's CSE-ID, an entity of the list) case
 * variants count as that entity too: DNS names and certificates ignore
 * case, and a CSE behind may as well.
 *
 * The handler runs in the PREACCESS phase after the SAE module's handler
 * (which answers 4107 where SAE is required); it reads the request's view
 * of its binding (ngx_http_onem2m_sae_view()) and nothing else of the SAE
 * module.  Identifiers are read and compared by
 * provider/common/onem2m_id_canon.c; the directives and configuration
 * checks are in ngx_http_onem2m_originator_module.c.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_originator.h"
#include "ngx_http_onem2m_header.h"


/* no X-M2M-Origin, or an empty one */
#define ngx_http_onem2m_origin_absent(h)  ((h) == NULL || (h)->value.len == 0)


static ngx_int_t ngx_http_onem2m_originator_header(ngx_http_request_t *r,
    ngx_http_onem2m_sae_binding_t *binding, ngx_table_elt_t **origin_p);
static ngx_int_t ngx_http_onem2m_originator_ae(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_uint_t mode,
    ngx_http_onem2m_sae_binding_t *binding, ngx_table_elt_t *origin,
    ngx_uint_t registration);
static ngx_int_t ngx_http_onem2m_originator_cse(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf,
    ngx_http_onem2m_sae_view_t *view, ngx_table_elt_t *origin,
    ngx_uint_t registration);
static ngx_int_t ngx_http_onem2m_originator_unbound(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf,
    ngx_http_onem2m_sae_view_t *view, ngx_table_elt_t *origin,
    ngx_uint_t registration);
static ngx_int_t ngx_http_onem2m_originator_claim(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_str_t *entity,
    ngx_table_elt_t *origin, ngx_uint_t registration, onem2m_canon *claim);
static ngx_int_t ngx_http_onem2m_originator_assign(ngx_http_request_t *r,
    ngx_table_elt_t *origin, ngx_str_t *entity, ngx_str_t *id);
static ngx_int_t ngx_http_onem2m_originator_refuse(ngx_http_request_t *r,
    ngx_uint_t rsc, ngx_str_t *entity, ngx_table_elt_t *origin,
    const char *reason, ngx_str_t *expected);
static ngx_uint_t ngx_http_onem2m_originator_is_registration(
    ngx_http_request_t *r);
static ngx_uint_t ngx_http_onem2m_originator_credential(
    ngx_http_request_t *r, ngx_http_onem2m_sae_view_t *view,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_str_t *claim,
    onem2m_canon *id, ngx_str_t *entity);
static ngx_uint_t ngx_http_onem2m_originator_cert_credential(
    ngx_http_onem2m_originator_srv_conf_t *oscf, onem2m_canon *id,
    ngx_str_t *entity);
static int ngx_http_onem2m_originator_find(ONEM2M_SAE_TABLE *table,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_str_t *claim,
    onem2m_canon *id, ONEM2M_SAE_LOOKUP *lk);
static onem2m_canon *ngx_http_onem2m_originator_bound(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf,
    ngx_http_onem2m_sae_binding_t *binding, onem2m_canon *tmp);
static void ngx_http_onem2m_originator_parse(
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_str_t *in,
    onem2m_canon *id);


static ngx_str_t  ngx_http_onem2m_origin_key = ngx_string("X-M2M-Origin");
static ngx_str_t  ngx_http_onem2m_origin_lowcase = ngx_string("x-m2m-origin");
static ngx_str_t  ngx_http_onem2m_unbound = ngx_string("-");


ngx_int_t
ngx_http_onem2m_originator_handler(ngx_http_request_t *r)
{
    ngx_int_t                               rc;
    ngx_uint_t                              registration;
    ngx_table_elt_t                        *origin;
    ngx_http_onem2m_sae_view_t             *view;
    ngx_http_onem2m_originator_srv_conf_t  *oscf;
    ngx_http_onem2m_originator_loc_conf_t  *olcf;

    olcf = ngx_http_get_module_loc_conf(r, ngx_http_onem2m_originator_module);

    /*
     * Subrequests too (SSI, auth_request): they carry the main request's
     * headers to a location whose mode may differ from the main one's.
     */

    if (olcf->mode == NGX_HTTP_ONEM2M_ORIGINATOR_OFF) {
        return NGX_DECLINED;
    }

    oscf = ngx_http_get_module_srv_conf(r, ngx_http_onem2m_originator_module);

    /* what the SAE module knows of the request: read here, nothing else */

    view = ngx_http_onem2m_sae_view(r);
    if (view == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    if (view->methods == 0) {
        /* "nginx -t" refuses this; never let a request through unchecked */
        ngx_log_error(NGX_LOG_ALERT, r->connection->log, 0,
                      "onem2m originator: no security association on "
                      "this server");
        return ngx_http_onem2m_send_error(r,
                                   NGX_HTTP_ONEM2M_INTERNAL_SERVER_ERROR,
                                   "originator check without security "
                                   "association");
    }

    /* NGX_DECLINED: the headers can be checked; else the refusal's */

    origin = NULL;

    rc = ngx_http_onem2m_originator_header(r, view->binding, &origin);
    if (rc != NGX_DECLINED) {
        return rc;
    }

    registration = ngx_http_onem2m_originator_is_registration(r);

    if (view->binding == NULL) {
        ngx_log_debug1(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "onem2m originator: unbound request checked%s",
                       registration ? " (AE registration)" : "");
        return ngx_http_onem2m_originator_unbound(r, oscf, view, origin,
                                                  registration);
    }

    if (view->binding->entity_type == ONEM2M_SAE_ENTITY_CSE) {
        ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                       "onem2m originator: request of CSE \"%V\" "
                       "checked%s", &view->binding->entity,
                       registration ? " (AE registration)" : "");
        return ngx_http_onem2m_originator_cse(r, oscf, view, origin,
                                              registration);
    }

    ngx_log_debug2(NGX_LOG_DEBUG_HTTP, r->connection->log, 0,
                   "onem2m originator: request of AE \"%V\" checked%s",
                   &view->binding->entity,
                   registration ? " (AE registration)" : "");

    return ngx_http_onem2m_originator_ae(r, oscf, olcf->mode, view->binding,
                                         origin, registration);
}


/*
 * The X-M2M-Origin of the request in *origin (NULL when none): refused
 * when spelt as an alias, sent twice, too long or not printable.
 */

static ngx_int_t
ngx_http_onem2m_originator_header(ngx_http_request_t *r,
    ngx_http_onem2m_sae_binding_t *binding, ngx_table_elt_t **origin_p)
{
    ngx_uint_t        i, n;
    const char       *why;
    ngx_list_part_t  *part;
    ngx_table_elt_t  *h, *origin, *alias;

    /*
     * Every copy of the header, whatever the case of its name.  Spelt with
     * "_" or "." it is an alias that FastCGI, uwsgi, SCGI or PHP merge with
     * the real one: refused, since the CSE may read either.
     */

    origin = NULL;
    alias = NULL;
    n = 0;

    part = &r->headers_in.headers.part;
    h = part->elts;

    for (i = 0; /* void */; i++) {

        if (i >= part->nelts) {
            if (part->next == NULL) {
                break;
            }

            part = part->next;
            h = part->elts;
            i = 0;
        }

        switch (ngx_http_onem2m_header_match(&h[i].key,
                                             &ngx_http_onem2m_origin_key))
        {
        case NGX_HTTP_ONEM2M_HEADER_SAME:
            origin = &h[i];
            n++;
            break;

        case NGX_HTTP_ONEM2M_HEADER_ALIAS:
            alias = &h[i];
            break;

        default: /* NGX_HTTP_ONEM2M_HEADER_OTHER */
            break;
        }
    }

    why = NULL;

    if (alias != NULL) {
        why = "X-M2M-Origin spelt with \"_\" or \".\"";
        origin = alias;

    } else if (n > 1) {
        why = "more than one X-M2M-Origin header";

    } else if (origin != NULL
               && origin->value.len > NGX_HTTP_ONEM2M_ORIGINATOR_MAX_LEN)
    {
        why = "X-M2M-Origin longer than 255 bytes";

    } else if (origin != NULL
               && !onem2m_text_all_visible(origin->value.data,
                                           origin->value.len))
    {
        why = "X-M2M-Origin with a character that is not printable ASCII";
    }

    if (why != NULL) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_BAD_REQUEST,
                   binding ? &binding->entity : NULL, origin, why, NULL);
    }

    *origin_p = origin;

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_onem2m_originator_ae(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_uint_t mode,
    ngx_http_onem2m_sae_binding_t *binding, ngx_table_elt_t *origin,
    ngx_uint_t registration)
{
    ngx_str_t      *expected, local;
    onem2m_canon    claim, tmp, *bound;

    /*
     * An AE-ID certificate names its SP, and a CA this server trusts may
     * sign for several: an AE of another SP does not act here.
     */

    if (binding->method == NGX_HTTP_ONEM2M_SAE_CERT
        && onem2m_canon_other_sp((const char *) binding->entity.data,
                                 binding->entity.len, &oscf->gateway))
    {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED,
                   &binding->entity, origin,
                   "AE-ID certificate of another SP", NULL);
    }

    bound = ngx_http_onem2m_originator_bound(r, oscf, binding, &tmp);

    /* a registree AE of this CSE must use its AE-ID-Stem */
    local.data = (u_char *) bound->canonical;
    local.len = bound->canonical_len;
    expected = bound->local ? &local : &binding->entity;

    if (ngx_http_onem2m_origin_absent(origin)
        || onem2m_canon_request_for_id((const char *) origin->value.data,
                                       origin->value.len))
    {
        if (!registration) {
            if (ngx_http_onem2m_origin_absent(origin)) {
                return ngx_http_onem2m_originator_refuse(r,
                           NGX_HTTP_ONEM2M_BAD_REQUEST, &binding->entity,
                           NULL, "X-M2M-Origin missing", NULL);
            }

            return ngx_http_onem2m_originator_refuse(r,
                       NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED,
                       &binding->entity, origin,
                       "originator is not the authenticated AE", expected);
        }

        if (mode == NGX_HTTP_ONEM2M_ORIGINATOR_CHECK) {
            return ngx_http_onem2m_originator_refuse(r,
                       NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED,
                       &binding->entity, origin,
                       "AE registration must use the provisioned AE-ID",
                       expected);
        }

        return ngx_http_onem2m_originator_assign(r, origin, &binding->entity,
                                                 expected);
    }

    /*
     * The common case: the very form expected (its stem, for a registree),
     * which reads as the bound entity itself, with no parse per request.
     */

    if (bound->kind != ONEM2M_CANON_OTHER
        && origin->value.len == expected->len
        && ngx_memcmp(origin->value.data, expected->data, expected->len) == 0)
    {
        return NGX_DECLINED;
    }

    ngx_http_onem2m_originator_parse(oscf, &origin->value, &claim);

    if (!onem2m_canon_equal(&claim, bound, 0)) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED,
                   &binding->entity, origin,
                   "originator is not the authenticated AE", expected);
    }

    if (bound->local && !claim.stem_form) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_BAD_REQUEST, &binding->entity, origin,
                   "a registree AE must use its AE-ID-Stem", expected);
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_onem2m_originator_cse(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf,
    ngx_http_onem2m_sae_view_t *view, ngx_table_elt_t *origin,
    ngx_uint_t registration)
{
    ngx_int_t                       rc;
    ngx_str_t                       entity;
    ngx_uint_t                      type;
    onem2m_canon                    claim, tmp, other, *bound;
    ngx_http_onem2m_sae_binding_t  *binding;

    binding = view->binding;

    rc = ngx_http_onem2m_originator_claim(r, oscf, &binding->entity, origin,
                                          registration, &claim);
    if (rc != NGX_OK) {
        return rc;
    }

    bound = ngx_http_onem2m_originator_bound(r, oscf, binding, &tmp);

    if (onem2m_canon_equal(&claim, bound, 0)) {
        return NGX_DECLINED;
    }

    /*
     * A CSE forwards for others, but is neither this gateway ... in any
     * case: DNS names and certificates ignore it, a CSE behind may too.
     */

    if (onem2m_canon_is_gateway(&claim, &oscf->gateway)) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED,
                   &binding->entity, origin,
                   "originator is the CSE-ID of this gateway", NULL);
    }

    /* ... nor another CSE that has credentials of its own */

    type = ngx_http_onem2m_originator_credential(r, view, oscf,
                                                 &origin->value,
                                                 &claim, &entity);

    if (type == ONEM2M_SAE_ENTITY_CSE) {

        ngx_http_onem2m_originator_parse(oscf, &entity, &other);

        if (!onem2m_canon_equal(&other, bound, 0)) {
            return ngx_http_onem2m_originator_refuse(r,
                       NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED,
                       &binding->entity, origin,
                       "originator is another CSE with its own "
                       "security association", NULL);
        }
    }

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_onem2m_originator_unbound(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf,
    ngx_http_onem2m_sae_view_t *view, ngx_table_elt_t *origin,
    ngx_uint_t registration)
{
    ngx_int_t      rc;
    ngx_str_t      entity;
    ngx_uint_t     type;
    onem2m_canon   claim;

    rc = ngx_http_onem2m_originator_claim(r, oscf, NULL, origin,
                                          registration, &claim);
    if (rc != NGX_OK) {
        return rc;
    }

    type = ngx_http_onem2m_originator_credential(r, view, oscf,
                                                 &origin->value,
                                                 &claim, &entity);

    if (claim.kind == ONEM2M_CANON_CSE
        || type == ONEM2M_SAE_ENTITY_CSE
        || onem2m_canon_is_gateway(&claim, &oscf->gateway))
    {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_SECURITY_ASSOCIATION_REQUIRED, NULL,
                   origin, "a CSE-ID needs a security association", NULL);
    }

    if (type != 0) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_ORIGINATOR_NOT_AUTHENTICATED, NULL,
                   origin, "originator has credentials and must use "
                   "its own security association", NULL);
    }

    return NGX_DECLINED;
}


/*
 * The X-M2M-Origin of a CSE's or an unbound client's request, read into
 * *claim: NGX_OK to check it, NGX_DECLINED for a registration without
 * one, or the refusal of a missing or unreadable one (entity: the bound
 * one, or NULL).
 */

static ngx_int_t
ngx_http_onem2m_originator_claim(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_str_t *entity,
    ngx_table_elt_t *origin, ngx_uint_t registration, onem2m_canon *claim)
{
    if (ngx_http_onem2m_origin_absent(origin)) {
        if (registration) {
            return NGX_DECLINED;
        }

        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_BAD_REQUEST, entity, NULL,
                   "X-M2M-Origin missing", NULL);
    }

    ngx_http_onem2m_originator_parse(oscf, &origin->value, claim);

    /* what cannot be read cannot be checked: never forwarded */

    if (claim->kind == ONEM2M_CANON_OTHER) {
        return ngx_http_onem2m_originator_refuse(r,
                   NGX_HTTP_ONEM2M_BAD_REQUEST, entity, origin,
                   "X-M2M-Origin is neither an AE-ID nor a CSE-ID", NULL);
    }

    return NGX_OK;
}


/*
 * "assign": the AE registration carries the provisioned AE-ID to the CSE,
 * in the header list that proxy_pass, fastcgi_pass, ... forward.
 */

static ngx_int_t
ngx_http_onem2m_originator_assign(ngx_http_request_t *r,
    ngx_table_elt_t *origin, ngx_str_t *entity, ngx_str_t *id)
{
    u_char  *value;

    value = ngx_pnalloc(r->pool, id->len + 1);
    if (value == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    ngx_memcpy(value, id->data, id->len);
    value[id->len] = '\0';

    if (origin == NULL) {
        origin = ngx_list_push(&r->headers_in.headers);
        if (origin == NULL) {
            return NGX_HTTP_INTERNAL_SERVER_ERROR;
        }
    }

    /* the name too: the client may have written it in another case */

    origin->key = ngx_http_onem2m_origin_key;
    origin->lowcase_key = ngx_http_onem2m_origin_lowcase.data;
    origin->hash = ngx_hash_key(ngx_http_onem2m_origin_lowcase.data,
                                ngx_http_onem2m_origin_lowcase.len);
    origin->value.data = value;
    origin->value.len = id->len;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "onem2m originator: AE registration of \"%V\" "
                  "assigned X-M2M-Origin \"%V\"", entity, id);

    return NGX_DECLINED;
}


static ngx_int_t
ngx_http_onem2m_originator_refuse(ngx_http_request_t *r, ngx_uint_t rsc,
    ngx_str_t *entity, ngx_table_elt_t *origin, const char *reason,
    ngx_str_t *expected)
{
    u_char  *dbg, *p, *last, claim[NGX_HTTP_ONEM2M_LOG_ID_SIZE];
    size_t   len, size;

    len = (origin != NULL)
          ? ngx_http_onem2m_log_id(claim, origin->value.data,
                                   origin->value.len) - claim
          : ngx_http_onem2m_log_id(claim, NULL, 0) - claim;

    ngx_log_error(NGX_LOG_INFO, r->connection->log, 0,
                  "onem2m originator: entity \"%V\" originator %*s "
                  "refused with %ui: %s",
                  entity ? entity : &ngx_http_onem2m_unbound,
                  len, claim, rsc, reason);

    /*
     * The debug text names the expected originator (the client's own,
     * authenticated identity), never the claim: nothing the client sent
     * is reflected.
     */

    if (expected == NULL) {
        return ngx_http_onem2m_send_error(r, rsc, reason);
    }

    size = ngx_strlen(reason) + sizeof(", expected ") - 1
           + expected->len + 1;

    dbg = ngx_pnalloc(r->pool, size);
    if (dbg == NULL) {
        return NGX_HTTP_INTERNAL_SERVER_ERROR;
    }

    last = dbg + size;
    p = ngx_slprintf(dbg, last - 1, "%s, expected %V", reason, expected);
    *p = '\0';

    return ngx_http_onem2m_send_error(r, rsc, (const char *) dbg);
}


/* CREATE <AE>: POST with "ty=2" among the parameters of Content-Type */

static ngx_uint_t
ngx_http_onem2m_originator_is_registration(ngx_http_request_t *r)
{
    u_char  *p, *last;

    if (r->method != NGX_HTTP_POST || r->headers_in.content_type == NULL) {
        return 0;
    }

    p = r->headers_in.content_type->value.data;
    last = p + r->headers_in.content_type->value.len;

    for ( ;; ) {

        while (p < last && *p != ';') {
            p++;
        }

        if (p == last) {
            return 0;
        }

        p++;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (last - p < 2 || ngx_strncasecmp(p, (u_char *) "ty", 2) != 0) {
            continue;
        }

        p += 2;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last || *p != '=') {
            continue;
        }

        p++;

        while (p < last && (*p == ' ' || *p == '\t')) {
            p++;
        }

        if (p == last || *p != '2') {
            continue;
        }

        p++;

        if (p == last || *p == ';' || *p == ' ' || *p == '\t') {
            return 1;
        }
    }
}


/*
 * Whether the claimed originator holds credentials of its own: an entity
 * of the server's PSK table, or one "onem2m_sae_cert_entity" names (the
 * list is short: CSEs and the odd AE with certificates).  Returns its
 * ONEM2M_SAE_ENTITY_* type and its identifier as provisioned, or 0.
 *
 * A live store's lookup lives on this stack: the entity is copied into
 * the request's pool.  A store that fails the lookup counts as a CSE
 * holding the claim: refused, fail closed.
 */

static ngx_uint_t
ngx_http_onem2m_originator_credential(ngx_http_request_t *r,
    ngx_http_onem2m_sae_view_t *view,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_str_t *claim,
    onem2m_canon *id, ngx_str_t *entity)
{
    int                rc;
    ngx_uint_t         type;
    ONEM2M_SAE_LOOKUP  lk;

    ngx_memzero(&lk, sizeof(ONEM2M_SAE_LOOKUP));

    rc = ngx_http_onem2m_originator_find(view->table, oscf, claim, id, &lk);

    if (rc < 0) {
        ngx_log_error(NGX_LOG_ERR, r->connection->log, 0,
                      "onem2m originator: the psk table failed a lookup");
        *entity = *claim;
        type = ONEM2M_SAE_ENTITY_CSE;

    } else if (rc == 0) {
        type = ngx_http_onem2m_originator_cert_credential(oscf, id, entity);

    } else {
        type = lk.entry.entity_type;
        entity->len = lk.entry.entity_len;
        entity->data = ngx_pnalloc(r->pool, entity->len);

        if (entity->data == NULL) {
            entity->len = 0;
            type = ONEM2M_SAE_ENTITY_CSE;

        } else {
            ngx_memcpy(entity->data, lk.entry.entity, entity->len);
        }
    }

    ONEM2M_SAE_lookup_cleanse(&lk);

    return type;
}


/*
 * The "onem2m_sae_cert_entity" entity the claim stands for, in any case,
 * like the gateway's own CSE-ID: its type and identifier as listed, or 0.
 */

static ngx_uint_t
ngx_http_onem2m_originator_cert_credential(
    ngx_http_onem2m_originator_srv_conf_t *oscf, onem2m_canon *id,
    ngx_str_t *entity)
{
    ngx_uint_t     i;
    onem2m_canon  *listed;

    if (oscf->cert_ids == NULL) {
        return 0;
    }

    /*
     * The CSE reading first: "/Sx" listed and "//<SP-ID>/Sx" claimed may
     * both be the CSE "Sx", which no one else may claim.
     */

    listed = oscf->cert_ids->elts;

    for (i = 0; i < oscf->cert_ids->nelts; i++) {
        if (listed[i].cse_len != 0 && id->cse_len != 0
            && onem2m_canon_same(listed[i].cse, listed[i].cse_len,
                                 id->cse, id->cse_len, 1))
        {
            entity->data = (u_char *) listed[i].cse;
            entity->len = listed[i].cse_len;
            return ONEM2M_SAE_ENTITY_CSE;
        }
    }

    for (i = 0; i < oscf->cert_ids->nelts; i++) {
        if (listed[i].kind == ONEM2M_CANON_AE
            && onem2m_canon_equal(&listed[i], id, 1))
        {
            entity->data = (u_char *) listed[i].canonical;
            entity->len = listed[i].canonical_len;
            return ONEM2M_SAE_ENTITY_AE;
        }
    }

    return 0;
}


/*
 * The table entry whose entity is the claimed originator, in whichever
 * form the table stores it: the claim as written, and the stem,
 * SP-relative and absolute forms of the same entity.  1: found (in *lk),
 * 0: none, -1: the store failed.
 */

static int
ngx_http_onem2m_originator_find(ONEM2M_SAE_TABLE *table,
    ngx_http_onem2m_originator_srv_conf_t *oscf, ngx_str_t *claim,
    onem2m_canon *id, ONEM2M_SAE_LOOKUP *lk)
{
    int                 rc;
    char                buf[ONEM2M_CANON_FORMS * ONEM2M_CANON_FORM_LEN];
    size_t              i, n;
    onem2m_canon_form   form[ONEM2M_CANON_FORMS];

    if (table == NULL) {
        return 0;
    }

    rc = ONEM2M_SAE_table_get_entity(table, (const char *) claim->data,
                                     claim->len, lk);
    if (rc != 0) {
        return rc;
    }

    n = onem2m_canon_forms(id, &oscf->gateway, buf, sizeof(buf), form);

    for (i = 0; i < n; i++) {
        rc = ONEM2M_SAE_table_get_entity(table, form[i].data, form[i].len,
                                         lk);
        if (rc != 0) {
            return rc;
        }
    }

    return 0;
}


/* an identifier read with the server's CSE-ID and SP-ID */

/*
 * The bound entity read for the server's gateway: kept on the binding, so
 * that a connection's keep-alive requests read it once.  The reading
 * points into binding->entity, which lives as long as the connection; it
 * is read again when the entity or the server (another Host) changes.
 * Without memory for it, into *tmp.
 */

typedef struct {
    ngx_http_onem2m_originator_srv_conf_t  *oscf;
    u_char                                 *entity;
    size_t                                  entity_len;
    onem2m_canon                            canon;
} ngx_http_onem2m_originator_bound_t;


static onem2m_canon *
ngx_http_onem2m_originator_bound(ngx_http_request_t *r,
    ngx_http_onem2m_originator_srv_conf_t *oscf,
    ngx_http_onem2m_sae_binding_t *binding, onem2m_canon *tmp)
{
    ngx_http_onem2m_originator_bound_t  *b;

    b = binding->originator;

    if (b != NULL && b->oscf == oscf && b->entity == binding->entity.data
        && b->entity_len == binding->entity.len)
    {
        return &b->canon;
    }

    if (b == NULL) {
        b = ngx_palloc(r->connection->pool,
                       sizeof(ngx_http_onem2m_originator_bound_t));
        if (b == NULL) {
            ngx_http_onem2m_originator_parse(oscf, &binding->entity, tmp);
            return tmp;
        }

        binding->originator = b;
    }

    ngx_http_onem2m_originator_parse(oscf, &binding->entity, &b->canon);
    b->oscf = oscf;
    b->entity = binding->entity.data;
    b->entity_len = binding->entity.len;

    return &b->canon;
}


static void
ngx_http_onem2m_originator_parse(ngx_http_onem2m_originator_srv_conf_t *oscf,
    ngx_str_t *in, onem2m_canon *id)
{
    onem2m_canon_parse((const char *) in->data, in->len, &oscf->gateway, id);
}
