/*
 * fuzz_conf.c - libFuzzer harness for the config parser (conf_load).
 *
 * conf_load reads a path, so the input goes into a memfd read back
 * through /proc/self/fd; every input must give a config or an error
 * with its text, never a crash or a leak.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "conf.h"

#define FUZZ_CONF_MAX	(64 * 1024)

int LLVMFuzzerTestOneInput(const uint8_t *, size_t);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct conf c;
	char path[64], err[512];
	int fd;

	if (size > FUZZ_CONF_MAX)
		return 0;
	if ((fd = memfd_create("fuzz_conf", MFD_CLOEXEC)) == -1)
		abort();
	if (write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	memset(&c, 0, sizeof(c));
	err[0] = '\0';
	if (conf_load(path, &c, err, sizeof(err)) == 0)
		conf_free(&c);
	else if (err[0] == '\0')
		abort();	/* an error must say what is wrong */
	close(fd);
	return 0;
}
