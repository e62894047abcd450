/*
 * pylon-idv -- the command line, a client of the public C API like any other.
 *
 *   pylon-idv [--secret-file PATH|-] COMMAND [ARGS]
 *   COMMAND: sign EMAIL | verify EMAIL HASH | generate-secret | fingerprint
 *          | diagnose EMAIL HASH | help [COMMAND] | version
 *
 * The secret comes from $PYLON_IDENTITY_SECRET or --secret-file, never from argv (ps and
 * shell history would show it). Exit status: 0 success or match, 1 mismatch, 2 any error,
 * with one line on standard error that never shows the secret and never echoes an argument
 * (a secret pasted in the wrong place must not land in a log). An output that cannot be
 * written (a full disk, a closed stdout, a closed pipe) is an error too.
 *
 * python -m pylon_idv (bindings/python/pylon_idv/__main__.py) behaves identically, texts
 * included: tests/vectors/cli_cases.json runs every case through both.
 */
#define _POSIX_C_SOURCE 200809L
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "pylon_idv.h"

#define EXIT_MISMATCH 1
#define EXIT_ERROR 2
#define MAX_SECRET_FILE (1u << 20)

#define SECRET_OPT "[--secret-file PATH|-] "
#define SECRET_NOTE \
    "\nThe secret is read from the environment variable PYLON_IDENTITY_SECRET, or from\n" \
    "--secret-file PATH ('-' reads standard input); never from the command line.\n"

static const char usage[] =
    "usage: pylon-idv [--secret-file PATH|-] COMMAND [ARGS]\n"
    "\n"
    "  sign EMAIL              print the email hash\n"
    "  verify EMAIL HASH       exit 0 on a match, 1 on a mismatch\n"
    "  generate-secret         print a new secret (64 hex digits)\n"
    "  fingerprint             print the secret's fingerprint (safe to log)\n"
    "  diagnose EMAIL HASH     explain why a hash does not match\n"
    "  help [COMMAND]          print this help, or a command's\n"
    "  version                 print the version\n"
    SECRET_NOTE
    "Exit status: 0 success or match, 1 mismatch, 2 error.\n";

typedef struct command {
    const char *name, *args_text;     /* args_text: "EMAIL HASH" */
    int nargs, optional, secret;      /* optional: nargs is a maximum */
    const char *help;
} command;

static const command commands[] = {
    { "sign", "EMAIL", 1, 0, 1,
      "usage: pylon-idv " SECRET_OPT "sign EMAIL\n\n"
      "Print the email hash: 64 lowercase hex digits of HMAC-SHA256 keyed with the\n"
      "hex-decoded secret, over the exact bytes of EMAIL (no trimming, no case change).\n"
      SECRET_NOTE },
    { "verify", "EMAIL HASH", 2, 0, 1,
      "usage: pylon-idv " SECRET_OPT "verify EMAIL HASH\n\n"
      "Print \"match\" and exit 0 when HASH (64 hex digits, either case) is EMAIL's hash;\n"
      "else print \"mismatch\" and exit 1. A bad secret is an error (exit 2).\n"
      SECRET_NOTE },
    { "generate-secret", "", 0, 0, 0,
      "usage: pylon-idv generate-secret\n\n"
      "Print a new secret: 32 bytes from OpenSSL's random generator as 64 lowercase hex\n"
      "digits. Store it where the application reads it (PYLON_IDENTITY_SECRET).\n" },
    { "fingerprint", "", 0, 0, 1,
      "usage: pylon-idv " SECRET_OPT "fingerprint\n\n"
      "Print the secret's fingerprint: 16 hex digits that tell secrets apart without\n"
      "showing them, safe to log and to compare between services.\n"
      SECRET_NOTE },
    { "diagnose", "EMAIL HASH", 2, 0, 1,
      "usage: pylon-idv " SECRET_OPT "diagnose EMAIL HASH\n\n"
      "Explain why HASH is not EMAIL's hash, as \"cause: message\": the usual mistakes\n"
      "(the secret's text as the key, the email's case or whitespace, SHA-1 or MD5, base64,\n"
      "swapped arguments, a truncated secret). Exit 0 on a match, 1 otherwise. A developer\n"
      "tool: not constant time, never for a request path.\n"
      SECRET_NOTE },
    { "help", "COMMAND", 1, 1, 0,
      "usage: pylon-idv help [COMMAND]\n\n"
      "Print the list of commands, or the usage of COMMAND (also: COMMAND --help).\n" },
    { "version", "", 0, 0, 0,
      "usage: pylon-idv version\n\n"
      "Print the version, as --version does.\n" },
};
#define N_COMMANDS (sizeof commands / sizeof commands[0])

static const command *find_command(const char *name)
{
    size_t i;
    for (i = 0; i < N_COMMANDS; i++)
        if (strcmp(commands[i].name, name) == 0) return &commands[i];
    return NULL;
}

/* The one line on standard error, exit status 2. */
static int fail(const char *what)
{
    fprintf(stderr, "pylon-idv: %s\n", what);
    return EXIT_ERROR;
}

static int fail_errno(const char *what, int err)
{
    fprintf(stderr, "pylon-idv: %s: %s\n", what, strerror(err));
    return EXIT_ERROR;
}

/* Write text to standard output, all of it, or report why not. */
static int emit(const char *text, int status)
{
    errno = 0;
    if (fputs(text, stdout) < 0 || fflush(stdout) != 0 || ferror(stdout))
        return fail_errno("cannot write the output", errno ? errno : EIO);
    return status;
}

/* Read all of fd (at most MAX_SECRET_FILE + 1 bytes). 0, or an errno. */
static int read_all(int fd, char *p, size_t *n)
{
    ssize_t r;
    *n = 0;
    for (;;) {
        r = read(fd, p + *n, MAX_SECRET_FILE + 1 - *n);
        if (r < 0 && errno == EINTR) continue;
        if (r < 0) return errno;
        if (r == 0 || (*n += (size_t)r) > MAX_SECRET_FILE) return 0;
    }
}

/* The secret as text: *buf is heap (from a file) or NULL (from the environment). */
static int load_secret(const char *file, char **buf, const char **secret, size_t *len)
{
    struct stat st;
    char *p;
    size_t n = 0;
    int fd, err;

    *buf = NULL;
    if (file == NULL) {
        const char *env = getenv("PYLON_IDENTITY_SECRET");
        if (env == NULL)
            return fail("no secret: set PYLON_IDENTITY_SECRET or use --secret-file PATH "
                        "(- for standard input)");
        *secret = env;
        *len = strlen(env);
        return 0;
    }
    p = (char *)malloc(MAX_SECRET_FILE + 1);
    if (p == NULL) return fail("out of memory");
    if (strcmp(file, "-") == 0) {
        if ((err = read_all(0, p, &n)) != 0) {
            pylon_idv_wipe(p, MAX_SECRET_FILE + 1); free(p);
            return fail_errno("cannot read standard input", err);
        }
    } else {
        fd = open(file, O_RDONLY | O_CLOEXEC);
        if (fd < 0) { free(p); return fail_errno("cannot open the secret file", errno); }
        if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
            close(fd); free(p);
            return fail_errno("cannot open the secret file", EISDIR);
        }
        err = read_all(fd, p, &n);
        close(fd);
        if (err != 0) {
            pylon_idv_wipe(p, MAX_SECRET_FILE + 1); free(p);
            return fail_errno("cannot read the secret file", err);
        }
    }
    if (n > MAX_SECRET_FILE) {
        pylon_idv_wipe(p, n); free(p);
        return fail("the secret file is too large (over 1 MiB)");
    }
    *buf = p;
    *secret = p;
    *len = n;
    return 0;
}

/* A bad secret: the core's message (status and position, never the secret). */
static int secret_error(int rc, const char *secret, size_t len)
{
    char msg[PYLON_IDV_MESSAGE_SIZE];
    return fail(pylon_idv_message(msg, sizeof msg, rc, secret, len, 0));
}

static int run_help(char **args, int nargs)
{
    const command *c;
    if (nargs == 0) return emit(usage, 0);
    c = find_command(args[0]);
    if (c == NULL) return fail("help: unknown command; run 'pylon-idv help' for the list");
    return emit(c->help, 0);
}

static int run_version(void)
{
    char line[64];
    snprintf(line, sizeof line, "pylon-idv %s\n", pylon_idv_version());
    return emit(line, 0);
}

static int run(const command *c, char **args, const char *secret_file)
{
    char *buf = NULL, out[PYLON_IDV_MESSAGE_SIZE + 1024];
    const char *secret = NULL;
    size_t secret_len = 0;
    int rc, ret;

    if (strcmp(c->name, "generate-secret") == 0) {
        char s[PYLON_IDV_SECRET_HEX_SIZE];
        rc = pylon_idv_generate_secret(s);
        if (rc != 0) return secret_error(rc, NULL, 0);
        snprintf(out, sizeof out, "%s\n", s);
        ret = emit(out, 0);
        pylon_idv_wipe(s, sizeof s);
        pylon_idv_wipe(out, sizeof out);
        return ret;
    }
    if ((rc = load_secret(secret_file, &buf, &secret, &secret_len)) != 0) return rc;
    /* Every command checks the secret first: a configuration mistake is loud (verify in C
     * fails closed, so it would only say "mismatch"). diagnose explains it instead. */
    rc = pylon_idv_secret_check(secret, secret_len, NULL);
    if (rc != 0 && strcmp(c->name, "diagnose") != 0) {
        ret = secret_error(rc, secret, secret_len);
    } else if (strcmp(c->name, "sign") == 0) {
        char h[PYLON_IDV_HASH_HEX_SIZE];
        rc = pylon_idv_sign(h, args[0], strlen(args[0]), secret, secret_len);
        if (rc < 0) ret = secret_error(rc, secret, secret_len);
        else { snprintf(out, sizeof out, "%s\n", h); ret = emit(out, 0); }
    } else if (strcmp(c->name, "verify") == 0) {
        int ok = pylon_idv_verify(args[0], strlen(args[0]), secret, secret_len,
                                  args[1], strlen(args[1]));
        ret = emit(ok ? "match\n" : "mismatch\n", ok ? 0 : EXIT_MISMATCH);
    } else if (strcmp(c->name, "fingerprint") == 0) {
        pylon_idv_signer *s = NULL;
        rc = pylon_idv_signer_new(&s, secret, secret_len);
        if (rc < 0) ret = secret_error(rc, secret, secret_len);
        else {
            char fp[PYLON_IDV_FINGERPRINT_SIZE];
            if (pylon_idv_signer_fingerprint(s, fp) != PYLON_IDV_OK) ret = secret_error(PYLON_IDV_ECRYPTO, NULL, 0);
            else { snprintf(out, sizeof out, "%s\n", fp); ret = emit(out, 0); }
        }
        pylon_idv_signer_free(s);
    } else {
        int cause = pylon_idv_diagnose(args[0], strlen(args[0]), secret, secret_len,
                                       args[1], strlen(args[1]));
        snprintf(out, sizeof out, "%s: %s\n", pylon_idv_cause_name(cause),
                 pylon_idv_cause_message(cause));
        ret = emit(out, cause == PYLON_IDV_CAUSE_MATCH ? 0 : EXIT_MISMATCH);
    }
    if (buf) { pylon_idv_wipe(buf, secret_len); free(buf); }
    return ret;
}

int main(int argc, char **argv)
{
    const char *secret_file = NULL;
    const command *cmd = NULL;
    char **args = (char **)calloc((size_t)argc + 1, sizeof *args);
    int i, nargs = 0, ret, want_help = 0, want_version = 0, unknown_cmd = 0, have_cmd = 0;
    int literal = 0;

    /* A closed pipe is an output error like any other (exit 2), not a silent death. */
    signal(SIGPIPE, SIG_IGN);
    if (args == NULL) return fail("out of memory");
    for (i = 1; i < argc; i++) {
        const char *a = argv[i];
        if (!literal && a[0] == '-' && a[1] != '\0') {
            if (strcmp(a, "--") == 0) { literal = 1; continue; }
            if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) { want_help = 1; continue; }
            if (strcmp(a, "--version") == 0) { want_version = 1; continue; }
            if (strcmp(a, "--secret-file") == 0) {
                if (i + 1 >= argc) {
                    free(args);
                    return fail("--secret-file needs a path (- for standard input)");
                }
                secret_file = argv[++i];
                continue;
            }
            if (strncmp(a, "--secret-file=", 14) == 0) { secret_file = a + 14; continue; }
            free(args);
            if (strcmp(a, "--secret") == 0 || strncmp(a, "--secret=", 9) == 0)
                return fail("the secret is never taken on the command line (ps and shell "
                            "history show it): use PYLON_IDENTITY_SECRET or --secret-file");
            return fail("unknown option; run 'pylon-idv help'");
        }
        if (!have_cmd) {
            have_cmd = 1;
            cmd = find_command(a);
            unknown_cmd = cmd == NULL;
        } else {
            args[nargs++] = argv[i];
        }
    }
    if (unknown_cmd) ret = fail("unknown command; run 'pylon-idv help' for the list");
    else if (want_help) ret = cmd ? emit(cmd->help, 0) : emit(usage, 0);
    else if (want_version) ret = run_version();
    else if (cmd == NULL) ret = fail("no command; run 'pylon-idv help'");
    else if (cmd->optional ? nargs > cmd->nargs : nargs != cmd->nargs) {
        char msg[256];
        if (cmd->nargs == 0)
            snprintf(msg, sizeof msg, "%s takes no arguments; run 'pylon-idv help %s'",
                     cmd->name, cmd->name);
        else
            snprintf(msg, sizeof msg, "%s takes %s%d argument%s (%s); run 'pylon-idv help %s'",
                     cmd->name, cmd->optional ? "at most " : "", cmd->nargs,
                     cmd->nargs == 1 ? "" : "s", cmd->args_text, cmd->name);
        ret = fail(msg);
    }
    else if (strcmp(cmd->name, "help") == 0) ret = run_help(args, nargs);
    else if (strcmp(cmd->name, "version") == 0) ret = run_version();
    else ret = run(cmd, args, secret_file);
    free(args);
    return ret;
}
