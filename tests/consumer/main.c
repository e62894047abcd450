/* A user's program, written against the installed pylon_idv.h only. */
#include <stdio.h>
#include <string.h>

#include <pylon_idv.h>

int main(void)
{
    const char *secret = "8f3a5be1c0d2e4f6a7b9c1d3e5f708192a3b4c5d6e7f8091a2b3c4d5e6f70812";
    const char *email = "jane@example.com";
    char hash[PYLON_IDV_HASH_HEX_SIZE];
    int rc = pylon_idv_sign(hash, email, strlen(email), secret, strlen(secret));
    if (rc != PYLON_IDV_OK) {
        fprintf(stderr, "%s\n", pylon_idv_strerror(rc));
        return 2;
    }
    printf("%s %s\n", pylon_idv_version(), hash);
    return pylon_idv_verify(email, strlen(email), secret, strlen(secret), hash, strlen(hash)) == 1
           ? 0 : 1;
}
