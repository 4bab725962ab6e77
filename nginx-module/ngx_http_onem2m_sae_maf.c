/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: the front end as Target MAF Client (TS-0003
 * 8.2.2.3).  "onem2m_sae_maf <MAF-FQDN> ...;" names the MAFs a server
 * trusts; a psk_identity "<hex KcID>@<MAF-FQDN>" naming one of them is a
 * MAF key (Kc), looked up in the server's store like any identity, and
 * bound with the method "maf" and the Credential-ID of its Key
 * Identifier.  Identities of other FQDNs stay KpsaIDs.  docs/maf.md.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae_module.h"
#include "common/onem2m_id.h"


/* onem2m_sae_maf <MAF-FQDN> ...; each a host name, several directives add */

char *
ngx_http_onem2m_sae_maf(ngx_conf_t *cf, ngx_command_t *cmd, void *conf)
{
    ngx_http_onem2m_sae_srv_conf_t *sscf = conf;

    ngx_str_t   *value, *maf;
    ngx_uint_t   i, j;

    if (sscf->mafs == NULL) {
        sscf->mafs = ngx_array_create(cf->pool, 2, sizeof(ngx_str_t));
        if (sscf->mafs == NULL) {
            return NGX_CONF_ERROR;
        }

        sscf->maf_file = cf->conf_file->file.name.data;
        sscf->maf_line = cf->conf_file->line;
    }

    value = cf->args->elts;

    for (i = 1; i < cf->args->nelts; i++) {

        if (!onem2m_host_name_valid((const char *) value[i].data,
                                    value[i].len, 0))
        {
            ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                               "\"%V\": \"%V\" is not a MAF-FQDN (a host "
                               "name such as maf.example.net, without "
                               "port, scheme or final dot)",
                               &cmd->name, &value[i]);
            return NGX_CONF_ERROR;
        }

        maf = sscf->mafs->elts;

        for (j = 0; j < sscf->mafs->nelts; j++) {
            if (maf[j].len == value[i].len
                && ngx_strncasecmp(maf[j].data, value[i].data,
                                   value[i].len) == 0)
            {
                ngx_conf_log_error(NGX_LOG_EMERG, cf, 0,
                                   "\"%V\": MAF-FQDN \"%V\" is given twice "
                                   "in this server", &cmd->name, &value[i]);
                return NGX_CONF_ERROR;
            }
        }

        maf = ngx_array_push(sscf->mafs);
        if (maf == NULL) {
            return NGX_CONF_ERROR;
        }

        *maf = value[i];
    }

    return NGX_CONF_OK;
}


/*
 * A server that trusts MAFs looks their keys up in its table: it needs
 * one, and only a live store keeps a key's expirationTime (a text table's
 * MAF keys never expire: said once, at "nginx -t").
 */

ngx_int_t
ngx_http_onem2m_sae_maf_check(ngx_conf_t *cf,
    ngx_http_onem2m_sae_srv_conf_t *sscf)
{
    if (sscf->mafs == NULL) {
        return NGX_OK;
    }

    if (sscf->table_uri.len == 0) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, 0,
                      "\"onem2m_sae_maf\" needs an \"onem2m_sae_psk_table\" "
                      "in its server (MAF keys are looked up there) "
                      "in %s:%ui", sscf->maf_file, sscf->maf_line);
        return NGX_ERROR;
    }

    if (sscf->table != NULL && !ONEM2M_SAE_table_is_live(sscf->table)) {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "\"onem2m_sae_maf\" with the text table \"%V\": its "
                      "entries carry no expirationTime, so MAF keys there "
                      "never expire; a \"kpsa-lmdb:\" store keeps it "
                      "in %s:%ui", &sscf->table_uri, sscf->maf_file,
                      sscf->maf_line);
    }

    return NGX_OK;
}


/*
 * Whether id names a MAF of the server: -1 not (a KpsaID), else the
 * ONEM2M_KEYID_* code of its Key Identifier (0: well formed, *k its
 * parts).  FQDNs compare without case, as host names do.
 */

ngx_int_t
ngx_http_onem2m_sae_maf_key(ngx_http_onem2m_sae_srv_conf_t *sscf,
    const u_char *id, size_t len, onem2m_keyid *k)
{
    int          rc;
    ngx_str_t   *maf;
    ngx_uint_t   i;

    if (sscf->mafs == NULL || id == NULL) {
        return -1;
    }

    rc = onem2m_keyid_parse((const char *) id, len, k);

    if (rc == ONEM2M_KEYID_NO_AT || rc == ONEM2M_KEYID_BAD_FQDN) {
        return -1;
    }

    maf = sscf->mafs->elts;

    for (i = 0; i < sscf->mafs->nelts; i++) {
        if (maf[i].len == k->fqdn_len
            && ngx_strncasecmp(maf[i].data, (u_char *) k->fqdn,
                               k->fqdn_len) == 0)
        {
            return rc;
        }
    }

    return -1;
}
