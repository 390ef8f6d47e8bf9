/* An empty C program: process start-up, to compare with an empty .cl file. */
int main(void) { return 0; }
