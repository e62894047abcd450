/* errors.c -- status strings, the messages every binding shows, the version. */
#include <stdio.h>

#include "internal.h"
#include "version.h"

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

const char *pi_error_message(char *out, size_t size, int status, size_t position)
{
    if (status == PYLON_IDV_ESECRET_CHAR)
        snprintf(out, size, "pylon_idv: %s at position %lu", pylon_idv_strerror(status),
                 (unsigned long)position);
    else
        snprintf(out, size, "pylon_idv: %s", pylon_idv_strerror(status));
    return out;
}

const char *pylon_idv_version(void)
{
    return PYLON_IDV_VERSION_STRING;
}
