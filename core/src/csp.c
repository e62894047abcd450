/* csp.c -- the Content-Security-Policy sources the Pylon widget needs, as data: the one table
 * that Python (pylon_idv.csp_sources()) and Lua (idv.csp_sources()) read, copied verbatim
 * from Pylon's chat setup page. Nothing here allocates or fails. */
#include "internal.h"

static const pylon_idv_csp_source csp_sources[] = {
    { "connect-src", "'self' https://*.usepylon.com wss://*.pusher.com" },
    { "script-src",  "'self' https://widget.usepylon.com" },
    { "font-src",    "'self' https://*.usepylon.com" },
    { "style-src",   "'self' 'unsafe-inline' https://*.usepylon.com" },
    { "img-src",     "'self' https://*.usepylon.com https://pylon-avatars.s3.us-west-1.amazonaws.com"
                     " https://d3vl36l12sfx26.cloudfront.net" }
};

const pylon_idv_csp_source *pylon_idv_csp_sources(size_t *count)
{
    if (count != NULL) *count = sizeof csp_sources / sizeof csp_sources[0];
    return csp_sources;
}
