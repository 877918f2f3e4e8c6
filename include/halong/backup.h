/* Backups of a node: a consistent copy of a running node (store, blobs, keys, configuration)
 * under one or more target folders, a signed manifest (optionally every file encrypted),
 * verification against the target only, retention, and restore into a new data directory or
 * over a node (kept as a snapshot). The layout and invariants: src/lib/ops/README.md
 * ("Backups"). */
#ifndef HALONG_BACKUP_H
#define HALONG_BACKUP_H

#include <stddef.h>
#include <stdint.h>

#include "halong/archive.h"
#include "halong/common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The manifest's format, written as "format" in manifest.json. */
#define HL_BACKUP_FORMAT "halong-backup-v1"
/* The context line signed before manifest.json's bytes (hl_node_sign). */
#define HL_BACKUP_SIGN_CTX "halong-backup-v1\n"
/* Limits on what verify reads from a backup (it may come from anywhere). */
#define HL_BACKUP_MANIFEST_MAX ((size_t)512 << 20)
/* The most targets one backup is written to. */
#define HL_BACKUP_TARGETS_MAX 8
/* Bytes of a backup key (libsodium's secretstream XChaCha20-Poly1305). */
#define HL_BACKUP_KEY_BYTES 32

typedef struct {
	char name[64];          /* "halong-backup-20261208T003000Z" */
	int64_t documents;      /* in the store copied */
	uint64_t files;         /* files of the backup itself (store.db, keys, configuration) */
	uint64_t blobs;         /* blobs the backup refers to */
	uint64_t blobs_copied;  /* copied this time */
	uint64_t blobs_present; /* already on the target (listed by its last backup, or hashed): not
	                           copied */
	uint64_t bytes_copied;  /* of blobs */
	int is_signed;          /* 0: the node has no identity (the manifest says so) */
	int is_encrypted;       /* every file and blob encrypted with the backup key */
} hl_backup_stats;

typedef struct {
	/* A file of HL_BACKUP_KEY_BYTES bytes (hl_backup_keygen): every file of the backup and
	 * every blob is encrypted with it. NULL: $HALONG_BACKUP_KEY_FILE when set, else none. */
	const char *key_file;
	/* Do not read $HALONG_BACKUP_KEY_FILE (an explicit "no encryption"). */
	int no_env_key;
	/* Read and hash every blob already on a target, even those the last backup listed (which
	 * are otherwise kept unread when their size matches): a damaged one is then replaced. */
	int rehash;
} hl_backup_opts;

/* Backs up the node of `a` into TARGET/halong-backup-YYYYMMDDTHHMMSSZ/ of each of the n
 * targets (created if absent), out[i] for targets[i]: the store copied once through SQLite's
 * online backup (writers keep working) and written to each target, the blobs the copied store
 * refers to into TARGET/blobs/ab/cdef... shared by every backup of TARGET (one the target's
 * newest backup lists and still there with its size is kept unread; another already there is
 * hashed, kept if it matches and replaced if not (all of them with o->rehash); each copy is hashed
 * as it is written, to a temporary name, then renamed, and the target synced once before its
 * manifest is written), keys/ (mode 0600), halong.conf, and
 * manifest.json, signed (manifest.sig) with the node's key when it has one. A target remembers
 * the node's public key (TARGET/node.pub, written by its first signed backup) and refuses the
 * backups of another key (HL_ECONFLICT). A blob whose source does not match its hash stops the
 * backup (HL_EIO naming it). o and progress may be NULL. */
int hl_backup_make(hl_backup_stats *out, hl_archive *a, const char *const *targets, size_t n,
                   const hl_backup_opts *o, hl_progress_cb progress, void *ud);

/* The targets of $HALONG_BACKUP_TARGETS (folders separated by ':'; empty parts ignored):
 * *out is an array of n malloc'd strings (hl_backup_targets_free). n may be 0. HL_ELIMIT past
 * HL_BACKUP_TARGETS_MAX. */
int hl_backup_targets(char ***out, size_t *n);
void hl_backup_targets_free(char **t, size_t n);

/* What is wrong with a set of targets for Circular 02/2019/TT-BNV's two copies on separate
 * media: only one target, two targets on the same file system (st_dev of the folder, or of its
 * nearest existing parent). Each warning is one sentence given to cb; returns their number. */
int hl_backup_targets_warn(const char *const *targets, size_t n,
                           void (*cb)(const char *msg, void *ud), void *ud);

/* One problem of a backup: the file (relative to the backup: "store.db", "keys/node.key",
 * "manifest.json", "manifest.sig", "blobs/ab/cdef..." for a blob of the target, "node.pub" for
 * the target's record of the node key; an encrypted file ends in ".enc"), the kind ("missing",
 * "link", "size", "hash", "signature", "manifest", "decrypt") and a sentence. */
typedef void (*hl_backup_problem_cb)(const char *file, const char *kind, const char *detail,
                                     void *ud);

typedef struct {
	uint64_t files, blobs, problems;
	int is_signed, is_encrypted;
	int plaintext_checked; /* 0: encrypted and no key given: ciphertext hashes only */
} hl_backup_check;

/* How verify and restore read a backup. */
typedef struct {
	/* The backup key (encrypted backups): verify also decrypts and checks every plaintext
	 * hash; restore cannot do without it. NULL: $HALONG_BACKUP_KEY_FILE when set. */
	const char *key_file;
	/* The public key the manifest must name, instead of the target's own record
	 * (TARGET/node.pub): a base64 key as `halong node show` prints it, a file holding one (a
	 * copy of node.pub), or a node's data directory (its keys/node.key). */
	const char *expect_key;
	/* restore: new_home may be a node's data directory (not in use by any process): it is
	 * moved aside to NEW_HOME.before-restore-YYYYMMDDTHHMMSSZ when the restored node is whole,
	 * and put back if putting the restored one in place fails. */
	int force;
} hl_backup_read_opts;

/* Re-hashes every file of the backup and every blob it refers to against its manifest
 * (without the key, an encrypted backup's ciphertext hashes; with it, the plaintext too), and
 * checks manifest.sig against the node key the target recorded (TARGET/node.pub) or
 * o->expect_key, and against the key kept in the backup when it can be read. Reads only the
 * backup and its target, never the node; no symbolic link inside the backup or the target's
 * blobs/ is followed. 0 when it is whole; HL_EINVALID when problems were found (each given to
 * cb); other codes when it could not be read at all or the key is not the backup's (naming the
 * key file). o may be NULL. */
int hl_backup_verify(hl_backup_check *out, const char *backup_dir, const hl_backup_read_opts *o,
                     hl_backup_problem_cb cb, void *ud);

typedef struct {
	const char *name, *created_at, *halong_version;
	int schema_version, is_signed, is_encrypted;
	int64_t documents, blobs;
} hl_backup_entry;

/* The backups of TARGET, oldest first (by name): what each manifest says (not verified). A
 * folder whose manifest cannot be read is given with created_at NULL. */
int hl_backup_list(const char *target, int (*cb)(const hl_backup_entry *e, void *ud), void *ud);

/* The newest backup of TARGET whose manifest parses and gives a time (not the newest folder
 * blindly): its name and created_at (seconds since the epoch). HL_ENOTFOUND: none. */
int hl_backup_newest(char name[64], int64_t *created_at, const char *target);

typedef struct {
	char snapshot[4096]; /* restore over a node: where the node it replaced was put; "" */
} hl_backup_restored;

/* Restores a backup into `new_home`, which must be absent or an empty folder (HL_ECONFLICT
 * otherwise, unless o->force: see hl_backup_read_opts), verifies it first (problems to cb;
 * HL_EINVALID, nothing written), copies the store, the blobs, the keys and the configuration
 * (decrypted with the key for an encrypted backup: HL_EDENIED without it or with another key,
 * naming the file), and rebuilds the search index from the store. o and out may be NULL. */
int hl_backup_restore(hl_backup_restored *out, const char *backup_dir, const char *new_home,
                      const hl_backup_read_opts *o, hl_backup_problem_cb cb, void *ud,
                      hl_progress_cb progress, void *pud);

/* Retention, grandfather-father-son by created_at in UTC: the newest backup of each of the
 * last `daily` days that have one, of the last `weekly` ISO weeks, of the last `monthly` months,
 * and always the newest of all. */
typedef struct {
	unsigned daily, weekly, monthly;
	int dry_run; /* say what would be removed, remove nothing */
} hl_backup_keep;

/* The defaults 7 / 4 / 12, overridden by $HALONG_BACKUP_KEEP_DAILY, _WEEKLY and _MONTHLY;
 * HL_EINVALID naming the variable that does not hold a whole number. */
int hl_backup_keep_get(hl_backup_keep *out);

typedef struct {
	uint64_t kept, removed, blobs_removed, bytes_removed, unreadable;
} hl_backup_pruned;

/* Removes the backups of TARGET that `k` does not keep, then the blobs of TARGET/blobs/ that no
 * remaining backup refers to. Each removal (or, dry_run, each that would be) is given to cb:
 * what ("backup", "blob"), its name, and why it goes. A backup whose manifest cannot be read is
 * neither removed nor counted as kept, and while one exists no blob is removed (its blobs are not
 * known). Refused (HL_ECONFLICT) while a backup is being made into TARGET. cb may be NULL. */
int hl_backup_prune(hl_backup_pruned *out, const char *target, const hl_backup_keep *k,
                    void (*cb)(const char *what, const char *name, const char *why, void *ud),
                    void *ud);

/* Writes a new random backup key of HL_BACKUP_KEY_BYTES bytes to `path`, mode 0600; an existing
 * file is never replaced (HL_ECONFLICT). */
int hl_backup_keygen(const char *path);

#ifdef __cplusplus
}
#endif

#endif
