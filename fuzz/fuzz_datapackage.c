/* Fuzz target of a Data Package read into a new dataset (src/lib/catalog/datapackage.c): the
 * bytes as datapackage.json in a folder that holds a small CSV (pkg/data.csv) and a link to a
 * CSV outside it (pkg/out.csv -> ../outside.csv), imported into a real store (made once per
 * process). Invariants: an import succeeds or is refused with a negative HL_E code and one
 * printable line; a refused one made no dataset (create and load are one transaction); no
 * dataset ever holds a row of the file outside the folder. */
#define FUZZ_NAME "fuzz_datapackage"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "fuzz_util.h"
#include "halong/catalog.h"
#include "halong/util.h"
#include "store/store.h"

#define FUZZ_MAX_INPUT (64 * 1024)

static hl_store *st;
static char dir[64], pkg[96], desc[128];
static hl_principal local;
static unsigned long serial;

static void rm(const char *a, const char *b)
{
	char p[160];
	snprintf(p, sizeof(p), "%s/%s", a, b);
	unlink(p);
}

static void cleanup(void)
{
	hl_store_free(st);
	st = NULL;
	rm(pkg, "datapackage.json");
	rm(pkg, "data.csv");
	rm(pkg, "out.csv");
	rmdir(pkg);
	rm(dir, "outside.csv");
	rm(dir, "h.db");
	rm(dir, "h.db-wal");
	rm(dir, "h.db-shm");
	rmdir(dir);
}

static void put(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");
	CHECK(f != NULL);
	fputs(text, f);
	CHECK(fclose(f) == 0);
}

static void setup(void)
{
	char p[160];
	snprintf(dir, sizeof(dir), "/tmp/hl-fuzz-dp-XXXXXX");
	CHECK(mkdtemp(dir));
	snprintf(p, sizeof(p), "%s/h.db", dir);
	CHECK(hl_store_open(&st, p, 1) == 0);
	atexit(cleanup);
	snprintf(pkg, sizeof(pkg), "%s/pkg", dir);
	CHECK(hl_mkdir_p(pkg, 0700) == 0);
	snprintf(desc, sizeof(desc), "%s/datapackage.json", pkg);
	snprintf(p, sizeof(p), "%s/data.csv", pkg);
	put(p, "id,note\r\n1,inside\r\n2,'=x\r\n");
	snprintf(p, sizeof(p), "%s/outside.csv", dir);
	put(p, "id,note\r\n1,OUTSIDE\r\n");
	snprintf(p, sizeof(p), "%s/out.csv", pkg);
	CHECK(symlink("../outside.csv", p) == 0);
	local = hl_principal_local("fuzz");
}

static int no_outside(const char *const *cells, size_t n, void *ud)
{
	(void)ud;
	for (size_t i = 0; i < n; i++)
		CHECK(!cells[i] || !strstr(cells[i], "OUTSIDE"));
	return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	hl_dataset_load_stats ls;
	hl_dataset *d = NULL;
	char id[32];
	FILE *f;
	int rc;
	if (size > FUZZ_MAX_INPUT)
		return 0;
	if (!st)
		setup();
	f = fopen(desc, "wb");
	CHECK(f != NULL);
	CHECK(fwrite(data, 1, size, f) == size);
	CHECK(fclose(f) == 0);
	snprintf(id, sizeof(id), "fz%lu", ++serial);
	rc = hl_dataset_import_datapackage(&ls, st, &local, id, pkg, NULL);
	if (rc < 0) {
		CHECK(rc >= HL_ENOMEM);
		fuzz_message_ok(hl_error_last());
		CHECK(hl_dataset_get(&d, st, &local, id) == HL_ENOTFOUND);
	} else {
		CHECK(hl_dataset_get(&d, st, &local, id) == 0);
		hl_dataset_free(d);
		CHECK(hl_dataset_rows(st, &local, id, 0, no_outside, NULL) == 0);
	}
	hl_dataset_load_stats_free(&ls);
	return 0;
}
