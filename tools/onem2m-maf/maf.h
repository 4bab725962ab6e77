/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * onem2m-maf: the M2M Authentication Function (TS-0003 8.8) behind nginx
 * and the SAE module.  One file a concern:
 *
 *     maf_proto.c   THE HTTP/JSON mapping: one table of procedures (method,
 *                   path, parameters), request decoding, status codes
 *     maf_proc.c    the procedures: authorisation, expirations, Kc
 *     maf_db.c      PostgreSQL: schema, registrations, keys, used ids
 *     maf_http.c    libmicrohttpd: the socket, the identity header, main()
 *
 * The MAF trusts exactly one thing about its caller: the identity header
 * nginx's SAE module adds (the bound AE-ID or CSE-ID, the MAF Client ID).
 * docs/maf.md is the user's page.
 */

#ifndef ONEM2M_MAF_H
#define ONEM2M_MAF_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* the procedures of TS-0003 8.8.2 */
typedef enum {
    MAF_CLIENT_REGISTRATION = 0,
    MAF_CLIENT_CONFIG_RETRIEVAL,
    MAF_CLIENT_UPDATE,
    MAF_CLIENT_DEREGISTRATION,
    MAF_KEY_REGISTRATION,
    MAF_KEY_RETRIEVAL,
    MAF_KEY_UPDATE,
    MAF_KEY_DEREGISTRATION,
    MAF_PROC_COUNT
} maf_proc_id;

/* the parameters of the clause tables, one bit each */
#define MAF_P_MAF_FQDN        0x001u
#define MAF_P_EXPIRATION      0x002u
#define MAF_P_LABELS          0x004u
#define MAF_P_ADMIN_FQDN      0x008u
#define MAF_P_REG_ID          0x010u
#define MAF_P_SUID            0x020u
#define MAF_P_TARGET_IDS      0x040u
#define MAF_P_KEY_VALUE       0x080u
#define MAF_P_REL_KEY_ID      0x100u

typedef struct {
    maf_proc_id   id;
    const char   *name;         /* the clause's name */
    const char   *clause;
    const char   *method;
    const char   *path;
    unsigned      required;     /* MAF_P_* */
    unsigned      optional;
    /* of the optional ones, at least one (the "changes" of an update) */
    unsigned      one_of;
    int           ok_status;    /* HTTP status of success */
    int           ok_rsc;       /* oneM2M response status code */
} maf_proc;

/* oneM2M response status codes the MAF answers with (TS-0004 6.6.3) */
#define MAF_RSC_OK                  2000
#define MAF_RSC_CREATED             2001
#define MAF_RSC_DELETED             2002
#define MAF_RSC_UPDATED             2004
#define MAF_RSC_BAD_REQUEST         4000
#define MAF_RSC_NOT_FOUND           4004
#define MAF_RSC_OPERATION_NOT_ALLOWED 4005
#define MAF_RSC_CONTENTS_UNACCEPTABLE 4102
#define MAF_RSC_NO_PRIVILEGE        4103
#define MAF_RSC_CONFLICT            4105
#define MAF_RSC_NOT_AUTHENTICATED   4106
#define MAF_RSC_INTERNAL_ERROR      5000

#define MAF_MAX_BODY          16384
#define MAF_MAX_LABELS        32
#define MAF_MAX_LABEL_LEN     64
#define MAF_REG_ID_LEN        32    /* hex of 16 random bytes */
#define MAF_KCID_LEN          16    /* bytes; the RelativeKeyID is its hex */
#define MAF_REL_KEY_ID_LEN    (2 * MAF_KCID_LEN)
#define MAF_KC_LEN            32
#define MAF_KEY_MIN_LEN       16
#define MAF_KEY_MAX_LEN       64
#define MAF_EXPORTER_LEN      48
#define MAF_EXPORTER_LABEL    "EXPORTER-oneM2M-Connection"
#define MAF_SUID_SAEF         32
#define MAF_FQDN_MAX          253
#define MAF_ID_MAX            255

/* a decoded request: every parameter of its procedure, checked */
typedef struct {
    const maf_proc  *proc;
    unsigned         present;                 /* MAF_P_* */
    char             maf_fqdn[MAF_FQDN_MAX + 1];
    char             admin_fqdn[MAF_FQDN_MAX + 1];
    char             reg_id[MAF_REG_ID_LEN + 1];
    char             rel_key_id[MAF_REL_KEY_ID_LEN + 1];
    int64_t          expiration;              /* Unix seconds */
    char            *labels;                  /* JSON array text, malloc'd */
    char             target_id[MAF_ID_MAX + 1];
    long long        suid;
    unsigned char    key[MAF_KEY_MAX_LEN];
    size_t           key_len;
} maf_request;

/* maf_proto.c */
extern const maf_proc  maf_procs[MAF_PROC_COUNT];
/* the procedure at (method, path): NULL with *rsc 4004 or 4005 */
const maf_proc *maf_proto_route(const char *method, const char *path,
    int *rsc);
/*
 * Decodes body (len bytes) for proc into req: 0 ok; otherwise the
 * response status code, with a reason for the client in why.
 */
int  maf_proto_decode(const maf_proc *proc, const char *body, size_t len,
    maf_request *req, char *why, size_t why_len);
void maf_request_free(maf_request *req);
/* HTTP status of a oneM2M response status code */
int  maf_proto_http_status(int rsc);
/* "YYYYMMDDThhmmss" (UTC) <-> Unix seconds; parse: 0 ok, -1 bad */
int  maf_time_parse(const char *s, int64_t *out);
void maf_time_format(int64_t t, char out[16]);
/* base64 (RFC 4648, padded): the length, or -1 when bad or over max */
int  maf_base64_decode(const char *in, size_t len, unsigned char *out,
    size_t max);

/* the MAF's settings (maf_http.c fills them from the command line) */
typedef struct {
    const char  *fqdn;              /* this MAF's FQDN */
    const char  *admin_fqdn;        /* its administrating stakeholder */
    const char  *conninfo;          /* libpq */
    const char  *kek_file;
    const char  *identity_header;
    const char  *exporter_header;
    const char  *listen;            /* unix:/path or 127.0.0.1:port */
    int64_t      max_registration;  /* seconds */
    int64_t      max_key;
    unsigned char kek[32];
} maf_config;

/* what a procedure answers */
typedef struct {
    int       rsc;
    json_t   *body;                 /* owned; NULL: error body */
    char      why[160];
} maf_response;

/* maf_proc.c */
struct maf_db;
void maf_proc_run(const maf_config *cf, struct maf_db *db,
    const char *client_id, const char *exporter, const maf_request *req,
    maf_response *resp);

/* maf_db.c */
typedef struct maf_db maf_db;

typedef struct {
    char      reg_id[MAF_REG_ID_LEN + 1];
    char      client_id[MAF_ID_MAX + 1];
    char      admin_fqdn[MAF_FQDN_MAX + 1];
    char     *labels;               /* malloc'd JSON, or NULL */
    int64_t   expiration;
} maf_registration;

typedef struct {
    char           rel_key_id[MAF_REL_KEY_ID_LEN + 1];
    char           source_id[MAF_ID_MAX + 1];
    char           reg_id[MAF_REG_ID_LEN + 1];
    char           admin_fqdn[MAF_FQDN_MAX + 1];
    char           target_id[MAF_ID_MAX + 1];
    char          *labels;
    long long      suid;
    int64_t        expiration;
    unsigned char  sealed[MAF_KEY_MAX_LEN + 64];
    size_t         sealed_len;
} maf_key;

maf_db *maf_db_open(const char *conninfo, char *err, size_t errlen);
void maf_db_close(maf_db *db);
/* the result of the calls below: 1 done/found, 0 none/conflict, -1 error */
int  maf_db_reg_insert(maf_db *db, const maf_registration *r);
int  maf_db_reg_get(maf_db *db, const char *reg_id, maf_registration *r);
int  maf_db_reg_of_client(maf_db *db, const char *client_id,
    maf_registration *r);
int  maf_db_reg_update(maf_db *db, const maf_registration *r);
int  maf_db_reg_delete(maf_db *db, const char *reg_id);
/* claims the RelativeKeyID for good and stores the key: 0 = id used */
int  maf_db_key_insert(maf_db *db, const maf_key *k);
int  maf_db_key_get(maf_db *db, const char *rel_key_id, maf_key *k);
int  maf_db_key_update(maf_db *db, const maf_key *k);
int  maf_db_key_delete(maf_db *db, const char *rel_key_id);
void maf_registration_free(maf_registration *r);
void maf_key_free(maf_key *k);

#endif /* ONEM2M_MAF_H */
