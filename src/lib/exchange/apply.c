/* The inbox's default apply step: a "document" message puts its documents, with their files
 * (the attachments that arrived), into this node's archive with their provenance; every applied
 * message leaves an audit entry, in the inbox's transaction. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "exchange_int.h"
#include "store/store.h"
#include "halong/archive.h"
#include "halong/plans.h"
#include "halong/units.h"
#include "store/store.h"
#include "store/store_exchange.h"
#include "store/store_units.h"
#include "halong/util.h"

static char *dup_str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s && *s ? hl_strdup(s) : NULL;
}

/* The document payload's members the receiver copies (docs/exchange.md): the manifest keys. */
static int doc_from_json(hl_doc *d, json_t *o)
{
	json_t *files = json_object_get(o, "files");
	json_t *pc = json_object_get(o, "page_count");
	const char *lvl = json_string_value(json_object_get(o, "access_level"));

	static const char *const names[] = {"doc_id", "fonds_code", "dossier_code"};
	size_t nfiles;

	memset(d, 0, sizeof(*d));
	/* what the sender sent wrong: the message is malformed (recorded, answered so) */
	hl_exchange__refusal_set(HL_EXCHANGE_R_MALFORMED);
	if (!json_is_object(o) || !json_is_integer(json_object_get(o, "doc_ordinal")) ||
	    !json_string_value(json_object_get(o, "doc_id")) ||
	    !json_string_value(json_object_get(o, "fonds_code")) ||
	    !json_string_value(json_object_get(o, "dossier_code")) ||
	    !json_string_value(json_object_get(o, "subject")) || (files && !json_is_array(files)) ||
	    !lvl || hl_access_parse(&d->access, lvl) < 0)
		return hl_error_set(
		    HL_EINVALID, "malformed: document payload: doc_id, fonds_code, dossier_code, "
		                 "doc_ordinal, subject and access_level are required");
	/* an empty one would be taken as absent, then named and looked up as NULL */
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		if (!*json_string_value(json_object_get(o, names[i])))
			return hl_error_set(HL_EINVALID, "malformed: document payload: %s is empty",
			                    names[i]);
	if ((nfiles = json_array_size(files)) > HL_EXCHANGE_MAX_DOC_FILES) {
		/* the inbox refused it already (a message applied another way may come here) */
		hl_exchange__refusal_set(HL_EXCHANGE_R_TOO_BIG);
		return hl_error_set(HL_ELIMIT,
		                    "too-big: document payload: %zu files, over the limit "
		                    "of %d",
		                    nfiles, HL_EXCHANGE_MAX_DOC_FILES);
	}
	hl_exchange__refusal_set(HL_EXCHANGE_R_NONE);
	d->doc_id = dup_str(o, "doc_id");
	d->fonds_code = dup_str(o, "fonds_code");
	d->dossier_code = dup_str(o, "dossier_code");
	d->ordinal = json_integer_value(json_object_get(o, "doc_ordinal"));
	d->doc_number = dup_str(o, "doc_number");
	d->doc_notation = dup_str(o, "doc_notation");
	d->issued_date = dup_str(o, "issued_date");
	d->doc_type = dup_str(o, "doc_type");
	d->issuer = dup_str(o, "issuer");
	d->subject = dup_str(o, "subject");
	d->language = dup_str(o, "language");
	d->page_count = json_is_integer(pc) ? json_integer_value(pc) : -1;
	d->keywords = dup_str(o, "keywords");
	d->confidence = dup_str(o, "confidence");
	d->retention = dup_str(o, "retention");
	d->physical_state = dup_str(o, "physical_state");
	d->notes = dup_str(o, "notes");
	d->text = dup_str(o, "text");
	/* nfiles only once the files are there: doc_clear frees that many */
	if (nfiles && !(d->files = calloc(nfiles, sizeof(*d->files))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	d->nfiles = nfiles;
	for (size_t i = 0; i < d->nfiles; i++) {
		json_t *f = json_array_get(files, i);
		const char *sha = json_string_value(json_object_get(f, "sha256"));
		if (!sha || strlen(sha) != 64 || !json_is_integer(json_object_get(f, "size"))) {
			hl_exchange__refusal_set(HL_EXCHANGE_R_MALFORMED);
			return hl_error_set(HL_EINVALID,
			                    "malformed: document %s: file %zu has no sha256/size",
			                    d->doc_id ? d->doc_id : "?", i + 1);
		}
		d->files[i].name = dup_str(f, "name");
		memcpy(d->files[i].sha256, sha, 65);
		d->files[i].size = json_integer_value(json_object_get(f, "size"));
	}
	return 0;
}

int hl_exchange__doc_level_ok(char *why, size_t size, const json_t *doc, size_t i,
                              hl_access envelope, int restricted_ok)
{
	const char *lvl = json_string_value(json_object_get(doc, "access_level"));
	const char *id = json_string_value(json_object_get(doc, "doc_id"));
	hl_access a;
	char name[160], cut[65];
	/* The id as sent, at most 64 bytes cut at a whole character: the message goes back to
	 * the sender as JSON and into the refusals, which take only UTF-8. */
	snprintf(cut, sizeof(cut), "%s", id ? id : "no id");
	hl_str_cut_utf8(cut);
	snprintf(name, sizeof(name), "document %zu (%s)", i + 1, cut);
	if (!lvl || hl_access_parse(&a, lvl) < 0 || strcmp(lvl, hl_access_name(a))) {
		snprintf(why, size, "%s has no access level this node can read", name);
		return -1;
	}
	if (a == HL_ACCESS_SECRET) {
		snprintf(why, size, "%s is secret: a secret record never comes from another node",
		         name);
		return -1;
	}
	if (a > envelope) {
		snprintf(why, size, "%s is %s, above the level the envelope says (%s)", name, lvl,
		         hl_access_name(envelope));
		return -1;
	}
	if (a == HL_ACCESS_RESTRICTED && !restricted_ok) {
		snprintf(why, size,
		         "%s is restricted and this node may not hold restricted records", name);
		return -1;
	}
	return 0;
}

int hl_exchange__docs_within_limits(char *why, size_t size, const json_t *docs)
{
	size_t n = json_array_size(docs);
	if (n > HL_EXCHANGE_MAX_SEND) {
		snprintf(why, size, "%zu documents, over the limit of %d in one message", n,
		         HL_EXCHANGE_MAX_SEND);
		return -1;
	}
	for (size_t i = 0; i < n; i++) {
		const json_t *doc = json_array_get(docs, i);
		size_t f = json_array_size(json_object_get(doc, "files"));
		char cut[65];
		if (f <= HL_EXCHANGE_MAX_DOC_FILES)
			continue;
		snprintf(cut, sizeof(cut), "%s",
		         json_string_value(json_object_get(doc, "doc_id"))
		             ? json_string_value(json_object_get(doc, "doc_id"))
		             : "no id");
		hl_str_cut_utf8(cut);
		snprintf(why, size, "document %zu (%s): %zu files, over the limit of %d", i + 1,
		         cut, f, HL_EXCHANGE_MAX_DOC_FILES);
		return -1;
	}
	return 0;
}

/* Again at the apply step (a message held, or applied by another path than the inbox's checks):
 * each document by its own level, against the envelope's and the directory's flag of this
 * node. */
static int levels_ok(hl_store *st, const hl_exchange_message *m, json_t *docs)
{
	hl_exchange__peer me;
	hl_access envelope;
	char why[300];
	int rc;
	if (hl_access_parse(&envelope, m->access) < 0)
		envelope = HL_ACCESS_SECRET; /* unreadable: every document is checked as secret */
	if ((rc = hl_exchange__peer_get(&me, st, m->to)) < 0)
		return rc;
	rc = 0;
	for (size_t i = 0; i < json_array_size(docs) && rc == 0; i++)
		if (envelope == HL_ACCESS_SECRET ||
		    hl_exchange__doc_level_ok(why, sizeof(why), json_array_get(docs, i), i,
		                              envelope,
		                              me.found && !me.revoked && me.restricted) < 0) {
			hl_exchange__refusal_set(HL_EXCHANGE_R_ACCESS_DENIED);
			rc = hl_error_set(HL_EDENIED, "access-denied: %s",
			                  envelope == HL_ACCESS_SECRET
			                      ? "a secret message never comes from another node"
			                      : why);
		}
	hl_exchange__peer_free(&me);
	return rc;
}

/* Which of the message's attachments is `sha` (so it arrived and was checked by the inbox)?
 * Its index, or -1. */
static long attached(const hl_exchange_message *m, const char *sha, int64_t size)
{
	for (size_t i = 0; i < m->nattachments; i++)
		if (!strcmp(m->attachments[i].sha256, sha) && m->attachments[i].size == size)
			return (long)i;
	return -1;
}

/* ---- where a received document goes (README.md, "Where a received document goes") ---- */

#define MARK "Nhận qua liên thông từ "

/* What the apply step of one document message works with. */
typedef struct {
	hl_store *st;
	const hl_exchange_message *m;
	const hl_exchange_apply_ctx *c;
	const char *sig;
	char at[32], actor[64];
	char reg[48];          /* this node's register of incoming documents: VBDEN-<unit> */
	char year[8];          /* its dossier for what arrives now: the year, in Hanoi's time */
	int reg_ready;         /* the register's fonds is there */
	unsigned char *copied; /* per attachment: in the blob store already, in this message */
	struct {
		char code[65];
		int held;
	} seen[16]; /* fonds asked about already: held by the sender here? */
	size_t nseen;
} applying;

/* Did the document held here come from `sender`? Its notes' last provenance line names it. */
static int came_from(const char *notes, const char *sender)
{
	const char *p = notes, *last = NULL;
	size_t k = strlen(sender);
	while (p && (p = strstr(p, MARK))) {
		last = p;
		p += strlen(MARK);
	}
	return last && !strncmp(last + strlen(MARK), sender, k) && last[strlen(MARK) + k] == ',';
}

/* Does the sender's unit hold fonds `code` today, by custody as this node knows it (its creator,
 * or the unit it passed to)? What this node cannot establish, the sender does not hold. */
static int held_by_sender(applying *ap, const char *code)
{
	hl_custody *c = NULL;
	int held;
	if (!code || strlen(code) >= sizeof(ap->seen[0].code))
		return 0;
	for (size_t i = 0; i < ap->nseen; i++)
		if (!strcmp(ap->seen[i].code, code))
			return ap->seen[i].held;
	held = hl_custody_get(&c, ap->st, code, NULL) == 0 && c->state == HL_CUSTODY_HELD &&
	       c->custodian_code && !strcmp(c->custodian_code, ap->m->from);
	hl_custody_free(c);
	hl_error_clear();
	if (ap->nseen < sizeof(ap->seen) / sizeof(ap->seen[0])) {
		snprintf(ap->seen[ap->nseen].code, sizeof(ap->seen[0].code), "%s", code);
		ap->seen[ap->nseen++].held = held;
	}
	return held;
}

static int fonds_found(const hl_store_fonds_row *r, void *ud)
{
	*(int *)ud = r->creator_unit && *r->creator_unit ? 2 : 1;
	return 0;
}

/* The register's fonds, made the first time: named, created by this node's unit when this node
 * knows its units (else an archivist sets the creator later: `halong fonds set`). */
static int register_ready(applying *ap)
{
	const char *name = "Sổ đăng ký văn bản đến qua liên thông";
	int state = 0, rc;
	if (ap->reg_ready)
		return 0;
	rc = hl_store_fonds_get(ap->st, ap->reg, fonds_found, &state);
	if (rc < 0 && rc != HL_ENOTFOUND)
		return rc;
	if (state < 2 && hl_custody_set_creator(ap->st, ap->reg, ap->m->to, NULL,
	                                        state ? NULL : name, "exchange") < 0) {
		hl_error_clear();
		if (!state &&
		    (rc = hl_store_fonds_set(ap->st, ap->reg, name, NULL, NULL, "exchange")) < 0)
			return rc;
	}
	ap->reg_ready = 1;
	return 0;
}

/* d filed in the register: this year's dossier, the next number (the incoming number). *line:
 * the note that says so and where the sender files it. */
static int to_register(applying *ap, hl_doc *d, char *line, size_t size)
{
	int64_t n = 0;
	int rc;
	if ((rc = register_ready(ap)) < 0 ||
	    (rc = hl_store_xregister_next(&n, ap->st, ap->reg, ap->year)) < 0)
		return rc;
	snprintf(line, size,
	         "Vào sổ văn bản đến số %lld/%s; nơi gửi xếp ở phông %s, hồ sơ %s, "
	         "số thứ tự %lld",
	         (long long)n, ap->year, d->fonds_code, d->dossier_code, (long long)d->ordinal);
	free(d->fonds_code);
	free(d->dossier_code);
	d->fonds_code = hl_strdup(ap->reg);
	d->dossier_code = hl_strdup(ap->year);
	d->ordinal = n;
	return d->fonds_code && d->dossier_code ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
}

/* A refusal of the apply step, with its reason. */
static int refuse_doc(hl_exchange_reason r, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static int refuse_doc(hl_exchange_reason r, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	hl_exchange__refusal_set(r);
	return hl_error_set(HL_EDENIED, "%s: %s", hl_exchange_reason_name(r), msg);
}

/* A document held here already: changed only if it came from the sender, and only where it
 * lies — in the register (its place kept), or in a fonds the sender holds (and goes on holding
 * in this message). 1: placed; 0: not held here. */
static int place_held(applying *ap, hl_doc *d)
{
	hl_doc *old = NULL;
	int rc = hl_store_doc_get(&old, ap->st, d->doc_id);
	if (rc == HL_ENOTFOUND)
		return 0;
	if (rc < 0)
		return rc;
	if (!came_from(old->notes, ap->m->from))
		rc = refuse_doc(HL_EXCHANGE_R_CONFLICT,
		                "document %s exists here and did not come from %s; it is not "
		                "replaced",
		                d->doc_id, ap->m->from);
	else if (old->fonds_code && !strcmp(old->fonds_code, ap->reg)) {
		free(d->fonds_code);
		free(d->dossier_code);
		d->fonds_code = hl_strdup(old->fonds_code);
		d->dossier_code = hl_strdup(old->dossier_code);
		d->ordinal = old->ordinal;
		rc =
		    d->fonds_code && d->dossier_code ? 1 : hl_error_set(HL_ENOMEM, "out of memory");
	} else if (!held_by_sender(ap, old->fonds_code) || !held_by_sender(ap, d->fonds_code))
		rc = refuse_doc(HL_EXCHANGE_R_FONDS,
		                "document %s lies here in fonds %s, which %s does not hold: it is "
		                "not changed",
		                d->doc_id, old->fonds_code ? old->fonds_code : "-", ap->m->from);
	else
		rc = 1;
	hl_doc_free(old);
	return rc;
}

/* Where document d goes: as sent, in a fonds the sender holds here; else this node's register
 * of incoming documents (line: the note saying so). */
static int place(applying *ap, hl_doc *d, char *line, size_t size)
{
	int rc;
	line[0] = '\0';
	if ((rc = place_held(ap, d)) != 0)
		return rc < 0 ? rc : 0;
	if (held_by_sender(ap, d->fonds_code))
		return 0;
	return to_register(ap, d, line, size);
}

/* ---- one document received ---- */

static void doc_clear(hl_doc *d)
{
	free(d->doc_id);
	free(d->fonds_code);
	free(d->dossier_code);
	free(d->doc_number);
	free(d->doc_notation);
	free(d->issued_date);
	free(d->doc_type);
	free(d->issuer);
	free(d->subject);
	free(d->language);
	free(d->keywords);
	free(d->confidence);
	free(d->retention);
	free(d->physical_state);
	free(d->notes);
	free(d->text);
	for (size_t f = 0; f < d->nfiles; f++)
		free(d->files[f].name);
	free(d->files);
}

/* Its files copied into the blob store from the attachments (checked by the inbox): copied, not
 * moved, so that a message rolled back finds its attachments when it comes again. */
static int copy_files(applying *ap, const hl_doc *d)
{
	for (size_t f = 0; f < d->nfiles; f++) {
		char sha[65], *src;
		int64_t size = 0;
		long k = attached(ap->m, d->files[f].sha256, d->files[f].size);
		int rc;
		if (k < 0)
			return hl_error_set(HL_EINVALID,
			                    "message %s: document %s names file %s that is not "
			                    "among the attachments",
			                    ap->m->id, d->doc_id, d->files[f].sha256);
		/* Once a message: documents sharing a file (a map in every dossier) would each
		 * copy and hash its 2 GiB again. */
		if (ap->copied[k])
			continue;
		if (!(src = hl_path_join(ap->c->attachments_dir, d->files[f].sha256)))
			return hl_error_set(HL_ENOMEM, "out of memory");
		rc = hl_blob_put_file(sha, &size, ap->c->archive, src);
		free(src);
		if (rc < 0)
			return rc;
		if (strcmp(sha, d->files[f].sha256) || size != d->files[f].size)
			return hl_error_set(HL_EINVALID, "message %s: file %s changed on disk",
			                    ap->m->id, d->files[f].sha256);
		if ((rc = hl_store_blob_add(ap->st, sha, size)) < 0)
			return rc;
		ap->copied[k] = 1;
	}
	return 0;
}

/* Provenance: who sent it, which message, and the sender's signature (the whole signed
 * envelope stays in the inbox under the message id); the register's note before it. */
static int provenance(applying *ap, hl_doc *d, const char *line)
{
	size_t nl = (d->notes ? strlen(d->notes) : 0) + strlen(line) + strlen(ap->sig) + 256;
	char *notes = malloc(nl);
	if (!notes)
		return hl_error_set(HL_ENOMEM, "out of memory");
	snprintf(notes, nl, "%s%s%s%s" MARK "%s, thư %s (%s), chữ ký %s", d->notes ? d->notes : "",
	         d->notes ? "\n" : "", line, *line ? "\n" : "", ap->m->from, ap->m->id, ap->at,
	         ap->sig);
	free(d->notes);
	d->notes = notes;
	return 0;
}

static int apply_one_doc(applying *ap, json_t *o)
{
	hl_doc d;
	char line[400];
	int status = 0, rc;
	if ((rc = doc_from_json(&d, o)) == 0 && (rc = place(ap, &d, line, sizeof(line))) == 0 &&
	    (rc = copy_files(ap, &d)) == 0 && (rc = provenance(ap, &d, line)) == 0 &&
	    (rc = hl_store_doc_put(&status, ap->st, &d, ap->actor)) == 0)
		rc = hl_store_audit(ap->st, ap->actor, "exchange.receive", d.doc_id, ap->m->id);
	else if (rc < 0 && status == HL_PUT_CONFLICT_ORDINAL)
		/* its number in the dossier is another document's here: refused like any record
		 * held here from elsewhere (recorded, the rest of a batch goes on); the other
		 * document is not named (it may be none of the sender's business) */
		rc =
		    refuse_doc(HL_EXCHANGE_R_CONFLICT,
		               "document %s: number %lld of dossier %s in fonds %s is held here by "
		               "another document; it is not filed",
		               d.doc_id, (long long)d.ordinal, d.dossier_code, d.fonds_code);
	doc_clear(&d);
	return rc;
}

static int apply_document(hl_store *st, const hl_exchange_message *m,
                          const hl_exchange_apply_ctx *c)
{
	applying ap = {.st = st, .m = m, .c = c};
	json_t *p = NULL, *docs, *env = NULL;
	time_t now = (time_t)(hl_exchange__now_ms() / 1000) + 7 * 3600;
	struct tm tm;
	int rc = 0;

	if (!(p = hl_canon_parse(m->payload, strlen(m->payload), "payload")) ||
	    !(env = hl_canon_parse(m->envelope, strlen(m->envelope), "envelope"))) {
		rc = HL_EINVALID;
		goto done;
	}
	docs = json_object_get(p, "documents");
	ap.sig = json_string_value(json_object_get(env, "sig"));
	if (!json_is_array(docs) || !json_array_size(docs) || !ap.sig) {
		rc = hl_error_set(HL_EINVALID, "message %s: payload has no \"documents\" list",
		                  m->id);
		goto done;
	}
	if ((rc = levels_ok(st, m, docs)) < 0)
		goto done;
	if (!(ap.copied = calloc(m->nattachments + 1, 1))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	hl_exchange__ms_iso(ap.at, m->created_ms);
	snprintf(ap.actor, sizeof(ap.actor), "exchange:%s", m->from);
	snprintf(ap.reg, sizeof(ap.reg), "VBDEN-%s", m->to);
	gmtime_r(&now, &tm); /* Asia/Ho_Chi_Minh: UTC+7, no daylight saving */
	snprintf(ap.year, sizeof(ap.year), "%04d", (tm.tm_year + 1900) % 10000);
	for (size_t i = 0; i < json_array_size(docs) && rc == 0; i++)
		rc = apply_one_doc(&ap, json_array_get(docs, i));
done:
	free(ap.copied);
	json_decref(p);
	json_decref(env);
	return rc;
}

/* A report the plans module refused (hl_plans_exchange_apply): its code gives the reason —
 * what cannot be read is malformed, a text over its limit too-big, a sender that does not lead
 * the task access-denied, what this node does not hold as the message says conflict. Any other
 * code is a failure of the store: the message rolls back and comes again. */
static int plans_refused(int rc)
{
	hl_exchange_reason r = rc == HL_EINVALID    ? HL_EXCHANGE_R_MALFORMED
	                       : rc == HL_ELIMIT    ? HL_EXCHANGE_R_TOO_BIG
	                       : rc == HL_EDENIED   ? HL_EXCHANGE_R_ACCESS_DENIED
	                       : rc == HL_ECONFLICT ? HL_EXCHANGE_R_CONFLICT
	                                            : HL_EXCHANGE_R_NONE;
	char msg[600];
	if (r == HL_EXCHANGE_R_NONE)
		return rc;
	snprintf(msg, sizeof(msg), "%s", hl_error_last());
	hl_exchange__refusal_set(r);
	return hl_error_set(rc == HL_ECONFLICT ? HL_EDENIED : rc, "%s: %s",
	                    hl_exchange_reason_name(r), msg);
}

/* A report the plans module took without effect (a verdict that matches no report sent from
 * here): its refusal recorded for the status, as the witness records a head it does not keep,
 * and the message taken — held, it would stop every later message of its sender for good. */
static void plans_noted(hl_store *st, const hl_exchange_message *m)
{
	int code = hl_error_code();
	hl_exchange_reason r = code == HL_EINVALID  ? HL_EXCHANGE_R_MALFORMED
	                       : code == HL_ELIMIT  ? HL_EXCHANGE_R_TOO_BIG
	                       : code == HL_EDENIED ? HL_EXCHANGE_R_ACCESS_DENIED
	                                            : HL_EXCHANGE_R_CONFLICT;
	char msg[600];
	snprintf(msg, sizeof(msg), "%s", hl_error_last());
	hl_exchange__reject(st, 0, m->id, m->from, r, msg);
	hl_exchange__refusal_set(HL_EXCHANGE_R_NONE);
	hl_error_clear();
}

int hl_exchange_apply_default(hl_store *st, const hl_exchange_message *m, void *ud)
{
	const hl_exchange_apply_ctx *c = ud;
	char detail[160];
	int rc;

	if (!strcmp(m->type, "document")) {
		if (!c || !c->archive || !c->attachments_dir)
			return hl_error_set(HL_EINVALID, "document messages need the archive");
		if ((rc = apply_document(st, m, c)) < 0)
			return rc;
	} else if (!strcmp(m->type, HL_EXCHANGE_TYPE_AUDIT_HEAD)) {
		if ((rc = hl_exchange__witness_apply(st, m)) < 0)
			return rc;
	} else if (!strcmp(m->type, "report")) {
		/* a report of the plans (kind task.report, report.verdict) is recorded by plans/;
		 * any other is kept in the inbox only, as before */
		if ((rc = hl_plans_exchange_apply(st, m)) < 0)
			return plans_refused(rc);
		if (rc > 0)
			plans_noted(st, m);
	}
	/* Every applied message is in the audit log, in the order applied (the order per sender
	 * the inbox guarantees is visible there). */
	snprintf(detail, sizeof(detail), "from %s seq %lld type %s", m->from, (long long)m->seq,
	         m->type);
	return hl_store_audit(st, "exchange", "exchange.apply", m->id, detail);
}

/* The documents' files as the message's attachments, each SHA-256 once. */
typedef struct {
	hl_exchange_attachment *v;
	size_t n, cap;
} att_list;

static int add_files(att_list *l, const hl_doc *d)
{
	for (size_t f = 0; f < d->nfiles; f++) {
		int seen = 0;
		for (size_t k = 0; k < l->n && !seen; k++)
			seen = !strcmp(l->v[k].sha256, d->files[f].sha256);
		if (seen)
			continue; /* the same bytes travel once */
		if (l->n == l->cap) {
			size_t nc = l->cap ? l->cap * 2 : 8;
			hl_exchange_attachment *v = realloc(l->v, nc * sizeof(*v));
			if (!v)
				return hl_error_set(HL_ENOMEM, "out of memory");
			l->v = v;
			l->cap = nc;
		}
		l->v[l->n].sha256 = d->files[f].sha256;
		l->v[l->n].size = d->files[f].size;
		l->v[l->n].name =
		    d->files[f].name && *d->files[f].name ? d->files[f].name : d->files[f].sha256;
		l->n++;
	}
	return 0;
}

/* A document's metadata as the payload carries it: the receiver's archive keeps its own version
 * history and times. */
static int doc_payload(json_t *docs, const hl_doc *d)
{
	char *js = hl_doc_json(d);
	json_t *o = js ? json_loads(js, 0, NULL) : NULL;
	free(js);
	if (!o)
		return hl_error_set(HL_ENOMEM, "out of memory");
	json_object_del(o, "version");
	json_object_del(o, "created_at");
	json_object_del(o, "updated_at");
	return json_array_append_new(docs, o) ? hl_error_set(HL_ENOMEM, "out of memory") : 0;
}

int hl_exchange_put_documents(char id[37], hl_node *self, const char *to,
                              const char *const *doc_ids, size_t n, const char *actor)
{
	json_t *payload = json_object(), *docs = json_array();
	hl_exchange_msg m = {.to = to, .type = "document", .doc_ids = doc_ids, .ndocs = n};
	att_list att = {0};
	hl_doc **dv = NULL;
	char *text = NULL, msg_id[37], detail[128];
	int rc = 0;

	json_object_set_new(payload, "documents", docs);
	if (!n || !(dv = calloc(n, sizeof(*dv)))) {
		rc = hl_error_set(n ? HL_ENOMEM : HL_EINVALID, n ? "out of memory" : "no document");
		goto done;
	}
	for (size_t i = 0; i < n; i++)
		if ((rc = hl_store_doc_get(&dv[i], self->st, doc_ids[i])) < 0 ||
		    (rc = doc_payload(docs, dv[i])) < 0 || (rc = add_files(&att, dv[i])) < 0)
			goto done;
	if (!(text = json_dumps(payload, JSON_COMPACT))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	m.payload = text;
	m.attachments = att.v;
	m.nattachments = att.n;
	m.access = HL_ACCESS_PUBLIC; /* the outbox reads the documents' levels */
	if ((rc = hl_exchange_outbox_put(msg_id, self, &m)) < 0)
		goto done;
	snprintf(detail, sizeof(detail), "to %s message %s", to, msg_id);
	for (size_t i = 0; i < n; i++)
		if ((rc = hl_store_audit(self->st, actor ? actor : "cli", "exchange.send",
		                         doc_ids[i], detail)) < 0)
			goto done;
	if (id)
		memcpy(id, msg_id, 37);
done:
	json_decref(payload);
	for (size_t i = 0; dv && i < n; i++)
		hl_doc_free(dv[i]);
	free(dv);
	free(att.v);
	free(text);
	return rc;
}
