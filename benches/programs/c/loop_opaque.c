/* loop.c with the bound read from a volatile, so gcc cannot compute the
 * sum at compile time and must run the 10^8 iterations (gcc -O2 folds
 * loop.c to a constant). Used by perf-reports/tiers.sh as the C time for
 * the loop benchmark when loop.c is folded. */
#include <stdio.h>

static long sum_to(long n) {
    long i = 0, acc = 0;
    while (i < n) {
        acc = acc + i;
        i = i + 1;
    }
    return acc;
}

int main(void) {
    volatile long n = 100000000;
    printf("%ld\n", sum_to(n));
    return 0;
}
