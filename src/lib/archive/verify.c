/* `halong verify`: re-hashes every blob the store knows and reports missing and corrupt ones. */
#include <stdlib.h>
#include <string.h>

#include "archive_int.h"
#include "halong/util.h"

typedef struct {
	hl_archive *a;
	hl_verify_result r;
	hl_verify_cb on_problem;
	hl_progress_cb progress;
	void *ud;
	uint64_t total;
} verify;

static int check_blob(const char *sha, int64_t size, void *ud)
{
	verify *v = ud;
	char got[65], detail[200];
	int64_t got_size;
	char *path = hl_blob_path(v->a, sha);
	int rc;

	if (!path)
		return hl_error_set(HL_ENOMEM, "out of memory");
	v->r.checked++;
	rc = hl_sha256_file(got, &got_size, path);
	free(path);
	if (rc == HL_ENOTFOUND) {
		v->r.missing++;
		if (v->on_problem)
			v->on_problem(sha, "missing", "the blob file is gone", v->ud);
	} else if (rc < 0) {
		v->r.corrupt++;
		if (v->on_problem)
			v->on_problem(sha, "corrupt", hl_error_last(), v->ud);
	} else if (strcmp(got, sha) || got_size != size) {
		v->r.corrupt++;
		snprintf(detail, sizeof(detail), "content hashes to %s, %lld bytes (recorded %lld)",
		         got, (long long)got_size, (long long)size);
		if (v->on_problem)
			v->on_problem(sha, "corrupt", detail, v->ud);
	} else {
		v->r.ok++;
	}
	if (v->progress && (v->r.checked % 64 == 0 || v->r.checked == v->total) &&
	    v->progress("verify", v->r.checked, v->total, v->ud))
		return hl_error_set(HL_ERROR, "verify stopped");
	return 0;
}

int hl_archive_verify(hl_verify_result *out, hl_archive *a, hl_verify_cb on_problem,
                      hl_progress_cb progress, void *ud)
{
	verify v = {.a = a, .on_problem = on_problem, .progress = progress, .ud = ud};
	hl_store_stats st;

	if (hl_store_stats_get(&st, a->store) < 0)
		return -1;
	v.total = (uint64_t)st.blobs;
	if (hl_store_blob_foreach(a->store, check_blob, &v) < 0)
		return -1;
	*out = v.r;
	return 0;
}
