/* fib(32): call-heavy, non-tail recursion. Twin of ../fib.cl. */
#include <stdio.h>

static long fib(long n) {
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

int main(void) {
    printf("%ld\n", fib(32));
    return 0;
}
