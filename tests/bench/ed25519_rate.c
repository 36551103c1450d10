/*
 * How many Ed25519 signatures libsodium verifies per second on this machine,
 * on one thread: the ceiling that `samvydav verify` is measured against.
 *
 *     ed25519_rate [SECONDS]      (default 3)
 *
 * Prints "verify <N>/s sign <N>/s". A 32-byte message stands in for what is
 * really signed (minisign signs a 64-byte BLAKE2b hash, and a signature plus
 * trusted comment); at these sizes the curve arithmetic is all that counts.
 */
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Runs f in batches until `seconds` have passed; returns operations per second. */
static double rate(int (*f)(void), double seconds)
{
	double start = now(), t;
	unsigned long n = 0;

	do {
		for (int i = 0; i < 256; i++) {
			if (f() != 0) {
				fprintf(stderr, "ed25519_rate: a check failed\n");
				exit(1);
			}
		}
		n += 256;
	} while ((t = now() - start) < seconds);
	return (double)n / t;
}

static unsigned char pk[crypto_sign_PUBLICKEYBYTES], sk[crypto_sign_SECRETKEYBYTES];
static unsigned char msg[32], sig[crypto_sign_BYTES];

static int do_verify(void)
{
	return crypto_sign_verify_detached(sig, msg, sizeof(msg), pk);
}

static int do_sign(void)
{
	return crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
}

int main(int argc, char **argv)
{
	double seconds = argc > 1 ? atof(argv[1]) : 3.0;
	double v, s;

	if (sodium_init() < 0 || seconds <= 0) {
		fprintf(stderr, "usage: ed25519_rate [SECONDS]\n");
		return 2;
	}
	crypto_sign_keypair(pk, sk);
	randombytes_buf(msg, sizeof(msg));
	crypto_sign_detached(sig, NULL, msg, sizeof(msg), sk);
	v = rate(do_verify, seconds);
	/* signing is timed too: `add` makes two signatures per item */
	s = rate(do_sign, seconds / 3);
	printf("verify %.0f/s sign %.0f/s\n", v, s);
	return 0;
}
