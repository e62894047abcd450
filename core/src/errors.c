/* errors.c -- status strings, the one message formatter every binding and command uses, the
 * version. */
#include <stdio.h>

#include "internal.h"

const char *pylon_idv_strerror(int status)
{
    switch (status) {
    case PYLON_IDV_OK:            return "success";
    case PYLON_IDV_ESECRET_EMPTY: return "invalid secret: empty (nothing but whitespace)";
    case PYLON_IDV_ESECRET_ODD:   return "invalid secret: odd number of hex digits";
    case PYLON_IDV_ESECRET_CHAR:  return "invalid secret: invalid hex digit";
    case PYLON_IDV_ENOMEM:        return "out of memory";
    case PYLON_IDV_ECRYPTO:       return "OpenSSL failure (random generator or digest)";
    case PYLON_IDV_EINVAL:        return "invalid argument: NULL where a buffer is required";
    default:                      return "unknown status";
    }
}

const char *pylon_idv_message(char *buf, size_t size, int status,
                              const char *secret_hex, size_t secret_hex_len, size_t which)
{
    char where[48] = "", previous[48] = "";
    const char *text = pylon_idv_strerror(status);
    size_t position = 0;

    if (buf == NULL || size == 0) return buf;
    if (which == PYLON_IDV_MESSAGE_KEY) {
        /* from_key: raw bytes, not hex text; only emptiness can be wrong with them */
        if (status == PYLON_IDV_ESECRET_EMPTY) text = "invalid key: empty (no bytes)";
    } else {
        if (status == PYLON_IDV_ESECRET_CHAR && secret_hex != NULL
            && pi_secret_check(secret_hex, secret_hex_len, &position) == PYLON_IDV_ESECRET_CHAR)
            snprintf(where, sizeof where, " at position %lu", (unsigned long)position);
        if (which > 0 && status >= PYLON_IDV_ESECRET_CHAR && status <= PYLON_IDV_ESECRET_EMPTY)
            snprintf(previous, sizeof previous, " (previous secret #%lu)", (unsigned long)which);
    }
    snprintf(buf, size, "%s%s%s", text, where, previous);
    return buf;
}

const char *pylon_idv_version(void)
{
    return PYLON_IDV_VERSION_STRING;
}
