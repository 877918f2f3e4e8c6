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
#include "feed_int.h"
#include "halong/feed.h"
#include "store/store_exchange.h"
#include "store/store_feed.h"
#include "halong/catalog.h"
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

/* The same code as `halong units load`: idempotent, later change sets as new events. */
static int units_apply(changed *out, hl_store *st, const char *dir)
{
	hl_units_load_stats s = {0};
	int rc = hl_units_load(&s, st, dir, "feed", NULL, NULL);
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

/* A public dataset's version (catalog/share_feed.c): on the hub (it follows no hub) a check
 * only, the rows being its own; on a commune a new version of the dataset. */
static int datasets_apply(changed *out, hl_store *st, const char *dir)
{
	int hub = hl_node_follows_hub(st);
	if (hub < 0)
		return hub;
	return hl_dataset_feed_apply(out->summary, sizeof(out->summary), st, dir, !hub);
}

static const feed_kind feeds[] = {
    {"units", hl_units_files, units_apply},
    {"datasets", hl_dataset_feed_files, datasets_apply},
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
	int rc = hl_canon_encode(canon, clen, entry);
	if (rc < 0)
		return rc;
	hl_sha256_hex(hash, *canon, *clen);
	return 0;
}

/* ---- publish (the hub) ---- */

/* What one publish works with. */
typedef struct {
	const feed_kind *k;
	hl_node *hub;
	hl_store *st;
	const char *dir;
	json_t *files, *data; /* the entry's list of files; their text */
	char content[65];     /* SHA-256 of the canonical list: the same files publish nothing */
	int64_t created;
	hl_feed_publish_stats s;
} publish;

/* One file of DIR, read whole (valid UTF-8: JSON text), listed with its SHA-256 and size. 1: not
 * there (allowed but for the feed's first file). */
static int publish_file(publish *p, const char *name, int required)
{
	char *path = hl_path_join(p->dir, name), *body = NULL, fh[65];
	size_t len = 0;
	json_t *js;
	int rc;
	if (!path)
		return hl_error_set(HL_ENOMEM, "out of memory");
	rc = read_file(&body, &len, path);
	if (rc == 1 && required)
		rc = hl_error_set(HL_EINVALID, "%s: missing (a %s entry needs %s)", path,
		                  p->k->name, name);
	if (rc == 0 && !(js = json_stringn(body, len)))
		rc = hl_error_set(HL_EINVALID, "%s: not valid UTF-8 text", path);
	free(path);
	if (rc != 0) {
		free(body);
		return rc;
	}
	hl_sha256_hex(fh, body, len);
	free(body);
	json_object_set_new(p->data, name, js);
	json_array_append_new(p->files, json_pack("{s:s,s:s,s:I}", "name", name, "sha256", fh,
	                                          "size", (json_int_t)len));
	p->s.files++;
	p->s.bytes += len;
	return 0;
}

/* The files first, outside the transaction; then the list's hash. */
static int publish_read(publish *p)
{
	char *ctext = NULL;
	size_t clen = 0;
	json_t *c;
	int rc;
	if (!(p->files = json_array()) || !(p->data = json_object()))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (const char *const *f = p->k->files; *f; f++)
		if ((rc = publish_file(p, *f, f == p->k->files)) < 0)
			return rc;
	/* The files' list decides whether anything new is published. */
	if (!(c = json_pack("{s:s,s:O}", "feed", p->k->name, "files", p->files)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	rc = canon_hash(&ctext, &clen, p->content, c);
	json_decref(c);
	free(ctext);
	return rc;
}

/* The entry after `last` (prev: its hash), signed by the hub, appended and audited. */
static int publish_entry(publish *p, int64_t last, const char *prev, const char *actor,
                         const changed *ch)
{
	json_t *entry = NULL, *doc = NULL;
	char *canon = NULL, *text = NULL, hash[65], sig[89], detail[400];
	size_t clen = 0;
	int rc;
	entry = json_pack("{s:I,s:s,s:O,s:s,s:s,s:I,s:i}", "created_ms", (json_int_t)p->created,
	                  "feed", p->k->name, "files", p->files, "hub", hl_node_unit(p->hub),
	                  "prev", prev, "seq", (json_int_t)(last + 1), "v", HL_FEED_PROTOCOL);
	if (!entry)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = canon_hash(&canon, &clen, hash, entry)) < 0)
		goto done;
	hl_node_sign(sig, p->hub, HL_FEED_CTX, canon, clen);
	doc = sig[0] ? json_pack("{s:O,s:O,s:s,s:s}", "entry", entry, "data", p->data, "sha256",
	                         hash, "sig", sig)
	             : NULL;
	if (!doc || !(text = json_dumps(doc, JSON_COMPACT))) {
		rc = hl_error_set(HL_ENOMEM, "feed: cannot sign the entry");
		goto done;
	}
	if (strlen(text) > HL_FEED_MAX_ENTRY) {
		rc = hl_error_set(HL_ELIMIT, "feed: the entry is %zu bytes, over the limit of %u",
		                  strlen(text), HL_FEED_MAX_ENTRY);
		goto done;
	}
	p->s.seq = last + 1;
	snprintf(p->s.sha256, sizeof(p->s.sha256), "%s", hash);
	snprintf(detail, sizeof(detail), "seq %lld sha256 %s: %zu files, %llu bytes; here %s",
	         (long long)p->s.seq, hash, p->s.files, (unsigned long long)p->s.bytes,
	         ch->summary);
	if ((rc = hl_store_feed_add(p->st, p->k->name, p->s.seq, p->created, hash, p->content,
	                            text)) == 0)
		rc = hl_store_audit(p->st, actor ? actor : "feed", "feed.publish", p->k->name,
		                    detail);
done:
	json_decref(entry);
	json_decref(doc);
	free(canon);
	free(text);
	return rc;
}

/* In one transaction: the files loaded here first, with the code the communes run (a bad change
 * set is refused here, before any commune sees it), then the entry, unless the same files were
 * published before. */
static int publish_tx(publish *p, const char *actor)
{
	changed ch = {0};
	char prev[65];
	int64_t last = 0, seen = 0;
	int rc;
	if ((rc = hl_store_begin(p->st)) < 0)
		return rc;
	if ((rc = p->k->apply(&ch, p->st, p->dir)) < 0 ||
	    (rc = hl_store_feed_content_seq(&seen, p->st, p->k->name, p->content)) < 0 ||
	    (rc = hl_store_feed_last(&last, prev, p->st, p->k->name)) < 0)
		goto fail;
	if (seen) {
		p->s.unchanged = 1;
		p->s.seq = last;
		snprintf(p->s.sha256, sizeof(p->s.sha256), "%s", prev);
	} else if ((rc = publish_entry(p, last, prev, actor, &ch)) < 0) {
		goto fail;
	}
	if ((rc = hl_store_commit(p->st)) < 0)
		return rc;
	p->s.versions_added = ch.added, p->s.versions_split = ch.split;
	p->s.successions_added = ch.links, p->s.events_added = ch.events;
	return 0;
fail:
	hl_store_rollback(p->st);
	return rc;
}

int hl_feed_publish(hl_feed_publish_stats *out, hl_node *hub, const char *feed, const char *dir,
                    const char *actor)
{
	publish p = {.k = need_kind(feed),
	             .hub = hub,
	             .st = hl_node_store(hub),
	             .dir = dir,
	             .created = now_ms()};
	int rc;

	if (!p.k)
		return HL_ENOTFOUND;
	if (!dir || !*dir)
		return hl_error_set(HL_EINVALID, "feed publish: no directory given");
	if ((rc = hl_node_follows_hub(p.st)) < 0)
		return rc;
	if (rc)
		return hl_error_set(HL_EDENIED,
		                    "this node follows a hub (it trusts a hub key): only "
		                    "the hub publishes the feed; use halong feed pull");
	if ((rc = publish_read(&p)) == 0 && (rc = publish_tx(&p, actor)) == 0)
		*out = p.s;
	json_decref(p.files);
	json_decref(p.data);
	return rc < 0 ? rc : 0;
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
/* The page's head read: its form, the page's last_seq repeated in it, its canonical bytes
 * (*canon, malloc'd: what head_sig covers). */
static int head_form(char **canon, size_t *clen, json_t *page, const feed_kind *k)
{
	json_t *h = json_object_get(page, "head"), *ls = json_object_get(h, "last_seq");
	const char *sig = jstr(page, "head_sig");
	char hash[65];
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
	if (canon_hash(canon, clen, hash, h) < 0)
		return hl_error_set(HL_EINVALID, "head: malformed: %s", hl_error_last());
	return 0;
}

/* The hub's last seq from the page's signed head (`page` parsed): 0 with *last set, or an
 * error saying why the head is not taken (HL_EDENIED: absent, altered or not the hub's). */
static int head_check(int64_t *last, json_t *page, const feed_kind *k, const char *hub_key)
{
	json_t *h = json_object_get(page, "head");
	char *canon = NULL;
	size_t clen = 0;
	int64_t ls, at, now = now_ms();
	int rc;
	if ((rc = head_form(&canon, &clen, page, k)) < 0)
		return rc;
	ls = json_integer_value(json_object_get(h, "last_seq"));
	rc = hl_exchange_verify(jstr(page, "head_sig"), hub_key, HL_FEED_HEAD_CTX, canon, clen);
	free(canon);
	if (rc < 0)
		return hl_error_set(HL_EDENIED,
		                    "head: bad-signature: the page's head does not verify with the "
		                    "trusted hub key (a server posing as the hub?): its last_seq "
		                    "(%lld) is not taken",
		                    (long long)ls);
	/* The hub signs the head when it serves the page: an old head is a replayed page (a proxy
	 * or stale mirror hiding newer entries), refused with the exchange's clock rule. */
	at = json_integer_value(json_object_get(h, "at_ms"));
	if (at < now - HL_EXCHANGE_SKEW_MS || at > now + HL_EXCHANGE_SKEW_MS)
		return hl_error_set(
		    HL_EDENIED,
		    "head: stale: signed %lld s from this node's clock (more than %d "
		    "s: a replayed page?): its last_seq (%lld) is not taken",
		    (long long)((at > now ? at - now : now - at) / 1000),
		    HL_EXCHANGE_SKEW_MS / 1000, (long long)ls);
	*last = ls;
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
	if (!(p = json_loadb(page, len, JSON_REJECT_DUPLICATES, &je))) {
		hl_canon_why(&je);
		return hl_error_set(HL_EINVALID, "head: malformed: %s", je.text);
	}
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

void hl_feed__entry_free(hl_feed__entry *e)
{
	if (!e)
		return;
	json_decref(e->root);
	free(e->canon);
	memset(e, 0, sizeof(*e));
}

/* The entry's form (1: its members, its version, this feed) and its hash (2: the SHA-256 of the
 * canonical bytes of "entry" is what it says). `root` is borrowed. The version: "v" absent is 1;
 * one newer than HL_FEED_PROTOCOL is refused, naming both, so that the pull stops there with
 * nothing applied (an entry skipped would be lost: the next ones build on it). */
static int entry_form(hl_feed__entry *x, json_t *root, const feed_kind *k)
{
	json_t *entry = json_object_get(root, "entry"), *seqv, *v;
	memset(x, 0, sizeof(*x));
	x->entry = entry;
	x->data = json_object_get(root, "data");
	x->sha = jstr(root, "sha256");
	x->sig = jstr(root, "sig");
	if (!json_is_object(root) || !json_is_object(entry) || !json_is_object(x->data) ||
	    !x->sha || !x->sig)
		return hl_error_set(HL_EINVALID,
		                    "malformed: an entry needs entry, data, sha256 and "
		                    "sig");
	seqv = json_object_get(entry, "seq");
	x->files = json_object_get(entry, "files");
	x->prev = jstr(entry, "prev");
	x->hub = jstr(entry, "hub");
	v = json_object_get(entry, "v");
	if (json_is_integer(seqv) && json_is_integer(v) && json_integer_value(v) > HL_FEED_PROTOCOL)
		return hl_error_set(
		    HL_EINVALID,
		    "entry %lld: newer-version: version %lld is newer than this node "
		    "applies (%d): upgrade halong on this node; nothing applied from "
		    "this entry on",
		    (long long)json_integer_value(seqv), (long long)json_integer_value(v),
		    HL_FEED_PROTOCOL);
	if (!json_is_integer(seqv) || json_integer_value(seqv) < 1 || !json_is_array(x->files) ||
	    !x->prev || !x->hub || !json_is_integer(json_object_get(entry, "created_ms")) ||
	    (v && (!json_is_integer(v) || json_integer_value(v) < 1)) ||
	    json_object_size(entry) != (v ? 7u : 6u) || !jstr(entry, "feed") ||
	    strcmp(jstr(entry, "feed"), k->name))
		return hl_error_set(
		    HL_EINVALID,
		    "malformed: an entry of feed %s needs created_ms, feed, files, "
		    "hub, prev, seq and v (its version, 1 when absent), and nothing "
		    "else",
		    k->name);
	x->seq = json_integer_value(seqv);
	if (canon_hash(&x->canon, &x->clen, x->hash, entry) < 0)
		return prefix(HL_EINVALID, x->seq, "malformed");
	if (strcmp(x->hash, x->sha)) {
		/* what it says, at most 64 bytes cut at a whole character: the reason goes to the
		 * status and the API, as JSON */
		char said[65];
		snprintf(said, sizeof(said), "%s", x->sha);
		hl_str_cut_utf8(said);
		return hl_error_set(HL_EDENIED,
		                    "entry %lld: hash: its SHA-256 is %s, the entry says %s "
		                    "(altered on the way)",
		                    (long long)x->seq, x->hash, said);
	}
	return 0;
}

/* 6: every file listed, allowed, once, with its SHA-256 and size; nothing else carried. */
static int entry_files(const hl_feed__entry *x, const feed_kind *k)
{
	size_t n = json_array_size(x->files);
	if (n != json_object_size(x->data) || n == 0)
		return hl_error_set(HL_EDENIED, "entry %lld: files: %zu listed, %zu carried",
		                    (long long)x->seq, n, json_object_size(x->data));
	for (size_t i = 0; i < n; i++) {
		json_t *f = json_array_get(x->files, i), *d, *size = json_object_get(f, "size");
		const char *name = jstr(f, "name"), *fsha = jstr(f, "sha256");
		char fh[65];
		if (!name || !fsha || !json_is_integer(size) || !file_allowed(k, name))
			return hl_error_set(HL_EINVALID,
			                    "entry %lld: malformed: file %zu is not one of the %s "
			                    "feed's files with name, sha256 and size",
			                    (long long)x->seq, i + 1, k->name);
		/* Once: a name listed twice would let a file be carried that no signed line
		 * names (the counts still agree). A feed has a few files: a duplicate shows
		 * within the first few names. */
		for (size_t j = 0; j < i; j++)
			if (!strcmp(name, jstr(json_array_get(x->files, j), "name")))
				return hl_error_set(
				    HL_EINVALID, "entry %lld: malformed: file %s is listed twice",
				    (long long)x->seq, name);
		d = json_object_get(x->data, name);
		if (!json_is_string(d))
			return hl_error_set(HL_EDENIED, "entry %lld: file %s: not carried",
			                    (long long)x->seq, name);
		hl_sha256_hex(fh, json_string_value(d), json_string_length(d));
		if ((json_int_t)json_string_length(d) != json_integer_value(size) ||
		    strcmp(fh, fsha))
			return hl_error_set(
			    HL_EDENIED,
			    "entry %lld: file %s: its SHA-256 or size does not match "
			    "the signed entry (altered on the way)",
			    (long long)x->seq, name);
	}
	return 0;
}

int hl_feed__entry_parse(hl_feed__entry *e, const char *text, size_t len, const char *feed)
{
	const feed_kind *k = need_kind(feed);
	json_error_t je;
	json_t *root;
	int rc;
	memset(e, 0, sizeof(*e));
	if (!k)
		return HL_ENOTFOUND;
	if (len > HL_FEED_MAX_ENTRY)
		return hl_error_set(HL_ELIMIT, "an entry of %zu bytes is over the limit of %u", len,
		                    HL_FEED_MAX_ENTRY);
	if (!(root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je))) {
		hl_canon_why(&je);
		return hl_error_set(HL_EINVALID, "malformed: %s", je.text);
	}
	rc = entry_form(e, root, k);
	e->root = root;
	return rc < 0 ? rc : entry_files(e, k);
}

int hl_feed__page_parse(int64_t *last_seq, size_t *n, const char *text, size_t len,
                        const char *feed, const char *hub_key)
{
	const feed_kind *k = need_kind(feed);
	json_error_t je;
	json_t *page, *entries;
	char *canon = NULL;
	size_t clen = 0;
	int rc = 0;
	if (!k)
		return HL_ENOTFOUND;
	if (len > HL_FEED_MAX_PAGE)
		return hl_error_set(HL_ELIMIT, "a page of %zu bytes is over the limit of %u", len,
		                    HL_FEED_MAX_PAGE);
	if (!(page = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je))) {
		hl_canon_why(&je);
		return hl_error_set(HL_EINVALID, "malformed: %s", je.text);
	}
	entries = json_object_get(page, "entries");
	if (!json_is_array(entries) || !json_is_integer(json_object_get(page, "last_seq")) ||
	    !jstr(page, "feed") || strcmp(jstr(page, "feed"), k->name))
		rc = hl_error_set(HL_EINVALID, "not a page of the %s feed", k->name);
	else if (hub_key)
		rc = head_check(last_seq, page, k, hub_key);
	else if ((rc = head_form(&canon, &clen, page, k)) == 0)
		*last_seq = json_integer_value(json_object_get(page, "last_seq"));
	free(canon);
	for (size_t i = 0; rc == 0 && i < json_array_size(entries); i++) {
		hl_feed__entry e;
		if ((rc = entry_form(&e, json_array_get(entries, i), k)) == 0)
			rc = entry_files(&e, k);
		free(e.canon);
	}
	if (rc == 0)
		*n = json_array_size(entries);
	json_decref(page);
	return rc;
}

/* 3-5: the hub's signature, then the position here: 1 when applied already; a gap or another
 * chain refused. */
static int entry_follows(const hl_feed__entry *x, hl_store *st, const feed_kind *k,
                         const char *hub_key)
{
	hl_store_feed_pos pos;
	int rc;
	if (hl_exchange_verify(x->sig, hub_key, HL_FEED_CTX, x->canon, x->clen) < 0)
		return hl_error_set(HL_EDENIED,
		                    "entry %lld: bad-signature: the signature does not verify with "
		                    "the hub's key",
		                    (long long)x->seq);
	if ((rc = hl_store_feed_pos_get(st, k->name, &pos)) < 0)
		return rc;
	free(pos.last_error);
	if (x->seq <= pos.seq)
		return 1;
	if (x->seq != pos.seq + 1)
		return hl_error_set(
		    HL_EINVALID,
		    "entry %lld: gap: the last entry applied here is %lld (expected "
		    "%lld)",
		    (long long)x->seq, (long long)pos.seq, (long long)pos.seq + 1);
	if (strcmp(x->prev, pos.hash))
		return hl_error_set(
		    HL_EDENIED,
		    "entry %lld: chain: it follows an entry with SHA-256 %.64s, not "
		    "entry %lld applied here (%s): the hub's feed was rewritten",
		    (long long)x->seq, *x->prev ? x->prev : "(none)", (long long)pos.seq,
		    *pos.hash ? pos.hash : "none");
	return 0;
}

/* 7: the files into a private folder (*made), loaded by the feed's own code. */
static int entry_write(char tmpl[PATH_MAX], int *made, const hl_feed__entry *x,
                       const hl_feed_pull_opts *o)
{
	const char *tmp_dir = o && o->tmp_dir ? o->tmp_dir : getenv("TMPDIR");
	int rc;
	snprintf(tmpl, PATH_MAX, "%s/halong-feed-%ld-XXXXXX",
	         tmp_dir && *tmp_dir ? tmp_dir : "/tmp", (long)getpid());
	if (!mkdtemp(tmpl))
		return hl_error_set(HL_EIO, "feed: cannot make a folder in %s: %s",
		                    tmp_dir ? tmp_dir : "/tmp", strerror(errno));
	*made = 1;
	for (size_t i = 0; i < json_array_size(x->files); i++) {
		const char *name = jstr(json_array_get(x->files, i), "name");
		json_t *d = json_object_get(x->data, name);
		if ((rc = write_file(tmpl, name, json_string_value(d), json_string_length(d))) < 0)
			return rc;
	}
	return 0;
}

/* In one transaction: the position read again (another pass, the server's thread or halong
 * feed pull, may have applied it meanwhile: 1), the feed's apply, the position moved, the audit
 * entry. */
static int entry_tx(const hl_feed__entry *x, hl_store *st, const feed_kind *k, const char *dir,
                    const hl_feed_pull_opts *o)
{
	hl_store_feed_pos pos;
	changed ch = {0};
	char detail[600];
	int rc;
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = hl_store_feed_pos_get(st, k->name, &pos)) < 0)
		goto fail;
	free(pos.last_error);
	if (pos.seq >= x->seq) {
		rc = 1;
		goto fail;
	}
	if (pos.seq != x->seq - 1 || strcmp(x->prev, pos.hash)) {
		rc = hl_error_set(HL_ECONFLICT, "entry %lld: the position moved to %lld meanwhile",
		                  (long long)x->seq, (long long)pos.seq);
		goto fail;
	}
	if ((rc = k->apply(&ch, st, dir)) < 0) {
		rc = prefix(rc, x->seq, "apply");
		goto fail;
	}
	snprintf(detail, sizeof(detail), "seq %lld sha256 %s from %.32s: %s", (long long)x->seq,
	         x->hash, x->hub, ch.summary);
	if ((rc = hl_store_feed_pos_applied(st, k->name, x->seq, x->hash, now_ms())) < 0 ||
	    (rc = hl_store_audit(st, o && o->actor ? o->actor : "feed", "feed.apply", k->name,
	                         detail)) < 0)
		goto fail;
	return hl_store_commit(st);
fail:
	hl_store_rollback(st);
	return rc;
}

/* Applies the parsed entry `e` of kind k. 0 applied, 1 already applied, or an error (not yet
 * recorded). */
static int apply_json(hl_node *self, const feed_kind *k, json_t *e, const char *hub_key,
                      const hl_feed_pull_opts *o)
{
	hl_store *st = hl_node_store(self);
	hl_feed__entry x;
	char tmpl[PATH_MAX];
	int rc, made = 0;
	if ((rc = entry_form(&x, e, k)) == 0 && (rc = entry_follows(&x, st, k, hub_key)) == 0 &&
	    (rc = entry_files(&x, k)) == 0 && (rc = entry_write(tmpl, &made, &x, o)) == 0)
		rc = entry_tx(&x, st, k, tmpl, o);
	if (made)
		remove_dir(k, tmpl);
	free(x.canon);
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
	if (!(e = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je))) {
		hl_canon_why(&je);
		return fail(hl_node_store(self), k->name,
		            hl_error_set(HL_EINVALID, "malformed: %s", je.text));
	}
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
