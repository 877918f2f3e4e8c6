/* A page's text corrected and approved by a person (each correction a new version, the
 * machine's text and word boxes kept), and the review rule's findings kept with each page's
 * text in use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "archive_int.h"
#include "halong/ocr.h"
#include "halong/text.h"
#include "halong/util.h"

/* ---- the review rule's findings, kept with the page ---- */

int hl_archive__page_check(hl_store_page_check *out, char **words, const char *text,
                           const hl_ocr_word *w, size_t n)
{
	hl_ocr_check c;
	memset(out, 0, sizeof(*out));
	*words = NULL;
	out->rule = hl_ocr_check_rule_id();
	/* a text the rule cannot read (over its size limit) is kept as checked with nothing
	 * found: it would fail the same way each time */
	if (hl_ocr_check_text(&c, text ? text : "", -1, w, n) < 0) {
		hl_error_clear();
		return 0;
	}
	out->unknown = c.unknown, out->low_conf = c.low_conf, out->bad_chars = c.bad_chars;
	out->score = c.score;
	if (c.n_examples) {
		json_t *a = json_array();
		for (size_t i = 0; a && i < c.n_examples; i++)
			json_array_append_new(a, json_string(c.examples[i]));
		*words = a ? json_dumps(a, JSON_COMPACT) : NULL;
		json_decref(a);
		if (!*words)
			return hl_error_set(HL_ENOMEM, "out of memory");
		out->words = *words;
	}
	return 0;
}

/* Pages done before the rule (or under an older syllable list) are checked again in batches,
 * each written in its own short transaction: no write lock is held while a batch is read. */
#define RECHECK_BATCH 256

typedef struct {
	int64_t document_id;
	int file_seq, page_no, text_version;
	hl_store_page_check c;
	char *words;
} rechecked;

typedef struct {
	rechecked v[RECHECK_BATCH];
	size_t n;
} recheck_batch;

static int recheck_row(const hl_page_row *r, void *ud)
{
	recheck_batch *b = ud;
	rechecked *x = &b->v[b->n];
	hl_ocr_page pg = {0};
	int parsed = 0, rc;
	/* the machine's text is checked with its words' confidences; a person's text alone */
	if (r->text_version == 0 && !r->from_text_layer && r->result)
		parsed = hl_ocr_page_from_json(&pg, r->result) == 0;
	hl_error_clear();
	rc = hl_archive__page_check(&x->c, &x->words, r->text, parsed ? pg.words : NULL,
	                            parsed ? pg.n_words : 0);
	hl_ocr_page_free(&pg);
	if (rc < 0)
		return rc;
	x->document_id = r->document_id;
	x->file_seq = r->file_seq, x->page_no = r->page_no, x->text_version = r->text_version;
	b->n++;
	return 0;
}

int hl_archive__recheck(hl_archive *a, size_t max, uint64_t *left)
{
	hl_store *st = a->store;
	int rule = hl_ocr_check_rule_id(), rc = 0;
	size_t done = 0;
	recheck_batch *b = calloc(1, sizeof(*b));

	if (!b)
		return hl_error_set(HL_ENOMEM, "out of memory");
	while (done < max) {
		size_t want = max - done < RECHECK_BATCH ? max - done : RECHECK_BATCH, wrote = 0;
		b->n = 0;
		if ((rc = hl_store_pages_unchecked(st, rule, want, recheck_row, b)) < 0)
			break;
		if (!b->n)
			break;
		if ((rc = hl_store_begin(st)) < 0)
			break;
		for (size_t i = 0; i < b->n && rc == 0; i++) {
			rechecked *x = &b->v[i];
			int changed = 0;
			rc = hl_store_page_check_set(&changed, st, x->document_id, x->file_seq,
			                             x->page_no, x->text_version, &x->c);
			wrote += changed > 0;
		}
		rc = rc < 0 ? (hl_store_rollback(st), rc) : hl_store_commit(st);
		for (size_t i = 0; i < b->n; i++)
			free(b->v[i].words);
		if (rc < 0 || !wrote)
			break; /* nothing written: every page of the batch changed meanwhile */
		done += b->n;
		if (b->n < want)
			break;
	}
	free(b);
	if (rc == 0 && left) {
		int64_t n = 0;
		rc = hl_store_pages_unchecked_count(&n, st, rule);
		*left = n > 0 ? (uint64_t)n : 0;
	}
	return rc;
}

/* ---- one page of a document ---- */

typedef struct {
	int want, found;
	int file_seq, page_no, text_version, from_text_layer;
	char sha256[65], state[16];
	char *text, *machine, *done_at;
	char corrected_by[96], corrected_at[32], approved_by[96], approved_at[32];
} page_at;

static void copy(char *dst, size_t cap, const char *s)
{
	snprintf(dst, cap, "%s", s ? s : "");
}

static int find_cb(const hl_page_row *p, void *ud)
{
	page_at *g = ud;
	if (p->seq != g->want)
		return 0;
	g->found = 1;
	g->file_seq = p->file_seq, g->page_no = p->page_no;
	g->text_version = p->text_version, g->from_text_layer = p->from_text_layer;
	copy(g->sha256, sizeof(g->sha256), p->sha256);
	copy(g->state, sizeof(g->state), p->state);
	copy(g->corrected_by, sizeof(g->corrected_by), p->corrected_by);
	copy(g->corrected_at, sizeof(g->corrected_at), p->corrected_at);
	copy(g->approved_by, sizeof(g->approved_by), p->approved_by);
	copy(g->approved_at, sizeof(g->approved_at), p->approved_at);
	if (!(g->text = hl_strdup(p->text ? p->text : "")) ||
	    (p->machine_text && !(g->machine = hl_strdup(p->machine_text))) ||
	    (p->done_at && !(g->done_at = hl_strdup(p->done_at))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	return 1;
}

static void page_clear(page_at *g)
{
	free(g->text), free(g->machine), free(g->done_at);
}

static int page_find(page_at *g, hl_archive *a, const hl_doc *d, int seq)
{
	int rc;
	g->want = seq;
	if (seq >= 1 && (rc = hl_store_pages_of(a->store, d->doc_id, find_cb, g)) < 0)
		return rc;
	if (seq < 1 || !g->found)
		return hl_error_set(HL_ENOTFOUND, "no page %d in %s", seq, d->doc_id);
	return 0;
}

static void state_of(hl_page_text_state *s, const page_at *g, int seq)
{
	memset(s, 0, sizeof(*s));
	s->seq = seq;
	s->text_version = g->text_version;
	copy(s->corrected_by, sizeof(s->corrected_by), g->corrected_by);
	copy(s->corrected_at, sizeof(s->corrected_at), g->corrected_at);
	copy(s->approved_by, sizeof(s->approved_by), g->approved_by);
	copy(s->approved_at, sizeof(s->approved_at), g->approved_at);
}

/* The unit of `who` holds the document's fonds today (every fonds for the province's staff
 * and the local operator): a record it sees but does not hold (another unit's public one) is
 * refused, not hidden. */
static int holds(hl_archive__reader *r, const hl_doc *d)
{
	int rc;
	if (r->who && r->who->local)
		return 0;
	if ((rc = hl_archive__reader_scope(r)) < 0)
		return rc;
	if (r->all)
		return 0;
	for (size_t i = 0; i < r->n; i++)
		if (d->fonds_code && !strcmp(r->codes[i], d->fonds_code))
			return 0;
	return hl_error_set(HL_EDENIED,
	                    "fonds %s is not held by your unit: its pages are corrected by the "
	                    "archivists of the unit that holds it",
	                    d->fonds_code ? d->fonds_code : "?");
}

static int must_be_done(const page_at *g, const hl_doc *d, int seq)
{
	if (!strcmp(g->state, "done"))
		return 0;
	return hl_error_set(HL_ECONFLICT,
	                    "page %d of %s is %s: its text can be corrected once it is recognised "
	                    "(halong ocr run)",
	                    seq, d->doc_id, g->state);
}

/* A person's text as it is stored: checked (UTF-8, no NUL or control character, the size),
 * CR LF and lone CRs made LF, NFC. */
static int clean_text(char **out, const char *text, size_t len, const char *src)
{
	char *t;
	size_t bad, n = 0;
	int rc;
	if (!text)
		text = "", len = 0;
	if (len > HL_OCR_MAX_TEXT)
		return hl_error_set(HL_EINVALID, "%s: too long: a page's text has at most %u bytes",
		                    src, HL_OCR_MAX_TEXT);
	if (hl_text_check_utf8(text, len, &bad) < 0)
		return hl_error_set(HL_EINVALID, "%s: not UTF-8 (an invalid byte at %zu)", src,
		                    bad);
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];
		if (!c)
			return hl_error_set(HL_EINVALID, "%s: a NUL byte at %zu", src, i);
		/* C0 and DEL; C1 (U+0080-U+009F) is C2 80-9F in UTF-8 */
		if ((c < 0x20 && c != '\t' && c != '\n' && c != '\r') || c == 0x7F ||
		    (c == 0xC2 && i + 1 < len && (unsigned char)text[i + 1] < 0xA0))
			return hl_error_set(HL_EINVALID, "%s: a control character at byte %zu", src,
			                    i);
	}
	if (!(t = malloc(len + 1)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < len; i++) {
		if (text[i] == '\r') {
			t[n++] = '\n';
			if (i + 1 < len && text[i + 1] == '\n')
				i++;
		} else {
			t[n++] = text[i];
		}
	}
	t[n] = '\0';
	rc = n ? hl_text_nfc(out, t, (long)n) : ((*out = hl_strdup("")) ? 0 : HL_ENOMEM);
	free(t);
	if (rc == HL_ENOMEM)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (rc < 0)
		return hl_error_set(hl_error_code(), "%s: %s", src, hl_error_last());
	return 0;
}

/* The start of both changes: who may, the document as the principal sees it, its holder, the
 * page. Inside a write transaction the caller commits or rolls back. */
static int edit_begin(hl_doc **d, page_at *g, hl_archive__reader *r, hl_archive *a,
                      const hl_principal *who, const char *doc_id, int seq)
{
	int rc;
	if ((rc = hl_store_begin(a->store)) < 0)
		return rc;
	hl_archive__reader_init(r, a, who);
	if ((rc = hl_archive__doc_for(d, r, doc_id)) < 0 || (rc = holds(r, *d)) < 0 ||
	    (rc = page_find(g, a, *d, seq)) < 0 || (rc = must_be_done(g, *d, seq)) < 0)
		return rc;
	return 0;
}

static int edit_end(hl_archive *a, hl_archive__reader *r, int rc)
{
	rc = rc < 0 ? (hl_store_rollback(a->store), rc) : hl_store_commit(a->store);
	hl_archive__reader_clear(r);
	return rc;
}

int hl_archive_page_correct(hl_page_text_state *out, hl_archive *a, const hl_principal *who,
                            const char *doc_id, int seq, const char *text, size_t len,
                            const char *source, int base_version)
{
	const char *src = source && *source ? source : "text";
	hl_archive__reader rd;
	hl_page_text_state s;
	hl_doc *d = NULL;
	page_at g = {0};
	char *norm = NULL, *words = NULL, now[32];
	int rc;

	if ((rc = hl_auth_check(who, HL_ACT_PAGE_EDIT)) < 0)
		return rc;
	/* the text is judged before the store is touched: it does not depend on the record */
	if ((rc = clean_text(&norm, text, len, src)) < 0)
		return rc;
	rc = edit_begin(&d, &g, &rd, a, who, doc_id, seq);
	if (rc == 0 && base_version >= 0 && base_version != g.text_version)
		rc = hl_error_set(
		    HL_ECONFLICT,
		    "page %d of %s is at version %d now, not %d: it was saved meanwhile "
		    "(read it again, then correct it)",
		    seq, d->doc_id, g.text_version, base_version);
	if (rc == 0)
		state_of(&s, &g, seq);
	if (rc == 0 && strcmp(norm, g.text)) {
		hl_store_page_text t = {0};
		int version = 0;
		char detail[96];
		hl_now_utc(now);
		t.document_id = d->rowid, t.file_seq = g.file_seq, t.page_no = g.page_no;
		t.sha256 = g.sha256, t.text = norm, t.at = now;
		t.actor = hl_principal_actor(who);
		/* a person's text has no confidences: the rule looks at its words and characters */
		if ((rc = hl_archive__page_check(&t.check, &words, norm, NULL, 0)) == 0 &&
		    (rc = hl_store_page_text_put(&version, a->store, &t)) == 0) {
			snprintf(detail, sizeof(detail), "page %d: version %d (%zu bytes)", seq,
			         version, strlen(norm));
			rc = hl_store_audit(a->store, t.actor, "page.correct", d->doc_id, detail);
		}
		if (rc == 0) {
			s.text_version = version, s.changed = 1;
			copy(s.corrected_by, sizeof(s.corrected_by), t.actor);
			copy(s.corrected_at, sizeof(s.corrected_at), now);
			s.approved_by[0] = s.approved_at[0] = '\0';
		}
	}
	rc = edit_end(a, &rd, rc);
	if (rc == 0) {
		s.indexed = s.changed ? hl_archive_index_now(a) : 1;
		*out = s;
	}
	hl_doc_free(d);
	page_clear(&g);
	free(norm), free(words);
	return rc;
}

int hl_archive_page_approve(hl_page_text_state *out, hl_archive *a, const hl_principal *who,
                            const char *doc_id, int seq, int version)
{
	hl_archive__reader rd;
	hl_page_text_state s;
	hl_doc *d = NULL;
	page_at g = {0};
	char now[32], detail[64];
	int rc;

	if ((rc = hl_auth_check(who, HL_ACT_PAGE_EDIT)) < 0)
		return rc;
	rc = edit_begin(&d, &g, &rd, a, who, doc_id, seq);
	if (rc == 0 && version >= 0 && version != g.text_version)
		rc = hl_error_set(
		    HL_ECONFLICT,
		    "page %d of %s is at version %d now, not %d: it was saved meanwhile "
		    "(read it again before approving it)",
		    seq, d->doc_id, g.text_version, version);
	if (rc == 0) {
		state_of(&s, &g, seq);
		s.indexed = 1;
	}
	/* an approval already given to the text as it is: nothing to do */
	if (rc == 0 && !g.approved_at[0]) {
		const char *actor = hl_principal_actor(who);
		hl_now_utc(now);
		snprintf(detail, sizeof(detail), "page %d: version %d", seq, g.text_version);
		if ((rc = hl_store_page_approve(a->store, d->rowid, g.file_seq, g.page_no,
		                                g.text_version, actor, now)) == 0 &&
		    (rc = hl_store_audit(a->store, actor, "page.approve", d->doc_id, detail)) ==
		        0) {
			copy(s.approved_by, sizeof(s.approved_by), actor);
			copy(s.approved_at, sizeof(s.approved_at), now);
			s.changed = 1;
		}
	}
	rc = edit_end(a, &rd, rc);
	if (rc == 0)
		*out = s;
	hl_doc_free(d);
	page_clear(&g);
	return rc;
}

typedef struct {
	hl_page_text_cb cb;
	void *ud;
} texts_ctx;

static int text_row(int version, const char *text, const char *actor, const char *at, void *ud)
{
	texts_ctx *c = ud;
	return c->cb(version, text, actor, at, c->ud);
}

int hl_archive_page_texts(hl_page_text_state *out, hl_archive *a, const hl_principal *who,
                          const char *doc_id, int seq, hl_page_text_cb cb, void *ud)
{
	hl_archive__read op;
	hl_page_text_state s;
	page_at g = {0};
	texts_ctx c = {cb, ud};
	char what[32];
	int rc = hl_archive__read_begin(&op, a, who, doc_id);

	if (rc == 0)
		rc = page_find(&g, a, op.d, seq);
	if (rc == 0) {
		state_of(&s, &g, seq);
		s.indexed = 1;
		/* the machine's text first (kept aside once corrected, else the text in use), then
		 * each correction; a page not recognised yet has no text at all */
		if (cb && !strcmp(g.state, "done")) {
			rc = cb(0, g.machine ? g.machine : g.text, NULL, g.done_at, ud);
			if (rc == 0)
				rc = hl_store_page_texts(a->store, op.d->rowid, g.file_seq,
				                         g.page_no, g.sha256, text_row, &c);
			rc = rc > 0 ? 0 : rc;
		}
	}
	if (rc == 0) {
		/* whether the reader could change it: the same rule as the two verbs above */
		s.may_edit = hl_auth_check(who, HL_ACT_PAGE_EDIT) == 0 && holds(&op.r, op.d) == 0 &&
		             !strcmp(g.state, "done");
		hl_error_clear();
	}
	snprintf(what, sizeof(what), "page %d text", seq);
	rc = hl_archive__read_end(&op, rc, what);
	hl_archive__read_drop(&op);
	page_clear(&g);
	if (rc < 0)
		return rc;
	*out = s;
	return 0;
}
