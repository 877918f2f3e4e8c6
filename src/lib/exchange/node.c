/* This node's identity (the Ed25519 key pair and its file) and the directory of nodes: enrolled
 * and revoked on the hub, exported signed, imported and verified on a commune. */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include "exchange_int.h"
#include "store/store_exchange.h"
#include "halong/util.h"

static char *key_path(const char *home)
{
	char *keys = hl_path_join(home, "keys");
	char *p = keys ? hl_path_join(keys, "node.key") : NULL;
	free(keys);
	return p;
}

static int valid_url(const char *u)
{
	size_t n = u ? strlen(u) : 0;
	if (n < 8 || n > 512)
		return 0;
	if (strncmp(u, "http://", 7) && strncmp(u, "https://", 8))
		return 0;
	for (; *u; u++)
		if ((unsigned char)*u <= ' ' || *u == 0x7f)
			return 0;
	return 1;
}

/* ---- identity ---- */

typedef struct {
	char *unit, *url, *pk, *hub;
} self_row;

static int grab_self(const char *unit, const char *url, const char *pk, const char *hub, void *ud)
{
	self_row *s = ud;
	s->unit = hl_strdup(unit);
	s->url = hl_strdup(url);
	s->pk = hl_strdup(pk);
	s->hub = hub ? hl_strdup(hub) : NULL;
	return 0;
}

static void self_free(self_row *s)
{
	free(s->unit);
	free(s->url);
	free(s->pk);
	free(s->hub);
}

int hl_node_init(hl_store *st, const char *home, const char *unit, const char *url,
                 const char *actor)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char *sk = NULL;
	char pk64[HL_X_KEY_B64], detail[160];
	char *keys = NULL, *path = NULL;
	self_row s = {0};
	int rc = -1, began = 0;

	if (!hl_exchange__valid_unit(unit))
		return hl_error_set(HL_EINVALID,
		                    "unit \"%s\": a unit code is 1-32 characters of [A-Za-z0-9._-]",
		                    unit ? unit : "");
	if (!valid_url(url))
		return hl_error_set(
		    HL_EINVALID,
		    "url \"%.80s\": give http:// or https:// and a host, at most 512 "
		    "bytes, no spaces",
		    url ? url : "");
	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium could not start");
	rc = hl_store_xself_get(st, grab_self, &s);
	if (rc == 0) {
		rc = hl_error_set(HL_ECONFLICT, "this node already has an identity: unit %s",
		                  s.unit);
		goto done;
	}
	if (rc != HL_ENOTFOUND)
		goto done;
	keys = hl_path_join(home, "keys");
	path = key_path(home);
	if (!keys || !path) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if (hl_file_exists(path)) {
		rc = hl_error_set(HL_ECONFLICT,
		                  "%s exists: this node already has a key (move it away to start "
		                  "again)",
		                  path);
		goto done;
	}
	if ((rc = hl_mkdir_p(keys, 0700)) < 0)
		goto done;
	chmod(keys, 0700);
	if (!(sk = sodium_malloc(crypto_sign_SECRETKEYBYTES))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	crypto_sign_keypair(pk, sk);
	hl_exchange__b64(pk64, sizeof(pk64), pk, sizeof(pk));
	/* The store first, in a transaction left open until the key file is durable: a crash in
	 * between leaves neither half. */
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	began = 1;
	if ((rc = hl_store_xself_set(st, unit, url, pk64)) < 0)
		goto done;
	snprintf(detail, sizeof(detail), "unit %s, public key %s", unit, pk64);
	if ((rc = hl_store_audit(st, actor ? actor : "system", "node.init", unit, detail)) < 0)
		goto done;
	if ((rc = hl_write_atomic(path, sk, crypto_sign_SECRETKEYBYTES, 0600)) < 0)
		goto done;
	if ((rc = hl_store_commit(st)) < 0) {
		unlink(path);
		began = 0;
		goto done;
	}
	began = 0;
	rc = 0;
done:
	if (began)
		hl_store_rollback(st);
	sodium_free(sk);
	self_free(&s);
	free(keys);
	free(path);
	return rc;
}

/* Reads a node key file into sk (sodium memory of crypto_sign_SECRETKEYBYTES) and its public
 * half as base64 into pk64 and raw into pk. The file must be a regular file (not a link) that
 * only its owner reads. */
static int load_key(const char *path, unsigned char *sk, unsigned char *pk, char *pk64, size_t cap)
{
	struct stat sb;
	ssize_t got;
	int rc = 0, fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	if (fd < 0)
		return hl_error_set(errno == ENOENT ? HL_ENOTFOUND : HL_EIO, "%s: cannot open: %s",
		                    path, strerror(errno));
	if (fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode))
		rc = hl_error_set(HL_EIO, "%s: not a regular file", path);
	else if (sb.st_mode & 077)
		rc = hl_error_set(HL_EDENIED,
		                  "%s: mode %04o lets others read the node's secret key; chmod 600 "
		                  "it (and consider the key exposed)",
		                  path, (unsigned)(sb.st_mode & 07777));
	else if (sb.st_size != crypto_sign_SECRETKEYBYTES ||
	         (got = read(fd, sk, crypto_sign_SECRETKEYBYTES)) != crypto_sign_SECRETKEYBYTES)
		rc = hl_error_set(HL_EINVALID, "%s: not a node key (%d bytes expected)", path,
		                  crypto_sign_SECRETKEYBYTES);
	close(fd);
	if (rc == 0) {
		crypto_sign_ed25519_sk_to_pk(pk, sk);
		hl_exchange__b64(pk64, cap, pk, crypto_sign_PUBLICKEYBYTES);
	}
	return rc;
}

static char *keys_file(const char *home, const char *name)
{
	char *keys = hl_path_join(home, "keys");
	char *p = keys ? hl_path_join(keys, name) : NULL;
	free(keys);
	return p;
}

/* The file names of a rotation: keys/node.key.next holds the new key until it replaces
 * keys/node.key, which is kept as keys/node.key.retired-YYYYMMDDTHHMMSSZ. */
#define KEY_NEXT "node.key.next"

/* Puts keys/node.key.next in the place of keys/node.key, keeping the old one as
 * node.key.retired-STAMP. Each step is a rename or a link, so a crash leaves either name whole;
 * hl_node_open finishes it when the store already names the new key. */
static int key_swap(const char *home)
{
	char name[64], stamp[32], *cur = key_path(home), *next = keys_file(home, KEY_NEXT),
	                          *old = NULL, *dir = hl_path_join(home, "keys");
	int rc = 0, fd;
	hl_now_utc(stamp);
	/* "2026-12-08T01:02:03Z" as 20261208T010203Z */
	size_t k = 0;
	for (const char *c = stamp; *c && k < sizeof(name) - 1; c++)
		if (*c != '-' && *c != ':')
			name[k++] = *c;
	name[k] = '\0';
	{
		char tmp[96];
		snprintf(tmp, sizeof(tmp), "node.key.retired-%s", name);
		old = keys_file(home, tmp);
	}
	if (!cur || !next || !old || !dir) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if (link(cur, old) != 0 && errno != EEXIST && errno != ENOENT) {
		rc = hl_error_set(HL_EIO, "%s: cannot keep the old key: %s", old, strerror(errno));
		goto done;
	}
	if (rename(next, cur) != 0) {
		rc = hl_error_set(HL_EIO, "%s: cannot put the new key in place: %s", cur,
		                  strerror(errno));
		goto done;
	}
	if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(fd);
		close(fd);
	}
done:
	free(cur);
	free(next);
	free(old);
	free(dir);
	return rc;
}

int hl_node_open(hl_node **out, hl_store *st, const char *home)
{
	hl_node *n = NULL;
	self_row s = {0};
	char *path = NULL, *next = NULL;
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	int rc;

	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium could not start");
	rc = hl_store_xself_get(st, grab_self, &s);
	if (rc == HL_ENOTFOUND)
		return hl_error_set(HL_ENOTFOUND,
		                    "this node has no identity yet (run `halong node init --unit "
		                    "CODE --url URL`)");
	if (rc < 0)
		return rc;
	if (!(path = key_path(home)) || !(next = keys_file(home, KEY_NEXT)) ||
	    !(n = calloc(1, sizeof(*n))) || !(n->sk = sodium_malloc(crypto_sign_SECRETKEYBYTES))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if ((rc = load_key(path, n->sk, pk, n->public_key, sizeof(n->public_key))) < 0)
		goto done;
	if (strcmp(n->public_key, s.pk) && hl_file_exists(next)) {
		/* A rotation stopped after the store took the new key and before the file did:
		 * finish it when the waiting key is the one the store names. */
		if ((rc = load_key(next, n->sk, pk, n->public_key, sizeof(n->public_key))) < 0)
			goto done;
		if (!strcmp(n->public_key, s.pk) && (rc = key_swap(home)) < 0)
			goto done;
	}
	if (strcmp(n->public_key, s.pk)) {
		rc = hl_error_set(HL_EINVALID,
		                  "%s: this key's public half is not the node's public key in the "
		                  "store",
		                  path);
		goto done;
	}
	memcpy(n->pk, pk, sizeof(pk));
	if (!(n->blobs = hl_path_join(home, "blobs"))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	n->st = st;
	n->unit = s.unit;
	n->url = s.url;
	s.unit = s.url = NULL;
	*out = n;
	n = NULL;
	rc = 0;
done:
	hl_node_free(n);
	self_free(&s);
	free(path);
	free(next);
	return rc;
}

int hl_node_rotate_key(char new_public_key[HL_X_KEY_B64], hl_store *st, const char *home, int lost,
                       const char *actor)
{
	hl_node *n = NULL;
	self_row s = {0};
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	unsigned char *sk = NULL;
	char pk64[HL_X_KEY_B64], detail[256], *next = NULL;
	int64_t version = 0, issued = 0;
	int imported = 0, rc, began = 0, written = 0;

	if (sodium_init() < 0)
		return hl_error_set(HL_ERROR, "libsodium could not start");
	rc = hl_store_xself_get(st, grab_self, &s);
	if (rc == HL_ENOTFOUND)
		return hl_error_set(HL_ENOTFOUND, "this node has no identity yet (run `halong node "
		                                  "init --unit CODE --url URL`)");
	if (rc < 0)
		return rc;
	rc = hl_node_open(&n, st, home);
	if (lost && rc == 0) {
		rc =
		    hl_error_set(HL_ECONFLICT, "the node key is readable and matches the store: it "
		                               "is not lost (rotate without --lost)");
		goto done;
	}
	if (!lost && rc < 0)
		goto done;
	if ((rc = hl_store_xdir_get(&version, &issued, &imported, NULL, st)) < 0)
		goto done;
	if (version > 0 && !imported) {
		rc = hl_error_set(
		    HL_EDENIED, "this node issues the directory: every commune trusts its key "
		                "(node trust-hub), so it is not rotated here (docs/operations.md)");
		goto done;
	}
	if (!(next = keys_file(home, KEY_NEXT)) ||
	    !(sk = sodium_malloc(crypto_sign_SECRETKEYBYTES))) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	crypto_sign_keypair(pk, sk);
	hl_exchange__b64(pk64, sizeof(pk64), pk, sizeof(pk));
	/* The new key is on disk before the store names it; the store's commit is the moment of
	 * the rotation, and hl_node_open finishes the swap should we stop right after it. */
	if ((rc = hl_write_atomic(next, sk, crypto_sign_SECRETKEYBYTES, 0600)) < 0)
		goto done;
	written = 1;
	if ((rc = hl_store_begin(st)) < 0)
		goto done;
	began = 1;
	if ((rc = hl_store_xself_rotate(st, s.pk, pk64)) < 0)
		goto done;
	snprintf(detail, sizeof(detail), "unit %s, public key %s replaces %s%s", s.unit, pk64, s.pk,
	         lost ? " (lost)" : "");
	if ((rc = hl_store_audit(st, actor ? actor : "system", "node.rotate_key", s.unit, detail)) <
	        0 ||
	    (rc = hl_store_commit(st)) < 0)
		goto done;
	began = 0;
	written = 0;
	if ((rc = key_swap(home)) < 0)
		goto done;
	memcpy(new_public_key, pk64, sizeof(pk64));
	rc = 0;
done:
	if (began)
		hl_store_rollback(st);
	if (written)
		unlink(next);
	sodium_free(sk);
	hl_node_free(n);
	self_free(&s);
	free(next);
	return rc;
}

/* The bytes an endorsement signs: the context line, the old key, the new key. */
static int endorse_text(char *buf, size_t cap, const char *old_pk, const char *new_pk)
{
	int n = snprintf(buf, cap, "%s%s\n%s", HL_NODE_ENDORSE_CTX, old_pk, new_pk);
	return n > 0 && (size_t)n < cap ? n : -1;
}

int hl_node_endorse(char sig[89], const char *home, const char *old_pk, const char *new_pk)
{
	char *dir = hl_path_join(home, "keys"), text[256], pk64[HL_X_KEY_B64];
	unsigned char pk[crypto_sign_PUBLICKEYBYTES], s64[crypto_sign_BYTES];
	unsigned char *sk = sodium_malloc(crypto_sign_SECRETKEYBYTES);
	DIR *d = NULL;
	struct dirent *e;
	int rc = HL_ENOTFOUND, len = endorse_text(text, sizeof(text), old_pk, new_pk);

	if (!dir || !sk) {
		rc = hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	if (len < 0) {
		rc = hl_error_set(HL_EINVALID, "a public key is too long");
		goto done;
	}
	if (!(d = opendir(dir))) {
		rc = hl_error_set(HL_EIO, "%s: cannot read: %s", dir, strerror(errno));
		goto done;
	}
	while ((e = readdir(d))) {
		char *path;
		if (strncmp(e->d_name, "node.key.retired-", 17))
			continue;
		if (!(path = hl_path_join(dir, e->d_name))) {
			rc = hl_error_set(HL_ENOMEM, "out of memory");
			goto done;
		}
		int r = load_key(path, sk, pk, pk64, sizeof(pk64));
		free(path);
		if (r == 0 && !strcmp(pk64, old_pk)) {
			crypto_sign_detached(s64, NULL, (const unsigned char *)text, (size_t)len,
			                     sk);
			hl_exchange__b64(sig, 89, s64, sizeof(s64));
			rc = 0;
			goto done;
		}
	}
	rc = hl_error_set(HL_ENOTFOUND, "no retired key of this node is %s", old_pk);
done:
	if (d)
		closedir(d);
	sodium_free(sk);
	free(dir);
	return rc;
}

int hl_node_endorsement_ok(const char *old_pk, const char *new_pk, const char *sig)
{
	char text[256];
	int len = endorse_text(text, sizeof(text), old_pk, new_pk);
	size_t ctx = strlen(HL_NODE_ENDORSE_CTX);
	if (len < 0 || sodium_init() < 0)
		return 0;
	return hl_exchange__verify(sig, old_pk, HL_NODE_ENDORSE_CTX, text + ctx,
	                           (size_t)len - ctx) == 0;
}

int hl_node_stale(const hl_node *n)
{
	self_row s = {0};
	int stale = 0;
	if (n && hl_store_xself_get(n->st, grab_self, &s) == 0 && s.pk)
		stale = strcmp(s.pk, n->public_key) != 0;
	self_free(&s);
	return stale;
}

void hl_node_free(hl_node *n)
{
	if (!n)
		return;
	sodium_free(n->sk); /* wipes it */
	free(n->unit);
	free(n->url);
	free(n->blobs);
	free(n);
}

const char *hl_node_unit(const hl_node *n)
{
	return n->unit;
}

const char *hl_node_url(const hl_node *n)
{
	return n->url;
}

const char *hl_node_public_key(const hl_node *n)
{
	return n->public_key;
}

hl_store *hl_node_store(hl_node *n)
{
	return n->st;
}

/* ---- the directory on the hub ---- */

/* Refuses to edit the directory on a node that follows a hub. */
static int check_hub(hl_store *st)
{
	char *hub = NULL;
	int imported = 0, follower, rc;
	if ((rc = hl_store_xhub_key_get(&hub, st)) < 0)
		return rc;
	follower = hub != NULL;
	free(hub);
	if ((rc = hl_store_xdir_get(NULL, NULL, &imported, NULL, st)) < 0)
		return rc;
	if (follower || imported)
		return hl_error_set(HL_EDENIED, "this node follows the hub's directory: enrol and "
		                                "revoke nodes on the hub");
	return 0;
}

/* Bumps the version of the directory edited here. */
static int bump(hl_store *st)
{
	int64_t v = 0;
	int rc;
	if ((rc = hl_store_xdir_get(&v, NULL, NULL, NULL, st)) < 0)
		return rc;
	return hl_store_xdir_set(st, v + 1, hl_exchange__now_ms(), 0, NULL);
}

int hl_node_enrol(hl_store *st, const hl_node_entry *e, const char *actor)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	char detail[400];
	hl_node_row r = {0};
	int rc;

	if (!hl_exchange__valid_unit(e->unit))
		return hl_error_set(HL_EINVALID,
		                    "unit \"%s\": a unit code is 1-32 characters of [A-Za-z0-9._-]",
		                    e->unit ? e->unit : "");
	if (!valid_url(e->url))
		return hl_error_set(HL_EINVALID,
		                    "%s: url \"%.80s\": give http:// or https:// and a "
		                    "host, no spaces",
		                    e->unit, e->url ? e->url : "");
	if (hl_exchange__key_decode(pk, e->public_key) < 0)
		return HL_EINVALID;
	if ((rc = hl_exchange__check_types(e->may_send, "may-send")) < 0 ||
	    (rc = hl_exchange__check_types(e->may_receive, "may-receive")) < 0)
		return rc;
	if ((rc = check_hub(st)) < 0)
		return rc;
	r.unit = e->unit;
	r.url = e->url;
	r.public_key = e->public_key;
	r.may_send = e->may_send ? e->may_send : "";
	r.may_receive = e->may_receive ? e->may_receive : "";
	r.restricted = e->restricted;
	snprintf(detail, sizeof(detail), "url %s, key %s, may send [%s], may receive [%s]%s",
	         e->url, e->public_key, r.may_send, r.may_receive,
	         e->restricted ? ", may hold restricted records" : "");
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = hl_store_xpeer_put(st, &r)) < 0 || (rc = bump(st)) < 0 ||
	    (rc = hl_store_audit(st, actor ? actor : "system", "node.enrol", e->unit, detail)) <
	        0 ||
	    (rc = hl_store_commit(st)) < 0) {
		hl_store_rollback(st);
		return rc;
	}
	return 0;
}

int hl_node_revoke(hl_store *st, const char *unit, const char *actor)
{
	int rc;
	if ((rc = check_hub(st)) < 0)
		return rc;
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	rc = hl_store_xpeer_revoke(st, unit);
	if (rc == HL_ENOTFOUND)
		rc = hl_error_set(HL_ENOTFOUND, "node %s is not in the directory", unit);
	if (rc < 0 || (rc = bump(st)) < 0 ||
	    (rc = hl_store_audit(st, actor ? actor : "system", "node.revoke", unit, NULL)) < 0 ||
	    (rc = hl_store_commit(st)) < 0) {
		hl_store_rollback(st);
		return rc;
	}
	return 0;
}

int hl_node_foreach(hl_store *st, int (*cb)(const hl_node_row *r, void *ud), void *ud)
{
	return hl_store_xpeer_foreach(st, cb, ud);
}

int hl_node_directory_info(int64_t *version, int64_t *issued_ms, int *imported, hl_store *st)
{
	return hl_store_xdir_get(version, issued_ms, imported, NULL, st);
}

/* "a,b" as a JSON array of strings. */
static json_t *types_json(const char *list)
{
	json_t *a = json_array();
	if (!a || !list)
		return a;
	for (const char *p = list; *p;) {
		const char *e = strchr(p, ',');
		size_t len = e ? (size_t)(e - p) : strlen(p);
		if (len)
			json_array_append_new(a, json_stringn(p, len));
		if (!e)
			break;
		p = e + 1;
	}
	return a;
}

static int add_node_json(const hl_node_row *r, void *ud)
{
	json_t *o = json_object();
	json_object_set_new(o, "unit", json_string(r->unit));
	json_object_set_new(o, "url", json_string(r->url));
	json_object_set_new(o, "public_key", json_string(r->public_key));
	json_object_set_new(o, "may_send", types_json(r->may_send));
	json_object_set_new(o, "may_receive", types_json(r->may_receive));
	json_object_set_new(o, "restricted", json_boolean(r->restricted));
	json_object_set_new(o, "revoked", json_boolean(r->revoked));
	return json_array_append_new(ud, o) == 0 ? 0 : hl_error_set(HL_ENOMEM, "out of memory");
}

int hl_node_directory_export(char **out, hl_node *hub)
{
	json_t *dir = NULL, *nodes = json_array(), *signed_dir = NULL;
	char *canon = NULL, sig[HL_X_SIG_B64];
	size_t len = 0;
	int64_t version = 0, issued = 0;
	int imported = 0, rc;

	if (!nodes)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if ((rc = hl_store_xdir_get(&version, &issued, &imported, NULL, hub->st)) < 0)
		goto done;
	if (imported || version == 0) {
		rc = hl_error_set(HL_EDENIED, imported
		                                  ? "this node follows the hub's directory: "
		                                    "export it on the hub"
		                                  : "the directory is empty: enrol nodes first");
		goto done;
	}
	if ((rc = hl_store_xpeer_foreach(hub->st, add_node_json, nodes)) < 0)
		goto done;
	dir = json_pack("{s:I, s:I, s:s, s:O}", "version", (json_int_t)version, "issued_ms",
	                (json_int_t)issued, "hub", hub->unit, "nodes", nodes);
	if (!dir || (rc = hl_canon_encode(&canon, &len, dir)) < 0) {
		rc = dir ? rc : hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	hl_exchange__sign(sig, hub, HL_X_CTX_DIRECTORY, canon, len);
	signed_dir = json_pack("{s:O, s:s}", "directory", dir, "signature", sig);
	free(canon);
	canon = NULL;
	if (!signed_dir || (rc = hl_canon_encode(&canon, &len, signed_dir)) < 0) {
		rc = signed_dir ? rc : hl_error_set(HL_ENOMEM, "out of memory");
		goto done;
	}
	*out = canon;
	canon = NULL;
	rc = 0;
done:
	free(canon);
	json_decref(nodes);
	json_decref(dir);
	json_decref(signed_dir);
	return rc;
}

int hl_node_follows_hub(hl_store *st)
{
	char *hub = NULL;
	int rc = hl_store_xhub_key_get(&hub, st);
	if (rc < 0)
		return rc;
	rc = hub != NULL;
	free(hub);
	return rc;
}

int hl_node_directory_published(char **out, hl_store *st, const char *home)
{
	int64_t version = 0, issued = 0;
	int imported = 0, rc;
	char *copy = NULL;
	hl_node *n = NULL;

	if ((rc = hl_store_xdir_get(&version, &issued, &imported, &copy, st)) < 0)
		return rc;
	if (!version) {
		free(copy);
		return hl_error_set(HL_ENOTFOUND, "this node holds no directory");
	}
	if (imported) {
		if (!copy)
			return hl_error_set(HL_ENOTFOUND, "this node holds no signed directory");
		*out = copy;
		return 0;
	}
	/* The hub: its directory, signed now by its key (the content is the version's). */
	free(copy);
	if ((rc = hl_node_open(&n, st, home)) < 0)
		return rc;
	rc = hl_node_directory_export(out, n);
	hl_node_free(n);
	return rc;
}

/* ---- the directory on a commune ---- */

int hl_node_trust_hub(hl_store *st, const char *hub_key, const char *actor)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	char *held = NULL;
	int64_t version = 0;
	int imported = 0, rc;

	if (hl_exchange__key_decode(pk, hub_key) < 0)
		return HL_EINVALID;
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = hl_store_xhub_key_get(&held, st)) < 0 ||
	    (rc = hl_store_xdir_get(&version, NULL, &imported, NULL, st)) < 0)
		goto done;
	if (held) {
		rc = strcmp(held, hub_key)
		         ? hl_error_set(HL_ECONFLICT,
		                        "this node already trusts another hub key "
		                        "(%s); it is set once",
		                        held)
		         : 0;
		goto done;
	}
	if (version > 0 && !imported) {
		rc = hl_error_set(HL_EDENIED,
		                  "this node keeps its own directory (it is the hub): it "
		                  "trusts no other hub");
		goto done;
	}
	if ((rc = hl_store_xhub_key_set(st, hub_key)) < 0 ||
	    (rc = hl_store_audit(st, actor ? actor : "system", "node.trust-hub", hub_key, NULL)) <
	        0)
		goto done;
	rc = hl_store_commit(st);
	free(held);
	return rc;
done:
	hl_store_rollback(st);
	free(held);
	return rc;
}

static const char *jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* "a,b" from a JSON array of types; NULL (message set) if malformed. */
static char *types_list(const json_t *a, const char *unit, const char *what)
{
	size_t n = 0;
	char *out;
	if (!json_is_array(a) || json_array_size(a) > 256) {
		hl_error_set(HL_EINVALID, "directory: node %s: %s is not a list of types", unit,
		             what);
		return NULL;
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		const char *t = json_string_value(json_array_get(a, i));
		if (!t || (strcmp(t, "*") && !hl_exchange__valid_type(t))) {
			hl_error_set(HL_EINVALID, "directory: node %s: %s holds a bad type", unit,
			             what);
			return NULL;
		}
		n += strlen(t) + 1;
	}
	if (!(out = calloc(1, n + 1))) {
		hl_error_set(HL_ENOMEM, "out of memory");
		return NULL;
	}
	for (size_t i = 0; i < json_array_size(a); i++) {
		if (i)
			strcat(out, ",");
		strcat(out, json_string_value(json_array_get(a, i)));
	}
	return out;
}

void hl_exchange__directory_free(hl_exchange__dir *d)
{
	if (!d)
		return;
	for (size_t i = 0; i < d->n; i++) {
		free((char *)d->rows[i].may_send);
		free((char *)d->rows[i].may_receive);
	}
	free(d->rows);
	free(d->canon);
	json_decref(d->root);
	memset(d, 0, sizeof(*d));
}

/* {"directory": {...}, "signature": "..."} and the canonical bytes of its directory (what the
 * signature covers). */
static int dir_read(hl_exchange__dir *d, const char *json, size_t len)
{
	memset(d, 0, sizeof(*d));
	if (!(d->root = hl_canon_parse(json, len, "directory")))
		return HL_EINVALID;
	d->dir = json_object_get(d->root, "directory");
	d->signature = jstr(d->root, "signature");
	if (!json_is_object(d->dir) || !d->signature || json_object_size(d->root) != 2)
		return hl_error_set(HL_EINVALID, "directory: expected {\"directory\": {...}, "
		                                 "\"signature\": \"...\"}");
	return hl_canon_encode(&d->canon, &d->clen, d->dir);
}

/* Its version, issue time and list of nodes. */
static int dir_header(hl_exchange__dir *d)
{
	json_t *v = json_object_get(d->dir, "version"), *t = json_object_get(d->dir, "issued_ms");
	if (!json_is_integer(v) || !json_is_integer(t) ||
	    !json_is_array(json_object_get(d->dir, "nodes")))
		return hl_error_set(HL_EINVALID,
		                    "directory: version, issued_ms and nodes are required");
	d->version = json_integer_value(v);
	d->issued_ms = json_integer_value(t);
	return 0;
}

static int by_unit(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* Each unit once: the store keeps one row a unit, and a unit named twice would leave this node
 * with whichever of the two came last (sorted, not compared pairwise: a 4 MiB directory holds
 * tens of thousands of nodes). */
static int dir_unique(const hl_exchange__dir *d)
{
	const char **u;
	int rc = 0;
	if (d->n < 2)
		return 0;
	if (!(u = malloc(d->n * sizeof(*u))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < d->n; i++)
		u[i] = d->rows[i].unit;
	qsort(u, d->n, sizeof(*u), by_unit);
	for (size_t i = 1; i < d->n && !rc; i++)
		if (!strcmp(u[i - 1], u[i]))
			rc = hl_error_set(
			    HL_EINVALID,
			    "directory: node %s is listed twice; the last good copy is "
			    "kept",
			    u[i]);
	free(u);
	return rc;
}

/* Each node checked (unit, URL, key, flags, types) into d->rows. */
static int dir_nodes(hl_exchange__dir *d)
{
	json_t *nodes = json_object_get(d->dir, "nodes");
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	size_t n = json_array_size(nodes);
	if (n && !(d->rows = calloc(n, sizeof(*d->rows))))
		return hl_error_set(HL_ENOMEM, "out of memory");
	for (size_t i = 0; i < n; i++) {
		json_t *x = json_array_get(nodes, i);
		hl_node_row *r = &d->rows[i];
		r->unit = jstr(x, "unit");
		r->url = jstr(x, "url");
		r->public_key = jstr(x, "public_key");
		d->n = i + 1;
		if (!hl_exchange__valid_unit(r->unit) || !valid_url(r->url) ||
		    hl_exchange__key_decode(pk, r->public_key) < 0 ||
		    !json_is_boolean(json_object_get(x, "restricted")) ||
		    !json_is_boolean(json_object_get(x, "revoked")))
			return hl_error_set(
			    HL_EINVALID,
			    "directory: node %zu (%s) has a bad unit, url, key or flag; "
			    "the last good copy is kept",
			    i + 1, r->unit ? r->unit : "?");
		if (!(r->may_send =
		          types_list(json_object_get(x, "may_send"), r->unit, "may_send")) ||
		    !(r->may_receive =
		          types_list(json_object_get(x, "may_receive"), r->unit, "may_receive")))
			return hl_error_code() ? hl_error_code() : HL_EINVALID;
		r->restricted = json_is_true(json_object_get(x, "restricted"));
		r->revoked = json_is_true(json_object_get(x, "revoked"));
	}
	return dir_unique(d);
}

int hl_exchange__directory_parse(hl_exchange__dir *d, const char *json, size_t len)
{
	int rc;
	if (len > HL_EXCHANGE_MAX_DIRECTORY) {
		memset(d, 0, sizeof(*d));
		return hl_error_set(HL_ELIMIT, "directory: %zu bytes, over the limit of %u", len,
		                    HL_EXCHANGE_MAX_DIRECTORY);
	}
	if ((rc = dir_read(d, json, len)) < 0 || (rc = dir_header(d)) < 0 ||
	    (rc = dir_nodes(d)) < 0)
		return rc;
	return 0;
}

/* What this node holds and trusts before an import: the key to verify with (*key, malloc'd:
 * the held one, else the one given), the version held and its copy. */
static int import_ready(char **key, int64_t *held_version, char **held_copy, hl_store *st,
                        const char *hub_key)
{
	unsigned char pk[crypto_sign_PUBLICKEYBYTES];
	int imported = 0, rc;
	if (hub_key && hl_exchange__key_decode(pk, hub_key) < 0)
		return HL_EINVALID;
	if ((rc = hl_store_xhub_key_get(key, st)) < 0 ||
	    (rc = hl_store_xdir_get(held_version, NULL, &imported, held_copy, st)) < 0)
		return rc;
	if (*held_version > 0 && !imported)
		return hl_error_set(HL_EDENIED,
		                    "this node keeps its own directory (it is the hub): "
		                    "nothing to import");
	if (!*key && !hub_key)
		return hl_error_set(HL_EDENIED,
		                    "no hub key is trusted: run `halong node trust-hub KEY` "
		                    "with the key given at setup");
	if (*key && hub_key && strcmp(*key, hub_key))
		return hl_error_set(HL_EDENIED,
		                    "directory: --hub-key is not the hub key this node trusts (%s)",
		                    *key);
	if (!*key && !(*key = hl_strdup(hub_key)))
		return hl_error_set(HL_ENOMEM, "out of memory");
	return 0;
}

/* The directory replaces the one held, all at once, audited. */
static int import_store(hl_store *st, const hl_exchange__dir *d, const char *copy, int trust_key,
                        const char *key, const char *actor)
{
	char detail[128];
	int rc;
	if ((rc = hl_store_begin(st)) < 0)
		return rc;
	if ((rc = hl_store_xpeers_clear(st)) < 0)
		goto fail;
	for (size_t i = 0; i < d->n; i++)
		if ((rc = hl_store_xpeer_put(st, &d->rows[i])) < 0)
			goto fail;
	snprintf(detail, sizeof(detail), "version %lld, %zu nodes", (long long)d->version, d->n);
	if ((trust_key && (rc = hl_store_xhub_key_set(st, key)) < 0) ||
	    (rc = hl_store_xdir_set(st, d->version, d->issued_ms, 1, copy)) < 0 ||
	    (rc = hl_store_audit(st, actor ? actor : "system", "node.directory-import", NULL,
	                         detail)) < 0 ||
	    (rc = hl_store_commit(st)) < 0)
		goto fail;
	return 0;
fail:
	hl_store_rollback(st);
	return rc;
}

int hl_node_directory_import(int64_t *version, hl_store *st, const char *json, size_t len,
                             const char *hub_key, const char *actor)
{
	hl_exchange__dir d = {0};
	char *key = NULL, *held_copy = NULL, *copy = NULL;
	int64_t held_version = 0;
	int rc, trusted;

	if (len > HL_EXCHANGE_MAX_DIRECTORY)
		return hl_error_set(HL_ELIMIT, "directory: %zu bytes, over the limit of %u", len,
		                    HL_EXCHANGE_MAX_DIRECTORY);
	if ((rc = hl_node_follows_hub(st)) < 0)
		return rc;
	trusted = rc;
	if ((rc = import_ready(&key, &held_version, &held_copy, st, hub_key)) < 0 ||
	    (rc = dir_read(&d, json, len)) < 0)
		goto done;
	if (hl_exchange__verify(d.signature, key, HL_X_CTX_DIRECTORY, d.canon, d.clen) < 0) {
		rc = hl_error_set(HL_EDENIED,
		                  "directory: the signature does not verify with the hub "
		                  "key; the last good copy is kept");
		goto done;
	}
	if ((rc = dir_header(&d)) < 0)
		goto done;
	if (d.version < held_version) {
		rc = hl_error_set(HL_ECONFLICT,
		                  "directory: version %lld is older than version %lld held here; "
		                  "refused (the held copy stays)",
		                  (long long)d.version, (long long)held_version);
		goto done;
	}
	if ((rc = hl_canon_encode(&copy, NULL, d.root)) < 0)
		goto done;
	if (d.version == held_version) {
		rc = held_copy && !strcmp(held_copy, copy)
		         ? 0
		         : hl_error_set(HL_ECONFLICT,
		                        "directory: version %lld is held here with other content; "
		                        "refused",
		                        (long long)d.version);
	} else if ((rc = dir_nodes(&d)) == 0) {
		rc = import_store(st, &d, copy, !trusted, key, actor);
	}
	if (rc == 0 && version)
		*version = d.version;
done:
	hl_exchange__directory_free(&d);
	free(key);
	free(held_copy);
	free(copy);
	return rc;
}

/* ---- the directory as the exchange reads it ---- */

static int grab_peer(const hl_node_row *r, void *ud)
{
	hl_exchange__peer *p = ud;
	p->found = 1;
	p->restricted = r->restricted;
	p->revoked = r->revoked;
	snprintf(p->key, sizeof(p->key), "%s", r->public_key);
	p->may_send = hl_strdup(r->may_send);
	p->may_receive = hl_strdup(r->may_receive);
	return 0;
}

void hl_exchange__peer_free(hl_exchange__peer *p)
{
	free(p->may_send);
	free(p->may_receive);
	memset(p, 0, sizeof(*p));
}

int hl_exchange__peer_get(hl_exchange__peer *p, hl_store *st, const char *unit)
{
	int rc;
	memset(p, 0, sizeof(*p));
	rc = hl_store_xpeer_get(st, unit, grab_peer, p);
	return rc == HL_ENOTFOUND ? 0 : rc;
}

/* ---- for other modules (the reference-data feed signs its entries with the node's key) ---- */

void hl_node_sign(char sig[89], const hl_node *n, const char *ctx, const char *msg, size_t len)
{
	hl_exchange__sign(sig, n, ctx, msg, len);
}

int hl_exchange_verify(const char *sig, const char *public_key, const char *ctx, const char *msg,
                       size_t len)
{
	if (hl_exchange__verify(sig, public_key, ctx, msg, len) < 0)
		return hl_error_set(HL_EDENIED, "the signature does not verify with the hub's key");
	return 0;
}
