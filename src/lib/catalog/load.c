/* Loading a CSV or XLSX file into a dataset: every cell checked against its field, every bad one
 * named by line and column (and written to a rejects file), the good rows upserted by primary
 * key into a new version, all in one transaction. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../store/store_catalog.h"
#include "../store/store_catalog_share.h"
#include "../store/store_exchange.h"
#include "catalog_int.h"
#include "halong/units.h"
#include "halong/util.h"

/* Unit codes already checked on the dataset's day: an open-addressed table, not grown (when full,
 * later codes are asked of the store each time). */
#define UNIT_SLOTS 4096

typedef struct {
	char *code;
	int ok;
} unit_slot;

typedef struct {
	const char *name; /* the file as messages name it */
	hl_dataset_load_stats *out;
	FILE *rej;
	unit_slot *units;
	size_t nunits;
	char date[11];
	hl_store *st;
	/* the row's hash input */
	char *buf;
	size_t cap;
	hl_catalog__bad_cb bad; /* each bad cell in parts (hl_catalog__load); NULL: none */
	void *bad_ud;
} loader;

static int unit_valid(loader *l, const char *code)
{
	uint32_t h = hl_str_hash(code);
	hl_unit *u = NULL;
	int ok;
	for (size_t k = 0; k < UNIT_SLOTS; k++) {
		unit_slot *s = &l->units[(h + k) % UNIT_SLOTS];
		if (!s->code)
			break;
		if (!strcmp(s->code, code))
			return s->ok;
	}
	ok = hl_units_show(&u, l->st, code, l->date) == 0;
	hl_unit_free(u);
	hl_error_clear();
	if (l->nunits < UNIT_SLOTS / 2) {
		for (size_t k = 0; k < UNIT_SLOTS; k++) {
			unit_slot *s = &l->units[(h + k) % UNIT_SLOTS];
			if (!s->code) {
				s->code = hl_strdup(code);
				s->ok = ok;
				l->nunits++;
				break;
			}
		}
	}
	return ok;
}

/* A cell as CSV may show it without a spreadsheet taking it for a formula (OWASP, "CSV
 * Injection"): a text beginning with = + - @, a tab or a carriage return gets a ' in front.
 * Returns v or buf. */
static const char *csv_safe(char *buf, size_t cap, const char *v)
{
	if (v && (*v == '=' || *v == '+' || *v == '-' || *v == '@' || *v == '\t' || *v == '\r')) {
		snprintf(buf, cap, "'%s", v);
		return buf;
	}
	return v;
}

/* One bad cell (or row: field NULL): counted, named in the stats (the first ones) and the
 * rejects file. */
static void reject(loader *l, uint64_t line, size_t column, const char *field, const char *value,
                   const char *why)
{
	hl_dataset_load_stats *o = l->out;
	o->bad_cells++;
	if (l->bad && o->bad_cells <= HL_CATALOG_MAX_ERRORS)
		l->bad(line, field ? column : 0, field, value, why, l->bad_ud);
	if (o->nerrors < HL_CATALOG_MAX_ERRORS) {
		char msg[600];
		char **v = realloc(o->errors, (o->nerrors + 1) * sizeof(char *));
		if (field)
			snprintf(msg, sizeof(msg), "%s:%llu: column %zu \"%.128s\": %s", l->name,
			         (unsigned long long)line, column, field, why);
		else
			snprintf(msg, sizeof(msg), "%s:%llu: %s", l->name, (unsigned long long)line,
			         why);
		if (v) {
			o->errors = v;
			if ((o->errors[o->nerrors] = hl_strdup(msg)))
				o->nerrors++;
		}
	}
	if (l->rej) {
		char ln[24], col[24], safe1[300], safe2[700];
		char shown[257];
		const char *cells[5];
		snprintf(ln, sizeof(ln), "%llu", (unsigned long long)line);
		snprintf(col, sizeof(col), "%zu", column);
		snprintf(shown, sizeof(shown), "%s", value ? value : "");
		hl_str_cut_utf8(shown);
		cells[0] = ln;
		cells[1] = field ? col : "";
		cells[2] = field ? field : "";
		cells[3] = csv_safe(safe1, sizeof(safe1), shown);
		cells[4] = csv_safe(safe2, sizeof(safe2), why);
		hl_csv_write(l->rej, cells, 5);
	}
}

/* Appends to the hash input. */
static int buf_add(loader *l, size_t *n, const char *s, size_t len)
{
	if (*n + len + 1 > l->cap) {
		size_t cap = (l->cap ? l->cap * 2 : 4096) + len;
		char *b = realloc(l->buf, cap);
		if (!b)
			return hl_error_set(HL_ENOMEM, "out of memory");
		l->buf = b;
		l->cap = cap;
	}
	memcpy(l->buf + *n, s, len);
	*n += len;
	return 0;
}

void hl_dataset_load_stats_free(hl_dataset_load_stats *s)
{
	if (!s)
		return;
	for (size_t i = 0; i < s->nerrors; i++)
		free(s->errors[i]);
	free(s->errors);
	s->errors = NULL;
	s->nerrors = 0;
}

static const char *base_name(const char *path)
{
	const char *s = strrchr(path, '/');
	return s ? s + 1 : path;
}

int hl_dataset_load(hl_dataset_load_stats *out, hl_store *st, const hl_principal *who,
                    const char *id, const char *path, const hl_dataset_load_opts *opts)
{
	return hl_catalog__load(out, st, who, id, path, opts, NULL, NULL);
}

int hl_catalog__load(hl_dataset_load_stats *out, hl_store *st, const hl_principal *who,
                     const char *id, const char *path, const hl_dataset_load_opts *opts,
                     hl_catalog__bad_cb on_bad, void *bad_ud)
{
	hl_dataset_load_opts none = {0};
	hl_catalog__ds ds;
	hl_catalog__rows r = {0};
	hl_store_ds_writer *w = NULL;
	const hl_table_schema *s;
	loader l = {0};
	struct stat sb;
	char **cells_in, now[32];
	size_t n, nf, ncols = 0;
	size_t *field_col = NULL; /* the file's column of each field */
	regex_t *re = NULL;
	int *has_re = NULL;
	char(*norm)[HL_CATALOG__NORM] = NULL;
	const char **cells = NULL;
	uint64_t line;
	int64_t size = 0, count;
	int rc, in_tx = 0, own = 1, version;

	memset(out, 0, sizeof(*out));
	if (!opts)
		opts = &none;
	if (!who || !(who->local || who->role >= HL_ROLE_OFFICER))
		return hl_error_set(HL_EDENIED, "loading a dataset needs an officer or above");
	if ((rc = hl_catalog__open(&ds, st, who, id)) < 0)
		return rc;
	if (ds.by_grant) { /* a grant reads, it never writes (share.c) */
		hl_catalog__close(&ds);
		return hl_error_set(HL_EDENIED,
		                    "a grant lets your agency read dataset %s, not load it", id);
	}
	s = ds.d->schema;
	nf = s->nfields;
	l.name = opts->name ? opts->name : base_name(path);
	l.out = out;
	l.st = st;
	l.bad = on_bad;
	l.bad_ud = bad_ud;
	/* sizes before any byte is read */
	if (stat(path, &sb) < 0) {
		rc = hl_error_set(HL_ENOTFOUND, "%s: cannot open", l.name);
		goto done;
	}
	if (!S_ISREG(sb.st_mode)) {
		rc = hl_error_set(HL_EINVALID, "%s: not a file", l.name);
		goto done;
	}
	if ((int64_t)sb.st_size > HL_CATALOG_MAX_FILE) {
		rc = hl_error_set(HL_ELIMIT, "%s: %lld bytes, over the limit of %lld", l.name,
		                  (long long)sb.st_size, (long long)HL_CATALOG_MAX_FILE);
		goto done;
	}
	if ((rc = hl_sha256_file(out->sha256, &size, path)) < 0)
		goto done;
	if (ds.d->date)
		snprintf(l.date, sizeof(l.date), "%s", ds.d->date);
	else
		hl_units_today(l.date);
	if ((rc = hl_catalog__rows_open(&r, path, opts->sheet)) < 0)
		goto done;
	if ((rc = hl_catalog__rows_next(&r, &cells_in, &n, &line)) <= 0) {
		if (rc == 0)
			rc = hl_error_set(HL_EINVALID, "%s: empty: no header row", l.name);
		goto done;
	}
	/* the header: every field once, nothing else */
	ncols = n;
	field_col = calloc(nf, sizeof(*field_col));
	re = calloc(nf, sizeof(*re));
	has_re = calloc(nf, sizeof(*has_re));
	norm = calloc(nf, sizeof(*norm));
	cells = calloc(nf, sizeof(*cells));
	l.units = calloc(UNIT_SLOTS, sizeof(*l.units));
	if (!field_col || !re || !has_re || !norm || !cells || !l.units) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	for (size_t i = 0; i < nf; i++)
		field_col[i] = (size_t)-1;
	for (size_t c = 0; c < n; c++) {
		const char *h = hl_trim(cells_in[c]);
		size_t i;
		for (i = 0; i < nf; i++)
			if (!strcmp(s->fields[i].name, h))
				break;
		if (i == nf) {
			rc = hl_error_set(
			    HL_EINVALID,
			    "%s:%llu: column %zu \"%.128s\" is not a field of dataset %s", l.name,
			    (unsigned long long)line, c + 1, h, id);
			goto done;
		}
		if (field_col[i] != (size_t)-1) {
			rc = hl_error_set(HL_EINVALID, "%s:%llu: column \"%.128s\" given twice",
			                  l.name, (unsigned long long)line, h);
			goto done;
		}
		field_col[i] = c;
	}
	for (size_t i = 0; i < nf; i++) {
		if (field_col[i] == (size_t)-1) {
			rc = hl_error_set(HL_EINVALID, "%s:%llu: no column for field \"%.128s\"",
			                  l.name, (unsigned long long)line, s->fields[i].name);
			goto done;
		}
		if (s->fields[i].pattern) {
			if ((rc = hl_catalog__regcomp(&re[i], &s->fields[i])) < 0)
				goto done;
			has_re[i] = 1;
		}
	}
	if (opts->rejects) {
		static const char *const head[] = {"line", "column", "field", "value", "error"};
		if (!(l.rej = fopen(opts->rejects, "w"))) {
			rc = hl_error_set(HL_EIO, "%s: cannot write the rejects file",
			                  opts->rejects);
			goto done;
		}
		hl_csv_write(l.rej, head, 5);
	}

	/* inside the caller's transaction (the feed applying an entry): a savepoint of its own */
	own = !hl_store_in_tx(st);
	if ((rc = own ? hl_store_begin(st) : hl_store_savepoint(st, "hl_dataset_load")) < 0)
		goto done;
	in_tx = 1;
	version = ds.d->version + 1;
	if ((rc = hl_store_ds_writer_open(&w, st, ds.iid, version, ds.types, nf)) < 0)
		goto done;
	while ((rc = hl_catalog__rows_next(&r, &cells_in, &n, &line)) > 0) {
		size_t bad = 0, hn = 0;
		char why[300], key_hex[65], hash[65];
		const char *key;
		int what;
		uint64_t first;

		out->rows++;
		if (out->rows % 4096 == 0 && opts->progress) {
			uint64_t done_b, total_b;
			hl_catalog__rows_progress(&r, &done_b, &total_b);
			/* CSV: bytes of the file ("ingest": the CLI shows bytes and the time left);
			 * XLSX: rows, the total unknown */
			if ((total_b ? opts->progress("ingest", done_b, total_b, opts->ud)
			             : opts->progress("rows", out->rows, 0, opts->ud)) != 0) {
				rc = hl_error_set(HL_ERROR, "%s: load stopped: nothing loaded",
				                  l.name);
				goto done;
			}
		}
		/* XLSX drops a row's trailing empty cells: fewer is no error there */
		if (n > ncols || (n < ncols && !r.xlsx)) {
			int extra_empty = r.xlsx != NULL;
			for (size_t c = ncols; extra_empty && c < n; c++)
				extra_empty = !*cells_in[c];
			if (!extra_empty) {
				snprintf(why, sizeof(why),
				         "%zu cells, the header has %zu: row rejected", n, ncols);
				reject(&l, line, 0, NULL, NULL, why);
				out->rejected++;
				continue;
			}
		}
		for (size_t i = 0; i < nf; i++) {
			const hl_field *f = &s->fields[i];
			size_t c = field_col[i];
			const char *v = c < n ? cells_in[c] : "";
			cells[i] = NULL;
			if (hl_catalog__missing(s, v)) {
				if (f->required) {
					reject(&l, line, c + 1, f->name, v,
					       "required, but missing");
					bad++;
				}
				continue;
			}
			if (hl_catalog__type(norm[i], f, v, why, sizeof(why)) < 0) {
				reject(&l, line, c + 1, f->name, v, why);
				bad++;
				continue;
			}
			cells[i] = norm[i][0] ? norm[i] : v;
			if (hl_catalog__constraints(f, has_re[i] ? &re[i] : NULL, cells[i], v, why,
			                            sizeof(why)) < 0) {
				reject(&l, line, c + 1, f->name, v, why);
				bad++;
				continue;
			}
			if (f->unit && !unit_valid(&l, v)) {
				snprintf(why, sizeof(why), "no unit %.40s on %s", v, l.date);
				reject(&l, line, c + 1, f->name, v, why);
				bad++;
			}
		}
		if (bad) {
			out->rejected++;
			continue;
		}
		/* the row's hash: its normalised cells, \x1f between, \x1e for a missing one */
		for (size_t i = 0; i < nf; i++) {
			if (i && (rc = buf_add(&l, &hn, "\x1f", 1)) < 0)
				goto done;
			if ((rc = cells[i] ? buf_add(&l, &hn, cells[i], strlen(cells[i]))
			                   : buf_add(&l, &hn, "\x1e", 1)) < 0)
				goto done;
		}
		hl_sha256_hex(hash, l.buf, hn);
		if (s->npkey) {
			hn = 0;
			for (size_t k = 0; k < s->npkey; k++) {
				const char *v = cells[s->pkey[k]];
				if ((k && (rc = buf_add(&l, &hn, "\x1f", 1)) < 0) ||
				    (rc = buf_add(&l, &hn, v, strlen(v))) < 0)
					goto done;
			}
			l.buf[hn] = 0;
			key = l.buf;
		} else {
			snprintf(key_hex, sizeof(key_hex), "%s", hash);
			key = key_hex;
		}
		for (size_t i = 0; i < nf; i++) {
			if (!s->fields[i].unique || !cells[i])
				continue;
			if ((rc = hl_store_ds_taken(w, i, cells[i], key)) < 0)
				goto done;
			if (rc) {
				snprintf(why, sizeof(why), "unique, but %.40s is in another row",
				         cells[i]);
				reject(&l, line, field_col[i] + 1, s->fields[i].name, cells[i],
				       why);
				bad++;
			}
		}
		if (bad) {
			out->rejected++;
			continue;
		}
		if ((rc = hl_store_ds_put(&what, &first, w, key, hash, cells, line)) < 0)
			goto done;
		switch (what) {
		case HL_DS_ADDED:
			out->added++;
			break;
		case HL_DS_CHANGED:
			out->changed++;
			break;
		case HL_DS_SAME:
			out->unchanged++;
			break;
		default:
			snprintf(why, sizeof(why),
			         s->npkey ? "the primary key of line %llu again: row rejected"
			                  : "the same row as line %llu: row rejected",
			         (unsigned long long)first);
			reject(&l, line, 0, NULL, NULL, why);
			out->rejected++;
		}
	}
	if (rc < 0)
		goto done; /* a file unreadable half-way: nothing of it loads */
	if (opts->replace && (rc = hl_store_ds_remove_unput(&out->removed, w)) < 0)
		goto done;
	if ((rc = hl_store_ds_writer_finish(w)) < 0)
		goto done;
	hl_store_ds_writer_free(w);
	w = NULL;
	if (out->added + out->changed + out->removed == 0) {
		/* nothing changed: no version */
		if (own)
			hl_store_rollback(st);
		else if ((rc = hl_store_savepoint_undo(st, "hl_dataset_load")) < 0)
			goto done;
		in_tx = 0;
		out->version = ds.d->version;
		rc = 0;
		goto done;
	}
	if ((rc = hl_store_ds_count(&count, st, ds.iid)) < 0)
		goto done;
	hl_now_utc(now);
	{
		hl_dataset_version v = {.version = version,
		                        .loaded_at = now,
		                        .loaded_by = (char *)hl_principal_actor(who),
		                        .source = (char *)base_name(opts->name ? opts->name : path),
		                        .sha256 = out->sha256,
		                        .size = size,
		                        .replace = opts->replace,
		                        .rows = out->rows,
		                        .added = out->added,
		                        .changed = out->changed,
		                        .removed = out->removed,
		                        .unchanged = out->unchanged,
		                        .rejected = out->rejected};
		char detail[300];
		snprintf(detail, sizeof(detail),
		         "version %d of %s: %llu added, %llu changed, %llu removed, %llu rejected;"
		         " sha256 %s",
		         version, v.source, (unsigned long long)out->added,
		         (unsigned long long)out->changed, (unsigned long long)out->removed,
		         (unsigned long long)out->rejected, out->sha256);
		if ((rc = hl_store_dataset_version_add(st, ds.iid, &v, count)) < 0 ||
		    (rc = hl_store_audit(st, hl_principal_actor(who), "dataset.load", id, detail)) <
		        0)
			goto done;
	}
	if ((rc = own ? hl_store_commit(st) : hl_store_savepoint_release(st, "hl_dataset_load")) <
	    0) {
		in_tx = own ? 0 : 1;
		goto done;
	}
	in_tx = 0;
	out->version = version;
	out->new_version = 1;
	rc = 0;
done:
	hl_store_ds_writer_free(w);
	if (in_tx && own)
		hl_store_rollback(st);
	else if (in_tx)
		hl_store_savepoint_undo(st, "hl_dataset_load");
	if (rc < 0) {
		/* nothing loaded: the counts would say otherwise */
		out->added = out->changed = out->removed = out->unchanged = 0;
	}
	hl_catalog__rows_free(&r);
	if (l.rej && fclose(l.rej) != 0 && rc == 0)
		rc = hl_error_set(HL_EIO, "%s: cannot write the rejects file", opts->rejects);
	/* a load that failed loaded nothing: no rejects file says otherwise */
	if (rc < 0 && l.rej)
		unlink(opts->rejects);
	for (size_t i = 0; re && i < nf; i++)
		if (has_re[i])
			regfree(&re[i]);
	if (l.units)
		for (size_t k = 0; k < UNIT_SLOTS; k++)
			free(l.units[k].code);
	free(l.units);
	free(l.buf);
	free(re);
	free(has_re);
	free(norm);
	free(cells);
	free(field_col);
	hl_catalog__close(&ds);
	return rc;
}
