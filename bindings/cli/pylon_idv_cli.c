/*
 * pylon-idv -- the command line, a client of the public C API like any other.
 *
 *   pylon-idv sign EMAIL | verify EMAIL HASH | generate-secret | fingerprint
 *           | diagnose EMAIL HASH        [--secret-file PATH|-]
 *
 * The secret comes from $PYLON_IDENTITY_SECRET or --secret-file, never from argv (ps and
 * shell history would show it). Exit status: 0 success or match, 1 mismatch, 2 any error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "pylon_idv.h"

#define EXIT_MISMATCH 1
#define EXIT_ERROR 2
#define MAX_SECRET_FILE (1u << 20)

static const char usage[] =
    "usage: pylon-idv [--secret-file PATH|-] COMMAND [ARGS]\n"
    "\n"
    "  sign EMAIL              print the email hash\n"
    "  verify EMAIL HASH       exit 0 on a match, 1 on a mismatch\n"
    "  generate-secret         print a new secret (64 hex digits)\n"
    "  fingerprint             print the secret's fingerprint (safe to log)\n"
    "  diagnose EMAIL HASH     explain why a hash does not match\n"
    "\n"
    "The secret is read from the environment variable PYLON_IDENTITY_SECRET, or from\n"
    "--secret-file PATH ('-' reads standard input); never from the command line.\n"
    "Exit status: 0 success or match, 1 mismatch, 2 error.\n";

static void wipe(void *p, size_t n)
{
    volatile unsigned char *v = (volatile unsigned char *)p;
    while (n--) *v++ = 0;
}

static int fail(const char *what)
{
    fprintf(stderr, "pylon-idv: %s\n", what);
    return EXIT_ERROR;
}

/* The secret as text: *buf is heap (from a file) or NULL (from the environment). */
static int load_secret(const char *file, char **buf, const char **secret, size_t *len)
{
    *buf = NULL;
    if (file == NULL) {
        const char *env = getenv("PYLON_IDENTITY_SECRET");
        if (env == NULL) {
            fprintf(stderr, "pylon-idv: no secret: set PYLON_IDENTITY_SECRET or use "
                            "--secret-file PATH (- for standard input)\n");
            return EXIT_ERROR;
        }
        *secret = env;
        *len = strlen(env);
        return 0;
    } else {
        FILE *f = strcmp(file, "-") == 0 ? stdin : fopen(file, "rb");
        size_t n = 0, r;
        char *p;
        if (f == NULL) {
            fprintf(stderr, "pylon-idv: cannot open secret file %s\n", file);
            return EXIT_ERROR;
        }
        p = (char *)malloc(MAX_SECRET_FILE + 1);
        if (p == NULL) { if (f != stdin) fclose(f); return fail("out of memory"); }
        while ((r = fread(p + n, 1, MAX_SECRET_FILE + 1 - n, f)) > 0) n += r;
        if (f != stdin) fclose(f);
        if (n > MAX_SECRET_FILE) {
            wipe(p, n); free(p);
            return fail("secret file too large");
        }
        *buf = p;
        *secret = p;
        *len = n;
        return 0;
    }
}

/* Report a bad secret: status and position, never the secret. */
static int secret_error(int rc, const char *secret, size_t len)
{
    size_t pos = 0;
    if (rc == PYLON_IDV_ESECRET_CHAR) {
        (void)pylon_idv_secret_check(secret, len, &pos);
        fprintf(stderr, "pylon-idv: %s at position %lu\n", pylon_idv_strerror(rc),
                (unsigned long)pos);
    } else {
        fprintf(stderr, "pylon-idv: %s\n", pylon_idv_strerror(rc));
    }
    return EXIT_ERROR;
}

static int run(const char *cmd, char **args, int nargs, const char *secret_file)
{
    char *buf = NULL;
    const char *secret = NULL;
    size_t secret_len = 0;
    int rc, ret = EXIT_ERROR, need;

    if (strcmp(cmd, "generate-secret") == 0) {
        char s[PYLON_IDV_SECRET_HEX_SIZE];
        if (nargs != 0) return fail("generate-secret takes no arguments");
        rc = pylon_idv_generate_secret(s);
        if (rc != 0) return fail(pylon_idv_strerror(rc));
        puts(s);
        wipe(s, sizeof s);
        return 0;
    }
    if (strcmp(cmd, "sign") == 0) need = 1;
    else if (strcmp(cmd, "verify") == 0 || strcmp(cmd, "diagnose") == 0) need = 2;
    else if (strcmp(cmd, "fingerprint") == 0) need = 0;
    else {
        fprintf(stderr, "pylon-idv: unknown command '%s'\n%s", cmd, usage);
        return EXIT_ERROR;
    }
    if (nargs != need) {
        fprintf(stderr, "pylon-idv: %s takes %d argument%s\n%s", cmd, need,
                need == 1 ? "" : "s", usage);
        return EXIT_ERROR;
    }
    if ((rc = load_secret(secret_file, &buf, &secret, &secret_len)) != 0) return rc;

    if (strcmp(cmd, "sign") == 0) {
        char h[PYLON_IDV_HASH_HEX_SIZE];
        rc = pylon_idv_sign(h, args[0], strlen(args[0]), secret, secret_len);
        if (rc < 0) ret = secret_error(rc, secret, secret_len);
        else { puts(h); ret = 0; }
    } else if (strcmp(cmd, "verify") == 0) {
        rc = pylon_idv_verify(args[0], strlen(args[0]), secret, secret_len,
                              args[1], strlen(args[1]));
        if (rc < 0) ret = secret_error(rc, secret, secret_len);
        else { puts(rc ? "match" : "mismatch"); ret = rc ? 0 : EXIT_MISMATCH; }
    } else if (strcmp(cmd, "fingerprint") == 0) {
        pylon_idv_signer *s = NULL;
        rc = pylon_idv_signer_new(&s, secret, secret_len);
        if (rc < 0) ret = secret_error(rc, secret, secret_len);
        else {
            char fp[PYLON_IDV_FINGERPRINT_SIZE];
            pylon_idv_signer_fingerprint(s, fp);
            puts(fp);
            ret = 0;
        }
        pylon_idv_signer_free(s);
    } else {
        int cause = pylon_idv_diagnose(args[0], strlen(args[0]), secret, secret_len,
                                       args[1], strlen(args[1]));
        printf("%s: %s\n", pylon_idv_cause_name(cause), pylon_idv_cause_message(cause));
        ret = cause == PYLON_IDV_CAUSE_MATCH ? 0 : EXIT_MISMATCH;
    }
    if (buf) { wipe(buf, secret_len); free(buf); }
    return ret;
}

int main(int argc, char **argv)
{
    const char *secret_file = NULL, *cmd = NULL;
    char **args = (char **)calloc((size_t)argc + 1, sizeof *args);
    int i, nargs = 0, ret;

    if (args == NULL) return fail("out of memory");
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
            fputs(usage, stdout); free(args); return 0;
        } else if (strcmp(a, "--version") == 0) {
            printf("pylon-idv %s\n", pylon_idv_version()); free(args); return 0;
        } else if (strcmp(a, "--secret-file") == 0) {
            if (i + 1 >= argc) { free(args); return fail("--secret-file needs a path (- for stdin)"); }
            secret_file = argv[++i];
        } else if (strncmp(a, "--secret-file=", 14) == 0) {
            secret_file = a + 14;
        } else if (strcmp(a, "--secret") == 0 || strncmp(a, "--secret=", 9) == 0) {
            free(args);
            return fail("the secret is never taken on the command line (ps and shell history "
                        "show it): use PYLON_IDENTITY_SECRET or --secret-file");
        } else if (strcmp(a, "--") == 0) {
            for (i++; i < argc; i++) {
                if (cmd == NULL) cmd = argv[i]; else args[nargs++] = argv[i];
            }
        } else if (a[0] == '-' && a[1] == '-' && cmd == NULL) {
            fprintf(stderr, "pylon-idv: unknown option %s\n%s", a, usage);
            free(args);
            return EXIT_ERROR;
        } else if (cmd == NULL) {
            cmd = a;
        } else {
            args[nargs++] = argv[i];
        }
    }
    if (cmd == NULL) { fputs(usage, stderr); free(args); return EXIT_ERROR; }
    ret = run(cmd, args, nargs, secret_file);
    free(args);
    return ret;
}
