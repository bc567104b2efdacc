/*
 * Runs the fuzz target over every file of a corpus directory, so that
 * `make check` exercises it without clang or libFuzzer.  The directory is
 * argv[1], else $HERALD_SRCDIR/tests/fuzz/corpus/FUZZ_CORPUS.  Fails if it finds
 * no input (a replay that reads nothing proves nothing).
 */
#include "config.h"

#include <dirent.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The corpus of the target linked in: tests/fuzz/corpus/FUZZ_CORPUS. */
#ifndef FUZZ_CORPUS
#define FUZZ_CORPUS "frame"
#endif

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int replay_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	unsigned char *buf = NULL;
	long len;
	int rc = -1;

	if (!f)
		return -1;
	if (fseek(f, 0, SEEK_END) == 0 && (len = ftell(f)) >= 0 && len <= (1 << 24) &&
	    fseek(f, 0, SEEK_SET) == 0 && (buf = malloc((size_t)len + 1)) &&
	    fread(buf, 1, (size_t)len, f) == (size_t)len) {
		LLVMFuzzerTestOneInput(buf, (size_t)len);
		rc = 0;
	}
	free(buf);
	fclose(f);
	return rc;
}

int main(int argc, char **argv)
{
	const char *src = getenv("HERALD_SRCDIR");
	char dir[4096], path[8192];
	struct dirent *de;
	int n = 0;
	DIR *d;

	if (argc > 1)
		snprintf(dir, sizeof(dir), "%s", argv[1]);
	else
		snprintf(dir, sizeof(dir), "%s/tests/fuzz/corpus/" FUZZ_CORPUS, src ? src : ".");
	d = opendir(dir);
	if (!d) {
		perror(dir);
		return 1;
	}
	while ((de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof(path), "%s/%s", dir, de->d_name);
		if (replay_file(path) < 0) {
			fprintf(stderr, "%s: cannot read\n", path);
			closedir(d);
			return 1;
		}
		n++;
	}
	closedir(d);
	printf("replayed %d inputs from %s\n", n, dir);
	return n > 0 ? 0 : 1;
}
