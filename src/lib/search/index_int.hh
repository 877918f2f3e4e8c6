/* Internal C++ interface of the search module: the index handle, the term scheme and the
 * translation of Xapian's exceptions into halong's error codes. */
#ifndef HALONG_SEARCH_INDEX_INT_HH
#define HALONG_SEARCH_INDEX_INT_HH

#include <xapian.h>

#include <memory>
#include <string>

#include "search/search.h"
#include "store/store.h"

/* Term prefixes (README.md, "Term scheme"). Unprefixed terms are folded syllables, without
 * positions. */
#define HL_PFX_PAIR    "B"        /* pair of common folded syllables, any field: "Bquy_dinh" */
#define HL_PFX_SUBJECT "S"        /* folded syllable of the subject */
#define HL_PFX_SPAIR   "P"        /* folded syllable pair of the subject: "Pdat_dai" */
#define HL_PFX_FONDS   "XF"       /* normalised fonds code */
#define HL_PFX_TYPE    "XT"       /* normalised document type: "XTquyet_dinh" */
#define HL_PFX_YEAR    "XY"       /* year of issue: "XY2019" */
#define HL_PFX_ISSUER  "XI"       /* folded syllable of the issuer */
#define HL_PFX_ACCESS  "XA"       /* access level digit */
#define HL_KIND_LESSON "XKlesson" /* a lesson learned (plans/), not a document of the archive */

/* Metadata key of the store's queue position the index holds. */
#define HL_META_SEQ "halong_seq"
/* Metadata key and value naming the term scheme: an index of another scheme must be rebuilt. */
#define HL_META_SCHEME "halong_scheme"
#define HL_SCHEME      "4"

/* Value slots, for facets: the fonds code, the document type and the year as written. */
#define HL_SLOT_FONDS 0
#define HL_SLOT_TYPE  1
#define HL_SLOT_YEAR  2

/* The document data (README.md, "Term scheme"): every field's folded words, each field on its
 * own line: "\n w1 w2 ... wn \n v1 ... ". Words past HL_DATA_MAX bytes are left out. */
#define HL_DATA_MAX (1u << 20)

/* Longest filter value kept in a term (Xapian's limit on a term is about 245 bytes). */
#define HL_MAX_FILTER_VALUE 160

struct hl_index {
	std::string dir;
	std::unique_ptr<Xapian::WritableDatabase> wdb; /* set when writable */
	std::unique_ptr<Xapian::Database> rdb;         /* set when read-only */
	Xapian::Database &db()
	{
		return wdb ? *wdb : *rdb;
	}
};

/* Builds the Xapian document of a store document (README.md, "Term scheme"). Throws on OOM. */
Xapian::Document hl_search__document(const hl_doc *d);

/* True if pairs of this folded syllable with another common one are indexed ("B" terms). */
bool hl_search__common(const char *folded);

/* Normalises a filter value: folded, runs of anything but letters and digits become one '_',
 * trimmed, at most HL_MAX_FILTER_VALUE bytes. "Quyết  định" -> "quyet_dinh". */
std::string hl_search__norm_value(const char *s, size_t len);

/* 0 if the index holds documents of this version's term scheme (or none), else HL_EINVALID
 * asking for a reindex. */
int hl_search__check_scheme(Xapian::Database &db, const std::string &dir);

/* Turns the exception being handled into an HL_E* code with hl_error_set(); `what` names the
 * operation ("opening the index at /x"). Call inside a catch block only. */
int hl_search__error(const char *what);

#endif
