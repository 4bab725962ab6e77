/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the in-memory handshake suites of the TLS-PSK hook share
 * (check_hook.c, check_hook_resume.c, check_hook_sni.c; hook_fixture.c):
 * the tables and keys, the server context as nginx builds one with the
 * hook installed, the PSK client, the event log and its assertions.
 */

#ifndef ONEM2M_TEST_HOOK_FIXTURE_H
#define ONEM2M_TEST_HOOK_FIXTURE_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <fcntl.h>
#include <poll.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <check.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>
#include <onem2m_sae.h>
#include "check_cases.h"
#include "hook/tls_pair.h"

#define LOCK1_ID      "AE123456789012-Lock@in.provider.com"
#define LOCK1_ENTITY  "Clock-AE1"
#define LOCK2_ID      "AE123456789015-Lock@in.provider.com"
#define ZERO_ID       "zero-key@in.provider.com"
#define B1_ID         "B1-Lock@b.provider.com"
#define B1_ENTITY     "Cdoor-B1"
#define UNKNOWN_ID    "AE999999999999-Lock@in.provider.com"

#define SHA256_SUITES "TLS_AES_128_GCM_SHA256:TLS_AES_256_GCM_SHA384"
#define SHA384_SUITES "TLS_AES_256_GCM_SHA384:TLS_AES_128_GCM_SHA256"

#define MAX_EVENTS    16

/* what the server's event callback saw */
typedef struct {
    int                       n;
    int                       event[MAX_EVENTS];
    char                      identity[MAX_EVENTS][300];
    size_t                    identity_len[MAX_EVENTS];
    const ONEM2M_SAE_ENTRY   *entry[MAX_EVENTS];
} event_log;

/* the client's credential */
typedef struct {
    char            identity[400];
    size_t          identity_len;
    unsigned char   key[64];
    size_t          key_len;
    int             sha384;           /* hash of the TLS 1.3 PSK */
    int             alert;            /* last alert received, -1 none */
} client_psk;

extern ONEM2M_SAE_TABLE  *table_a;
extern ONEM2M_SAE_TABLE  *table_b;
extern ONEM2M_SAE_TABLE  *table_a2;
extern ONEM2M_SAE_TABLE  *table_same;
extern ONEM2M_SAE_TABLE  *table_rekey;
extern event_log          events;
extern int                nginx_info_calls;
extern int                nginx_handshake_done;
extern int                client_psk_index;
extern char               long_id[256];

static const unsigned char  lock1_key[] = {
    0x1a, 0x2b, 0x3c, 0x4d, 0x5e, 0x6f, 0x7a, 0x8b,
    0x01, 0x02, 0x03, 0x04, 0x05, 0x06, 0x07, 0x08
};
static const unsigned char  zero_key[] = {
    0x00, 0x00, 0x00, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e,
    0x0f, 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16
};
static const unsigned char  long_key[] = {
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00,
    0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,
    0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x01
};
static const unsigned char  b1_key[] = {
    0xb1, 0xb1, 0xb1, 0xb1, 0x01, 0x02, 0x03, 0x04,
    0x05, 0x06, 0x07, 0x08, 0x09, 0x0a, 0x0b, 0x0c
};

ONEM2M_SAE_TABLE *open_table(const char *name, const char *text);
void hook_setup(void);
void hook_teardown(void);
void record_event(SSL *ssl, void *arg, int event, const char *identity,
    size_t identity_len, const ONEM2M_SAE_ENTRY *entry);
void nginx_info_cb(const SSL *ssl, int where, int ret);
void make_cert(SSL_CTX *ctx);
SSL_CTX *server_ctx(ONEM2M_SAE_TABLE *table, int unknown, int cert);
unsigned int client_psk_cb(SSL *ssl, const char *hint, char *identity,
    unsigned int max_identity_len, unsigned char *psk,
    unsigned int max_psk_len);
int client_use_session_cb(SSL *ssl, const EVP_MD *md, const unsigned char **id,
    size_t *idlen, SSL_SESSION **sess);
void client_info_cb(const SSL *ssl, int where, int ret);
void set_psk(client_psk *cp, const char *identity, size_t identity_len,
    const unsigned char *key, size_t key_len, int sha384);
SSL *client_ssl(int version, const char *cipher12, const char *suites13,
    client_psk *cp);
void assert_bound(SSL *server, const char *kpsa_id, const char *entity,
    ONEM2M_SAE_TABLE *table);
void assert_unbound(SSL *server);
void assert_only_event(int event, const char *identity, size_t identity_len);
int version_of(int i);
SSL *client_for(int version, client_psk *cp);

#endif /* ONEM2M_TEST_HOOK_FIXTURE_H */
