/* Administrative units and their history: units as dated versions, who succeeded whom, and
 * the hierarchy on any date; loaded from the shipped CSV files and later change sets. */
#ifndef HALONG_UNITS_H
#define HALONG_UNITS_H

#include <stdio.h>

#include "auth.h"
#include "common.h"

#ifdef __cplusplus
extern "C" {
#endif

/* The first day the shipped data describes: the pre-reform files are a snapshot of 2025 before
 * 1 July, not a history, so a date before this one is "before any data". */
#define HL_UNITS_DATA_FROM "2025-01-01"

/* Most rows of one list (a tree of the whole country is about 3,400). */
#define HL_UNITS_MAX_ROWS 100000

typedef enum {
	HL_UNIT_UNKNOWN = 0, /* a name in the national mapping with no recognisable prefix */
	HL_UNIT_TINH,
	HL_UNIT_THANH_PHO_TW, /* thành phố trực thuộc trung ương */
	HL_UNIT_HUYEN,
	HL_UNIT_QUAN,
	HL_UNIT_THI_XA,
	HL_UNIT_THANH_PHO_TINH, /* thành phố thuộc tỉnh */
	HL_UNIT_XA,
	HL_UNIT_PHUONG,
	HL_UNIT_THI_TRAN,
	HL_UNIT_DAC_KHU,
} hl_unit_type;

/* "tinh", "thanh_pho_tw", ... (as stored). */
const char *hl_unit_type_key(hl_unit_type t);
/* "tỉnh", "thành phố trực thuộc trung ương", ... */
const char *hl_unit_type_name(hl_unit_type t);
/* The type of a key, or HL_UNIT_UNKNOWN. */
hl_unit_type hl_unit_type_from_key(const char *key);

typedef enum {
	HL_SUCC_MERGE_WHOLE = 1, /* Nhập toàn bộ */
	HL_SUCC_MERGE_PART,      /* Nhập một phần ...: the old unit was split */
	HL_SUCC_KEEP,            /* Giữ nguyên */
	HL_SUCC_RENAME,
	HL_SUCC_RECLASSIFY,
	HL_SUCC_ABOLISH,
} hl_succ_kind;

/* "merge_whole", "merge_part", "keep", "rename", "reclassify", "abolish". */
const char *hl_succ_kind_name(hl_succ_kind k);

/* One step of succession. */
typedef struct {
	char *old_code, *old_name; /* old_name: full name the day before */
	char *new_code, *new_name; /* new_code "" when the unit was abolished */
	hl_succ_kind kind;
	char *merge_type; /* the text of the source ("Nhập một phần diện tích"), or NULL */
	char effective_date[11];
	char *event_id, *legal_basis; /* NULL when the data does not say */
	int depth;                    /* 1: direct; 2: successor of a successor; ... */
} hl_succession;

typedef struct {
	size_t n;
	hl_succession *v;
} hl_successions;

void hl_successions_free(hl_successions *l);

/* One version of a unit: what it was between valid_from and valid_to. */
typedef struct {
	char *code, *name, *full_name;
	hl_unit_type type;
	char *parent_code, *parent_name;   /* parent_name: its full name on valid_from (or --at) */
	char valid_from[11], valid_to[11]; /* ISO; valid_to "" while still valid */
	char *event_id, *legal_basis;      /* the event that began this version, if known */
	int depth;                         /* in a tree: 0 for its root */
	hl_successions next;               /* show, find: direct successions when it ended */
	hl_successions prev;               /* show: direct successions that began it */
} hl_unit;

typedef struct {
	size_t n;
	hl_unit *v;
} hl_units;

void hl_unit_free(hl_unit *u);
void hl_units_free(hl_units *l);

/* Parses yyyy-mm-dd or dd/mm/yyyy (a real calendar day, years 1900-2999) into ISO. */
int hl_units_date_parse(char out[11], const char *s);
/* Today in Asia/Ho_Chi_Minh (UTC+7). */
void hl_units_today(char out[11]);

typedef struct {
	uint64_t rows;           /* CSV records read */
	uint64_t versions_added; /* new unit versions */
	uint64_t versions_split; /* versions an event ended (history kept) */
	uint64_t successions_added;
	uint64_t events_added;
	int64_t versions, codes, successions, events; /* totals after the load */
} hl_units_load_stats;

/* Loads a directory of unit files (the shipped data/units or a later change set) in one
 * transaction: events.csv (required), and those of vn_provinces_34.csv, vn_communes_3321.csv,
 * quangninh_units_2025.csv, quangninh_units_pre2025.csv, vn_mapping_old_to_new_all.csv and
 * quangninh_mapping_old_to_new.csv that are present. Known versions, successions and events are
 * kept as they are: loading twice changes nothing. A new event of kind reclassified or renamed
 * (description "OLD NAME → NEW NAME") or abolished splits or ends the version it names. A bad
 * row (bad date, unknown unit, a cycle in succession) is HL_EINVALID naming file and line, and
 * nothing is loaded. The units decide custody, hence who sees which records: a load that changes
 * anything is audited ("units.load" by `actor`, NULL: "system") in its transaction. */
int hl_units_load(hl_units_load_stats *out, hl_store *st, const char *dir, const char *actor,
                  hl_progress_cb progress, void *ud);

/* The names of the files hl_units_load reads, events.csv first; NULL-terminated. */
extern const char *const hl_units_files[];

/* The unit `code` as it was on `date` (NULL: today), with parent and direct successions.
 * HL_ENOTFOUND for an unknown code, or a date outside its versions (message says which). */
int hl_units_show(hl_unit **out, hl_store *st, const char *code, const char *date);

/* Versions whose name contains the words of `name` (tones, case and "hoà"/"hòa" ignored), old
 * names included; only those valid on `date` if not NULL. At most `limit` (0: 100). */
int hl_units_find(hl_units **out, hl_store *st, const char *name, const char *date, size_t limit);

/* Every successor of `code`, transitively, in order of date. HL_ENOTFOUND for an unknown code. */
int hl_units_successors(hl_successions **out, hl_store *st, const char *code);
/* Every predecessor of `code`, transitively, latest first. */
int hl_units_predecessors(hl_successions **out, hl_store *st, const char *code);

/* The hierarchy on `date` (NULL: today) under `code` (NULL: every unit without a parent), in
 * depth-first order, code order among siblings, with depth set. */
int hl_units_tree(hl_units **out, hl_store *st, const char *code, const char *date);

/* ---- custody: who holds the records of a fonds, on any date ----
 *
 * A fonds names the unit that created it (as that unit was on a date: codes are reused). Its
 * custodian follows succession: a whole merge, a rename or a reclassification passes it on by
 * itself; a split (merge part, or several successors) or an abolition waits for a decision
 * (hl_custody_assign). Rules and data: src/lib/units/README.md. */

typedef enum {
	HL_CUSTODY_HELD = 0,   /* the custodian on the date is known */
	HL_CUSTODY_PENDING,    /* a split or an abolition on or before the date awaits a decision */
	HL_CUSTODY_NO_CREATOR, /* the fonds names no creator unit yet */
} hl_custody_state;

/* "held", "pending", "no_creator". */
const char *hl_custody_state_name(hl_custody_state s);

/* One change of custodian. */
typedef struct {
	char effective_date[11];
	char *from_code, *from_name;   /* the custodian until the day before, with its name then */
	char *to_code, *to_name;       /* the custodian from that day; NULL while pending */
	const char *how;               /* "merge_whole", "rename", "reclassify", "keep", "decision",
	                                  "pending" */
	char *basis;                   /* the legal basis of the event, or the decision's basis */
	char *decided_by, *decided_at; /* for a decision */
	char *suggest_code, *suggest_name; /* an abolition: the unit above, the usual receiver */
	hl_successions options;            /* the successions of that day: who may receive */
} hl_custody_step;

typedef struct {
	char *fonds_code, *fonds_name;
	char *creator_code, *creator_name; /* creator_name: its full name on creator_on */
	char creator_on[11];
	hl_custody_state state;
	char *custodian_code, *custodian_name; /* on the date; NULL unless HL_CUSTODY_HELD */
	size_t nsteps;
	hl_custody_step *steps; /* from the creator to the date; the last is "pending" if so */
	/* the step by which the custodian received it: the last one that is not a rename,
	 * reclassification or keep of the same code; NULL for a unit's own records */
	const hl_custody_step *received;
	int64_t dossiers, documents;
} hl_custody;

typedef struct {
	size_t n;
	hl_custody *v;
} hl_custodies;

void hl_custody_free(hl_custody *c);
void hl_custodies_free(hl_custodies *l);

/* Records that fonds `fonds` was created by unit `creator` as it was on `creator_on` (NULL: the
 * code's first version) and, if not NULL, the fonds' name; creates the fonds if absent.
 * HL_ENOTFOUND for an unknown unit or a date outside its versions. */
int hl_custody_set_creator(hl_store *st, const char *fonds, const char *creator,
                           const char *creator_on, const char *name, const char *actor);

/* The custody of one fonds on `date` (NULL: today), with every step from its creator.
 * HL_ENOTFOUND for an unknown fonds. */
int hl_custody_get(hl_custody **out, hl_store *st, const char *fonds, const char *date);
/* Every fonds, by code, on `date` (NULL: today). */
int hl_custody_list(hl_custodies **out, hl_store *st, const char *date);
/* Every fonds waiting for a decision at any known date, or naming no creator. */
int hl_custody_pending(hl_custodies **out, hl_store *st);
/* The fonds unit `code` holds on `date` (NULL: today), its own and inherited ones.
 * HL_ENOTFOUND for an unknown code. */
int hl_custody_held_by(hl_custodies **out, hl_store *st, const char *code, const char *date);

/* Decides who receives fonds `fonds` when `from` ended on `date` (both NULL: the first step
 * waiting for a decision). `to` must be one of that day's successors of `from`, or, for an
 * abolition, a unit valid on that day. A later decision on the same step supersedes an earlier
 * one; both stay in the history. Audited. */
int hl_custody_assign(hl_store *st, const char *fonds, const char *to, const char *from,
                      const char *date, const char *basis, const char *actor);

/* One dossier handed over. */
typedef struct {
	char *fonds_code, *fonds_name;
	char *from_code, *from_name; /* the giver: the custodian before the last step */
	char effective_date[11];
	char *basis;
	char *dossier_code, *dossier_title;
	int64_t documents, pages, files, bytes;
	hl_access max_access;
	char digest[65]; /* see hl_store_dossier_row */
} hl_receipt_line;

/* A hand-over receipt (biên bản giao nhận): the dossiers of every fonds that unit `to` holds on
 * `date` through succession, each with counts and its digest. */
typedef struct {
	char *to_code, *to_name;
	char date[11];
	size_t n;
	hl_receipt_line *v;
	size_t nfonds;
	int64_t documents, pages, files, bytes;
	char digest[65]; /* SHA-256 over "fonds\tdossier\tdocuments\tpages\tdigest\n" per line */
} hl_receipt;

void hl_receipt_free(hl_receipt *r);

/* The receipt as CSV (a header row, then one row per dossier: stt, fonds_code, fonds_name,
 * from_code, from_name, date, basis, dossier_code, dossier_title, documents, pages, files, bytes,
 * max_access, sha256) and as a printable A4 HTML page in Vietnamese (national heading, giver and
 * receiver, the table with totals, the receipt's SHA-256, signature blocks). */
void hl_receipt_write_csv(FILE *f, const hl_receipt *r);
void hl_receipt_write_html(FILE *f, const hl_receipt *r);

/* The receipt of what `to` holds by succession on `date` (NULL: today); only what came from
 * `from` if not NULL. */
int hl_custody_receipt(hl_receipt **out, hl_store *st, const char *to, const char *from,
                       const char *date);

#ifdef __cplusplus
}
#endif
#endif
