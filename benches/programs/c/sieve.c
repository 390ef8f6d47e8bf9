/* Sieve of Eratosthenes, 10 rounds up to 10^6, a fresh flag array each
 * round (as make-vector in ../sieve.cl). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static long sieve(long n) {
    unsigned char *flags = malloc((size_t)n + 1);
    if (!flags) { perror("malloc"); exit(1); }
    memset(flags, 1, (size_t)n + 1);
    long count = 0, i = 2;
    while (i <= n) {
        if (flags[i]) {
            count = count + 1;
            long j = i * i;
            while (j <= n) {
                flags[j] = 0;
                j = j + i;
            }
        }
        i = i + 1;
    }
    free(flags);
    return count;
}

int main(void) {
    long total = 0;
    for (int r = 0; r < 10; r++) total = total + sieve(1000000);
    printf("%ld\n", total);
    return 0;
}
