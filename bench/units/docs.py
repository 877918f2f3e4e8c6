#!/usr/bin/env python3
"""Makes the custody benchmark's documents from the real law corpus: a halong manifest giving each
old Quang Ninh commune's fonds (F<old_code>, the 171 old codes of quangninh_mapping_old_to_new.csv)
DOSSIERS dossiers of DOCS documents, so a hand-over receipt has real dossiers to list.

Recipe (printed): articles of data/corpus/alqac2023_law_articles.jsonl taken in file order,
cycling; document k of the run is article k mod 2131; subject = the article's title and law,
text = the article's text; dossier HS.2024.<n>, doc_id UB<code><dossier><ordinal>; no randomness.

  docs.py MAPPING.csv CORPUS.jsonl OUT.csv DOSSIERS DOCS
"""

import csv
import json
import sys


def main():
    mapping, corpus, out, dossiers, docs = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    codes = []
    with open(mapping, encoding="utf-8", newline="") as f:
        for row in csv.DictReader(f):
            if row["old_code"] not in codes:
                codes.append(row["old_code"])
    arts = []
    with open(corpus, encoding="utf-8") as f:
        for line in f:
            a = json.loads(line)
            arts.append((a["law_title"], a["article"], a["article_title"], a["text"]))
    k = 0
    with open(out, "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["fonds_code", "dossier_code", "doc_ordinal", "doc_id", "issued_date", "doc_type",
                    "subject", "access_level", "text"])
        for code in codes:
            for d in range(1, dossiers + 1):
                for o in range(1, docs + 1):
                    law, num, title, text = arts[k % len(arts)]
                    k += 1
                    w.writerow(["F" + code, "HS.2024.%03d" % d, o, "UB%s%03d%03d" % (code, d, o),
                                "%02d/06/2024" % (1 + k % 28), "Công văn",
                                "%s (Điều %s, %s)" % (title, num, law), "public", text])
    sys.stdout.write("docs.py: %d fonds x %d dossiers x %d documents = %d documents from %s (%d articles, "
                     "in file order, cycling)\n" % (len(codes), dossiers, docs, k, corpus, len(arts)))


if __name__ == "__main__":
    main()
