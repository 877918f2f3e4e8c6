/* Administrative units and their history: units as dated versions, who succeeded whom, and
 * the hierarchy on any date; loaded from the shipped CSV files and later change sets. */
#ifndef HALONG_UNITS_H
#define HALONG_UNITS_H

#include "common.h"
#include "store.h"

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
 * nothing is loaded. */
int hl_units_load(hl_units_load_stats *out, hl_store *st, const char *dir, hl_progress_cb progress,
                  void *ud);

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

#ifdef __cplusplus
}
#endif
#endif
