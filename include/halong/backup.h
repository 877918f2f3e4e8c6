/* Backups of a node: a consistent copy of a running node (store, blobs, keys, configuration)
 * under a target folder, a signed manifest, verification against the target only, and restore
 * into a new data directory. The layout and invariants: src/lib/ops/README.md ("Backups"). */
#ifndef HALONG_BACKUP_H
#define HALONG_BACKUP_H

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

typedef struct {
	char name[64];          /* "halong-backup-20261208T003000Z" */
	int64_t documents;      /* in the store copied */
	uint64_t files;         /* files of the backup itself (store.db, keys, configuration) */
	uint64_t blobs;         /* blobs the backup refers to */
	uint64_t blobs_copied;  /* copied this time */
	uint64_t blobs_present; /* already on the target with the right hash: not copied */
	uint64_t bytes_copied;  /* of blobs */
	int is_signed;          /* 0: the node has no identity (the manifest says so) */
} hl_backup_stats;

/* Backs up the node of `a` into TARGET/halong-backup-YYYYMMDDTHHMMSSZ/ (TARGET is created if
 * absent): store.db through SQLite's online backup (writers keep working), the blobs the copied
 * store refers to into TARGET/blobs/ab/cdef... shared by every backup of TARGET (a blob already
 * there with its hash is not copied again; one that does not match is replaced; each copy is
 * hashed as it is written, to a temporary name, then renamed), keys/ (mode 0600), halong.conf, and
 * manifest.json, signed (manifest.sig) with the node's key when it has one. The search index is
 * not copied: restore rebuilds it. A blob whose source does not match its hash stops the backup
 * (HL_EIO naming it). progress may be NULL. */
int hl_backup_make(hl_backup_stats *out, hl_archive *a, const char *target, hl_progress_cb progress,
                   void *ud);

/* One problem of a backup: the file (relative to the backup: "store.db", "keys/node.key",
 * "manifest.json", "manifest.sig", "blobs/ab/cdef..." for a blob of the target), the kind
 * ("missing", "link", "size", "hash", "signature", "manifest") and a sentence. */
typedef void (*hl_backup_problem_cb)(const char *file, const char *kind, const char *detail,
                                     void *ud);

typedef struct {
	uint64_t files, blobs, problems;
	int is_signed;
} hl_backup_check;

/* Re-hashes every file of the backup and every blob it refers to against its manifest, and
 * checks manifest.sig against the public key of the node's key kept in the backup. Reads only the
 * backup and its target, never the node. 0 when it is whole; HL_EINVALID when problems were
 * found (each given to cb); other codes when it could not be read at all. */
int hl_backup_verify(hl_backup_check *out, const char *backup_dir, hl_backup_problem_cb cb,
                     void *ud);

typedef struct {
	const char *name, *created_at, *halong_version;
	int schema_version, is_signed;
	int64_t documents, blobs;
} hl_backup_entry;

/* The backups of TARGET, oldest first (by name): what each manifest says (not verified). A
 * folder whose manifest cannot be read is given with created_at NULL. */
int hl_backup_list(const char *target, int (*cb)(const hl_backup_entry *e, void *ud), void *ud);

/* Restores a backup into `new_home`, which must be absent or an empty folder (HL_ECONFLICT
 * otherwise): verifies it first (problems to cb; HL_EINVALID, nothing written), copies the
 * store, the blobs, the keys and the configuration, and rebuilds the search index from the store.
 */
int hl_backup_restore(const char *backup_dir, const char *new_home, hl_backup_problem_cb cb,
                      void *ud, hl_progress_cb progress, void *pud);

#ifdef __cplusplus
}
#endif

#endif
