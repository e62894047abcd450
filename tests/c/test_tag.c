/*
 * test_tag.c -- the <script src> tag of pylon-chat.js through the public API only
 * (pylon_idv_script_tag_check / _size / _render) against tests/vectors/script_tag.tsv, which
 * an independent reference writes (gen/make_tag_vectors.py); Python and Lua read the same file.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "pylon_idv.h"

static const char *rule_name(int rule)
{
    switch (rule) {
    case PYLON_IDV_PAGE_ESRC: return "ESRC";
    case PYLON_IDV_PAGE_ENONCE_LENGTH: return "ENONCE_LENGTH";
    case PYLON_IDV_PAGE_ENONCE_CHAR: return "ENONCE_CHAR";
    default: return "?";
    }
}

static size_t unhex_in_place(char *s)
{
    size_t n = strlen(s) / 2, i;
    for (i = 0; i < n; i++) s[i] = (char)(unhex_nibble(s[2 * i]) << 4 | unhex_nibble(s[2 * i + 1]));
    s[n] = '\0';
    return n;
}

static int rows;

static void row(char **f, int n, void *ctx)
{
    char want[1024], msg[PYLON_IDV_PAGE_MESSAGE_SIZE];
    const char *nonce = NULL;
    size_t src_len, nonce_len = 0, size, len;
    pylon_idv_page_error err;
    int rc;
    (void)ctx;
    CHECK_MSG(n == 4, "script_tag.tsv: 4 columns, got %d", n);
    if (n != 4) return;
    rows++;
    snprintf(want, sizeof want, "%s", f[3]);
    src_len = unhex_in_place(f[1]);
    if (strcmp(f[2], "-") != 0) { nonce = f[2]; nonce_len = unhex_in_place(f[2]); }
    rc = pylon_idv_script_tag_check(f[1], src_len, nonce, nonce_len, &err);
    if (want[0] == '!') {
        char expect[1024];
        CHECK_MSG(rc != PYLON_IDV_PAGE_OK, "%s: accepted", f[0]);
        if (rc == PYLON_IDV_PAGE_OK) return;
        CHECK_MSG(pylon_idv_page_error_kind(rc) == PYLON_IDV_KIND_USAGE, "%s: kind", f[0]);
        snprintf(expect, sizeof expect, "!%s %s", rule_name(rc),
                 pylon_idv_page_message(msg, sizeof msg, &err));
        CHECK_MSG(strcmp(expect, want) == 0, "%s: got %s, want %s", f[0], expect, want);
        return;
    }
    CHECK_MSG(rc == PYLON_IDV_PAGE_OK, "%s: refused (%d)", f[0], rc);
    size = pylon_idv_script_tag_size(src_len, nonce_len);
    {
        char *out = (char *)malloc(size + 16);
        if (out == NULL) abort();
        memset(out, '#', size + 16);
        len = pylon_idv_script_tag_render(out, f[1], src_len, nonce, nonce_len);
        CHECK_MSG(len + 1 <= size, "%s: wrote %zu bytes past the size %zu", f[0], len + 1, size);
        CHECK_MSG(out[size] == '#', "%s: wrote beyond the size", f[0]);
        CHECK_MSG(len == strlen(want) && strcmp(out, want) == 0, "%s: got %s", f[0], out);
        free(out);
    }
}

int main(int argc, char **argv)
{
    const char *dir = argc > 1 ? argv[1] : "tests/vectors";
    CHECK(read_tsv(dir, "script_tag.tsv", row, NULL) >= 14 && rows >= 14);
    CHECK(pylon_idv_script_tag_size((size_t)-1, 0) == 0);            /* no wrap-around */
    return check_report("test_tag");
}
