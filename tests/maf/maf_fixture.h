/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * The MAF suites' fixture: a throwaway PostgreSQL (tests/fleet), the real
 * build/tools/onem2m-maf on a Unix socket in nginx's prefix, and Debian's
 * nginx with the module in front of it: TLS-PSK with a KmID table (the
 * phone, the IN-CSE and a third client), the identity header and the
 * exporter header.  Requests go through the harness's TLS client; JSON
 * answers are parsed with jansson.  ONEM2M_TEST_MAF_WRAPPER (a command
 * line, e.g. "valgrind -q --error-exitcode=99 --leak-check=full") runs
 * the MAF under it; its clean exit is checked at every stop.
 */

#ifndef ONEM2M_TEST_MAF_FIXTURE_H
#define ONEM2M_TEST_MAF_FIXTURE_H

#include <sys/types.h>
#include <jansson.h>

#include "common/harness.h"
#include "fleet/fleet.h"

#define MAF_FQDN         "maf.example.net"
#define MAF_ADMIN        "in.provider.com"
#define MAF_PHONE_ID     "Cphone-AE1"
#define MAF_PHONE_KMID   "phone@" MAF_FQDN
#define MAF_INCSE_ID     "/in-cse"
#define MAF_INCSE_KMID   "in-cse@" MAF_FQDN
#define MAF_OTHER_ID     "Cother-AE2"
#define MAF_OTHER_KMID   "other@" MAF_FQDN
#define MAF_KM_HEX       "00112233445566778899aabbccddeeff"
#define MAF_BIN          BUILD_DIR "/tools/onem2m-maf"
#define MAF_CLIENT_BIN   BUILD_DIR "/tools/onem2m-maf-client"

typedef struct {
    fleet_pg        pg;
    harness_nginx  *ng;
    pid_t           maf;
    char            log[PATH_MAX];
    char            wrapper[256];   /* ONEM2M_TEST_MAF_WRAPPER's words */
} maf_env;

/* the MAF's extra arguments (NULL-terminated, may be NULL) */
void maf_env_start(maf_env *e, const char *const *extra);
void maf_env_stop(maf_env *e);

/* one MAF answer */
typedef struct {
    int       status;       /* HTTP */
    int       rsc;          /* X-M2M-RSC, 0 when none */
    json_t   *body;         /* NULL when not JSON */
} maf_answer;

void maf_answer_free(maf_answer *a);

/*
 * POSTs body (raw bytes, may be non-JSON) to path on a fresh connection
 * as kmid (NULL: no PSK); extra header lines may be NULL.  ekm, when not
 * NULL, gets the client's 48 bytes of EXPORTER-oneM2M-Connection.
 */
void maf_post(maf_env *e, const char *kmid, const char *method,
    const char *path, const char *body, const char *extra,
    unsigned char *ekm, maf_answer *a);
/* the same on an open connection (keep-alive) */
void maf_post_on(harness_conn *c, const char *path, const char *body,
    maf_answer *a);
harness_conn *maf_connect(maf_env *e, const char *kmid);
/* the TLS version of PSK connections (TLS1_3_VERSION unless a test says) */
extern int  maf_tls_version;

/* "20261208T061500" of now + seconds */
const char *maf_time_in(long seconds, char buf[32]);
/* Client Registration of kmid for seconds: the mafClientRegID (static) */
const char *maf_register(maf_env *e, const char *kmid, long seconds);
/* a Key Registration body for target, with key_b64 (NULL: exporter) */
char *maf_key_body(const char *target, const char *key_b64, long seconds,
    int suid);
const char *maf_str(const maf_answer *a, const char *member);

#endif /* ONEM2M_TEST_MAF_FIXTURE_H */
