#include <pylon_idv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    const char *secret = getenv("PYLON_IDENTITY_SECRET"), *email = "jane@example.com";
    char hash[PYLON_IDV_HASH_HEX_SIZE];
    int rc = pylon_idv_sign(hash, email, strlen(email), secret, secret ? strlen(secret) : 0);
    if (rc != PYLON_IDV_OK) {
        fprintf(stderr, "pylon_idv: %s\n", pylon_idv_strerror(rc));
        return 1;
    }
    puts(hash);
    return 0;
}
