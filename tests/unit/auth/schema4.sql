-- A store as halong left it at schema 4 (before accounts and the audit chain): the tables of
-- migrations 1-4 taken from src/lib/store/schema.c at commit 5313957, a document and three
-- audit entries without hashes. Made by hand for the upgrade tests of auth (not real records).
PRAGMA user_version = 4;
BEGIN TRANSACTION;
CREATE TABLE audit (  id INTEGER PRIMARY KEY,  at TEXT NOT NULL,  actor TEXT NOT NULL,  action TEXT NOT NULL,  object TEXT,  detail TEXT);
INSERT INTO "audit" VALUES(1,'2026-11-20T02:00:00Z','cli','document.create','D0000000000000000000a',NULL);
INSERT INTO "audit" VALUES(2,'2026-11-20T02:00:05Z','cli','fonds.set','HAPHONG','creator=06652 name set');
INSERT INTO "audit" VALUES(3,'2026-11-21T08:30:00Z','cli','custody.assign','HAKHAU','06655 -> 06661 on 2025-07-01');
CREATE TABLE blob (  sha256 TEXT PRIMARY KEY,  size INTEGER NOT NULL,  created_at TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE custody_decision (  id INTEGER PRIMARY KEY,  fonds_code TEXT NOT NULL,  from_code TEXT NOT NULL,  effective_date TEXT NOT NULL,  to_code TEXT NOT NULL,  basis TEXT,  actor TEXT NOT NULL,  decided_at TEXT NOT NULL);
CREATE TABLE document (  id INTEGER PRIMARY KEY,  doc_id TEXT NOT NULL UNIQUE,  dossier_id INTEGER NOT NULL REFERENCES dossier(id),  ordinal INTEGER NOT NULL,  doc_number TEXT, doc_notation TEXT, issued_date TEXT, doc_type TEXT, issuer TEXT,  subject TEXT NOT NULL, language TEXT, page_count INTEGER, keywords TEXT,  access INTEGER NOT NULL DEFAULT 0, confidence TEXT, retention TEXT,  physical_state TEXT, notes TEXT, text TEXT,  content_hash TEXT NOT NULL,  version INTEGER NOT NULL DEFAULT 1,  created_at TEXT NOT NULL, updated_at TEXT NOT NULL,  UNIQUE (dossier_id, ordinal));
INSERT INTO "document" VALUES(1,'D0000000000000000000a',1,1,NULL,NULL,NULL,NULL,NULL,'Quyết định về việc giao đất',NULL,NULL,NULL,1,NULL,NULL,NULL,NULL,NULL,'x',1,'2026-11-20T02:00:00Z','2026-11-20T02:00:00Z');
CREATE TABLE document_file (  document_id INTEGER NOT NULL REFERENCES document(id),  seq INTEGER NOT NULL,  name TEXT NOT NULL,  sha256 TEXT NOT NULL REFERENCES blob(sha256),  size INTEGER NOT NULL,  PRIMARY KEY (document_id, seq)) WITHOUT ROWID;
CREATE TABLE document_version (  document_id INTEGER NOT NULL REFERENCES document(id),  version INTEGER NOT NULL,  replaced_at TEXT NOT NULL,  data TEXT NOT NULL,  PRIMARY KEY (document_id, version));
CREATE TABLE dossier (  id INTEGER PRIMARY KEY,  fonds_id INTEGER NOT NULL REFERENCES fonds(id),  code TEXT NOT NULL,  title TEXT,  created_at TEXT NOT NULL,  UNIQUE (fonds_id, code));
INSERT INTO "dossier" VALUES(1,1,'HS01',NULL,'2026-11-20T02:00:00Z');
CREATE TABLE fonds (  id INTEGER PRIMARY KEY,  code TEXT NOT NULL UNIQUE,  name TEXT,  creator_unit TEXT,  created_at TEXT NOT NULL, creator_on TEXT);
INSERT INTO "fonds" VALUES(1,'HAPHONG','UBND phường Hà Phong','06652','2026-11-20T02:00:00Z','2025-01-01');
CREATE TABLE index_queue (  seq INTEGER PRIMARY KEY AUTOINCREMENT,  document_id INTEGER NOT NULL);
CREATE TABLE ocr_run (  id INTEGER PRIMARY KEY,  started_at TEXT NOT NULL,  ended_at TEXT,  jobs INTEGER NOT NULL,  pages_done INTEGER NOT NULL DEFAULT 0,  pages_failed INTEGER NOT NULL DEFAULT 0,  seconds REAL NOT NULL DEFAULT 0);
CREATE TABLE page (  document_id INTEGER NOT NULL REFERENCES document(id),  file_seq INTEGER NOT NULL,  page_no INTEGER NOT NULL,  sha256 TEXT NOT NULL,  seq INTEGER NOT NULL,  state TEXT NOT NULL,  attempts INTEGER NOT NULL DEFAULT 0,  error TEXT,  dpi INTEGER,  warn_flags INTEGER NOT NULL DEFAULT 0,  from_text_layer INTEGER,  mean_conf REAL,  text TEXT,  result TEXT,  ms INTEGER,  queued_at TEXT NOT NULL,  done_at TEXT,  PRIMARY KEY (document_id, file_seq, page_no)) WITHOUT ROWID;
CREATE TABLE unit_event (  event_id TEXT PRIMARY KEY,  effective_date TEXT NOT NULL,  legal_basis TEXT,  kind TEXT NOT NULL,  scope_code TEXT,  description TEXT,  loaded_at TEXT NOT NULL);
CREATE TABLE unit_succession (  old_code TEXT NOT NULL,  new_code TEXT NOT NULL,  effective_date TEXT NOT NULL,  kind TEXT NOT NULL,  merge_type TEXT,  event_id TEXT,  source TEXT,  PRIMARY KEY (old_code, new_code, effective_date)) WITHOUT ROWID;
CREATE TABLE unit_version (  code TEXT NOT NULL,  valid_from TEXT NOT NULL,  valid_to TEXT,  name TEXT NOT NULL,  full_name TEXT NOT NULL,  type TEXT NOT NULL,  parent_code TEXT,  fold TEXT NOT NULL,  event_id TEXT,  source TEXT,  PRIMARY KEY (code, valid_from)) WITHOUT ROWID;
CREATE INDEX document_file_sha ON document_file(sha256);
CREATE INDEX unit_version_parent ON unit_version(parent_code, valid_from);
CREATE INDEX unit_succession_new ON unit_succession(new_code, effective_date);
CREATE INDEX custody_decision_step ON custody_decision(fonds_code, from_code,  effective_date);
CREATE INDEX page_state ON page(state, document_id, file_seq, page_no);
DELETE FROM "sqlite_sequence";
COMMIT;
