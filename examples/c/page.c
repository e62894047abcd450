/*
 * page.c -- a complete web page with the chat widget signed in, from the C API alone.
 *
 *   PYLON_IDENTITY_SECRET=<64 hex digits> page APP_ID [EMAIL [NAME]] [--inline [--nonce N]]
 *
 * Prints an HTML page to standard output. By default, the settings as a data element and the
 * tag that loads pylon-chat.js from your own origin (works under Pylon's documented policy,
 * script-src 'self' https://widget.usepylon.com, with no nonce); with --inline, the inline
 * settings script and the widget loader (with the CSP nonce, if given). No EMAIL: a visitor
 * who is not logged in (app id only). Exit status 0, or 2 with one line on standard error.
 *
 * A server makes one signer at start-up and renders each request's page with it; the page
 * functions allocate nothing of their own: the caller owns every buffer.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pylon_idv.h>

static int fail(const char *what)
{
    fprintf(stderr, "page: %s\n", what);
    return 2;
}

/* One form of the settings, in a new buffer; NULL after saying why on stderr. */
static char *render_settings(pylon_idv_page *p, const pylon_idv_signer *signer, int form)
{
    pylon_idv_page_error err;
    char msg[PYLON_IDV_PAGE_MESSAGE_SIZE];
    char *out;
    size_t size;

    if (pylon_idv_page_prepare(p, signer, NULL, 0, &err) != PYLON_IDV_PAGE_OK) {
        fail(pylon_idv_page_message(msg, sizeof msg, &err));
        return NULL;
    }
    size = pylon_idv_page_size(p, form);
    if (size == 0 || (out = malloc(size)) == NULL) { fail("out of memory"); return NULL; }
    pylon_idv_page_render(out, p, form);
    return out;
}

/* The pylon-chat.js tag (loader 0) or the widget loader (1): check, size, render. */
static char *render_tag(int loader, const char *s, const char *nonce)
{
    pylon_idv_page_error err;
    char msg[PYLON_IDV_PAGE_MESSAGE_SIZE];
    size_t n = strlen(s), nn = nonce ? strlen(nonce) : 0, size;
    char *out;
    int rc = loader ? pylon_idv_widget_check(s, n, nonce, nn, &err)
                    : pylon_idv_script_tag_check(s, n, nonce, nn, &err);

    if (rc != PYLON_IDV_PAGE_OK) { fail(pylon_idv_page_message(msg, sizeof msg, &err)); return NULL; }
    size = loader ? pylon_idv_widget_size(n, nn) : pylon_idv_script_tag_size(n, nn);
    if (size == 0 || (out = malloc(size)) == NULL) { fail("out of memory"); return NULL; }
    if (loader) pylon_idv_widget_render(out, s, n, nonce, nn);
    else pylon_idv_script_tag_render(out, s, n, nonce, nn);
    return out;
}

int main(int argc, char **argv)
{
    const char *secret = getenv("PYLON_IDENTITY_SECRET"), *args[3] = { NULL, NULL, NULL };
    const char *nonce = NULL;
    char msg[PYLON_IDV_MESSAGE_SIZE];
    pylon_idv_signer *signer = NULL;
    pylon_idv_field name;
    pylon_idv_page page;
    char *settings, *tag;
    int inline_mode = 0, nargs = 0, i, rc;

    for (i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--inline") == 0) inline_mode = 1;
        else if (strcmp(argv[i], "--nonce") == 0 && i + 1 < argc) nonce = argv[++i];
        else if (nargs < 3) args[nargs++] = argv[i];
        else return fail("usage: page APP_ID [EMAIL [NAME]] [--inline [--nonce N]]");
    }
    if (nargs < 1) return fail("usage: page APP_ID [EMAIL [NAME]] [--inline [--nonce N]]");
    if (secret == NULL) return fail("set PYLON_IDENTITY_SECRET (pylon-idv generate-secret makes one)");
    rc = pylon_idv_signer_new(&signer, secret, strlen(secret));   /* once, at start-up */
    if (rc != PYLON_IDV_OK)
        return fail(pylon_idv_message(msg, sizeof msg, rc, secret, strlen(secret), 0));

    memset(&page, 0, sizeof page);
    page.app_id = args[0]; page.app_id_len = strlen(args[0]);
    if (args[1] != NULL) { page.email = args[1]; page.email_len = strlen(args[1]); }
    if (args[2] != NULL) {                                /* one extra setting: the name */
        memset(&name, 0, sizeof name);
        name.key = "name"; name.key_len = 4;
        name.type = PYLON_IDV_VALUE_STRING; name.str = args[2]; name.str_len = strlen(args[2]);
        page.fields = &name; page.nfields = 1;
    }
    if (inline_mode && nonce != NULL) { page.nonce = nonce; page.nonce_len = strlen(nonce); }

    /* everything is rendered (and checked) before a byte of the page is written */
    settings = render_settings(&page, signer,
                               inline_mode ? PYLON_IDV_PAGE_SCRIPT : PYLON_IDV_PAGE_DATA);
    tag = settings == NULL ? NULL
        : inline_mode ? render_tag(1, args[0], nonce)
                      : render_tag(0, "/_pylon_idv/pylon-chat.js", NULL);
    pylon_idv_signer_free(signer);
    rc = tag == NULL ? 2 : 0;
    if (rc == 0) {
        printf("<!doctype html>\n<html><head><meta charset=\"utf-8\"><title>Example</title>"
               "</head>\n<body>\n<h1>Hello</h1>\n%s%s\n</body></html>\n", settings, tag);
        if (fflush(stdout) != 0 || ferror(stdout)) rc = fail("cannot write the page");
    }
    free(settings);
    free(tag);
    return rc;
}
