/* The index's life: opening it, applying the store's queue to it, rebuilding it from the store,
 * and turning Xapian's exceptions into halong's error codes at the C boundary. */
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <new>
#include <string>
#include <utility>
#include <vector>

#include <dirent.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "search/search.h"
#include "search/index_int.hh"
#include "search/search_int.h"

namespace fs = std::filesystem;

size_t hl_search__batch_size = 5000;

/* Longest index directory path accepted. */
#define HL_INDEX_MAX_PATH 4000

int hl_search__error(const char *what)
{
	try {
		throw;
	} catch (const Xapian::DatabaseLockError &) {
		return hl_error_set(HL_ECONFLICT,
		                    "%s: the index is locked by another halong process", what);
	} catch (const Xapian::DatabaseNotFoundError &e) {
		return hl_error_set(HL_ENOTFOUND, "%s: no index there (run `halong reindex`): %s",
		                    what, e.get_msg().c_str());
	} catch (const Xapian::DatabaseModifiedError &e) {
		return hl_error_set(HL_ECONFLICT,
		                    "%s: the index changed while being read, try again", what);
	} catch (const Xapian::DatabaseCorruptError &e) {
		return hl_error_set(HL_EIO, "%s: the index is damaged (run `halong reindex`): %s",
		                    what, e.get_msg().c_str());
	} catch (const Xapian::DatabaseError &e) {
		return hl_error_set(HL_EIO, "%s: %s", what, e.get_description().c_str());
	} catch (const Xapian::InvalidArgumentError &e) {
		return hl_error_set(HL_EINVALID, "%s: %s", what, e.get_msg().c_str());
	} catch (const Xapian::Error &e) {
		return hl_error_set(HL_ERROR, "%s: %s", what, e.get_description().c_str());
	} catch (const std::bad_alloc &) {
		return hl_error_set(HL_ENOMEM, "%s: out of memory", what);
	} catch (const fs::filesystem_error &e) {
		return hl_error_set(HL_EIO, "%s: %s", what, e.what());
	} catch (const std::exception &e) {
		return hl_error_set(HL_ERROR, "%s: %s", what, e.what());
	} catch (...) {
		return hl_error_set(HL_ERROR, "%s: unknown error", what);
	}
}

int hl_search__check_scheme(Xapian::Database &db, const std::string &dir)
{
	if (db.get_doccount() == 0)
		return 0;
	std::string s = db.get_metadata(HL_META_SCHEME);
	if (s != HL_SCHEME)
		return hl_error_set(HL_EINVALID,
		                    "the index at %s was made by another version of halong "
		                    "(term scheme %s, not %s): run `halong reindex`",
		                    dir.c_str(), s.empty() ? "1" : s.c_str(), HL_SCHEME);
	return 0;
}

namespace
{

int check_dir(const char *dir)
{
	if (!dir || !*dir)
		return hl_error_set(HL_EINVALID, "no index directory given");
	if (std::strlen(dir) > HL_INDEX_MAX_PATH)
		return hl_error_set(HL_ELIMIT, "index directory path longer than %d bytes",
		                    HL_INDEX_MAX_PATH);
	return 0;
}

int64_t read_seq(Xapian::Database &db)
{
	std::string v = db.get_metadata(HL_META_SEQ);
	if (v.empty())
		return 0;
	char *end = nullptr;
	errno = 0;
	long long n = std::strtoll(v.c_str(), &end, 10);
	if (errno || !end || *end || n < 0)
		throw Xapian::DatabaseCorruptError("bad " HL_META_SEQ " metadata: " + v);
	return (int64_t)n;
}

int collect(int64_t seq, int64_t rowid, void *ud)
{
	try {
		static_cast<std::vector<std::pair<int64_t, int64_t>> *>(ud)->emplace_back(seq,
		                                                                          rowid);
	} catch (...) {
		return HL_ENOMEM;
	}
	return 0;
}

/* Puts the store's current state of `rowid` into the index: its document, or its absence. */
int apply_one(Xapian::WritableDatabase &db, hl_store *st, int64_t rowid)
{
	if (rowid <= 0 || rowid > (int64_t)UINT32_MAX)
		return hl_error_set(HL_ELIMIT, "document row %" PRId64 " is beyond the index's ids",
		                    rowid);
	hl_doc *d = nullptr;
	int rc = rowid >= HL_INDEX_LESSONS ? hl_store_lesson_doc(&d, st, rowid - HL_INDEX_LESSONS)
	                                   : hl_store_doc_get_rowid(&d, st, rowid);
	if (rc == HL_ENOTFOUND) {
		try {
			db.delete_document((Xapian::docid)rowid);
		} catch (const Xapian::DocNotFoundError &) {
			/* already absent: applying a deletion twice is fine */
		}
		return 0;
	}
	if (rc < 0)
		return rc;
	try {
		db.replace_document((Xapian::docid)rowid, hl_search__document(d));
	} catch (...) {
		hl_doc_free(d);
		throw;
	}
	hl_doc_free(d);
	return 0;
}

/* Makes the files of a directory built with DB_NO_SYNC durable before it is swapped in. */
int sync_dir(const std::string &dir)
{
	DIR *dh = opendir(dir.c_str());
	if (!dh)
		return hl_error_set(HL_EIO, "%s: %s", dir.c_str(), std::strerror(errno));
	int rc = 0;
	struct dirent *e;
	while (rc == 0 && (e = readdir(dh))) {
		if (e->d_name[0] == '.')
			continue;
		std::string p = dir + "/" + e->d_name;
		int fd = open(p.c_str(), O_RDONLY | O_CLOEXEC);
		if (fd < 0 || fsync(fd) != 0)
			rc = hl_error_set(HL_EIO, "%s: %s", p.c_str(), std::strerror(errno));
		if (fd >= 0)
			close(fd);
	}
	closedir(dh);
	int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rc == 0 && (fd < 0 || fsync(fd) != 0))
		rc = hl_error_set(HL_EIO, "%s: %s", dir.c_str(), std::strerror(errno));
	if (fd >= 0)
		close(fd);
	return rc;
}

void sync_parent(const std::string &dir)
{
	std::string parent = fs::path(dir).parent_path().string();
	if (parent.empty())
		parent = ".";
	int fd = open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd >= 0) {
		fsync(fd);
		close(fd);
	}
}

/* Swaps the built index `fresh` in at `dir`. An atomic exchange leaves no moment without an
 * index at `dir`; where the file system lacks it, the old index is renamed aside first, and
 * hl_index_open puts it back if we die in between. */
int swap_in(const std::string &dir, const std::string &fresh)
{
	std::string old = dir + ".old";
	if (renameat2(AT_FDCWD, fresh.c_str(), AT_FDCWD, dir.c_str(), RENAME_EXCHANGE) == 0) {
		sync_parent(dir);
		fs::remove_all(fresh); /* now the old index */
		return 0;
	}
	if (errno != EINVAL && errno != ENOSYS && errno != ENOENT)
		return hl_error_set(HL_EIO, "swapping in %s: %s", fresh.c_str(),
		                    std::strerror(errno));
	fs::remove_all(old);
	if (fs::exists(dir) && rename(dir.c_str(), old.c_str()) != 0)
		return hl_error_set(HL_EIO, "moving %s aside: %s", dir.c_str(),
		                    std::strerror(errno));
	if (rename(fresh.c_str(), dir.c_str()) != 0)
		return hl_error_set(HL_EIO, "moving %s in: %s", fresh.c_str(),
		                    std::strerror(errno));
	sync_parent(dir);
	fs::remove_all(old);
	return 0;
}

} // namespace

extern "C" int hl_index_open(hl_index **out, const char *dir, int writable)
{
	int rc = check_dir(dir);
	if (rc)
		return rc;
	std::string what = std::string("opening the index at ") + dir;
	try {
		std::unique_ptr<hl_index> ix(new hl_index());
		ix->dir = dir;
		std::string old = ix->dir + ".old";
		if (writable) {
			/* A rebuild that died between its two renames left the old index aside. */
			if (!fs::exists(ix->dir) && fs::exists(old) &&
			    rename(old.c_str(), dir) != 0)
				return hl_error_set(HL_EIO, "restoring %s: %s", old.c_str(),
				                    std::strerror(errno));
			fs::path parent = fs::path(ix->dir).parent_path();
			if (!parent.empty())
				fs::create_directories(parent);
			ix->wdb.reset(
			    new Xapian::WritableDatabase(ix->dir, Xapian::DB_CREATE_OR_OPEN));
		} else {
			ix->rdb.reset(new Xapian::Database(ix->dir));
		}
		*out = ix.release();
		return 0;
	} catch (...) {
		return hl_search__error(what.c_str());
	}
}

extern "C" void hl_index_free(hl_index *ix)
{
	if (!ix)
		return;
	try {
		if (ix->wdb)
			ix->wdb->close(); /* every change was committed with its seq already */
	} catch (...) {
		/* nothing to report from a destructor; the next open recovers */
	}
	delete ix;
}

extern "C" int64_t hl_index_applied_seq(hl_index *ix)
{
	try {
		if (ix->rdb)
			ix->rdb->reopen();
		return read_seq(ix->db());
	} catch (...) {
		return hl_search__error("reading the index's queue position");
	}
}

extern "C" int hl_search__set_applied_seq(hl_index *ix, int64_t seq)
{
	if (!ix->wdb)
		return hl_error_set(HL_EINVALID, "the index is open read-only");
	try {
		ix->wdb->set_metadata(HL_META_SEQ, std::to_string(seq));
		ix->wdb->commit();
		return 0;
	} catch (...) {
		return hl_search__error("setting the index's queue position");
	}
}

extern "C" uint64_t hl_index_doc_count(hl_index *ix)
{
	try {
		if (ix->rdb)
			ix->rdb->reopen();
		return ix->db().get_doccount();
	} catch (...) {
		hl_search__error("counting the index's documents");
		return 0;
	}
}

extern "C" int hl_index_update(uint64_t *applied, hl_index *ix, hl_store *st,
                               hl_progress_cb progress, void *ud)
{
	if (!ix || !st)
		return hl_error_set(HL_EINVALID, "no index or store given");
	if (!ix->wdb)
		return hl_error_set(HL_EINVALID, "the index at %s is open read-only",
		                    ix->dir.c_str());
	Xapian::WritableDatabase &db = *ix->wdb;
	bool in_txn = false;
	int rc = 0;
	uint64_t count = 0;
	try {
		if ((rc = hl_search__check_scheme(db, ix->dir)))
			return rc;
		int64_t seq = read_seq(db), qmax = 0;
		rc = hl_store_queue_max(&qmax, st);
		if (rc < 0)
			return rc;
		uint64_t total = qmax > seq ? (uint64_t)(qmax - seq) : 0;
		int64_t first = seq;
		std::vector<std::pair<int64_t, int64_t>> batch;
		size_t per_commit = hl_search__batch_size ? hl_search__batch_size : 1;
		batch.reserve(per_commit);
		bool stop = false;
		while (!stop) {
			batch.clear();
			rc = hl_store_queue_since(st, seq, per_commit, collect, &batch);
			if (rc < 0)
				return rc;
			if (batch.empty())
				break;
			/* The documents and the seq they reach go into one Xapian commit: after a
			 * crash the index holds both or neither. */
			db.begin_transaction();
			in_txn = true;
			int64_t last = seq;
			for (const auto &e : batch) {
				rc = apply_one(db, st, e.second);
				if (rc < 0) {
					db.cancel_transaction();
					return rc;
				}
				last = e.first;
				count++;
				if (progress && count % 1000 == 0 &&
				    progress("index", (uint64_t)(last - first), total, ud)) {
					stop = true;
					break;
				}
			}
			db.set_metadata(HL_META_SEQ, std::to_string(last));
			db.set_metadata(HL_META_SCHEME, HL_SCHEME);
			db.commit_transaction();
			in_txn = false;
			seq = last;
			/* Entries up to seq are in the index; the store may now drop them. Trimmed
			 * batch by batch, so the store's change stamp moves with each commit and
			 * the server's answer caches (keyed on it) never outlive a batch that
			 * changed a record's access. A failure here only leaves entries the next
			 * update skips. */
			if ((rc = hl_store_queue_trim(st, seq)) < 0)
				return rc;
			if (progress && !stop &&
			    progress("index", (uint64_t)(last - first), total, ud))
				stop = true;
		}
		if (progress && !stop)
			progress("index", total, total, ud);
		if (applied)
			*applied = count;
		if (stop)
			return hl_error_set(HL_ELIMIT, "indexing stopped at the caller's request");
		return 0;
	} catch (...) {
		rc = hl_search__error("updating the index");
		if (in_txn) {
			try {
				db.cancel_transaction();
			} catch (...) {
			}
		}
		return rc;
	}
}

namespace
{

struct rebuild_ctx {
	Xapian::WritableDatabase *db;
	hl_progress_cb progress;
	void *ud;
	uint64_t done, total;
	int err; /* set when an exception was caught inside the store's walk */
	bool stopped;
	int64_t below; /* the walk's ids are below this: documents below the lessons' */
};

int rebuild_one(const hl_doc *d, void *ud)
{
	rebuild_ctx *c = static_cast<rebuild_ctx *>(ud);
	/* No exception may cross the store's C frames. */
	try {
		if (d->rowid <= 0 || d->rowid >= c->below) {
			c->err = hl_error_set(HL_ELIMIT,
			                      "document row %" PRId64 " is beyond the index's ids",
			                      d->rowid);
			return c->err;
		}
		c->db->replace_document((Xapian::docid)d->rowid, hl_search__document(d));
		c->done++;
		if (c->done % (hl_search__batch_size ? hl_search__batch_size : 1) == 0)
			c->db->commit(); /* bounds memory; nothing is visible until the swap */
		if (c->progress && c->done % 1000 == 0 &&
		    c->progress("reindex", c->done, c->total, c->ud)) {
			c->stopped = true;
			c->err = hl_error_set(HL_ELIMIT, "reindex stopped at the caller's request");
			return c->err;
		}
	} catch (...) {
		c->err = hl_search__error("rebuilding the index");
		return c->err;
	}
	return 0;
}

} // namespace

extern "C" int hl_index_rebuild(const char *dir, hl_store *st, hl_progress_cb progress, void *ud)
{
	int rc = check_dir(dir);
	if (rc)
		return rc;
	if (!st)
		return hl_error_set(HL_EINVALID, "no store given");
	std::string live = dir, fresh = live + ".new";
	try {
		/* Holding the live index's lock for the whole rebuild keeps any update out: one
		 * could otherwise trim queue entries that the new index has not seen. */
		hl_index *ix = nullptr;
		std::string damaged = live + ".damaged";
		rc = hl_index_open(&ix, dir, 1);
		if (rc == HL_EIO) {
			/* The live index does not open (damaged blocks, a lost file): it is only
			 * derived from the store, so it is moved aside and an empty one holds the
			 * lock while the new one is built; the damaged copy goes once that is in.
			 */
			fs::remove_all(damaged);
			if (rename(dir, damaged.c_str()) != 0)
				return hl_error_set(HL_EIO, "moving the damaged index %s aside: %s",
				                    dir, std::strerror(errno));
			rc = hl_index_open(&ix, dir, 1);
		}
		if (rc)
			return rc;
		std::unique_ptr<hl_index, void (*)(hl_index *)> hold(ix, hl_index_free);
		/* Read before the walk: changes queued after it are applied again by the next
		 * update, which is harmless; none before it can be missed. */
		int64_t qmax = 0;
		rc = hl_store_queue_max(&qmax, st);
		if (rc < 0)
			return rc;
		hl_store_stats stats;
		uint64_t total = 0;
		if (hl_store_stats_get(&stats, st) == 0 && stats.documents > 0)
			total = (uint64_t)stats.documents;
		fs::remove_all(fresh);
		{
			Xapian::WritableDatabase ndb(fresh, Xapian::DB_CREATE_OR_OVERWRITE |
			                                        Xapian::DB_NO_SYNC);
			rebuild_ctx c{&ndb, progress, ud, 0, total, 0, false, HL_INDEX_LESSONS};
			rc = hl_store_doc_foreach(st, rebuild_one, &c);
			if (rc == 0 && !c.err) {
				c.below = (int64_t)UINT32_MAX + 1;
				rc = hl_store_lesson_doc_foreach(st, rebuild_one, &c);
			}
			if (c.err || rc < 0) {
				ndb.close();
				fs::remove_all(fresh);
				return c.err ? c.err : rc;
			}
			ndb.set_metadata(HL_META_SEQ, std::to_string(qmax));
			ndb.set_metadata(HL_META_SCHEME, HL_SCHEME);
			ndb.commit();
			ndb.close();
			if (progress)
				progress("reindex", c.done, c.done, ud);
		}
		rc = sync_dir(fresh);
		if (rc)
			return rc;
		rc = swap_in(live, fresh);
		if (rc)
			return rc;
		hold.reset();
		fs::remove_all(damaged);
		if (qmax > 0) {
			rc = hl_store_queue_trim(st, qmax);
			if (rc < 0)
				return rc;
		}
		return 0;
	} catch (...) {
		rc = hl_search__error("rebuilding the index");
		try {
			fs::remove_all(fresh);
		} catch (...) {
		}
		return rc;
	}
}
