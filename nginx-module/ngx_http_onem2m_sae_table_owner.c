/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: who may change a key table.
 *
 * The table is read in the master, as root, so that workers never need
 * it; a worker that could write it could still change the keys of the
 * next reload.  "nginx -t" warns, naming the file and what to change,
 * when the table belongs to the user workers run as ("user", or nginx's
 * default when the master runs as root).  Group- and other-writable
 * tables and tables in world-writable directories are the provider's
 * warnings (provider/src/table.c): any server using it gets those.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"


void
ngx_http_onem2m_sae_check_table_owner(ngx_conf_t *cf, ngx_str_t *uri,
    u_char *path, u_char *file, ngx_uint_t line)
{
    ngx_uid_t         user;
    ngx_file_info_t   fi;
    ngx_core_conf_t  *ccf;
    struct passwd    *pwd;

    /* not root: workers keep the master's user, nothing to separate */

    if (geteuid() != 0) {
        return;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cf->cycle->conf_ctx,
                                           ngx_core_module);

    /*
     * "user" comes before "http" in any usual nginx.conf; unset here, it
     * is nginx's default (ngx_core_module_init_conf() does the same).
     */

    if (ccf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        user = ccf->user;

    } else {
        pwd = getpwnam(NGX_USER);
        if (pwd == NULL) {
            return;
        }

        user = pwd->pw_uid;
    }

    /* workers as root: their owner is no boundary */

    if (user == 0 || ngx_file_info(path, &fi) == NGX_FILE_ERROR) {
        return;
    }

    if (fi.st_uid == user) {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "onem2m_sae_psk_table \"%V\": %s is owned by the "
                      "worker user (uid %d), so a compromised worker could "
                      "rewrite the keys; make root its owner "
                      "(chown root:root) in %s:%ui",
                      uri, path, (int) user, file, line);
    }
}
