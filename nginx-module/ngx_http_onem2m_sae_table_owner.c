/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * oneM2M SAE for nginx: who may change a key table, and who can read a
 * live store.
 *
 * The table is read in the master, as root, so that workers never need
 * it; a worker that could write it could still change the keys of the
 * next reload.  "nginx -t" warns, naming the file and what to change,
 * when the table belongs to the user workers run as ("user", or nginx's
 * default when the master runs as root).  Group- and other-writable
 * tables and tables in world-writable directories are the provider's
 * warnings (provider/src/table_open.c): any server using it gets those.
 *
 * A live store is the other way round: every worker opens it, as the
 * workers' user, and an LMDB reader registers in the store's lock file.
 * A worker that cannot exits at once, and nginx runs without workers;
 * so "nginx -t" opens the files as a worker would and refuses the
 * configuration, naming the file, the user and the fix.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>

#include "ngx_http_onem2m_sae.h"


typedef struct {
    ngx_uid_t    uid;
    ngx_gid_t    gid;
    const char  *name;
} ngx_http_onem2m_sae_worker_t;


static ngx_int_t ngx_http_onem2m_sae_worker_user(ngx_conf_t *cf,
    ngx_http_onem2m_sae_worker_t *w);
static ngx_err_t ngx_http_onem2m_sae_probe(ngx_http_onem2m_sae_worker_t *w,
    char *const files[], const int flags[], ngx_uint_t n,
    ngx_uint_t *failed);


void
ngx_http_onem2m_sae_check_table_owner(ngx_conf_t *cf, ngx_str_t *uri,
    u_char *path, u_char *file, ngx_uint_t line)
{
    ngx_file_info_t               fi;
    ngx_http_onem2m_sae_worker_t  w;

    /* workers as root: their owner is no boundary */

    if (ngx_http_onem2m_sae_worker_user(cf, &w) != NGX_OK
        || w.uid == 0
        || ngx_file_info(path, &fi) == NGX_FILE_ERROR)
    {
        return;
    }

    if (fi.st_uid == w.uid) {
        ngx_log_error(NGX_LOG_WARN, cf->log, 0,
                      "onem2m_sae_psk_table \"%V\": %s is owned by the "
                      "worker user (uid %d), so a compromised worker could "
                      "rewrite the keys; make root its owner "
                      "(chown root:root) in %s:%ui",
                      uri, path, (int) w.uid, file, line);
    }
}


ngx_int_t
ngx_http_onem2m_sae_check_store_access(ngx_conf_t *cf, ngx_str_t *uri,
    u_char *path, u_char *file, ngx_uint_t line)
{
    u_char                        *lock, *data;
    ngx_err_t                      err;
    ngx_uint_t                     failed;
    struct group                  *grp;
    const char                    *group;
    ngx_http_onem2m_sae_worker_t   w;
    char                          *files[2];
    int                            flags[2] = { O_RDWR, O_RDONLY };
    u_char                         gid[NGX_INT_T_LEN + 1];

    /* not root: the workers are the master's user, which opened it */

    if (ngx_http_onem2m_sae_worker_user(cf, &w) != NGX_OK || w.uid == 0) {
        return NGX_OK;
    }

    lock = ngx_pnalloc(cf->temp_pool, ngx_strlen(path) + sizeof("/lock.mdb"));
    data = ngx_pnalloc(cf->temp_pool, ngx_strlen(path) + sizeof("/data.mdb"));
    if (lock == NULL || data == NULL) {
        return NGX_ERROR;
    }

    ngx_sprintf(lock, "%s/lock.mdb%Z", path);
    ngx_sprintf(data, "%s/data.mdb%Z", path);
    files[0] = (char *) lock;
    files[1] = (char *) data;

    err = ngx_http_onem2m_sae_probe(&w, files, flags, 2, &failed);

    if (err == 0) {
        return NGX_OK;
    }

    grp = getgrgid(w.gid);
    if (grp != NULL) {
        group = grp->gr_name;

    } else {
        ngx_sprintf(gid, "%ui%Z", (ngx_uint_t) w.gid);
        group = (const char *) gid;
    }

    if (failed >= 2) {
        ngx_log_error(NGX_LOG_EMERG, cf->log, err,
                      "onem2m_sae_psk_table \"%V\": cannot take the "
                      "identity of the workers' user \"%s\" to check the "
                      "live store in %s:%ui", uri, w.name, file, line);
        return NGX_ERROR;
    }

    ngx_log_error(NGX_LOG_EMERG, cf->log, err,
                  "onem2m_sae_psk_table \"%V\": the workers' user \"%s\" "
                  "(uid %d, group \"%s\") cannot open %s for %s, so every "
                  "worker would exit; LMDB readers register in the lock "
                  "file: let the group \"%s\" read the store and write "
                  "its lock file (chgrp -R %s %s; chmod g+rX %s %s; "
                  "chmod g+rw %s), or run onem2m-sync with that group "
                  "(the unit's Group=), in %s:%ui",
                  uri, w.name, (int) w.uid, group, files[failed],
                  failed == 0 ? "reading and writing" : "reading",
                  group, group, path, path, data, lock, file, line);

    return NGX_ERROR;
}


/*
 * The user workers run as when the master runs as root: "user" (it comes
 * before "http" in any usual nginx.conf), else nginx's default, as
 * ngx_core_module_init_conf() sets it.  NGX_DECLINED: not root, or no
 * such user.
 */

static ngx_int_t
ngx_http_onem2m_sae_worker_user(ngx_conf_t *cf,
    ngx_http_onem2m_sae_worker_t *w)
{
    ngx_core_conf_t  *ccf;
    struct passwd    *pwd;
    struct group     *grp;

    if (geteuid() != 0) {
        return NGX_DECLINED;
    }

    ccf = (ngx_core_conf_t *) ngx_get_conf(cf->cycle->conf_ctx,
                                           ngx_core_module);

    if (ccf->user != (ngx_uid_t) NGX_CONF_UNSET_UINT) {
        w->uid = ccf->user;
        w->gid = ccf->group;
        w->name = ccf->username;
        return NGX_OK;
    }

    pwd = getpwnam(NGX_USER);
    if (pwd == NULL) {
        return NGX_DECLINED;
    }

    w->uid = pwd->pw_uid;
    w->name = NGX_USER;

    grp = getgrnam(NGX_GROUP);
    w->gid = grp ? grp->gr_gid : pwd->pw_gid;

    return NGX_OK;
}


/*
 * Opens each file with its flags as a worker would: in a child that takes
 * the workers' identity as ngx_worker_process_init() does (setgid,
 * initgroups, setuid), so that modes, ACLs and the directories on the way
 * all count.  0, or the error and the index of the file that failed in
 * *failed (n: taking the identity failed; n + 1: no child).
 */

static ngx_err_t
ngx_http_onem2m_sae_probe(ngx_http_onem2m_sae_worker_t *w,
    char *const files[], const int flags[], ngx_uint_t n, ngx_uint_t *failed)
{
    int          fd[2], f, status;
    pid_t        pid;
    ngx_uint_t   i;
    ngx_err_t    res[2];

    *failed = n + 1;

    if (pipe(fd) == -1) {
        return ngx_errno;
    }

    pid = fork();

    if (pid == -1) {
        res[1] = ngx_errno;
        close(fd[0]);
        close(fd[1]);
        return res[1];
    }

    if (pid == 0) {
        close(fd[0]);
        res[0] = n;
        res[1] = 0;

        if (setgid(w->gid) == -1
            || initgroups(w->name, w->gid) == -1
            || setuid(w->uid) == -1)
        {
            res[1] = ngx_errno;

        } else {
            for (i = 0; i < n; i++) {
                f = open(files[i], flags[i]);

                if (f == -1) {
                    res[0] = i;
                    res[1] = ngx_errno;
                    break;
                }

                close(f);
            }
        }

        if (write(fd[1], res, sizeof(res)) != sizeof(res)) {
            _exit(1);
        }

        _exit(0);
    }

    close(fd[1]);

    if (read(fd[0], res, sizeof(res)) != sizeof(res)) {
        res[0] = n + 1;
        res[1] = NGX_EINVAL;
    }

    close(fd[0]);

    while (waitpid(pid, &status, 0) == -1 && ngx_errno == NGX_EINTR) {
        /* void */
    }

    *failed = res[0];

    return res[1];
}
