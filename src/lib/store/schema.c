/* The store's schema as forward migrations: migration N brings the schema from version N-1 to N. */
#include <stdlib.h>
#include <string.h>

#include "store/store_auth.h"
#include "store_int.h"

/* Never edit a migration that has shipped: add the next one. */
static const char *const migrations[] = {
    /* 1: the archive core */
    "CREATE TABLE fonds ("
    "  id INTEGER PRIMARY KEY,"
    "  code TEXT NOT NULL UNIQUE,"
    "  name TEXT,"
    "  creator_unit TEXT,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE dossier ("
    "  id INTEGER PRIMARY KEY,"
    "  fonds_id INTEGER NOT NULL REFERENCES fonds(id),"
    "  code TEXT NOT NULL,"
    "  title TEXT,"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (fonds_id, code));"
    "CREATE TABLE document ("
    "  id INTEGER PRIMARY KEY,"
    "  doc_id TEXT NOT NULL UNIQUE,"
    "  dossier_id INTEGER NOT NULL REFERENCES dossier(id),"
    "  ordinal INTEGER NOT NULL,"
    "  doc_number TEXT, doc_notation TEXT, issued_date TEXT, doc_type TEXT, issuer TEXT,"
    "  subject TEXT NOT NULL, language TEXT, page_count INTEGER, keywords TEXT,"
    "  access INTEGER NOT NULL DEFAULT 0, confidence TEXT, retention TEXT,"
    "  physical_state TEXT, notes TEXT, text TEXT,"
    "  content_hash TEXT NOT NULL,"
    "  version INTEGER NOT NULL DEFAULT 1,"
    "  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,"
    "  UNIQUE (dossier_id, ordinal));"
    "CREATE TABLE document_version ("
    "  document_id INTEGER NOT NULL REFERENCES document(id),"
    "  version INTEGER NOT NULL,"
    "  replaced_at TEXT NOT NULL,"
    "  data TEXT NOT NULL,"
    "  PRIMARY KEY (document_id, version));"
    "CREATE TABLE blob ("
    "  sha256 TEXT PRIMARY KEY,"
    "  size INTEGER NOT NULL,"
    "  created_at TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE document_file ("
    "  document_id INTEGER NOT NULL REFERENCES document(id),"
    "  seq INTEGER NOT NULL,"
    "  name TEXT NOT NULL,"
    "  sha256 TEXT NOT NULL REFERENCES blob(sha256),"
    "  size INTEGER NOT NULL,"
    "  PRIMARY KEY (document_id, seq)) WITHOUT ROWID;"
    "CREATE INDEX document_file_sha ON document_file(sha256);"
    /* AUTOINCREMENT: a seq is never reused after the queue is trimmed, so the index's
     * position stays meaningful. */
    "CREATE TABLE index_queue ("
    "  seq INTEGER PRIMARY KEY AUTOINCREMENT,"
    "  document_id INTEGER NOT NULL);"
    "CREATE TABLE audit ("
    "  id INTEGER PRIMARY KEY,"
    "  at TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  action TEXT NOT NULL,"
    "  object TEXT,"
    "  detail TEXT);",
    /* 2: administrative units and their history. A unit is a series of versions keyed by
     * (code, valid_from): a code keeps its earlier names, types and parents. valid_to NULL
     * means still valid. A succession links an old code to a new one on an effective date
     * (new_code '' when the unit was abolished). fold is the folded full name between spaces,
     * for name search with or without tones. */
    "CREATE TABLE unit_event ("
    "  event_id TEXT PRIMARY KEY,"
    "  effective_date TEXT NOT NULL,"
    "  legal_basis TEXT,"
    "  kind TEXT NOT NULL,"
    "  scope_code TEXT,"
    "  description TEXT,"
    "  loaded_at TEXT NOT NULL);"
    "CREATE TABLE unit_version ("
    "  code TEXT NOT NULL,"
    "  valid_from TEXT NOT NULL,"
    "  valid_to TEXT,"
    "  name TEXT NOT NULL,"
    "  full_name TEXT NOT NULL,"
    "  type TEXT NOT NULL,"
    "  parent_code TEXT,"
    "  fold TEXT NOT NULL,"
    "  event_id TEXT,"
    "  source TEXT,"
    "  PRIMARY KEY (code, valid_from)) WITHOUT ROWID;"
    "CREATE INDEX unit_version_parent ON unit_version(parent_code, valid_from);"
    "CREATE TABLE unit_succession ("
    "  old_code TEXT NOT NULL,"
    "  new_code TEXT NOT NULL,"
    "  effective_date TEXT NOT NULL,"
    "  kind TEXT NOT NULL,"
    "  merge_type TEXT,"
    "  event_id TEXT,"
    "  source TEXT,"
    "  PRIMARY KEY (old_code, new_code, effective_date)) WITHOUT ROWID;"
    "CREATE INDEX unit_succession_new ON unit_succession(new_code, effective_date);",
    /* 3: custody. fonds.creator_unit (from migration 1) names the unit that created a fonds,
     * as it was on creator_on (a code may be reused: 06652 is Phường Hà Phong, then Phường Hà
     * Tu); a decision says who receives a fonds when its custodian `from_code` was split or
     * abolished on `effective_date`. Decisions are never rewritten: a later one for the same
     * step supersedes (the highest id holds), the earlier stays as history. */
    "ALTER TABLE fonds ADD COLUMN creator_on TEXT;"
    "CREATE TABLE custody_decision ("
    "  id INTEGER PRIMARY KEY,"
    "  fonds_code TEXT NOT NULL,"
    "  from_code TEXT NOT NULL,"
    "  effective_date TEXT NOT NULL,"
    "  to_code TEXT NOT NULL,"
    "  basis TEXT,"
    "  actor TEXT NOT NULL,"
    "  decided_at TEXT NOT NULL);"
    "CREATE INDEX custody_decision_step ON custody_decision(fonds_code, from_code,"
    "  effective_date);",
    /* 4: pages and their OCR, the queue being the pages not yet done. A page is page page_no
     * of the document's file file_seq (whose blob is sha256); seq numbers it in the document.
     * state: 'pending', 'done' or 'failed' (error says why). result is the page as JSON
     * (hl_ocr_page_to_json: words, boxes, confidences); text and mean_conf are copied out of
     * it for search and review. A finished page is written in its own transaction, so a
     * killed run loses nothing and redoes nothing done. ocr_run records each run's pace. */
    "CREATE TABLE page ("
    "  document_id INTEGER NOT NULL REFERENCES document(id),"
    "  file_seq INTEGER NOT NULL,"
    "  page_no INTEGER NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  state TEXT NOT NULL,"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  error TEXT,"
    "  dpi INTEGER,"
    "  warn_flags INTEGER NOT NULL DEFAULT 0,"
    "  from_text_layer INTEGER,"
    "  mean_conf REAL,"
    "  text TEXT,"
    "  result TEXT,"
    "  ms INTEGER,"
    "  queued_at TEXT NOT NULL,"
    "  done_at TEXT,"
    "  PRIMARY KEY (document_id, file_seq, page_no)) WITHOUT ROWID;"
    "CREATE INDEX page_state ON page(state, document_id, file_seq, page_no);"
    "CREATE TABLE ocr_run ("
    "  id INTEGER PRIMARY KEY,"
    "  started_at TEXT NOT NULL,"
    "  ended_at TEXT,"
    "  jobs INTEGER NOT NULL,"
    "  pages_done INTEGER NOT NULL DEFAULT 0,"
    "  pages_failed INTEGER NOT NULL DEFAULT 0,"
    "  seconds REAL NOT NULL DEFAULT 0);",
    /* 5: accounts and the audit chain (src/lib/auth/README.md). Sessions and API tokens are
     * kept as the SHA-256 of their secret, never the secret; expires_at and failure times are
     * seconds since the epoch. A failed login is a row, so throttling survives a restart.
     * Each audit entry gains the hash of the entry before it and its own hash; the entries
     * written before this migration are chained by chain_audit() below, in the same
     * transaction. */
    "CREATE TABLE auth_user ("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL UNIQUE,"
    "  pwhash TEXT NOT NULL,"
    "  role TEXT NOT NULL,"
    "  unit_code TEXT NOT NULL,"
    "  disabled INTEGER NOT NULL DEFAULT 0,"
    "  created_at TEXT NOT NULL,"
    "  updated_at TEXT NOT NULL);"
    "CREATE TABLE auth_session ("
    "  id_hash TEXT PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES auth_user(id),"
    "  csrf TEXT NOT NULL,"
    "  client TEXT,"
    "  created_at TEXT NOT NULL,"
    "  expires_at INTEGER NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX auth_session_user ON auth_session(user_id);"
    "CREATE TABLE auth_token ("
    "  hash TEXT PRIMARY KEY,"
    "  user_id INTEGER NOT NULL REFERENCES auth_user(id),"
    "  label TEXT,"
    "  created_at TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE INDEX auth_token_user ON auth_token(user_id);"
    "CREATE TABLE auth_failure ("
    "  id INTEGER PRIMARY KEY,"
    "  username TEXT NOT NULL,"
    "  client TEXT,"
    "  at INTEGER NOT NULL);"
    "CREATE INDEX auth_failure_user ON auth_failure(username, at);"
    "CREATE INDEX auth_failure_client ON auth_failure(client, at);"
    "ALTER TABLE audit ADD COLUMN prev_hash TEXT;"
    "ALTER TABLE audit ADD COLUMN hash TEXT;",
    /* 6: exchange between nodes (src/lib/exchange/README.md). exchange_self is this node (its
     * public key only: the secret key lives in keys/node.key) and the hub key it trusts;
     * exchange_peer and exchange_directory the directory held, with the last good signed copy.
     * The outbox keeps the canonical unsigned envelope (signed when sent); a stream's sequence
     * is counted in exchange_stream (dir 'out': last given, 'in': last applied). The inbox
     * keeps each envelope once, as received, with the receipt given for it. Times are ms since
     * the epoch, UTC. */
    "CREATE TABLE exchange_self ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  unit TEXT, url TEXT, public_key TEXT,"
    "  hub_key TEXT,"
    "  created_at TEXT NOT NULL);"
    "CREATE TABLE exchange_peer ("
    "  unit TEXT PRIMARY KEY,"
    "  url TEXT NOT NULL,"
    "  public_key TEXT NOT NULL,"
    "  may_send TEXT NOT NULL DEFAULT '',"
    "  may_receive TEXT NOT NULL DEFAULT '',"
    "  restricted INTEGER NOT NULL DEFAULT 0,"
    "  revoked INTEGER NOT NULL DEFAULT 0,"
    "  updated_at TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE exchange_directory ("
    "  id INTEGER PRIMARY KEY CHECK (id = 1),"
    "  version INTEGER NOT NULL,"
    "  issued_ms INTEGER NOT NULL,"
    "  imported INTEGER NOT NULL,"
    "  signed_copy TEXT);"
    "CREATE TABLE exchange_stream ("
    "  peer TEXT NOT NULL,"
    "  dir TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  PRIMARY KEY (peer, dir)) WITHOUT ROWID;"
    "CREATE TABLE exchange_outbox ("
    "  id TEXT PRIMARY KEY,"
    "  recipient TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  body TEXT NOT NULL,"
    "  hash TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'waiting',"
    "  attempts INTEGER NOT NULL DEFAULT 0,"
    "  next_attempt_ms INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  delivered_ms INTEGER,"
    "  receipt TEXT,"
    "  UNIQUE (recipient, seq)) WITHOUT ROWID;"
    "CREATE INDEX exchange_outbox_wait ON exchange_outbox(state, recipient, seq);"
    "CREATE TABLE exchange_inbox ("
    "  id TEXT PRIMARY KEY,"
    "  sender TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  type TEXT NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  hash TEXT NOT NULL,"
    "  envelope TEXT NOT NULL,"
    "  state TEXT NOT NULL,"
    "  receipt TEXT NOT NULL,"
    "  received_ms INTEGER NOT NULL,"
    "  applied_ms INTEGER,"
    "  UNIQUE (sender, seq)) WITHOUT ROWID;"
    "CREATE INDEX exchange_inbox_held ON exchange_inbox(state, sender, seq);"
    "CREATE TABLE exchange_link ("
    "  peer TEXT PRIMARY KEY,"
    "  last_success_ms INTEGER,"
    "  last_error TEXT,"
    "  last_error_ms INTEGER) WITHOUT ROWID;"
    "CREATE TABLE exchange_reject ("
    "  id INTEGER PRIMARY KEY,"
    "  at_ms INTEGER NOT NULL,"
    "  msg_id TEXT,"
    "  sender TEXT,"
    "  reason TEXT NOT NULL,"
    "  detail TEXT NOT NULL);",
    /* 7: the reference-data feed (src/lib/feed/). On the hub, feed_entry: every entry
     * published, as served (doc), with its hash and the hash of its files' list (content: an
     * unchanged publish adds nothing). On a commune, feed_position: per feed, the last entry
     * applied (moved in the transaction that applies it), the hub's last seq seen and the
     * last pull's outcome. */
    "CREATE TABLE feed_entry ("
    "  feed TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  created_ms INTEGER NOT NULL,"
    "  hash TEXT NOT NULL,"
    "  content TEXT NOT NULL,"
    "  doc TEXT NOT NULL,"
    "  PRIMARY KEY (feed, seq)) WITHOUT ROWID;"
    "CREATE TABLE feed_position ("
    "  feed TEXT PRIMARY KEY,"
    "  seq INTEGER NOT NULL DEFAULT 0,"
    "  hash TEXT,"
    "  hub_seq INTEGER NOT NULL DEFAULT -1,"
    "  last_pull_ms INTEGER,"
    "  last_applied_ms INTEGER,"
    "  last_error TEXT,"
    "  last_error_ms INTEGER) WITHOUT ROWID;",
    /* 8: the audit log's witness (src/lib/exchange/README.md). On every node, audit_head: the
     * heads of its own chain it signed (the last entry's id and hash, the time, its Ed25519
     * signature) and the outbox message that carries each to the hub (NULL on the hub). On the
     * hub, audit_witness: the heads the nodes sent, by unit and entry: a later head may not go
     * back (a shortened log) nor give an entry another hash (a rewritten one). */
    "CREATE TABLE audit_head ("
    "  seq INTEGER PRIMARY KEY,"
    "  entry_id INTEGER NOT NULL,"
    "  hash TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  signature TEXT NOT NULL,"
    "  message_id TEXT);"
    "CREATE TABLE audit_witness ("
    "  unit TEXT NOT NULL,"
    "  entry_id INTEGER NOT NULL,"
    "  hash TEXT NOT NULL,"
    "  at_ms INTEGER NOT NULL,"
    "  signature TEXT NOT NULL,"
    "  message_id TEXT NOT NULL,"
    "  received_ms INTEGER NOT NULL,"
    "  PRIMARY KEY (unit, entry_id)) WITHOUT ROWID;",
    /* 9: the bytes of each envelope received, in the index of the held ones: what a sender's
     * held messages take is summed from the index alone (they are capped: src/lib/exchange/
     * README.md, "Held messages"). */
    "ALTER TABLE exchange_inbox ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;"
    "UPDATE exchange_inbox SET bytes = length(CAST(envelope AS BLOB)) WHERE state = 'held';"
    "DROP INDEX exchange_inbox_held;"
    "CREATE INDEX exchange_inbox_held ON exchange_inbox(state, sender, seq, bytes);",
    /* 10: a page's text corrected by a person, and its review. page.text stays the text every
     * reader gets (search, exports, show): a correction replaces it, the machine's text moves to
     * machine_text (once: later corrections keep it) and page.result (the words and their
     * boxes) is never touched. text_version is the correction in use (0: the machine's); each
     * one is a row of page_text, never rewritten, keyed with the file's SHA-256 so that a page
     * queued again for another file starts from its own machine text. approved_by/at: a person
     * checked the text as it is now (a correction clears them). check_*: what the review rule
     * (src/lib/ocr/check.c) found on the text in use, under rule check_rule (NULL: not checked
     * yet; another rule's: checked again); check_score orders the review, check_words holds
     * the first suspicious words (a JSON array). */
    "ALTER TABLE page ADD COLUMN text_version INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE page ADD COLUMN machine_text TEXT;"
    "ALTER TABLE page ADD COLUMN approved_by TEXT;"
    "ALTER TABLE page ADD COLUMN approved_at TEXT;"
    "ALTER TABLE page ADD COLUMN check_rule INTEGER;"
    "ALTER TABLE page ADD COLUMN check_unknown INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE page ADD COLUMN check_low INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE page ADD COLUMN check_chars INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE page ADD COLUMN check_score INTEGER NOT NULL DEFAULT 0;"
    "ALTER TABLE page ADD COLUMN check_words TEXT;"
    "CREATE TABLE page_text ("
    "  document_id INTEGER NOT NULL REFERENCES document(id),"
    "  file_seq INTEGER NOT NULL,"
    "  page_no INTEGER NOT NULL,"
    "  sha256 TEXT NOT NULL,"
    "  version INTEGER NOT NULL,"
    "  text TEXT NOT NULL,"
    "  actor TEXT NOT NULL,"
    "  at TEXT NOT NULL,"
    "  PRIMARY KEY (document_id, file_seq, page_no, sha256, version)) WITHOUT ROWID;"
    "CREATE INDEX page_review ON page(check_score DESC, mean_conf)"
    "  WHERE state = 'done' AND approved_at IS NULL;",
    /* 11: description as archivists write it (ISAD(G) levels, Thông tư 02/2019/TT-BNV): a
     * fonds' dates, extent, the history of its creator and the scope of its content; series
     * (mục lục, nhóm hồ sơ) between a fonds and its dossiers; a dossier's series, dates,
     * retention, extent and notes. Dates are ISO, whole or partial (yyyy, yyyy-mm,
     * yyyy-mm-dd); a NULL field is not described (readers then show what the documents say). */
    "ALTER TABLE fonds ADD COLUMN date_from TEXT;"
    "ALTER TABLE fonds ADD COLUMN date_to TEXT;"
    "ALTER TABLE fonds ADD COLUMN extent TEXT;"
    "ALTER TABLE fonds ADD COLUMN history TEXT;"
    "ALTER TABLE fonds ADD COLUMN scope TEXT;"
    "ALTER TABLE fonds ADD COLUMN notes TEXT;"
    "CREATE TABLE series ("
    "  id INTEGER PRIMARY KEY,"
    "  fonds_id INTEGER NOT NULL REFERENCES fonds(id),"
    "  code TEXT NOT NULL,"
    "  title TEXT NOT NULL,"
    "  date_from TEXT, date_to TEXT, extent TEXT, scope TEXT, notes TEXT,"
    "  created_at TEXT NOT NULL,"
    "  UNIQUE (fonds_id, code));"
    "ALTER TABLE dossier ADD COLUMN series_id INTEGER;" /* a series of the same fonds (the
                                                         * store's describe writes no other) */
    "ALTER TABLE dossier ADD COLUMN date_from TEXT;"
    "ALTER TABLE dossier ADD COLUMN date_to TEXT;"
    "ALTER TABLE dossier ADD COLUMN retention TEXT;"
    "ALTER TABLE dossier ADD COLUMN extent TEXT;"
    "ALTER TABLE dossier ADD COLUMN notes TEXT;"
    "CREATE INDEX dossier_series ON dossier(series_id) WHERE series_id IS NOT NULL;",
    /* 12: the agencies tasks are assigned to (sở, ban, văn phòng: not administrative units),
     * each valid from a day to a day, an ended one naming its successor; `folded` and
     * `short_folded` are the names without tones or case, as imported plans are matched. */
    "CREATE TABLE agency ("
    "  code TEXT PRIMARY KEY,"
    "  name TEXT NOT NULL,"
    "  short_name TEXT,"
    "  kind TEXT NOT NULL,"
    "  valid_from TEXT, valid_to TEXT,"
    "  successor_code TEXT,"
    "  source TEXT, note TEXT,"
    "  folded TEXT NOT NULL, short_folded TEXT,"
    "  loaded_at TEXT NOT NULL);"
    "CREATE INDEX agency_folded ON agency(folded);",

    /* 13: plans, their tasks and the reports on them (issue 13). A plan's tasks are keyed by
     * their number as written (STT); a task's agencies are rows (code NULL: a generic phrase
     * or a name kept as written). Reports and verifications are never updated: a returned
     * report is corrected by a new one naming it (corrects). A user's agency (a department)
     * is auth_user.agency_code; a commune's officer reports for the unit. */
    "CREATE TABLE plan ("
    "  id TEXT PRIMARY KEY,"
    "  number TEXT, date TEXT, issuer TEXT,"
    "  title TEXT NOT NULL,"
    "  period_from TEXT NOT NULL, period_to TEXT NOT NULL,"
    "  report_every TEXT NOT NULL DEFAULT 'monthly',"
    "  compiler TEXT,"
    "  document_id TEXT,"
    "  access TEXT NOT NULL DEFAULT 'internal',"
    "  note TEXT,"
    "  created_at TEXT NOT NULL, updated_at TEXT NOT NULL);"
    "CREATE TABLE task ("
    "  id INTEGER PRIMARY KEY,"
    "  plan_id TEXT NOT NULL REFERENCES plan(id),"
    "  item_no TEXT NOT NULL,"
    "  parent_no TEXT,"
    "  seq INTEGER NOT NULL,"
    "  title TEXT NOT NULL,"
    "  lead_text TEXT, support_text TEXT, output TEXT,"
    "  weight REAL NOT NULL DEFAULT 1,"
    "  due_text TEXT,"
    "  origin TEXT,"
    "  cancelled TEXT,"
    "  UNIQUE (plan_id, item_no));"
    /* a plan's tasks in their order: read without a sort, the next seq without a scan */
    "CREATE INDEX task_plan_seq ON task(plan_id, seq);"
    "CREATE TABLE task_agency ("
    "  task_id INTEGER NOT NULL REFERENCES task(id),"
    "  role TEXT NOT NULL,"
    "  seq INTEGER NOT NULL,"
    "  code TEXT,"
    "  name TEXT NOT NULL,"
    "  PRIMARY KEY (task_id, role, seq)) WITHOUT ROWID;"
    "CREATE INDEX task_agency_code ON task_agency(code, role);"
    "CREATE TABLE task_report ("
    "  id INTEGER PRIMARY KEY,"
    "  task_id INTEGER NOT NULL REFERENCES task(id),"
    "  agency TEXT NOT NULL,"
    "  period TEXT NOT NULL, period_from TEXT NOT NULL, period_to TEXT NOT NULL,"
    "  progress INTEGER NOT NULL,"
    "  state TEXT NOT NULL,"
    "  done_on TEXT,"
    "  results TEXT, difficulties TEXT, proposals TEXT,"
    "  evidence TEXT,"
    "  at TEXT NOT NULL,"
    "  by TEXT NOT NULL,"
    "  corrects INTEGER,"
    "  origin TEXT, message_id TEXT);"
    "CREATE INDEX task_report_task ON task_report(task_id, at);"
    "CREATE INDEX task_report_agency ON task_report(agency, period);"
    "CREATE TABLE report_verification ("
    "  id INTEGER PRIMARY KEY,"
    "  report_id INTEGER NOT NULL REFERENCES task_report(id),"
    "  verdict TEXT NOT NULL,"
    "  comment TEXT,"
    "  at TEXT NOT NULL,"
    "  by TEXT NOT NULL);"
    "CREATE INDEX report_verification_report ON report_verification(report_id, at);"
    "CREATE TABLE kpi ("
    "  id INTEGER PRIMARY KEY,"
    "  plan_id TEXT NOT NULL REFERENCES plan(id),"
    "  code TEXT NOT NULL,"
    "  task_id INTEGER,"
    "  name TEXT NOT NULL, unit TEXT,"
    "  baseline REAL, target REAL,"
    "  better TEXT NOT NULL,"
    "  UNIQUE (plan_id, code));"
    "CREATE TABLE kpi_value ("
    "  kpi_id INTEGER NOT NULL REFERENCES kpi(id),"
    "  period TEXT NOT NULL,"
    "  target REAL, actual REAL,"
    "  at TEXT NOT NULL, by TEXT NOT NULL,"
    "  PRIMARY KEY (kpi_id, period, at));"
    "CREATE TABLE inspection ("
    "  id INTEGER PRIMARY KEY,"
    "  plan_id TEXT NOT NULL REFERENCES plan(id),"
    "  date TEXT NOT NULL,"
    "  team TEXT NOT NULL, scope TEXT NOT NULL, agency TEXT,"
    "  findings TEXT, rating TEXT,"
    "  at TEXT NOT NULL, by TEXT NOT NULL);"
    "CREATE TABLE lesson ("
    "  id INTEGER PRIMARY KEY,"
    "  task_id INTEGER, agency TEXT,"
    "  title TEXT NOT NULL, body TEXT NOT NULL,"
    "  folded TEXT NOT NULL,"
    "  at TEXT NOT NULL, by TEXT NOT NULL);"
    "CREATE TABLE plan_snapshot ("
    "  plan_id TEXT NOT NULL, period TEXT NOT NULL,"
    "  closed_at TEXT NOT NULL, by TEXT NOT NULL,"
    "  body TEXT NOT NULL,"
    "  PRIMARY KEY (plan_id, period)) WITHOUT ROWID;"
    "CREATE TABLE plan_setting (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;"
    /* where an agency's notices go; the notices (an outbox: each sent once); the calendar
     * feeds, by the SHA-256 of their token (revoked: revoked_at set) */
    "CREATE TABLE agency_contact ("
    "  code TEXT PRIMARY KEY, email TEXT NOT NULL, updated_at TEXT NOT NULL) WITHOUT ROWID;"
    "CREATE TABLE plan_notice ("
    "  id INTEGER PRIMARY KEY,"
    "  agency TEXT NOT NULL, task_id INTEGER NOT NULL, kind TEXT NOT NULL, due TEXT NOT NULL,"
    "  created_at TEXT NOT NULL, sent_at TEXT, attempts INTEGER NOT NULL DEFAULT 0,"
    "  last_error TEXT,"
    "  UNIQUE (agency, task_id, kind, due));"
    "CREATE INDEX plan_notice_unsent ON plan_notice(sent_at, agency);"
    "CREATE TABLE plan_feed ("
    "  token_hash TEXT PRIMARY KEY, agency TEXT NOT NULL, label TEXT,"
    "  created_at TEXT NOT NULL, created_by TEXT NOT NULL, revoked_at TEXT) WITHOUT ROWID;"
    "ALTER TABLE auth_user ADD COLUMN agency_code TEXT;",

    /* 14: lessons learned are searched with the archive (kind:lesson): the index's id of a
     * lesson is HL_INDEX_LESSONS (2^31) + its id, and the lessons recorded before are queued
     * for it. Files uploaded as evidence of reports (their bytes a blob), uploaded for an
     * agency, and which reports cite each (written with the report). */
    "INSERT INTO index_queue(document_id) SELECT 2147483648 + id FROM lesson ORDER BY id;"
    "CREATE TABLE evidence_file ("
    "  id INTEGER PRIMARY KEY,"
    "  sha256 TEXT NOT NULL, name TEXT NOT NULL, size INTEGER NOT NULL,"
    "  agency TEXT NOT NULL, at TEXT NOT NULL, by TEXT NOT NULL);"
    "CREATE TABLE evidence_use ("
    "  file_id INTEGER NOT NULL, report_id INTEGER NOT NULL,"
    "  PRIMARY KEY (file_id, report_id)) WITHOUT ROWID;"
    "CREATE INDEX evidence_use_report ON evidence_use(report_id);",

    /* 15: the shared database (issue 14, src/lib/catalog/README.md). A dataset is named by
     * the user (name) and known inside by its integer id: its rows live in a table of their
     * own, ds_rows_<id> (made by hl_store_dataset_create, not here: one per dataset), typed
     * columns c0, c1, … in the order of the schema's fields, each row with its key and the
     * versions it belongs to (_from <= v < _to). schema: the Table Schema as JSON; keywords: a
     * JSON array; access: hl_access. A version is one load that changed something. */
    "CREATE TABLE dataset ("
    "  id INTEGER PRIMARY KEY,"
    "  name TEXT NOT NULL UNIQUE,"
    "  title TEXT NOT NULL, description TEXT, owner TEXT, sector TEXT NOT NULL,"
    "  keywords TEXT, licence TEXT, frequency TEXT, provenance TEXT, date TEXT,"
    "  access INTEGER NOT NULL, schema TEXT NOT NULL, ncols INTEGER NOT NULL,"
    "  version INTEGER NOT NULL DEFAULT 0, rows INTEGER NOT NULL DEFAULT 0,"
    "  created_at TEXT NOT NULL, created_by TEXT NOT NULL);"
    "CREATE TABLE dataset_version ("
    "  dataset_id INTEGER NOT NULL REFERENCES dataset(id), version INTEGER NOT NULL,"
    "  loaded_at TEXT NOT NULL, loaded_by TEXT NOT NULL, source TEXT, sha256 TEXT,"
    "  size INTEGER NOT NULL DEFAULT 0, replace INTEGER NOT NULL DEFAULT 0,"
    "  rows INTEGER NOT NULL DEFAULT 0, added INTEGER NOT NULL DEFAULT 0,"
    "  changed INTEGER NOT NULL DEFAULT 0, removed INTEGER NOT NULL DEFAULT 0,"
    "  unchanged INTEGER NOT NULL DEFAULT 0, rejected INTEGER NOT NULL DEFAULT 0,"
    "  PRIMARY KEY (dataset_id, version)) WITHOUT ROWID;"
    /* the keys a load has put so far (a duplicate in the file; --replace removes the others):
     * on disk, not in memory, so that a load's memory does not grow with its rows; empty
     * outside a load's transaction */
    "CREATE TABLE dataset_load_key (k TEXT PRIMARY KEY, line INTEGER NOT NULL) WITHOUT ROWID;",

    /* 16: sharing datasets between agencies (NĐ 194/2025/NĐ-CP Điều 16, src/lib/catalog/
     * README.md "Sharing"). A request: the dataset, the requesting agency (a code of the
     * agencies register or a commune's), its purpose and legal basis, when and by whom, the
     * day an answer is due (working days after the request), its state, and the decision: who,
     * when, the written reason and the legal basis (both required for a refusal), the last day
     * of a grant (until; NULL: no end). A grant is what the access check reads: one row per
     * (dataset, agency) while a request of that agency is granted, removed on revocation. */
    "CREATE TABLE data_request ("
    "  id INTEGER PRIMARY KEY,"
    "  dataset_id INTEGER NOT NULL REFERENCES dataset(id),"
    "  agency TEXT NOT NULL, purpose TEXT NOT NULL, legal_basis TEXT NOT NULL,"
    "  requested_at TEXT NOT NULL, requested_by TEXT NOT NULL, due TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'pending'"
    "    CHECK (state IN ('pending', 'granted', 'refused', 'revoked')),"
    "  decided_at TEXT, decided_by TEXT, reason TEXT, decision_basis TEXT, until TEXT);"
    "CREATE INDEX data_request_dataset ON data_request(dataset_id, agency, state);"
    "CREATE INDEX data_request_agency ON data_request(agency, state);"
    "CREATE TABLE data_grant ("
    "  dataset_id INTEGER NOT NULL REFERENCES dataset(id), agency TEXT NOT NULL,"
    "  request_id INTEGER NOT NULL REFERENCES data_request(id), until TEXT,"
    "  PRIMARY KEY (dataset_id, agency)) WITHOUT ROWID;"
    /* On a commune: the hub's datasets it follows (active) or followed through the datasets
     * feed (by the hub's id), since when and by whom, and the hub's last version applied here
     * (0: none yet; kept when unsubscribed, so that following again does not apply the old
     * versions again). An entry of a dataset not followed is passed over; one of a version not
     * newer than `applied` too (a subscription rewinds the feed to its start). */
    "CREATE TABLE dataset_subscription ("
    "  name TEXT PRIMARY KEY, since TEXT NOT NULL, by TEXT NOT NULL,"
    "  active INTEGER NOT NULL DEFAULT 1 CHECK (active IN (0, 1)),"
    "  applied INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;",

    /* 17: the server's jobs (ingest, OCR, dataset loads, plan imports started from the API),
     * so that their state survives a restart (src/lib/ops/README.md "Jobs"). id: 'j' and 16
     * random hex digits; who: the user id of whoever started it, unit: that user's unit (who
     * may see the job); owner: the process running it ("pid/start-ticks"), so that a server
     * starting finds the jobs a dead process left `running` and marks them `interrupted`;
     * progress (done, total, phase) written at most about once a second; result: JSON;
     * params: JSON of what a resume needs (an ingest's options); resumed_by: the job that
     * took an interrupted one over. IF NOT EXISTS: tests that take a store back to an
     * earlier version run the later migrations again on it. */
    "CREATE TABLE IF NOT EXISTS job ("
    "  id TEXT PRIMARY KEY, kind TEXT NOT NULL,"
    "  state TEXT NOT NULL DEFAULT 'running'"
    "    CHECK (state IN ('running', 'done', 'failed', 'interrupted')),"
    "  who INTEGER NOT NULL, unit TEXT NOT NULL, owner TEXT NOT NULL,"
    "  created_at TEXT NOT NULL, started_at TEXT, finished_at TEXT,"
    "  done INTEGER NOT NULL DEFAULT 0, total INTEGER NOT NULL DEFAULT 0,"
    "  phase TEXT NOT NULL DEFAULT '', summary TEXT, result TEXT, error TEXT,"
    "  params TEXT, resumed_by TEXT,"
    /* the order jobs were made in: created_at has whole seconds and follows the clock */
    "  n INTEGER NOT NULL DEFAULT 0) WITHOUT ROWID;"
    "CREATE INDEX IF NOT EXISTS job_state ON job(state, finished_at);",
};

/* Migration 5: hashes the audit entries written before the chain existed, in id order, so
 * that `halong audit verify` holds on an upgraded store. Batches: no row is updated while the
 * statement reading it is still stepping. */
static int chain_audit(hl_store *st)
{
	enum { BATCH = 512 };
	struct {
		int64_t id;
		char hash[65], prev[65];
	} *b = malloc(BATCH * sizeof(*b));
	char prev[65] = "";
	int64_t after = 0;
	sqlite3_stmt *rd = NULL, *wr = NULL;
	int rc = -1;

	if (!b)
		return hl_error_set(HL_ENOMEM, "out of memory");
	if (sqlite3_prepare_v2(st->db,
	                       "SELECT id, at, actor, action, object, detail FROM audit"
	                       " WHERE id > ?1 ORDER BY id LIMIT ?2",
	                       -1, &rd, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(st->db, "UPDATE audit SET prev_hash = ?2, hash = ?3 WHERE id = ?1",
	                       -1, &wr, NULL) != SQLITE_OK) {
		hl_store__error(st, "chain audit");
		goto done;
	}
	for (;;) {
		size_t n = 0;
		int s;
		sqlite3_reset(rd);
		sqlite3_bind_int64(rd, 1, after);
		sqlite3_bind_int(rd, 2, BATCH);
		while ((s = sqlite3_step(rd)) == SQLITE_ROW) {
			b[n].id = sqlite3_column_int64(rd, 0);
			snprintf(b[n].prev, sizeof(b[n].prev), "%s", prev);
			hl_store_audit_hash(b[n].hash, prev, b[n].id,
			                    (const char *)sqlite3_column_text(rd, 1),
			                    (const char *)sqlite3_column_text(rd, 2),
			                    (const char *)sqlite3_column_text(rd, 3),
			                    (const char *)sqlite3_column_text(rd, 4),
			                    (const char *)sqlite3_column_text(rd, 5));
			memcpy(prev, b[n].hash, sizeof(prev));
			n++;
		}
		if (s != SQLITE_DONE) {
			hl_store__error(st, "chain audit");
			goto done;
		}
		sqlite3_reset(rd);
		for (size_t i = 0; i < n; i++) {
			sqlite3_reset(wr);
			sqlite3_bind_int64(wr, 1, b[i].id);
			if (b[i].prev[0])
				sqlite3_bind_text(wr, 2, b[i].prev, -1, SQLITE_STATIC);
			else
				sqlite3_bind_null(wr, 2);
			sqlite3_bind_text(wr, 3, b[i].hash, -1, SQLITE_STATIC);
			if (sqlite3_step(wr) != SQLITE_DONE) {
				hl_store__error(st, "chain audit");
				goto done;
			}
		}
		if (n < BATCH)
			break;
		after = b[n - 1].id;
	}
	rc = 0;
done:
	sqlite3_finalize(rd);
	sqlite3_finalize(wr);
	free(b);
	return rc;
}

int hl_store_schema_latest(void)
{
	return (int)(sizeof(migrations) / sizeof(migrations[0]));
}

int hl_store__migrate(hl_store *st)
{
	int have = hl_store_schema_version(st);
	int want = hl_store_schema_latest();

	if (have < 0)
		return -1;
	if (have > want)
		return hl_error_set(HL_EINVALID,
		                    "%s: store schema version %d is newer than this halong (%s, "
		                    "schema %d) reads: a newer halong wrote it; upgrade halong "
		                    "(the store is left as it is)",
		                    st->path, have, HL_VERSION, want);
	for (int v = have; v < want; v++) {
		char pragma[64];
		char *err = NULL;
		if (hl_store_begin(st) < 0)
			return -1;
		snprintf(pragma, sizeof(pragma), "PRAGMA user_version = %d;", v + 1);
		if (sqlite3_exec(st->db, migrations[v], NULL, NULL, &err) != SQLITE_OK ||
		    sqlite3_exec(st->db, pragma, NULL, NULL, &err) != SQLITE_OK) {
			hl_error_set(HL_ERROR, "%s: migration to schema %d failed: %s", st->path,
			             v + 1, err ? err : "?");
			sqlite3_free(err);
			hl_store_rollback(st);
			return HL_ERROR;
		}
		if (v + 1 == 5 && chain_audit(st) < 0) {
			int rc = hl_error_code() ? hl_error_code() : HL_ERROR;
			hl_store_rollback(st);
			return rc;
		}
		if (hl_store_commit(st) < 0)
			return -1;
	}
	return 0;
}
