#!/usr/bin/env python3
"""Makes the ingest/search benchmark data from the real law corpus: a halong manifest of N documents
(~1,100 characters of recombined real paragraphs each, a unique real-text subject), the known-item
queries and the fixed query mix. Streams the rows, so 1M documents need only the corpus in memory.

Recipe (printed, and written to OUT/recipe.txt):
  - a seeded permutation P of the 2,131 articles; document i (j = i mod 2131, k = i div 2131) is
    built on article A = P[j] and titled after A and B = P[(j + 1 + k) mod 2131]: the pair (j, k)
    is unique while k < 2130, i.e. up to 4.5M documents, so subjects repeat only where two
    articles share a title;
  - subject = "<A's title> – <B's title, first 8 words> (<A's law>)";
  - text = A's paragraphs, topped up with seeded random paragraphs of the whole corpus, to a seeded
    target length uniform in [900, 1300] characters (a last paragraph is cut at a word);
  - metadata: 20 documents a dossier, dossiers spread over 10 real issuers (one fonds each), seeded
    date, type, number and access level (85% public, 10% internal, 4% restricted, 1% secret);
  - known items: 200 documents chosen by the seed; the query is the subject folded by fold();
    every document with the same folded subject counts as a hit;
  - query mix: 50 each of 1, 2, 3 and 4 consecutive words (letters only) at a seeded position of a
    seeded article's folded text; no duplicates.
"""

import argparse
import csv
import json
import os
import random
import re
import sys
import unicodedata

CORPUS_PATHS = [
    "/work/main/data/corpus/alqac2023_law_articles.jsonl",
    "/work/shared/data/corpus/alqac2023_law_articles.jsonl",
]

COLUMNS = ["fonds_code", "dossier_code", "doc_ordinal", "doc_id", "doc_number", "doc_notation",
           "issued_date", "doc_type", "issuer", "subject", "access_level", "keywords", "text"]

# (fonds code, issuer) of real Quang Ninh bodies; one fonds per issuer.
ISSUERS = [
    ("001", "UBND tỉnh Quảng Ninh", "UBND"),
    ("002", "HĐND tỉnh Quảng Ninh", "HĐND"),
    ("003", "Sở Tư pháp tỉnh Quảng Ninh", "STP"),
    ("004", "Sở Tài nguyên và Môi trường tỉnh Quảng Ninh", "STNMT"),
    ("005", "UBND thành phố Hạ Long", "UBND"),
    ("006", "UBND thành phố Cẩm Phả", "UBND"),
    ("007", "UBND thành phố Uông Bí", "UBND"),
    ("008", "UBND thị xã Quảng Yên", "UBND"),
    ("009", "UBND huyện Vân Đồn", "UBND"),
    ("010", "UBND huyện Tiên Yên", "UBND"),
]
DOC_TYPES = [("Quyết định", "QĐ"), ("Công văn", ""), ("Báo cáo", "BC"), ("Tờ trình", "TTr"),
             ("Nghị quyết", "NQ"), ("Kế hoạch", "KH"), ("Thông báo", "TB")]
ACCESS = [("public", 85), ("internal", 10), ("restricted", 4), ("secret", 1)]
DOCS_PER_DOSSIER = 20


def fold(s):
    """The baselines' folding, in a few lines: lower case, strip marks, đ -> d."""
    s = unicodedata.normalize("NFD", s.lower())
    s = "".join(c for c in s if unicodedata.category(c) != "Mn")
    return s.replace("đ", "d")


WORD = re.compile(r"[^\W\d_]+")


def words(s):
    return WORD.findall(s)


def load_corpus(path):
    arts = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            r = json.loads(line)
            paras = [p.strip() for p in r["text"].split("\n\n") if p.strip()]
            arts.append((r["law_title"], r["article_title"].strip(), paras))
    return arts


def cut_at_word(s, n):
    if len(s) <= n:
        return s
    sp = s.rfind(" ", 0, n)
    return s[: sp if sp > n // 2 else n].rstrip(" ,;:")


def make_text(rng, art, pool):
    target = rng.randint(900, 1300)
    out, size = [], 0
    paras = list(art[2])
    while size < target:
        p = paras.pop(0) if paras else rng.choice(pool)
        room = target + 80 - size
        if len(p) > room:
            p = cut_at_word(p, max(room, 40))
        out.append(p)
        size += len(p) + 2
    return "\n\n".join(out)


def subject_of(arts, perm, i):
    m = len(arts)
    j, k = i % m, i // m
    a, b = arts[perm[j]], arts[perm[(j + 1 + k) % m]]
    bt = " ".join(b[1].split()[:8]).rstrip(" ,;:")
    return "%s – %s (%s)" % (a[1], bt, a[0]), perm[j]


def pick_access(rng):
    x = rng.randrange(100)
    for name, w in ACCESS:
        if x < w:
            return name
        x -= w
    return "public"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--docs", type=int, default=100000)
    ap.add_argument("--seed", type=int, default=20250701)
    ap.add_argument("--out", required=True)
    ap.add_argument("--corpus")
    ap.add_argument("--known", type=int, default=200)
    ap.add_argument("--queries", type=int, default=200)
    args = ap.parse_args()

    corpus = args.corpus or next((p for p in CORPUS_PATHS if os.path.exists(p)), None)
    if not corpus:
        sys.exit("gen.py: corpus not found")
    arts = load_corpus(corpus)
    m = len(arts)
    if args.docs > m * (m - 1):
        sys.exit("gen.py: at most %d documents" % (m * (m - 1)))
    pool = [p for a in arts for p in a[2][1:]] or [p for a in arts for p in a[2]]
    os.makedirs(args.out, exist_ok=True)

    rng = random.Random(args.seed)
    perm = list(range(m))
    rng.shuffle(perm)

    # Known items first: their subjects are a function of i alone.
    n_known = min(args.known, args.docs)
    known_idx = sorted(random.Random(args.seed + 1).sample(range(args.docs), n_known))
    known = {}  # folded query -> list of doc ids with that folded subject
    with_dd = 0  # known subjects holding đ/Đ: FTS5's unicode61 does not fold it
    for i in known_idx:
        subj = subject_of(arts, perm, i)[0]
        q = " ".join(words(fold(subj)))
        if q not in known:
            with_dd += "đ" in subj.lower()
        known.setdefault(q, [])

    # The query mix, from the corpus text alone.
    qrng = random.Random(args.seed + 2)
    folded_words = [words(fold("\n".join(a[2]))) for a in arts]
    mix, seen = [], set()
    per_len = args.queries // 4
    for n in (1, 2, 3, 4):
        got = 0
        while got < per_len:
            ws = qrng.choice(folded_words)
            if len(ws) < n:
                continue
            s = qrng.randrange(len(ws) - n + 1)
            q = " ".join(ws[s : s + n])
            if q in seen or any(len(w) < 2 for w in ws[s : s + n]):
                continue
            seen.add(q)
            mix.append(q)
            got += 1
    qrng.shuffle(mix)

    # The same kind of fragments as written (lower case, tones kept), for the search of queries
    # with marks (bench/search_abba.sh --set toned); a stream of its own, so the other files stay
    # as they were.
    trng = random.Random(args.seed + 4)
    toned_words = [words(unicodedata.normalize("NFC", "\n".join(a[2]).lower())) for a in arts]
    toned, tseen = [], set()
    for n in (1, 2, 3, 4):
        got = 0
        while got < per_len:
            ws = trng.choice(toned_words)
            if len(ws) < n:
                continue
            s = trng.randrange(len(ws) - n + 1)
            q = " ".join(ws[s : s + n])
            if q in tseen or q == fold(q) or any(len(w) < 2 for w in ws[s : s + n]):
                continue
            tseen.add(q)
            toned.append(q)
            got += 1
    trng.shuffle(toned)

    drng = random.Random(args.seed + 3)
    chars = 0
    with open(os.path.join(args.out, "manifest.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(COLUMNS)
        for i in range(args.docs):
            subject, a = subject_of(arts, perm, i)
            text = make_text(drng, arts[a], pool)
            chars += len(text)
            dossier = i // DOCS_PER_DOSSIER
            fonds, issuer, org = ISSUERS[dossier % len(ISSUERS)]
            year = 2005 + (dossier * 7919) % 20
            dtype, abbr = DOC_TYPES[drng.randrange(len(DOC_TYPES))]
            number = drng.randint(1, 999)
            notation = "%s-%s" % (abbr, org) if abbr else "%s-VP" % org
            date = "%02d/%02d/%d" % (drng.randint(1, 28), drng.randint(1, 12), year)
            doc_id = "BM%07d" % (i + 1)
            q = " ".join(words(fold(subject)))
            if q in known:
                known[q].append(doc_id)
            w.writerow([fonds, "HS.%d.%06d" % (year, dossier), i % DOCS_PER_DOSSIER + 1, doc_id,
                        number, notation, date, dtype, issuer, subject, pick_access(drng),
                        "%s;%s" % (arts[a][0], arts[a][1]), text])

    with open(os.path.join(args.out, "known.tsv"), "w", encoding="utf-8") as f:
        for q, ids in known.items():
            f.write("%s\t%s\n" % (q, ",".join(ids)))
    with open(os.path.join(args.out, "known.txt"), "w", encoding="utf-8") as f:
        f.writelines(q + "\n" for q in known)
    with open(os.path.join(args.out, "queries.txt"), "w", encoding="utf-8") as f:
        f.writelines(q + "\n" for q in mix)
    with open(os.path.join(args.out, "queries_toned.txt"), "w", encoding="utf-8") as f:
        f.writelines(q + "\n" for q in toned)

    recipe = (
        "gen.py: %d documents from %s (%d articles), seed %d; mean text %.0f characters;\n"
        "  subject = A.title – B.title[:8 words] (A.law), A = P[i mod %d], B = P[(i mod %d + 1 + i div %d) mod %d];\n"
        "  text = A's paragraphs + seeded corpus paragraphs to U[900,1300] chars;\n"
        "  %d known-item queries = fold(subject) of seeded documents (NFD, drop marks, đ->d, lower),\n"
        "    %d of them with đ in the subject;\n"
        "  %d mix queries = 1-4 consecutive folded words at seeded corpus positions (%d of each length)\n"
        "  %d toned queries (queries_toned.txt) = the same, as written (lower case, with marks)\n"
        % (args.docs, corpus, m, args.seed, chars / max(args.docs, 1), m, m, m, m, len(known), with_dd,
           len(mix), per_len, len(toned)))
    with open(os.path.join(args.out, "recipe.txt"), "w", encoding="utf-8") as f:
        f.write(recipe)
    sys.stdout.write(recipe)


if __name__ == "__main__":
    main()
