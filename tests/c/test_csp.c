/*
 * test_csp.c -- pylon_idv_csp_sources() through the public header only: exactly the rows of
 * tests/vectors/csp_sources.tsv (Pylon's chat setup page), in order; Python and Lua read the
 * same file. Also the shape every policy helper relies on: no directive twice, sources that
 * are single-space separated with no empty expression, 'self' in each.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "pylon_idv.h"

static const pylon_idv_csp_source *table;
static size_t count;
static size_t rows;

static void row(char **f, int n, void *ctx)
{
    (void)ctx;
    CHECK_MSG(n == 2, "csp_sources.tsv: 2 columns, got %d", n);
    if (n != 2) return;
    CHECK_MSG(rows < count, "%s: missing from pylon_idv_csp_sources()", f[0]);
    if (rows < count) {
        CHECK_MSG(strcmp(table[rows].directive, f[0]) == 0, "row %lu: directive %s, want %s",
                  (unsigned long)rows, table[rows].directive, f[0]);
        CHECK_MSG(strcmp(table[rows].sources, f[1]) == 0, "%s: sources \"%s\", want \"%s\"",
                  f[0], table[rows].sources, f[1]);
    }
    rows++;
}

int main(int argc, char **argv)
{
    size_t i, j, again;
    if (argc < 2) { fprintf(stderr, "usage: test_csp VECTORS_DIR\n"); return 2; }

    table = pylon_idv_csp_sources(&count);
    CHECK(table != NULL);
    CHECK(pylon_idv_csp_sources(NULL) == table);         /* count may be NULL */
    (void)pylon_idv_csp_sources(&again);
    CHECK(again == count);
    read_tsv(argv[1], "csp_sources.tsv", row, NULL);
    CHECK_MSG(rows == count, "%lu rows in the file, %lu in the table",
              (unsigned long)rows, (unsigned long)count);

    for (i = 0; i < count; i++) {
        const char *s = table[i].sources;
        size_t n = strlen(s);
        CHECK_MSG(n > 0 && s[0] != ' ' && s[n - 1] != ' ', "%s: padded", table[i].directive);
        CHECK_MSG(strstr(s, "  ") == NULL, "%s: an empty source", table[i].directive);
        CHECK_MSG(strncmp(s, "'self'", 6) == 0, "%s: no 'self' first", table[i].directive);
        for (j = i + 1; j < count; j++)
            CHECK_MSG(strcmp(table[i].directive, table[j].directive) != 0, "%s twice",
                      table[i].directive);
    }
    return check_report("csp");
}
