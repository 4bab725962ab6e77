/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * nginx.conf from a template: placeholders, the preambles, finding a
 * line (for file:line messages).
 */

#define _GNU_SOURCE

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/harness_internal.h"

static void
expand(harness_nginx *ng, harness_buf *b, const char *t)
{
    const char  *p;

    while ((p = strstr(t, "{{")) != NULL) {
        harness_buf_add(b, t, (size_t) (p - t));
        if (strncmp(p, "{{PREFIX}}", 10) == 0) {
            harness_buf_str(b, ng->prefix);
        } else if (strncmp(p, "{{PORT}}", 8) == 0
                   || strncmp(p, "{{PORT0}}", 9) == 0)
        {
            harness_buf_fmt(b, "%d", ng->port[0]);
        } else if (strncmp(p, "{{PORT1}}", 9) == 0) {
            harness_buf_fmt(b, "%d", ng->port[1]);
        } else if (strncmp(p, "{{UPSTREAM}}", 12) == 0) {
            /* no upstream given: the discard port keeps the config valid */
            harness_buf_fmt(b, "%d",
                            ng->upstream_port ? ng->upstream_port : 9);
        } else if (strncmp(p, "{{MODULE}}", 10) == 0) {
            harness_buf_str(b, harness_module_so());
        } else if (strncmp(p, "{{PROVIDER_DIR}}", 16) == 0) {
            harness_buf_str(b, harness_provider_dir());
        } else if (strncmp(p, "{{CERT}}", 8) == 0) {
            harness_buf_fmt(b, "ssl_certificate %s/cert.pem; "
                    "ssl_certificate_key %s/cert.key;",
                    ng->prefix, ng->prefix);
        } else {
            harness_buf_add(b, p, 2);
            t = p + 2;
            continue;
        }
        t = strstr(p, "}}") + 2;
    }
    harness_buf_str(b, t);
}

int
harness_nginx_config_raw(harness_nginx *ng, const char *template)
{
    harness_buf  b = { NULL, 0, 0 };
    int          rc;

    harness_buf_add(&b, "", 0);
    expand(ng, &b, template);
    rc = harness_nginx_write_file(ng, "nginx.conf", b.data, 0644);
    free(b.data);
    return rc;
}

int
harness_nginx_config(harness_nginx *ng, const char *http_template)
{
    harness_buf  b = { NULL, 0, 0 };
    int          rc;

    harness_buf_add(&b, "", 0);
    harness_buf_fmt(&b,
        "load_module %s;\n"
        "daemon off;\n"
        "master_process %s;\n"
        "worker_processes %d;\n"
        "pid {{PREFIX}}/nginx.pid;\n"
        "error_log {{PREFIX}}/error.log info;\n"
        "events { worker_connections 128; }\n"
        "http {\n"
        "    onem2m_sae_provider_path %s;\n"
        "    access_log off;\n"
        "    client_body_temp_path {{PREFIX}}/body;\n"
        "    proxy_temp_path {{PREFIX}}/proxy;\n"
        "    fastcgi_temp_path {{PREFIX}}/fastcgi;\n"
        "    uwsgi_temp_path {{PREFIX}}/uwsgi;\n"
        "    scgi_temp_path {{PREFIX}}/scgi;\n",
        harness_module_so(), ng->master ? "on" : "off", ng->workers,
        harness_provider_dir());
    harness_buf_str(&b, http_template);
    harness_buf_str(&b, "}\n");
    rc = harness_nginx_config_raw(ng, b.data);
    free(b.data);
    return rc;
}

int
harness_nginx_conf_line(harness_nginx *ng, const char *needle)
{
    char  *text = harness_read_file(ng->conf, NULL), *p, *hit;
    int    line = 1;

    hit = strstr(text, needle);
    if (hit == NULL) {
        free(text);
        return -1;
    }
    for (p = text; p < hit; p++) {
        if (*p == '\n') {
            line++;
        }
    }
    free(text);
    return line;
}

/* argv for nginx with the wrapper in front; strings are malloc'd */
