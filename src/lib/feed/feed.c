/* The reference-data feed: the hub publishes numbered entries signed with its key (publish,
 * page); a commune pulls them over HTTP and applies each once, in order, in one transaction
 * with its position (pull, apply_entry); and the state of each feed (status). */
#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "exchange/canon.h"
#include "exchange/http_client.h"
#include "halong/feed.h"
#include "store/store_exchange.h"
#include "store/store_feed.h"
#include "halong/units.h"
#include "halong/util.h"

/* ---- the feeds this halong knows ---- */

/* What applying an entry changed, for the audit entry and the publisher's report. */
typedef struct {
	uint64_t added, split, links, events;
	char summary[200];
} changed;

/* A feed: its name, the files an entry may hold (the first is required) and how a folder of
 * them is applied to the store, inside the caller's transaction. A later feed (plans, the
 * catalogue) adds a line to feeds[]. */
typedef struct {
	const char *name;
	const char *const *files;
	int (*apply)(changed *out, hl_store *st, const char *dir);
} feed_kind;

static const char *const units_files[] = {"events.csv",
                                          "vn_provinces_34.csv",
                                          "vn_communes_3321.csv",
                                          "quangninh_units_2025.csv",
                                          "quangninh_units_pre2025.csv",
                                          "vn_mapping_old_to_new_all.csv",
                                          "quangninh_mapping_old_to_new.csv",
                                          NULL};

/* The same code as `halong units load`: idempotent, later change sets as new events. */
static int units_apply(changed *out, hl_store *st, const char *dir)
{
	hl_units_load_stats s = {0};
	int rc = hl_units_load(&s, st, dir, NULL, NULL);
	if (rc < 0)
		return rc;
	out->added = s.versions_added, out->split = s.versions_split;
	out->links = s.successions_added, out->events = s.events_added;
	snprintf(out->summary, sizeof(out->summary),
	         "%llu versions added, %llu split, %llu successions added, %llu events added",
	         (unsigned long long)s.versions_added, (unsigned long long)s.versions_split,
	         (unsigned long long)s.successions_added, (unsigned long long)s.events_added);
	return 0;
}

static const feed_kind feeds[] = {
    {"units", units_files, units_apply},
};
#define NFEEDS (sizeof(feeds) / sizeof(feeds[0]))

static const feed_kind *kind_of(const char *name)
{
	for (size_t i = 0; name && i < NFEEDS; i++)
		if (!strcmp(feeds[i].name, name))
			return &feeds[i];
	return NULL;
}

int hl_feed_known(const char *name)
{
	return kind_of(name) != NULL;
}

static const feed_kind *need_kind(const char *name)
{
	const feed_kind *k = kind_of(name);
	if (!k)
		hl_error_set(HL_ENOTFOUND, "no feed named \"%.40s\" (known: units)",
		             name ? name : "");
	return k;
}

static int file_allowed(const feed_kind *k, const char *name)
{
	for (const char *const *f = k->files; *f; f++)
		if (!strcmp(*f, name))
			return 1;
	return 0;
}

static int64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static const char *jstr(json_t *o, const char *key)
{
	return json_string_value(json_object_get(o, key));
}

/* ---- files ---- */

/* Reads `path` whole (at most HL_FEED_MAX_FILE bytes): 0, 1 when it does not exist, or an
 * error naming it. */
static int read_file(char **out, size_t *len, const char *path)
{
	FILE *f = fopen(path, "rb");
	struct stat sb;
	char *p;
	if (!f) {
		if (errno == ENOENT)
			return 1;
		return hl_error_set(HL_EIO, "%s: %s", path, strerror(errno));
	}
	if (fstat(fileno(f), &sb) < 0 || !S_ISREG(sb.st_mode)) {
		fclose(f);
		return hl_error_set(HL_EINVALID, "%s: not a regular file", path);
	}
	if ((uint64_t)sb.st_size > HL_FEED_MAX_FILE) {
		fclose(f);
		return hl_error_set(HL_ELIMIT,
		                    "%s: %lld bytes, over the feed's limit of %u per file", path,
		                    (long long)sb.st_size, HL_FEED_MAX_FILE);
	}
	if (!(p = malloc((size_t)sb.st_size + 1))) {
		fclose(f);
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	*len = fread(p, 1, (size_t)sb.st_size, f);
	if (ferror(f) || *len != (size_t)sb.st_size) {
		fclose(f);
		free(p);
		return hl_error_set(HL_EIO, "%s: read error", path);
	}
	fclose(f);
	p[*len] = '\0';
	*out = p;
	return 0;
}

static int write_file(const char *dir, const char *name, const char *data, size_t len)
{
	char *path = hl_path_join(dir, name);
	FILE *f = path ? fopen(path, "wb") : NULL;
	int ok = f && fwrite(data, 1, len, f) == len;
	if (f && fclose(f) != 0)
		ok = 0;
	free(path);
	return ok ? 0 : hl_error_set(HL_EIO, "feed: cannot write %s in %s", name, dir);
}

/* Removes the files of kind k (those written) and the folder. */
static void remove_dir(const feed_kind *k, const char *dir)
{
	for (const char *const *f = k->files; *f; f++) {
		char *p = hl_path_join(dir, *f);
		if (p)
			unlink(p);
		free(p);
	}
	rmdir(dir);
}

/* Folders of entries a killed pass left in tmp_dir (kill -9, power cut): each is named
 * halong-feed-PID-XXXXXX after the process that made it; it goes when that process is gone (or,
 * a name without a pid, when over an hour old). */
static void remove_stale(const feed_kind *k, const char *tmp_dir)
{
	DIR *d = opendir(tmp_dir);
	struct dirent *de;
	time_t now = time(NULL);
	if (!d)
		return;
	while ((de = readdir(d))) {
		struct stat sb;
		char *p;
		if (strncmp(de->d_name, "halong-feed-", 12))
			continue;
		if (!(p = hl_path_join(tmp_dir, de->d_name)))
			break;
		char *end = NULL;
		long pid = strtol(de->d_name + 12, &end, 10);
		int gone =
		    pid > 0 && end && *end == '-' ? kill((pid_t)pid, 0) < 0 && errno == ESRCH : 0;
		if (lstat(p, &sb) == 0 && S_ISDIR(sb.st_mode) && (gone || now - sb.st_mtime > 3600))
			remove_dir(k, p);
		free(p);
	}
	closedir(d);
}

/* ---- the entry's signed part ---- */

/* The canonical bytes of `entry` (the exchange's one encoder) and their SHA-256. */
static int canon_hash(char **canon, size_t *clen, char hash[65], json_t *entry)
{
	int rc = hl_exchange__canon(canon, clen, entry);
	if (rc < 0)
		return rc;
	hl_sha256_hex(hash, *canon, *clen);
	return 0;
}

/* ---- publish (the hub) ---- */

int hl_feed_publish(hl_feed_publish_stats *out, hl_node *hub, const char *feed, const char *dir,
                    const char *actor)
{
	const feed_kind *k = need_kind(feed);
	hl_store *st = hl_node_store(hub);
	hl_feed_publish_stats s = {0};
	json_t *files = NULL, *data = NULL, *entry = NULL, *doc = NULL;
	char *hub_key = NULL, *canon = NULL, *text = NULL, *content_text = NULL;
	char content[65], prev[65], hash[65], sig[89], detail[400];
	size_t clen = 0, ctlen = 0;
	int64_t last = 0, seen = 0, created = now_ms();
	changed ch = {0};
	int rc, tx = 0;

	if (!k)
		return HL_ENOTFOUND;
	if (!dir || !*dir)
		return hl_error_set(HL_EINVALID, "feed publish: no directory given");
	if ((rc = hl_store_xhub_key_get(&hub_key, st)) < 0)
		return rc;
	if (hub_key) {
		free(hub_key);
		return hl_error_set(HL_EDENIED,
		                    "this node follows a hub (it trusts a hub key): only "
		                    "the hub publishes the feed; use halong feed pull");
	}
	files = json_array(), data = json_object();
	if (!files || !data) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	/* The files first, outside the transaction: each read whole, valid UTF-8 (JSON text). */
	for (const char *const *f = k->files; *f; f++) {
		char *path = hl_path_join(dir, *f), *body = NULL, fh[65];
		size_t len = 0;
		json_t *fo;
		if (!path) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		rc = read_file(&body, &len, path);
		if (rc == 1 && f == k->files) {
			rc = hl_error_set(HL_EINVALID, "%s: missing (a %s entry needs %s)", path,
			                  k->name, *f);
		}
		if (rc != 0) {
			free(path);
			if (rc == 1)
				continue;
			goto done;
		}
		json_t *js = json_stringn(body, len);
		if (!js) {
			free(body);
			rc = hl_error_set(HL_EINVALID, "%s: not valid UTF-8 text", path);
			free(path);
			goto done;
		}
		free(path);
		hl_sha256_hex(fh, body, len);
		free(body);
		json_object_set_new(data, *f, js);
		fo = json_pack("{s:s,s:s,s:I}", "name", *f, "sha256", fh, "size", (json_int_t)len);
		json_array_append_new(files, fo);
		s.files++;
		s.bytes += len;
	}
	/* The files' list decides whether anything new is published. */
	{
		json_t *c = json_pack("{s:s,s:O}", "feed", k->name, "files", files);
		if (!c || (rc = canon_hash(&content_text, &ctlen, content, c)) < 0) {
			json_decref(c);
			rc = rc < 0 ? rc : hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		json_decref(c);
	}

	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	tx = 1;
	/* The hub applies what it publishes, with the code the communes run: a bad change set is
	 * refused here, before any commune sees it. */
	if ((rc = k->apply(&ch, st, dir)) < 0)
		goto done;
	if ((rc = hl_store_feed_content_seq(&seen, st, k->name, content)) < 0 ||
	    (rc = hl_store_feed_last(&last, prev, st, k->name)) < 0)
		goto done;
	if (seen) {
		s.unchanged = 1;
		s.seq = last;
		snprintf(s.sha256, sizeof(s.sha256), "%s", prev);
	} else {
		entry =
		    json_pack("{s:I,s:s,s:O,s:s,s:s,s:I,s:i}", "created_ms", (json_int_t)created,
		              "feed", k->name, "files", files, "hub", hl_node_unit(hub), "prev",
		              prev, "seq", (json_int_t)(last + 1), "v", 1);
		if (!entry) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		if ((rc = canon_hash(&canon, &clen, hash, entry)) < 0)
			goto done;
		hl_node_sign(sig, hub, HL_FEED_CTX, canon, clen);
		if (!sig[0]) {
			rc = hl_error_set(HL_ENOMEM, "feed: cannot sign the entry");
			goto done;
		}
		doc = json_pack("{s:O,s:O,s:s,s:s}", "entry", entry, "data", data, "sha256", hash,
		                "sig", sig);
		if (!doc || !(text = json_dumps(doc, JSON_COMPACT))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		if (strlen(text) > HL_FEED_MAX_ENTRY) {
			rc = hl_error_set(HL_ELIMIT,
			                  "feed: the entry is %zu bytes, over the limit of %u",
			                  strlen(text), HL_FEED_MAX_ENTRY);
			goto done;
		}
		s.seq = last + 1;
		snprintf(s.sha256, sizeof(s.sha256), "%s", hash);
		snprintf(detail, sizeof(detail),
		         "seq %lld sha256 %s: %zu files, %llu bytes; here %s", (long long)s.seq,
		         hash, s.files, (unsigned long long)s.bytes, ch.summary);
		if ((rc = hl_store_feed_add(st, k->name, s.seq, created, hash, content, text)) <
		        0 ||
		    (rc = hl_store_audit(st, actor ? actor : "feed", "feed.publish", k->name,
		                         detail)) < 0)
			goto done;
	}
	if ((rc = hl_store_commit(st)) < 0) {
		tx = 0;
		goto done;
	}
	tx = 0;
	s.versions_added = ch.added, s.versions_split = ch.split;
	s.successions_added = ch.links, s.events_added = ch.events;
	*out = s;
	rc = 0;
done:
	if (tx)
		hl_store_rollback(st);
	json_decref(files);
	json_decref(data);
	json_decref(entry);
	json_decref(doc);
	free(canon);
	free(content_text);
	free(text);
	return rc;
}

/* ---- the page the hub serves ---- */

typedef struct {
	char *p;
	size_t n, cap, max;
	int err;
} buf;

static void put(buf *b, const char *s, size_t n)
{
	if (b->err)
		return;
	if (b->max && b->n + n > b->max) {
		b->err = HL_ELIMIT;
		return;
	}
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *p = realloc(b->p, cap);
		if (!p) {
			b->err = HL_ENOMEM;
			return;
		}
		b->p = p, b->cap = cap;
	}
	memcpy(b->p + b->n, s, n);
	b->n += n;
	b->p[b->n] = '\0';
}

typedef struct {
	buf *b;
	size_t count;
} page_ud;

static int page_entry(int64_t seq, const char *doc, size_t len, void *ud)
{
	page_ud *u = ud;
	(void)seq;
	if (u->count++)
		put(u->b, ",", 1);
	put(u->b, doc, len);
	return u->b->err ? -1 : 0;
}

int hl_feed_page(char **out, size_t *outlen, hl_store *st, const hl_node *signer, const char *feed,
                 int64_t after, size_t limit)
{
	const feed_kind *k = need_kind(feed);
	buf b = {0};
	page_ud u = {&b, 0};
	char head[160], hash[65], sig[89];
	int64_t last = 0;
	int rc;
	if (!k)
		return HL_ENOTFOUND;
	if (after < 0)
		after = 0;
	if (limit < 1)
		limit = 1;
	if (limit > HL_FEED_PAGE_MAX)
		limit = HL_FEED_PAGE_MAX;
	if ((rc = hl_store_feed_last(&last, hash, st, k->name)) < 0)
		return rc;
	snprintf(head, sizeof(head), "{\"feed\":\"%s\",\"last_seq\":%lld,", k->name,
	         (long long)last);
	put(&b, head, strlen(head));
	/* The head, signed: a commune takes the hub's count from it only (a server posing as the
	 * hub at its URL cannot make a commune look behind). */
	if (signer) {
		json_t *h =
		    json_pack("{s:I,s:s,s:s,s:I}", "at_ms", (json_int_t)now_ms(), "feed", k->name,
		              "hub", hl_node_unit(signer), "last_seq", (json_int_t)last);
		char *canon = NULL;
		size_t clen = 0;
		if (!h || canon_hash(&canon, &clen, hash, h) < 0) {
			json_decref(h);
			free(b.p);
			return hl_error_set(HL_ENOMEM, "out of memory");
		}
		json_decref(h);
		hl_node_sign(sig, signer, HL_FEED_HEAD_CTX, canon, clen);
		put(&b, "\"head\":", 7);
		put(&b, canon, clen);
		put(&b, ",\"head_sig\":\"", 13);
		put(&b, sig, strlen(sig));
		put(&b, "\",", 2);
		free(canon);
		if (!sig[0]) {
			free(b.p);
			return hl_error_set(HL_ENOMEM, "feed: cannot sign the page's head");
		}
	}
	put(&b, "\"entries\":[", 11);
	rc = hl_store_feed_each(st, k->name, after, limit, HL_FEED_PAGE_BYTES, page_entry, &u);
	put(&b, "]}", 2);
	if (rc < 0 || b.err) {
		free(b.p);
		return rc < 0 && !b.err ? rc : hl_error_set(HL_ENOMEM, "out of memory");
	}
	*out = b.p;
	*outlen = b.n;
	return 0;
}

/* The hub's last seq from the page's signed head (`page` parsed): 0 with *last set, or an
 * error saying why the head is not taken (HL_EDENIED: absent, altered or not the hub's). */
static int head_check(int64_t *last, json_t *page, const feed_kind *k, const char *hub_key)
{
	json_t *h = json_object_get(page, "head"), *ls = json_object_get(h, "last_seq");
	const char *sig = jstr(page, "head_sig");
	char *canon = NULL, hash[65];
	size_t clen = 0;
	int rc;
	if (!h && !sig)
		return hl_error_set(HL_EDENIED,
		                    "head: missing: the page has no signed head (not the hub, or a "
		                    "hub older than this halong)");
	if (!json_is_object(h) || !sig || json_object_size(h) != 4 || !json_is_integer(ls) ||
	    json_integer_value(ls) < 0 || !json_is_integer(json_object_get(h, "at_ms")) ||
	    !jstr(h, "hub") || !jstr(h, "feed") || strcmp(jstr(h, "feed"), k->name) ||
	    !json_equal(ls, json_object_get(page, "last_seq")))
		return hl_error_set(HL_EINVALID,
		                    "head: malformed: a head of feed %s needs at_ms, feed, hub and "
		                    "last_seq (the page's), and head_sig",
		                    k->name);
	if ((rc = canon_hash(&canon, &clen, hash, h)) < 0)
		return hl_error_set(HL_EINVALID, "head: malformed: %s", hl_error_last());
	rc = hl_exchange_verify(sig, hub_key, HL_FEED_HEAD_CTX, canon, clen);
	free(canon);
	if (rc < 0)
		return hl_error_set(HL_EDENIED,
		                    "head: bad-signature: the page's head does not verify with the "
		                    "trusted hub key (a server posing as the hub?): its last_seq "
		                    "(%lld) is not taken",
		                    (long long)json_integer_value(ls));
	/* The hub signs the head when it serves the page: an old head is a replayed page (a proxy
	 * or stale mirror hiding newer entries), refused with the exchange's clock rule. */
	{
		int64_t at = json_integer_value(json_object_get(h, "at_ms")), now = now_ms();
		if (at < now - HL_EXCHANGE_SKEW_MS || at > now + HL_EXCHANGE_SKEW_MS)
			return hl_error_set(
			    HL_EDENIED,
			    "head: stale: signed %lld s from this node's clock (more "
			    "than %d s: a replayed page?): its last_seq (%lld) is not "
			    "taken",
			    (long long)((at > now ? at - now : now - at) / 1000),
			    HL_EXCHANGE_SKEW_MS / 1000, (long long)json_integer_value(ls));
	}
	*last = json_integer_value(ls);
	return 0;
}

int hl_feed_page_head(int64_t *last_seq, const char *page, size_t len, const char *feed,
                      const char *hub_key)
{
	const feed_kind *k = need_kind(feed);
	json_error_t je;
	json_t *p;
	int rc;
	if (!k)
		return HL_ENOTFOUND;
	if (!(p = json_loadb(page, len, JSON_REJECT_DUPLICATES, &je)))
		return hl_error_set(HL_EINVALID, "head: malformed: %s", je.text);
	rc = head_check(last_seq, p, k, hub_key);
	json_decref(p);
	return rc;
}

/* ---- apply one entry (a commune) ---- */

/* Records the last error of the feed (its own statement: the entry's transaction is gone). */
static int fail(hl_store *st, const char *feed, int rc)
{
	const char *m = hl_error_last();
	char *copy = hl_strdup(m && *m ? m : "unknown error");
	hl_store_feed_pos_error(st, feed, copy ? copy : "out of memory", now_ms());
	hl_error_set(rc, "%s", copy ? copy : "out of memory");
	free(copy);
	return rc;
}

/* The last error as "entry SEQ: WHAT: message", code rc. */
static int prefix(int rc, int64_t seq, const char *what)
{
	char *m = hl_strdup(hl_error_last());
	hl_error_set(rc, "entry %lld: %s: %s", (long long)seq, what, m ? m : "?");
	free(m);
	return rc;
}

/* Applies the parsed entry `e` of kind k. 0 applied, 1 already applied, or an error (not yet
 * recorded). */
static int apply_json(hl_node *self, const feed_kind *k, json_t *e, const char *hub_key,
                      const hl_feed_pull_opts *o)
{
	hl_store *st = hl_node_store(self);
	json_t *entry = json_object_get(e, "entry"), *data = json_object_get(e, "data");
	json_t *files, *seqv;
	const char *sha = jstr(e, "sha256"), *sig = jstr(e, "sig"), *prev, *hub;
	char *canon = NULL, hash[65], tmpl[PATH_MAX], detail[600];
	const char *tmp_dir = o && o->tmp_dir ? o->tmp_dir : getenv("TMPDIR");
	size_t clen = 0, i;
	int64_t seq;
	hl_store_feed_pos pos;
	changed ch = {0};
	int rc, made_dir = 0, tx = 0;

	if (!json_is_object(e) || !json_is_object(entry) || !json_is_object(data) || !sha || !sig)
		return hl_error_set(HL_EINVALID,
		                    "malformed: an entry needs entry, data, sha256 and "
		                    "sig");
	seqv = json_object_get(entry, "seq");
	files = json_object_get(entry, "files");
	prev = jstr(entry, "prev");
	hub = jstr(entry, "hub");
	if (!json_is_integer(seqv) || json_integer_value(seqv) < 1 || !json_is_array(files) ||
	    !prev || !hub || !json_is_integer(json_object_get(entry, "created_ms")) ||
	    json_integer_value(json_object_get(entry, "v")) != 1 || json_object_size(entry) != 7 ||
	    !jstr(entry, "feed") || strcmp(jstr(entry, "feed"), k->name))
		return hl_error_set(HL_EINVALID,
		                    "malformed: an entry of feed %s needs created_ms, feed, files, "
		                    "hub, prev, seq and v 1, and nothing else",
		                    k->name);
	seq = json_integer_value(seqv);
	if ((rc = canon_hash(&canon, &clen, hash, entry)) < 0)
		return prefix(HL_EINVALID, seq, "malformed");
	if (strcmp(hash, sha)) {
		free(canon);
		return hl_error_set(HL_EDENIED,
		                    "entry %lld: hash: its SHA-256 is %s, the entry says %.64s "
		                    "(altered on the way)",
		                    (long long)seq, hash, sha);
	}
	rc = hl_exchange_verify(sig, hub_key, HL_FEED_CTX, canon, clen);
	free(canon);
	if (rc < 0)
		return hl_error_set(HL_EDENIED,
		                    "entry %lld: bad-signature: the signature does not verify with "
		                    "the hub's key",
		                    (long long)seq);
	if ((rc = hl_store_feed_pos_get(st, k->name, &pos)) < 0)
		return rc;
	free(pos.last_error);
	if (seq <= pos.seq)
		return 1;
	if (seq != pos.seq + 1)
		return hl_error_set(
		    HL_EINVALID,
		    "entry %lld: gap: the last entry applied here is %lld (expected "
		    "%lld)",
		    (long long)seq, (long long)pos.seq, (long long)pos.seq + 1);
	if (strcmp(prev, pos.hash))
		return hl_error_set(
		    HL_EDENIED,
		    "entry %lld: chain: it follows an entry with SHA-256 %.64s, not "
		    "entry %lld applied here (%s): the hub's feed was rewritten",
		    (long long)seq, *prev ? prev : "(none)", (long long)pos.seq,
		    *pos.hash ? pos.hash : "none");
	/* Every file listed, allowed, once, with its SHA-256 and size; nothing else. */
	if (json_array_size(files) != json_object_size(data) || json_array_size(files) == 0)
		return hl_error_set(HL_EDENIED, "entry %lld: files: %zu listed, %zu carried",
		                    (long long)seq, json_array_size(files), json_object_size(data));
	for (i = 0; i < json_array_size(files); i++) {
		json_t *f = json_array_get(files, i), *d;
		const char *name = jstr(f, "name"), *fsha = jstr(f, "sha256");
		json_t *size = json_object_get(f, "size");
		char fh[65];
		if (!name || !fsha || !json_is_integer(size) || !file_allowed(k, name))
			return hl_error_set(HL_EINVALID,
			                    "entry %lld: malformed: file %zu is not one of the %s "
			                    "feed's files with name, sha256 and size",
			                    (long long)seq, i + 1, k->name);
		d = json_object_get(data, name);
		if (!json_is_string(d))
			return hl_error_set(HL_EDENIED, "entry %lld: file %s: not carried",
			                    (long long)seq, name);
		hl_sha256_hex(fh, json_string_value(d), json_string_length(d));
		if ((json_int_t)json_string_length(d) != json_integer_value(size) ||
		    strcmp(fh, fsha))
			return hl_error_set(
			    HL_EDENIED,
			    "entry %lld: file %s: its SHA-256 or size does not match "
			    "the signed entry (altered on the way)",
			    (long long)seq, name);
	}

	/* The files into a private folder, loaded by the feed's own code. */
	snprintf(tmpl, sizeof(tmpl), "%s/halong-feed-%ld-XXXXXX",
	         tmp_dir && *tmp_dir ? tmp_dir : "/tmp", (long)getpid());
	if (!mkdtemp(tmpl))
		return hl_error_set(HL_EIO, "feed: cannot make a folder in %s: %s",
		                    tmp_dir ? tmp_dir : "/tmp", strerror(errno));
	made_dir = 1;
	for (i = 0; i < json_array_size(files); i++) {
		const char *name = jstr(json_array_get(files, i), "name");
		json_t *d = json_object_get(data, name);
		if ((rc = write_file(tmpl, name, json_string_value(d), json_string_length(d))) < 0)
			goto done;
	}
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	tx = 1;
	/* Again inside the transaction: another pass (the server's thread, halong feed pull) may
	 * have applied it meanwhile. */
	if ((rc = hl_store_feed_pos_get(st, k->name, &pos)) < 0)
		goto done;
	free(pos.last_error);
	if (pos.seq >= seq) {
		rc = 1;
		goto done;
	}
	if (pos.seq != seq - 1 || strcmp(prev, pos.hash)) {
		rc = hl_error_set(HL_ECONFLICT, "entry %lld: the position moved to %lld meanwhile",
		                  (long long)seq, (long long)pos.seq);
		goto done;
	}
	if ((rc = k->apply(&ch, st, tmpl)) < 0) {
		rc = prefix(rc, seq, "apply");
		goto done;
	}
	snprintf(detail, sizeof(detail), "seq %lld sha256 %s from %.32s: %s", (long long)seq, hash,
	         hub, ch.summary);
	if ((rc = hl_store_feed_pos_applied(st, k->name, seq, hash, now_ms())) < 0 ||
	    (rc = hl_store_audit(st, o && o->actor ? o->actor : "feed", "feed.apply", k->name,
	                         detail)) < 0)
		goto done;
	tx = 0;
	rc = hl_store_commit(st);
done:
	if (tx)
		hl_store_rollback(st);
	if (made_dir)
		remove_dir(k, tmpl);
	return rc;
}

int hl_feed_apply_entry(hl_node *self, const char *feed, const char *text, size_t len,
                        const char *hub_key, const hl_feed_pull_opts *o)
{
	const feed_kind *k = need_kind(feed);
	json_error_t je;
	json_t *e;
	int rc;
	if (!k)
		return HL_ENOTFOUND;
	if (len > HL_FEED_MAX_ENTRY)
		return fail(hl_node_store(self), k->name,
		            hl_error_set(HL_ELIMIT, "an entry of %zu bytes is over the limit of %u",
		                         len, HL_FEED_MAX_ENTRY));
	if (!(e = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je)))
		return fail(hl_node_store(self), k->name,
		            hl_error_set(HL_EINVALID, "malformed: %s", je.text));
	rc = apply_json(self, k, e, hub_key, o);
	json_decref(e);
	if (rc < 0)
		return fail(hl_node_store(self), k->name, rc);
	return rc;
}

/* ---- pull over HTTP ---- */

typedef struct {
	const char *key;
	char *url;
	int revoked;
} hub_find;

static int find_hub(const hl_node_row *r, void *ud)
{
	hub_find *h = ud;
	if (!h->url && r->public_key && !strcmp(r->public_key, h->key)) {
		h->url = hl_strdup(r->url);
		h->revoked = r->revoked;
	}
	return 0;
}

static int cancelled(const hl_feed_pull_opts *o)
{
	return o && o->cancel && o->cancel(o->cancel_ud);
}

/* GET url on the pull's client: 0 with the page in *a, or HL_EIO with the reason. */
static int http_get(hl_http_answer **a, hl_http *h, const char *url)
{
	hl_http_req q = {"GET", url, NULL, NULL, 0, NULL};
	if (hl_http_do(a, h, &q) < 0) {
		if ((*a)->over)
			return hl_error_set(HL_EIO, "GET %s: the answer is over %u bytes", url,
			                    HL_FEED_MAX_PAGE);
		return hl_error_set(HL_EIO, "GET %s: %s", url, (*a)->error);
	}
	if ((*a)->status != 200)
		return hl_error_set(HL_EIO, "GET %s: HTTP %ld: %.200s", url, (*a)->status,
		                    (*a)->body);
	return 0;
}

/* What one pass works with. */
typedef struct {
	hl_node *self;
	hl_store *st;
	const feed_kind *k;
	const hl_feed_pull_opts *o;
	hl_http *h;
	char *hub_key, *hub_url, *url;
	size_t limit, max;
	hl_feed_pull_stats s;
} pull;

/* The hub's URL (o->hub_url, or the directory's node whose key is the trusted one). */
static int pull_hub(pull *p)
{
	hub_find h = {0};
	int rc;
	if (p->o && p->o->hub_url) {
		p->hub_url = hl_strdup(p->o->hub_url);
		return p->hub_url ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
	}
	h.key = p->hub_key;
	if ((rc = hl_node_foreach(p->st, find_hub, &h)) < 0)
		return rc;
	if (!h.url || h.revoked) {
		free(h.url);
		return fail(p->st, p->k->name,
		            hl_error_set(HL_ENOTFOUND,
		                         "the directory held has no node with the trusted hub "
		                         "key: import the hub's directory"));
	}
	p->hub_url = h.url;
	return 0;
}

static int stopped(pull *p)
{
	return hl_error_set(HL_ERROR, "feed %s: pull stopped", p->k->name);
}

/* The position here (s.seq), freed of its error text. */
static int pull_position(pull *p, hl_store_feed_pos *pos)
{
	int rc = hl_store_feed_pos_get(p->st, p->k->name, pos);
	if (rc < 0)
		return rc;
	free(pos->last_error);
	pos->last_error = NULL;
	return 0;
}

/* The page after `after`, fetched and read: its head gives the hub's count (hub_seq). */
static int pull_fetch(json_t **page, pull *p, int64_t after, size_t want)
{
	size_t base = strlen(p->hub_url);
	json_error_t je;
	hl_http_answer *a;
	json_t *pg, *entries, *last;
	int rc;

	while (base && p->hub_url[base - 1] == '/')
		base--;
	free(p->url);
	if (asprintf(&p->url, "%.*s/api/v1/exchange/feed/%s?after=%lld&limit=%zu", (int)base,
	             p->hub_url, p->k->name, (long long)after, want) < 0) {
		p->url = NULL;
		return hl_error_set(HL_ENOMEM, "out of memory");
	}
	if ((rc = http_get(&a, p->h, p->url)) < 0)
		/* Stopped by the server: not the hub's fault, nothing to record. */
		return a->cancelled || cancelled(p->o) ? stopped(p) : fail(p->st, p->k->name, rc);
	pg = json_loadb(a->body, a->len, JSON_REJECT_DUPLICATES, &je);
	entries = json_object_get(pg, "entries");
	last = json_object_get(pg, "last_seq");
	if (!pg || !json_is_array(entries) || !json_is_integer(last) || !jstr(pg, "feed") ||
	    strcmp(jstr(pg, "feed"), p->k->name)) {
		json_decref(pg);
		return fail(p->st, p->k->name,
		            hl_error_set(HL_EINVALID, "GET %s: not a page of the %s feed", p->url,
		                         p->k->name));
	}
	/* The hub's count from the signed head only; a head that does not verify stops the pass
	 * with hub_seq as it was (the entries are the hub's or nothing either way). */
	if ((rc = head_check(&p->s.hub_seq, pg, p->k, p->hub_key)) < 0) {
		char *m = hl_strdup(hl_error_last());
		json_decref(pg);
		rc = fail(p->st, p->k->name, hl_error_set(rc, "GET %s: %s", p->url, m ? m : "?"));
		free(m);
		return rc;
	}
	if ((rc = hl_store_feed_pos_pulled(p->st, p->k->name, p->s.hub_seq, now_ms(), 0)) < 0) {
		json_decref(pg);
		return rc;
	}
	*page = pg;
	return 0;
}

/* The page's entries applied in order; *stop when the pass has applied its maximum. */
static int pull_apply(pull *p, json_t *entries, int *stop)
{
	for (size_t i = 0; i < json_array_size(entries) && !*stop; i++) {
		int rc;
		if (cancelled(p->o))
			return stopped(p);
		rc = apply_json(p->self, p->k, json_array_get(entries, i), p->hub_key, p->o);
		if (rc < 0)
			return fail(p->st, p->k->name, rc);
		if (rc == 0)
			p->s.applied++;
		if (p->max && p->s.applied >= p->max)
			*stop = 1;
	}
	return 0;
}

/* One page: asked from the position, applied. *more: ask for the next one. */
static int pull_page(pull *p, int *more)
{
	hl_store_feed_pos pos;
	json_t *page = NULL, *entries;
	size_t n, before, want = p->limit;
	int stop = 0, rc;

	*more = 0;
	if ((rc = pull_position(p, &pos)) < 0)
		return rc;
	p->s.seq = pos.seq;
	if (p->max && p->s.applied >= p->max)
		return 0;
	if (cancelled(p->o))
		return stopped(p);
	if (p->max && p->max - p->s.applied < want)
		want = p->max - p->s.applied;
	if ((rc = pull_fetch(&page, p, pos.seq, want)) < 0)
		return rc;
	entries = json_object_get(page, "entries");
	n = json_array_size(entries);
	before = p->s.applied;
	rc = pull_apply(p, entries, &stop);
	json_decref(page);
	if (rc < 0)
		return rc;
	/* A page of entries all applied before (another pass applied them meanwhile, or a hub
	 * that ignores after=): asking again must move on, else it would loop. */
	if (n > 0 && p->s.applied == before) {
		int64_t was = pos.seq;
		if ((rc = pull_position(p, &pos)) < 0)
			return rc;
		if (pos.seq == was)
			return fail(p->st, p->k->name,
			            hl_error_set(HL_EINVALID,
			                         "GET %s: the hub sent no entry after %lld", p->url,
			                         (long long)was));
	}
	if (n == 0 || stop) {
		if ((rc = pull_position(p, &pos)) < 0)
			return rc;
		p->s.seq = pos.seq;
		return 0;
	}
	*more = 1;
	return 0;
}

int hl_feed_pull(hl_feed_pull_stats *out, hl_node *self, const char *feed,
                 const hl_feed_pull_opts *o)
{
	pull p = {.self = self, .st = hl_node_store(self), .k = need_kind(feed), .o = o};
	hl_http_opts ho = {.connect_timeout_ms =
	                       o && o->connect_timeout_ms ? o->connect_timeout_ms : 5000,
	                   .timeout_ms = o && o->timeout_ms ? o->timeout_ms : 120000,
	                   .max_answer = HL_FEED_MAX_PAGE,
	                   .accept_gzip = 1,
	                   .cancel = o ? o->cancel : NULL,
	                   .cancel_ud = o ? o->cancel_ud : NULL};
	int rc = 0, more = 1;

	if (!p.k)
		return HL_ENOTFOUND;
	p.s.hub_seq = -1;
	p.limit = o && o->limit ? o->limit : 20;
	p.max = o && o->max_entries ? o->max_entries : 0;
	if (p.limit > HL_FEED_PAGE_MAX)
		p.limit = HL_FEED_PAGE_MAX;
	if (o && o->tmp_dir)
		remove_stale(p.k, o->tmp_dir);
	if ((rc = hl_store_xhub_key_get(&p.hub_key, p.st)) < 0)
		return rc;
	if (!p.hub_key)
		return hl_error_set(HL_ENOTFOUND, "no hub is trusted here (halong node trust-hub "
		                                  "KEY, then import the hub's directory)");
	if ((rc = pull_hub(&p)) < 0 || (rc = hl_http_new(&p.h, &ho)) < 0)
		goto done;
	while (more)
		if ((rc = pull_page(&p, &more)) < 0)
			goto done;
	/* A whole pass without a fault: any earlier error is over. */
	rc = hl_store_feed_pos_pulled(p.st, p.k->name, p.s.hub_seq >= 0 ? p.s.hub_seq : p.s.seq,
	                              now_ms(), 1);
done:
	hl_http_free(p.h);
	free(p.url);
	free(p.hub_url);
	free(p.hub_key);
	if (rc >= 0 && out)
		*out = p.s;
	return rc < 0 ? rc : 0;
}

/* ---- status ---- */

int hl_feed_status(hl_store *st, int (*cb)(const hl_feed_status_row *r, void *ud), void *ud)
{
	for (size_t i = 0; i < NFEEDS; i++) {
		hl_feed_status_row r = {0};
		hl_store_feed_pos pos;
		char hash[65];
		int64_t last = 0;
		int rc;
		if ((rc = hl_store_feed_last(&last, hash, st, feeds[i].name)) < 0 ||
		    (rc = hl_store_feed_pos_get(st, feeds[i].name, &pos)) < 0)
			return rc;
		r.feed = feeds[i].name;
		if (last > 0) {
			r.publisher = 1;
			r.seq = last;
			r.hub_seq = last;
			r.sha256 = hash;
		} else {
			r.seq = pos.seq;
			r.hub_seq = pos.hub_seq;
			r.sha256 = pos.hash[0] ? pos.hash : NULL;
			r.last_pull_ms = pos.last_pull_ms;
			r.last_applied_ms = pos.last_applied_ms;
			r.last_error = pos.last_error;
			r.last_error_ms = pos.last_error_ms;
		}
		rc = cb(&r, ud);
		free(pos.last_error);
		if (rc)
			return rc;
	}
	return 0;
}
