/* SPDX-License-Identifier: BSD-2-Clause */

/*
 * The ceiling of "make bench-tls": the least an nginx module can do to
 * serve TLS-PSK.  One credential, hard-coded (identity 0 of psk_load's
 * generator), a PSK callback that compares the identity and copies the key:
 * no table, no lookup, no binding, no header, no originator check.  OpenSSL
 * serves TLS 1.2 PSK suites and TLS 1.3 external PSKs (SHA-256 suites)
 * through this one legacy callback.  Not a product: never install it.
 */


#include <ngx_config.h>
#include <ngx_core.h>
#include <ngx_http.h>


/* psk_load identity 0 and its key ("psk_load identity 0", "key 0") */
#define BENCH_IDENTITY  "bench0000000@bench.example"
#define BENCH_KEY       "e220a8397b1dcdaf"


static ngx_int_t ngx_http_bench_psk_ceiling_init(ngx_conf_t *cf);


static ngx_http_module_t  ngx_http_bench_psk_ceiling_module_ctx = {
    NULL,                                  /* preconfiguration */
    ngx_http_bench_psk_ceiling_init,       /* postconfiguration */

    NULL,                                  /* create main configuration */
    NULL,                                  /* init main configuration */

    NULL,                                  /* create server configuration */
    NULL,                                  /* merge server configuration */

    NULL,                                  /* create location configuration */
    NULL                                   /* merge location configuration */
};


ngx_module_t  ngx_http_bench_psk_ceiling_module = {
    NGX_MODULE_V1,
    &ngx_http_bench_psk_ceiling_module_ctx, /* module context */
    NULL,                                  /* module directives */
    NGX_HTTP_MODULE,                       /* module type */
    NULL,                                  /* init master */
    NULL,                                  /* init module */
    NULL,                                  /* init process */
    NULL,                                  /* init thread */
    NULL,                                  /* exit thread */
    NULL,                                  /* exit process */
    NULL,                                  /* exit master */
    NGX_MODULE_V1_PADDING
};


static unsigned int
ngx_http_bench_psk_ceiling_cb(SSL *ssl, const char *identity,
    unsigned char *psk, unsigned int max_psk_len)
{
    if (identity == NULL || ngx_strcmp(identity, BENCH_IDENTITY) != 0
        || max_psk_len < sizeof(BENCH_KEY) - 1)
    {
        return 0;
    }

    ngx_memcpy(psk, BENCH_KEY, sizeof(BENCH_KEY) - 1);

    return sizeof(BENCH_KEY) - 1;
}


static ngx_int_t
ngx_http_bench_psk_ceiling_init(ngx_conf_t *cf)
{
    ngx_uint_t                   s;
    ngx_http_ssl_srv_conf_t     *sscf;
    ngx_http_core_srv_conf_t   **cscfp;
    ngx_http_core_main_conf_t   *cmcf;

    cmcf = ngx_http_conf_get_module_main_conf(cf, ngx_http_core_module);
    cscfp = cmcf->servers.elts;

    for (s = 0; s < cmcf->servers.nelts; s++) {
        sscf = ngx_http_conf_get_module_srv_conf(cscfp[s],
                                                 ngx_http_ssl_module);

        if (sscf->ssl.ctx != NULL) {
            SSL_CTX_set_psk_server_callback(sscf->ssl.ctx,
                                            ngx_http_bench_psk_ceiling_cb);
        }
    }

    return NGX_OK;
}
