/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * A front end of the fleet on one machine: nginx with the module reading
 * its own LMDB store live, and the node's onem2m-sync filling that store
 * from the shared PostgreSQL source.
 */

#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "check_cases.h"
#include "fleet.h"

#define FLEET_PSK_CIPHERS  "PSK-AES128-CBC-SHA256:PSK-AES128-GCM-SHA256"
#define NODE_WAIT_MS       10000

/* %s: the caller's further server directives */
static const char  *node_conf =
    "server {\n"
    "    listen 127.0.0.1:{{PORT}} ssl;\n"
    "    {{CERT}}\n"
    "    ssl_protocols TLSv1.2 TLSv1.3;\n"
    "    ssl_ciphers " FLEET_PSK_CIPHERS ";\n"
    "    onem2m_sae_psk_table kpsa-lmdb:{{PREFIX}}/store;\n"
    "    onem2m_sae_kek_file {{PREFIX}}/kek;\n"
    "    %s\n"
    "    location / { proxy_pass http://127.0.0.1:{{UPSTREAM}}; }\n"
    "}\n";

/*
 * the store's directory and files, the workers' to read and lock: their
 * user is nginx's built-in default, nobody, when the master runs as root
 */
static int
make_store(const char *dir)
{
    static const char  *files[] = { "data.mdb", "lock.mdb" };
    struct passwd      *pw = getpwnam("nobody");
    char                path[PATH_MAX + 16];
    size_t              i;
    FILE               *f;

    if (mkdir(dir, 0755) != 0) {
        return -1;
    }

    for (i = 0; i < CK_N(files); i++) {
        snprintf(path, sizeof(path), "%s/%s", dir, files[i]);
        f = fopen(path, "w");
        if (f == NULL || fclose(f) != 0 || chmod(path, 0664) != 0) {
            return -1;
        }
        if (pw != NULL && geteuid() == 0
            && chown(path, pw->pw_uid, pw->pw_gid) != 0)
        {
            return -1;
        }
    }

    return 0;
}

int
fleet_node_start(fleet_node *n, const fleet_pg *pg, harness_upstream *up,
    const char *sync_arg, const char *conf)
{
    char    hex[2 * KPSA_KEK_LEN + 2], text[1024];
    size_t  i;

    memset(n, 0, sizeof(*n));
    n->ng = harness_nginx_new();

    if (n->ng == NULL) {
        return -1;
    }

    for (i = 0; i < KPSA_KEK_LEN; i++) {
        snprintf(hex + 2 * i, 3, "%02x", fleet_kek[i]);
    }
    hex[2 * KPSA_KEK_LEN] = '\n';
    hex[2 * KPSA_KEK_LEN + 1] = '\0';

    snprintf(n->store, sizeof(n->store), "%s/store",
             harness_nginx_prefix(n->ng));

    if (harness_nginx_write_file(n->ng, "kek", hex, 0600) != 0
        || make_store(n->store) != 0
        || fleet_sync_start(&n->sync, pg, n->store, sync_arg) != 0
        || fleet_sync_log_wait(&n->sync, "full resync done", NODE_WAIT_MS)
           != 0)
    {
        return -1;
    }

    if (up == NULL) {
        return 0;               /* the store and its daemon only */
    }

    harness_nginx_set_upstream(n->ng, up);

    snprintf(text, sizeof(text), node_conf, conf != NULL ? conf : "");

    if (harness_nginx_config(n->ng, text) != 0
        || harness_nginx_start(n->ng) != 0)
    {
        return -1;
    }

    n->port = harness_nginx_port(n->ng, 0);
    return 0;
}

void
fleet_node_stop(fleet_node *n)
{
    if (n->sync.pid > 0) {
        fleet_sync_stop(&n->sync, SIGTERM);
    }

    if (n->ng != NULL) {
        if (n->port != 0) {
            harness_nginx_stop(n->ng);
        }
        harness_nginx_free(n->ng);
        n->ng = NULL;
    }
}

int
fleet_node_handshake(const fleet_node *n, const char *kpsa_id,
    const char *key_hex)
{
    unsigned char       key[KPSA_MAX_KEY_LEN];
    harness_tls_opts    opts;
    harness_tls_result  res;
    harness_conn       *c;
    int                 len;

    len = harness_unhex(key_hex, key, sizeof(key));

    if (len <= 0) {
        return 0;
    }

    memset(&opts, 0, sizeof(opts));
    opts.version = TLS1_2_VERSION;
    opts.ciphers = "PSK-AES128-CBC-SHA256";
    opts.identity = kpsa_id;
    opts.key = key;
    opts.key_len = (size_t) len;

    c = harness_tls_connect(n->port, &opts, &res);
    harness_tls_result_free(&res);

    if (c == NULL) {
        return 0;
    }

    harness_conn_close(c);
    return 1;
}
