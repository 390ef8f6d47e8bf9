/* A 10^8-iteration integer while loop. Twin of ../loop.cl.
 * The result is printed so the loop is not dead code; gcc may still
 * replace the loop by its closed form (perf-reports/tiers.sh checks the
 * generated assembly and says so in its report). */
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
    printf("%ld\n", sum_to(100000000));
    return 0;
}
