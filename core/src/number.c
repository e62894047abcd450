/*
 * number.c -- numbers as JavaScript writes them (Number.prototype.toString), so the page's
 * text does not depend on the binding, the C library's printf or the locale: integers in
 * decimal, finite doubles in the shortest form that reads back as the same double.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "internal.h"

/* value = digits (k of them, no leading zero) x 10^e10, read back with strtod. The text has
 * no decimal point, so it reads the same in every locale. */
static double read_digits(const char *digits, int k, int e10)
{
    char buf[PYLON_IDV_NUMBER_SIZE + 8];
    snprintf(buf, sizeof buf, "%.*se%d", k, digits, e10);
    return strtod(buf, NULL);
}

/* Shortest digits of x > 0 (finite) that read back as x: digits[0..k), x ~ 0.d1..dk x 10^n.
 * For each precision p = 1..17, printf's correctly rounded p digits; when those do not read
 * back, the p-digit neighbour on the other side of x may (x a power of two, whose interval is
 * narrower below than above). */
static int shortest(double x, char digits[20], int *n)
{
    char buf[40];
    int p, k, e;
    for (p = 1; p <= 17; p++) {
        const char *c;
        int i;
        double y;
        snprintf(buf, sizeof buf, "%.*e", p - 1, x);
        k = 0;
        for (c = buf; *c != '\0' && *c != 'e' && *c != 'E'; c++)
            if (*c >= '0' && *c <= '9' && k < 19) digits[k++] = *c;
        e = (*c == 'e' || *c == 'E') ? atoi(c + 1) : 0;
        y = read_digits(digits, k, e - (k - 1));
        if (y != x && p < 17) {
            /* The neighbour: +1 or -1 in the last digit. */
            char alt[20];
            int ak = k, ae = e, carry;
            memcpy(alt, digits, (size_t)k);
            if (y < x) {
                for (i = ak - 1, carry = 1; i >= 0 && carry; i--) {
                    if (alt[i] == '9') alt[i] = '0';
                    else { alt[i]++; carry = 0; }
                }
                if (carry) { memmove(alt + 1, alt, (size_t)ak); alt[0] = '1'; ae++; ak = k; }
            } else {
                for (i = ak - 1, carry = 1; i >= 0 && carry; i--) {
                    if (alt[i] == '0') alt[i] = '9';
                    else { alt[i]--; carry = 0; }
                }
                if (alt[0] == '0') ak = 0;                /* shorter: tried already */
            }
            if (ak > 0 && read_digits(alt, ak, ae - (ak - 1)) == x) {
                memcpy(digits, alt, (size_t)ak);
                k = ak; e = ae; y = x;
            }
        }
        if (y == x || p == 17) break;
    }
    while (k > 1 && digits[k - 1] == '0') k--;
    *n = e + 1;
    return k;
}

size_t pi_format_double(char out[PYLON_IDV_NUMBER_SIZE], double x)
{
    char d[20];
    size_t o = 0;
    int k, n, i;

    if (x == 0) {
        if (signbit(x)) out[o++] = '-';
        out[o++] = '0';
        out[o] = '\0';
        return o;
    }
    if (x < 0) { out[o++] = '-'; x = -x; }
    k = shortest(x, d, &n);
    if (k <= n && n <= 21) {                         /* 1234500 */
        for (i = 0; i < k; i++) out[o++] = d[i];
        for (i = k; i < n; i++) out[o++] = '0';
    } else if (0 < n && n <= 21) {                   /* 12.345 */
        for (i = 0; i < n; i++) out[o++] = d[i];
        out[o++] = '.';
        for (i = n; i < k; i++) out[o++] = d[i];
    } else if (-6 < n && n <= 0) {                   /* 0.0012345 */
        out[o++] = '0'; out[o++] = '.';
        for (i = 0; i < -n; i++) out[o++] = '0';
        for (i = 0; i < k; i++) out[o++] = d[i];
    } else {                                         /* 1.2345e+21, 1e-7 */
        int ex = n - 1;
        char eb[8];
        int el;
        out[o++] = d[0];
        if (k > 1) {
            out[o++] = '.';
            for (i = 1; i < k; i++) out[o++] = d[i];
        }
        out[o++] = 'e';
        out[o++] = ex < 0 ? '-' : '+';
        el = snprintf(eb, sizeof eb, "%d", ex < 0 ? -ex : ex);
        for (i = 0; i < el; i++) out[o++] = eb[i];
    }
    out[o] = '\0';
    return o;
}

size_t pi_format_int(char *out, long long v)
{
    char tmp[24];
    size_t n = 0, o = 0;
    unsigned long long u = v < 0 ? 0ULL - (unsigned long long)v : (unsigned long long)v;
    if (v < 0) out[o++] = '-';
    do { tmp[n++] = (char)('0' + (u % 10)); u /= 10; } while (u != 0);
    while (n > 0) out[o++] = tmp[--n];
    out[o] = '\0';
    return o;
}

