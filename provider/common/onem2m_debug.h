/* SPDX-License-Identifier: BSD-2-Clause */
/*
 * Debug tracing of the provider and the TLS-PSK hook, off unless the
 * environment asks for it (as pkcs11-provider's P11PROV_DEBUG does):
 *
 *   ONEM2M_SAE_DEBUG=1            trace to stderr
 *   ONEM2M_SAE_DEBUG=file:PATH    append to PATH
 *
 * Read once per process, with secure_getenv() (never for setuid
 * programs).  A trace line is "onem2m-sae[PID] FUNCTION: TEXT".  Traces
 * name URIs, identities (quoted with onem2m_text_log_quote()) and
 * decisions, never a key; lookups do not trace.
 */

#ifndef ONEM2M_DEBUG_H
#define ONEM2M_DEBUG_H

#include <stddef.h>

#include "onem2m_text.h"

#define ONEM2M_DEBUG_ENV  "ONEM2M_SAE_DEBUG"

/* 1 when tracing is on (the first call reads the environment) */
int onem2m_debug_enabled(void);

void onem2m_debug_print(const char *func, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* an identity as a trace shows it, quoted: buf of ONEM2M_DEBUG_ID_SIZE */
#define ONEM2M_DEBUG_ID_MAX   64
#define ONEM2M_DEBUG_ID_SIZE  ONEM2M_TEXT_LOG_SIZE(ONEM2M_DEBUG_ID_MAX)
const char *onem2m_debug_id(char *buf, const void *id, size_t len);

#define ONEM2M_DEBUG(...)                                                     \
    do {                                                                      \
        if (onem2m_debug_enabled()) {                                         \
            onem2m_debug_print(__func__, __VA_ARGS__);                        \
        }                                                                     \
    } while (0)

#endif /* ONEM2M_DEBUG_H */
