/*
 * test_cache.c -- the one-shot cache's lifecycle: no thread ever touches freed memory, and
 * every hash is right, in every order of thread exit, pthread-key destructors, exit() with
 * threads still signing, dlclose and fork.
 *
 *   test_cache destructor      pthread-key destructors that sign before and after the
 *                              cache's own (and in a thread that never signed before)
 *   test_cache exit            exit() while 4 threads sign with two alternating secrets;
 *                              they go on signing after the library's unload destructor
 *   test_cache fork            fork() while another thread registers its entry (holding the
 *                              cache lock) and a third one has an entry: the child signs
 *                              from a new thread, and holds only its own entries
 *   test_cache fork-control    the same, expecting the child to hang or fail: run on the
 *                              build without the atfork handlers (-DPYLON_IDV_TEST_NO_ATFORK),
 *                              it proves the fork test can fail
 *   test_cache dlclose MODULE  dlopen a build of the core, sign on two threads, dlclose it
 *                              while one of them lives on, then let it exit (its destructor
 *                              must not run in unloaded code); dlopen again, sign again
 *
 * Built from the core sources with -DPYLON_IDV_TEST_HOOKS (internal.h: a hook inside the
 * cache's critical points, entry and uncached-call counts). Run under ASan by
 * `make test-c-variants`: the destructor and exit cases are heap-use-after-free there with
 * the old cache (an entry freed while its thread still pointed at it, or was using it).
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <signal.h>
#include <stdint.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "internal.h"
#include "check.h"

static const char *email = "jane@example.com";
static const char *secret_a = "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f";
static const char *secret_b = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812";
static char want_a[65], want_b[65];
static int failures;                     /* atomic: wrong hashes seen by any thread */

static void sleep_ms(long ms)
{
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&t, &t) != 0 && errno == EINTR) {}
}

/* The reference: OpenSSL's HMAC() with the hex-decoded key. */
static void oracle(char out[65], const char *secret_hex)
{
    unsigned char key[64], tag[32];
    unsigned int n = 0;
    size_t i, klen = strlen(secret_hex) / 2;
    for (i = 0; i < klen; i++)
        key[i] = (unsigned char)(unhex_nibble(secret_hex[2 * i]) << 4
                                 | unhex_nibble(secret_hex[2 * i + 1]));
    HMAC(EVP_sha256(), key, (int)klen, (const unsigned char *)email, strlen(email), tag, &n);
    pi_hex_encode(out, tag, 32);
}

/* Sign with a secret and count a wrong answer. */
static void sign_check(const char *secret, const char *want)
{
    char h[65];
    if (pylon_idv_sign(h, email, strlen(email), secret, 64) != 0 || strcmp(h, want) != 0)
        __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
    if (pylon_idv_verify(email, strlen(email), secret, 64, want, 64) != 1)
        __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
}

/* ----------------------------------------------------------------- destructors */
static pthread_key_t key_before, key_after;   /* created before / after the cache's key */
static int destructor_calls;

static void signing_destructor(void *p)
{
    (void)p;
    sign_check(secret_a, want_a);            /* the thread's own secret: a cache hit, if any */
    sign_check(secret_b, want_b);            /* another: a miss */
    sign_check(secret_a, want_a);
    __atomic_add_fetch(&destructor_calls, 1, __ATOMIC_SEQ_CST);
}

static void *destructor_thread(void *arg)
{
    if (arg) sign_check(secret_a, want_a);   /* an entry, registered before exit */
    pthread_setspecific(key_before, (void *)1);
    pthread_setspecific(key_after, (void *)1);
    return NULL;
}

static int test_destructor(void)
{
    pthread_t t;
    int entries, uncached, i;

    CHECK(pthread_key_create(&key_before, signing_destructor) == 0);
    sign_check(secret_a, want_a);            /* creates the cache's key (and main's entry) */
    CHECK(pthread_key_create(&key_after, signing_destructor) == 0);
    entries = pi_test_cache_entries();
    CHECK(entries == 1);
    for (i = 0; i < 2; i++) {   /* a thread that signed, then one that signs only at exit */
        uncached = pi_test_cache_uncached();
        CHECK(pthread_create(&t, NULL, destructor_thread, i == 0 ? (void *)1 : NULL) == 0);
        CHECK(pthread_join(t, NULL) == 0);
        /* key_after's destructor ran after the cache's: served uncached, and right */
        CHECK_MSG(pi_test_cache_uncached() > uncached,
                  "case %d: no call after the cache's destructor (the test proves nothing)", i);
        CHECK_MSG(pi_test_cache_entries() == entries,
                  "case %d: %d entries left after the thread exited, want %d", i,
                  pi_test_cache_entries(), entries);
    }
    CHECK(destructor_calls == 4);
    CHECK(__atomic_load_n(&failures, __ATOMIC_SEQ_CST) == 0);
    printf("destructor: 4 key destructors signed (before and after the cache's), %d wrong\n",
           failures);
    return check_report("test_cache destructor");
}

/* ------------------------------------------------------------------- exit() */
#define EXIT_THREADS 4
static long signs[EXIT_THREADS];
static int uncached_at_unload = -1;

static void *exit_thread(void *arg)
{
    long id = (long)arg;
    for (;;) {                                       /* until the process ends */
        sign_check(secret_a, want_a);
        sign_check(secret_b, want_b);                /* two secrets: every call a miss */
        __atomic_add_fetch(&signs[id], 1, __ATOMIC_SEQ_CST);
        if (__atomic_load_n(&failures, __ATOMIC_SEQ_CST)) {
            static const char msg[] = "test_cache exit: a wrong hash\n";
            ssize_t w = write(2, msg, sizeof msg - 1);
            (void)w;
            _exit(3);
        }
    }
    return NULL;
}

/* Runs after the library's unload destructor (unprioritised: it runs earlier), while the
 * threads keep signing: they must now be served uncached, and right. */
__attribute__((destructor(101))) static void after_unload(void)
{
    long before[EXIT_THREADS];
    int i, stalled = 0, entries;
    if (uncached_at_unload < 0) return;              /* not the exit test */
    for (i = 0; i < EXIT_THREADS; i++) before[i] = __atomic_load_n(&signs[i], __ATOMIC_SEQ_CST);
    sleep_ms(200);
    for (i = 0; i < EXIT_THREADS; i++)
        stalled += __atomic_load_n(&signs[i], __ATOMIC_SEQ_CST) == before[i];
    entries = pi_test_cache_entries();
    fprintf(stderr, "exit: after the unload, %d entries left, %d calls served uncached, "
            "%d thread(s) stalled, %d wrong hashes\n", entries,
            pi_test_cache_uncached() - uncached_at_unload, stalled, failures);
    fflush(stderr);
    _exit(failures || entries != 0 || stalled || pi_test_cache_uncached() == uncached_at_unload
          ? 1 : 0);
}

static int test_exit(void)
{
    pthread_t t;
    long i;
    int ready;
    sign_check(secret_a, want_a);                   /* main has an entry too */
    for (i = 0; i < EXIT_THREADS; i++)
        CHECK(pthread_create(&t, NULL, exit_thread, (void *)i) == 0);
    do {                                            /* every thread has signed a while */
        sleep_ms(5);
        for (ready = 0, i = 0; i < EXIT_THREADS; i++)
            ready += __atomic_load_n(&signs[i], __ATOMIC_SEQ_CST) >= 200;
    } while (ready < EXIT_THREADS);
    CHECK(pi_test_cache_entries() == EXIT_THREADS + 1);
    uncached_at_unload = pi_test_cache_uncached();
    if (check_failures) return check_report("test_cache exit");
    exit(0);                                        /* with the threads still signing */
}

/* --------------------------------------------------------------------- fork */
static sem_t locked, b_ready, b_release;

static void hold_lock_hook(int where)
{
    if (where != PI_HOOK_REGISTER_LOCKED) return;
    pi_test_cache_hook = NULL;                      /* once */
    sem_post(&locked);
    sleep_ms(300);                                  /* fork() happens meanwhile */
}

static void *registering_thread(void *arg)
{
    (void)arg;
    sign_check(secret_a, want_a);                   /* registers, with the hook */
    return NULL;
}

static void *thread_b(void *arg)
{
    (void)arg;
    sign_check(secret_b, want_b);                   /* an entry, alive across the fork */
    sem_post(&b_ready);
    while (sem_wait(&b_release) != 0) {}
    return NULL;
}

static void *child_thread(void *arg)
{
    (void)arg;
    sign_check(secret_b, want_b);
    sign_check(secret_a, want_a);
    return NULL;
}

/* The child: sign from a new thread (it registers under the cache lock), then check that
 * only the child's own entries are left (the main thread's). 0 on success. */
static int child_main(void)
{
    pthread_t t;
    int entries;
    if (pthread_create(&t, NULL, child_thread, NULL) != 0) return 10;
    if (pthread_join(t, NULL) != 0) return 11;
    sign_check(secret_a, want_a);
    entries = pi_test_cache_entries();
    if (entries != 1) {
        fprintf(stderr, "fork child: %d entries, want 1 (its own): the parent's other "
                "threads' entries were not dropped\n", entries);
        return 12;
    }
    return __atomic_load_n(&failures, __ATOMIC_SEQ_CST) ? 13 : 0;
}

/* 0: the child exited 0; 1: it failed; 2: it hung (killed after timeout_ms). */
static int fork_case(long timeout_ms)
{
    pthread_t a, b;
    pid_t pid;
    int status = 0;
    long waited = 0;

    CHECK(sem_init(&locked, 0, 0) == 0 && sem_init(&b_ready, 0, 0) == 0
          && sem_init(&b_release, 0, 0) == 0);
    sign_check(secret_a, want_a);                   /* main's entry */
    CHECK(pthread_create(&b, NULL, thread_b, NULL) == 0);
    while (sem_wait(&b_ready) != 0) {}
    pi_test_cache_hook = hold_lock_hook;
    CHECK(pthread_create(&a, NULL, registering_thread, NULL) == 0);
    while (sem_wait(&locked) != 0) {}               /* a holds the cache lock now */
    pid = fork();
    if (pid == 0) _exit(child_main());
    CHECK(pid > 0);
    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid) break;
        if (waited >= timeout_ms) {
            kill(pid, SIGKILL);
            waitpid(pid, &status, 0);
            status = -1;
            break;
        }
        sleep_ms(10);
        waited += 10;
    }
    sem_post(&b_release);
    CHECK(pthread_join(a, NULL) == 0 && pthread_join(b, NULL) == 0);
    CHECK(__atomic_load_n(&failures, __ATOMIC_SEQ_CST) == 0);     /* the parent's hashes */
    if (status == -1) return 2;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0) return 0;
    fprintf(stderr, "fork child: exit status %d\n",
            WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status));
    return 1;
}

static int test_fork(void)
{
    int r = fork_case(10000);
    CHECK_MSG(r == 0, "the child %s", r == 2 ? "hung (killed after 10 s)" : "failed");
    printf("fork: the child of a fork taken while another thread held the cache lock "
           "signed from a new thread: %s\n", r == 0 ? "ok" : "FAILED");
    return check_report("test_cache fork");
}

static int test_fork_control(void)
{
    int r = fork_case(3000);
#if !defined(PYLON_IDV_TEST_NO_ATFORK)
    fprintf(stderr, "fork-control: built with the atfork handlers; run the no-atfork build\n");
    return 1;
#endif
    printf("fork-control (no atfork handlers): the child %s\n",
           r == 2 ? "hung, as expected" : r == 1 ? "failed, as expected" : "SUCCEEDED");
    CHECK_MSG(r != 0, "without the atfork handlers the fork test still passes: it proves "
              "nothing");
    return check_report("test_cache fork-control");
}

/* ------------------------------------------------------------------ dlclose */
typedef int (*sign_fn)(char *, const char *, size_t, const char *, size_t);
static sign_fn dl_sign;
static sem_t t_signed, t_go;

static void dl_sign_check(const char *secret, const char *want)
{
    char h[65];
    if (dl_sign(h, email, strlen(email), secret, 64) != 0 || strcmp(h, want) != 0)
        __atomic_add_fetch(&failures, 1, __ATOMIC_SEQ_CST);
}

static void *dl_thread(void *arg)
{
    (void)arg;
    dl_sign_check(secret_a, want_a);        /* an entry in the module's cache */
    sem_post(&t_signed);
    while (sem_wait(&t_go) != 0) {}          /* the module is unloaded meanwhile */
    return NULL;                             /* exits: no destructor of unloaded code */
}

static int test_dlclose(const char *module)
{
    pthread_t t;
    void *h;
    int round;

    CHECK(sem_init(&t_signed, 0, 0) == 0 && sem_init(&t_go, 0, 0) == 0);
    for (round = 0; round < 2; round++) {
        h = dlopen(module, RTLD_NOW | RTLD_LOCAL);
        CHECK_MSG(h != NULL, "dlopen: %s", dlerror());
        if (h == NULL) break;
        dl_sign = (sign_fn)(uintptr_t)dlsym(h, "pylon_idv_sign");
        CHECK(dl_sign != NULL);
        if (dl_sign == NULL) break;
        CHECK(pthread_create(&t, NULL, dl_thread, NULL) == 0);
        while (sem_wait(&t_signed) != 0) {}
        dl_sign_check(secret_b, want_b);     /* main's entry */
        CHECK(dlclose(h) == 0);
        /* really unloaded (or the test proves nothing) */
        CHECK_MSG(dlopen(module, RTLD_NOW | RTLD_NOLOAD) == NULL,
                  "the module is still loaded after dlclose");
        sem_post(&t_go);
        CHECK(pthread_join(t, NULL) == 0);   /* a crash here: a destructor in unloaded code */
    }
    CHECK(failures == 0);
    printf("dlclose: twice loaded, signed on two threads, unloaded with one thread alive, "
           "which then exited: %s\n", check_failures ? "FAILED" : "ok");
    return check_report("test_cache dlclose");
}

int main(int argc, char **argv)
{
    const char *mode = argc > 1 ? argv[1] : "";
    /* No OPENSSL_cleanup at exit: the exit test's threads sign on through exit(), and the
     * EVP build's digests must outlive it (this is about our cache, not OpenSSL's). */
    OPENSSL_init_crypto(OPENSSL_INIT_NO_ATEXIT, NULL);
    oracle(want_a, secret_a);
    oracle(want_b, secret_b);
    if (strcmp(mode, "destructor") == 0) return test_destructor();
    if (strcmp(mode, "exit") == 0) return test_exit();
    if (strcmp(mode, "fork") == 0) return test_fork();
    if (strcmp(mode, "fork-control") == 0) return test_fork_control();
    if (strcmp(mode, "dlclose") == 0 && argc > 2) return test_dlclose(argv[2]);
    fprintf(stderr, "usage: test_cache destructor|exit|fork|fork-control|dlclose MODULE\n");
    return 2;
}
