/*
 * test_problems.c -- pylon_idv_problems() through the public header only: the shape the
 * integrations (Python's _web.problem, Lua's openresty problem) rely on. Every key once; ids
 * E0xx or W0xx; texts and fixes non-empty sentences whose every '{' opens a placeholder
 * {name} (lowercase letters and '_'), closed, with no '}' elsewhere; the ids the README and
 * both integrations name (E001-E010, W001-W004) all present.
 */
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "pylon_idv.h"

static int placeholders_ok(const char *s)
{
    for (; *s; s++) {
        if (*s == '}') return 0;
        if (*s != '{') continue;
        if (s[1] == '}') return 0;                        /* an empty placeholder */
        for (s++; *s != '}'; s++)
            if (!((*s >= 'a' && *s <= 'z') || *s == '_')) return 0;
    }
    return 1;
}

int main(void)
{
    static const char *const ids[] = { "E001", "E002", "E003", "E004", "E005", "E006", "E007",
                                       "E008", "E009", "E010", "W001", "W002", "W003", "W004" };
    size_t count = 0, i, j, k;
    const pylon_idv_problem *t = pylon_idv_problems(&count);

    CHECK(t != NULL && count >= sizeof ids / sizeof ids[0]);
    CHECK(pylon_idv_problems(NULL) == t);
    for (i = 0; i < count; i++) {
        const char *id = t[i].id;
        size_t n = strlen(t[i].text);
        CHECK_MSG(strlen(id) == 4 && (id[0] == 'E' || id[0] == 'W') && id[1] == '0'
                  && id[2] >= '0' && id[2] <= '9' && id[3] >= '0' && id[3] <= '9',
                  "%s: id %s", t[i].key, id);
        CHECK_MSG(n > 1 && (t[i].text[n - 1] == '.' || t[i].text[n - 1] == '}'),
                  "%s: the text is not a sentence", t[i].key);
        CHECK_MSG(t[i].fix[0] != '\0', "%s: no fix", t[i].key);
        CHECK_MSG(placeholders_ok(t[i].text) && placeholders_ok(t[i].fix),
                  "%s: a brace outside a placeholder", t[i].key);
        for (j = i + 1; j < count; j++)
            CHECK_MSG(strcmp(t[i].key, t[j].key) != 0, "%s twice", t[i].key);
    }
    for (k = 0; k < sizeof ids / sizeof ids[0]; k++) {
        for (i = 0; i < count && strcmp(t[i].id, ids[k]) != 0; i++) {}
        CHECK_MSG(i < count, "%s: not in the table", ids[k]);
    }
    /* the negative controls of the placeholder rule */
    CHECK(!placeholders_ok("a } b") && !placeholders_ok("a {} b") && !placeholders_ok("{A}")
          && !placeholders_ok("{a") && placeholders_ok("set {setting} to {env_fix}."));
    return check_report("problems");
}
