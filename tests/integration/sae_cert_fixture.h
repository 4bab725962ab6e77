/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * What the certificate suites with a real nginx share (check_sae_cert.c,
 * check_sae_cert_upstream.c; sae_cert_fixture.c): the SP and gateway
 * names, a prefix with a PKI issued by conf/onem2m-cert, and reading a
 * request head's header.
 */

#ifndef ONEM2M_TEST_SAE_CERT_FIXTURE_H
#define ONEM2M_TEST_SAE_CERT_FIXTURE_H

#include <stddef.h>

#include "common/harness.h"

#define SP_DOMAIN    "m2m.sp.com"
#define GATEWAY_ID   "mn-cse-123456"
#define DOOR_AE_ID   "//" SP_DOMAIN "/" GATEWAY_ID "/Cdoor-AE1"
#define ENTITY_HDR   "X-Onem2m-Sae-Entity"

/* the test's nginx and its PKI folder (sae_cert_setup()) */
extern harness_nginx  *ng;
extern char            pki[512];

char *read_text(const char *path);
void replace_all(char **text, const char *from, const char *to);
void onem2m_cert(const char *kind, const char *a, const char *b);
void issue_by_ca(const char *name, const char *cn, const char *extensions);
void sae_cert_setup(void);
void sae_cert_teardown(void);
void header_value(const char *head, const char *name, char *out, size_t size);

#endif /* ONEM2M_TEST_SAE_CERT_FIXTURE_H */
