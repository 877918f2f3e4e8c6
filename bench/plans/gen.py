#!/usr/bin/env python3
"""Generated data for bench/plans (labelled so wherever it shows: plan titles and notes).

  gen.py store DB --tasks N [--seed S]     plans, tasks, task agencies, monthly reports and
                                            their verification written straight into the
                                            store DB (after `halong init`, `agency load`,
                                            `units load`), with migration 13's columns
  gen.py xlsx DIR --tasks N [--seed S]     a plans file (plan.csv) and one plan's task
                                            appendix as tasks.xlsx (Vietnamese headers,
                                            written by openpyxl) and the same rows as tasks.csv

Made from real text and real names, recombined; nothing measured is in it:
- titles, outputs and section headings: the rows of Phụ lục II of Nghị quyết 03/NQ-CP
  (data/plans/NQ03-NQ-CP-2025_tasks.csv, 147 rows), a seeded permutation, cycling;
- agencies: the 54 communes, wards and special zones of Quảng Ninh since 1 July 2025
  (data/units/quangninh_units_2025.csv, their unit codes) and 20 agencies of
  data/agencies/quang_ninh_agencies.csv (the 17 in office at the end of 2025, and BQL-VHL,
  BQL-VQGBTL, SO-KHDT, which ended during 2025);
- the rest (deadlines, fates, report days, verdicts) drawn from a seeded random stream.

The recipe and the seed are printed (recipe.txt next to the data when a directory is given).
"""

import argparse
import calendar
import csv
import os
import random
import sqlite3
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
# the repository's copies (data/plans, data/units: the same files as ../shared/data)
SHARED = os.path.join(ROOT, "data")

DEPARTMENTS = ["VP-UBND", "SO-NV", "SO-TP", "SO-TC", "SO-CT", "SO-NNMT", "SO-XD", "SO-KHCN",
               "SO-VHTTDL", "SO-GDDT", "SO-YT", "SO-NGV", "SO-DTTG", "TT-TINH", "BQL-DSTG",
               "CA-TINH", "BDBP-TINH", "BQL-VHL", "BQL-VQGBTL", "SO-KHDT"]
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII", "XIII", "XIV",
         "XV", "XVI", "XVII", "XVIII", "XIX", "XX"]
QUARTER = ["I", "II", "III", "IV"]
GENERIC = "Các sở, ngành, địa phương"  # a generic phrase: no code, counted in the total only


def appendix():
    rows = list(csv.DictReader(open(os.path.join(SHARED, "plans", "NQ03-NQ-CP-2025_tasks.csv"),
                                    encoding="utf-8", newline="")))
    sections = [r["title"] for r in rows if not r["parent_item_no"]]
    tasks = [(r["title"], r["output"]) for r in rows if r["parent_item_no"]]
    return sections, tasks


def agencies(on=None):
    """(code, name as a plan writes it, kind) of the 54 communes and 20 departments (those of
    the 20 in office on the day `on`, when given)."""
    names = {}
    for r in csv.DictReader(open(os.path.join(ROOT, "data", "agencies", "quang_ninh_agencies.csv"),
                                 encoding="utf-8", newline="")):
        if on and ((r["valid_from"] and r["valid_from"] > on) or (r["valid_to"] and r["valid_to"] < on)):
            continue
        names[r["code"]] = r["name"].replace(" tỉnh Quảng Ninh", "")
    out = [(c, names[c], "so") for c in DEPARTMENTS if c in names]
    n = 0
    for r in csv.DictReader(open(os.path.join(SHARED, "units", "quangninh_units_2025.csv"),
                                 encoding="utf-8", newline="")):
        if r["parent_code"] == "22":
            out.append((r["code"], r["full_name"], "commune"))
            n += 1
    if n != 54:
        sys.exit("gen.py: expected 54 communes in quangninh_units_2025.csv, found %d" % n)
    return out


def last_day(y, m):
    return "%04d-%02d-%02d" % (y, m, calendar.monthrange(y, m)[1])


def add_days(iso, d):
    import datetime
    return (datetime.date.fromisoformat(iso) + datetime.timedelta(days=d)).isoformat()


def deadline(rnd, year):
    """A deadline as Vietnamese plans write it, and the day it means (its last day)."""
    m = rnd.randint(1, 12)
    k = rnd.random()
    if k < 0.40:
        d = rnd.randint(1, calendar.monthrange(year, m)[1])
        return "%02d/%02d/%04d" % (d, m, year), "%04d-%02d-%02d" % (year, m, d)
    if k < 0.65:
        return "%02d/%04d" % (m, year), last_day(year, m)
    if k < 0.80:
        return "Tháng %d/%04d" % (m, year), last_day(year, m)
    if k < 0.95:
        q = (m - 1) // 3
        return "Quý %s/%04d" % (QUARTER[q], year), last_day(year, 3 * q + 3)
    return "%04d" % year, "%04d-12-31" % year


def words(text, n):
    w = text.split()
    return " ".join(w[:n])


class Plans:
    """The plans and their tasks, in memory, before they are written."""

    def __init__(self, ntasks, seed, on=None):
        self.rnd = random.Random(seed)
        self.sections, self.titles = appendix()
        self.perm = list(range(len(self.titles)))
        self.rnd.shuffle(self.perm)
        self.ag = agencies(on)
        self.k = 0
        self.ntasks = ntasks

    def next_title(self):
        t, o = self.titles[self.perm[self.k % len(self.perm)]]
        self.k += 1
        return t, o

    def make(self, province_share=0.10):
        """[(plan, [task])]: one provincial plan (province_share of the tasks, led by any agency)
        and one plan per agency (the rest, led by that agency)."""
        rnd = self.rnd
        nprov = int(self.ntasks * province_share)
        rest = self.ntasks - nprov
        per = [rest // len(self.ag) + (1 if i < rest % len(self.ag) else 0) for i in range(len(self.ag))]
        plans = [self.plan("KH-TINH-2025", "Ủy ban nhân dân tỉnh Quảng Ninh", None, nprov)]
        for (code, name, _), n in zip(self.ag, per):
            plans.append(self.plan("KH-%s-2025" % code, name, code, n))
        return plans

    def plan(self, pid, issuer, owner, n):
        rnd = self.rnd
        p = {"id": pid, "number": "%d/KH-%s" % (rnd.randint(10, 400), "UBND" if not owner else "DV"),
             "date": "2025-01-10", "issuer": issuer,
             "title": "Kế hoạch thực hiện Nghị quyết 57-NQ/TW năm 2025 của %s (dữ liệu sinh để đo "
                      "hiệu năng, không phải kế hoạch thật)" % issuer,
             "period_from": "2025-01-01", "period_to": "2026-12-31", "compiler": "SO-KHCN",
             "note": "generated by bench/plans/gen.py: titles from Phụ lục II of Nghị quyết "
                     "03/NQ-CP recombined; not a real plan"}
        tasks = []
        nsec = max(1, min(len(ROMAN), n // 100))
        seq = 0
        item = 0
        made = 0
        for s in range(nsec):
            seq += 1
            tasks.append({"item_no": ROMAN[s], "parent_no": None, "seq": seq,
                          "title": self.sections[(s + len(tasks)) % len(self.sections)],
                          "leads": [], "supports": [], "due_text": None, "due": None,
                          "output": None, "section": True})
            quota = n // nsec + (1 if s < n % nsec else 0)
            while quota > 0:
                item += 1
                parent = self.task(owner, str(item), ROMAN[s])
                seq += 1
                parent["seq"] = seq
                tasks.append(parent)
                quota -= 1
                made += 1
                # 3% of the tasks are split into 2-3 sub-tasks (the parent is then not counted)
                if quota >= 3 and rnd.random() < 0.03:
                    for j in range(rnd.randint(2, 3)):
                        sub = self.task(owner, "%d.%d" % (item, j + 1), str(item))
                        seq += 1
                        sub["seq"] = seq
                        tasks.append(sub)
                        quota -= 1
                        made += 1
        assert made == n, (made, n)
        return p, tasks

    def task(self, owner, item_no, parent_no):
        rnd = self.rnd
        title, output = self.next_title()
        year = 2025 if rnd.random() < 0.85 else 2026
        due_text, due = deadline(rnd, year)
        codes = [a for a in self.ag]
        if owner:
            lead = [next(a for a in codes if a[0] == owner)]
        else:
            lead = [rnd.choice(codes)]
        if rnd.random() < 0.10:  # a second lead agency
            other = rnd.choice(codes)
            if other[0] != lead[0][0]:
                lead.append(other)
        if not owner and rnd.random() < 0.03:  # a generic phrase only: no one reports
            lead = [(None, GENERIC, "generic")]
        supports = []
        for _ in range(rnd.choice([0, 0, 1, 1, 2])):
            s = rnd.choice(codes)
            if all(s[0] != x[0] for x in lead + supports):
                supports.append(s)
        return {"item_no": item_no, "parent_no": parent_no, "title": title,
                "output": output or None, "due_text": due_text, "due": due,
                "leads": lead, "supports": supports, "section": False}


def reports_of(rnd, task, tid):
    """The monthly reports of 2025 on one task (by its first lead), each with its verification,
    and the corrections of returned ones: [(report, verification or None)]."""
    lead = task["leads"][0]
    if lead[0] is None or task["section"]:
        return []
    due = task["due"]
    f = rnd.random()
    fate = "on_time" if f < 0.45 else "late" if f < 0.60 else "waiting" if f < 0.65 else "open"
    # the month its work ends: done on time by its deadline, late after it
    due_m = int(due[5:7]) if due < "2026" else 12
    if fate == "on_time":
        done_m = rnd.randint(1, due_m)
        done_day = min(due, "%s-%02d" % (last_day(2025, done_m)[:7], rnd.randint(1, 28)))
        if due < "2026" and done_m == due_m:
            done_day = min(due, done_day)
    elif fate == "late":
        done_m = min(12, due_m + rnd.randint(1, 3)) if due < "2026" else 12
        done_day = add_days(due, rnd.randint(1, 60)) if due < "2026" else None
        if done_day is None:  # due in 2026: a task finished late is one of 2025's
            fate = "open"
        else:
            done_m = int(done_day[5:7]) if done_day < "2026" else 12
    waiting_m = rnd.randint(2, 12) if fate == "waiting" else 13
    out = []
    progress = 0
    text = words(task["title"], 18)
    for m in range(1, 13):
        period = "2025-%02d" % m
        pfrom, pto = "2025-%02d-01" % m, last_day(2025, m)
        # made between the 20th of the month and the 10th of the next (December's in January)
        at = add_days("2025-%02d-20" % m, rnd.randint(0, 20))
        state, done_on = "progress", None
        if fate in ("on_time", "late") and m >= done_m and done_day <= at:
            state, progress, done_on = "done", 100, done_day
        elif m >= waiting_m:
            state = "waiting"
        else:
            progress = min(95, progress + rnd.randint(0, 15))
        r = {"task_id": tid, "agency": lead[0], "period": period, "period_from": pfrom,
             "period_to": pto, "progress": progress, "state": state, "done_on": done_on,
             "results": "Kết quả tháng %d: %s" % (m, text), "at": at,
             "by": "canbo.%s" % lead[0].lower(), "corrects": None}
        out.append(r)
    return out


def verify(rnd, reps):
    """Verdicts of the compiler: 90% of the reports verified 1-10 days after, 4% of those
    returned; 70% of the returned ones corrected 1-5 days after the verdict (its own verdict
    then drawn the same way, never returned twice)."""
    extra = []
    for r in reps:
        r["v"] = None
        if rnd.random() < 0.90:
            vat = add_days(r["at"], rnd.randint(1, 10))
            verdict = "returned" if rnd.random() < 0.04 else "accepted"
            r["v"] = (verdict, vat)
            if verdict == "returned" and rnd.random() < 0.70:
                c = dict(r)
                c["at"] = add_days(vat, rnd.randint(1, 5))
                c["corrects"] = r  # the id is known once written
                c["v"] = ("accepted", add_days(c["at"], rnd.randint(1, 10))) if rnd.random() < 0.9 else None
                if c["done_on"] and c["done_on"] > c["at"]:
                    c["done_on"] = c["at"]
                extra.append(c)
    return reps + extra


def cmd_store(a):
    g = Plans(a.tasks, a.seed)
    plans = g.make()
    rnd = random.Random(a.seed + 1)
    db = sqlite3.connect(a.db)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    cur = db.cursor()
    n = {"plans": 0, "tasks": 0, "sections": 0, "agency_rows": 0, "reports": 0,
         "corrections": 0, "verifications": 0, "returned": 0, "cancelled": 0}
    now = "2025-01-10T00:00:00Z"
    tid = cur.execute("SELECT ifnull(max(id), 0) FROM task").fetchone()[0]
    allreps = []
    db.execute("BEGIN")
    for p, tasks in plans:
        cur.execute("INSERT INTO plan(id, number, date, issuer, title, period_from, period_to,"
                    " report_every, compiler, document_id, access, note, created_at, updated_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, 'monthly', ?, NULL, 'internal', ?, ?, ?)",
                    (p["id"], p["number"], p["date"], p["issuer"], p["title"], p["period_from"],
                     p["period_to"], p["compiler"], p["note"], now, now))
        n["plans"] += 1
        for t in tasks:
            tid += 1
            lead_text = ", ".join(x[1] for x in t["leads"]) or None
            support_text = ", ".join(x[1] for x in t["supports"]) or None
            cur.execute("INSERT INTO task(id, plan_id, item_no, parent_no, seq, title, lead_text,"
                        " support_text, output, weight, due_text, origin, cancelled)"
                        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 1, ?, 'import', NULL)",
                        (tid, p["id"], t["item_no"], t["parent_no"], t["seq"], t["title"],
                         lead_text, support_text, t["output"], t["due_text"]))
            if t["section"]:
                n["sections"] += 1
                continue
            n["tasks"] += 1
            for role, lst in (("lead", t["leads"]), ("support", t["supports"])):
                for i, (code, name, _) in enumerate(lst):
                    cur.execute("INSERT INTO task_agency(task_id, role, seq, code, name)"
                                " VALUES (?, ?, ?, ?, ?)",
                                (tid, role, i if role == "lead" else len(t["leads"]) + i, code, name))
                    n["agency_rows"] += 1
            allreps += verify(rnd, reports_of(rnd, t, tid))
    # ids follow time, as reports arrive: sorted by the day they were made
    allreps.sort(key=lambda r: (r["at"], r["task_id"], r["period"]))
    rid = cur.execute("SELECT ifnull(max(id), 0) FROM task_report").fetchone()[0]
    vid = cur.execute("SELECT ifnull(max(id), 0) FROM report_verification").fetchone()[0]
    for r in allreps:
        rid += 1
        r["id"] = rid
    verifs = []
    rows = []
    for r in allreps:
        corrects = r["corrects"]["id"] if r["corrects"] else None
        n["corrections"] += corrects is not None
        rows.append((r["id"], r["task_id"], r["agency"], r["period"], r["period_from"],
                     r["period_to"], r["progress"], r["state"], r["done_on"], r["results"],
                     r["at"], r["by"], corrects))
        if r["v"]:
            verifs.append((r["id"], r["v"][0], r["v"][1]))
    cur.executemany("INSERT INTO task_report(id, task_id, agency, period, period_from, period_to,"
                    " progress, state, done_on, results, difficulties, proposals, evidence, at,"
                    " by, corrects, origin, message_id)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL, NULL, ?, ?, ?, NULL, NULL)",
                    rows)
    n["reports"] = len(rows)
    # verdicts in the order they were given
    verifs.sort(key=lambda v: (v[2], v[0]))
    vrows = []
    for report_id, verdict, vat in verifs:
        vid += 1
        vrows.append((vid, report_id, verdict,
                      "Đề nghị bổ sung số liệu và tài liệu kiểm chứng" if verdict == "returned" else None,
                      vat))
        n["returned"] += verdict == "returned"
    cur.executemany("INSERT INTO report_verification(id, report_id, verdict, comment, at, by)"
                    " VALUES (?, ?, ?, ?, ?, 'tonghop.so-khcn')", vrows)
    n["verifications"] = len(vrows)
    # 1% of the tasks cancelled by the compiler (as `halong task cancel` writes it: the reason),
    # drawn from a stream of their own so that the rest does not change
    crnd = random.Random(a.seed + 2)
    ids = [r[0] for r in cur.execute("SELECT t.id FROM task t WHERE EXISTS"
                                     " (SELECT 1 FROM task_agency a WHERE a.task_id = t.id)")]
    gone = sorted(crnd.sample(ids, len(ids) // 100))
    cur.executemany("UPDATE task SET cancelled = ? WHERE id = ?",
                    [("Không còn phù hợp sau sắp xếp bộ máy (dữ liệu sinh)", i) for i in gone])
    n["cancelled"] = len(gone)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    recipe(a, n)


def recipe(a, n):
    lines = [
        "data: GENERATED for bench/plans by bench/plans/gen.py (seed %d), not real plans or reports" % a.seed,
        "  %d plans: KH-TINH-2025 (10%% of the tasks, any lead) and one per agency KH-<code>-2025 (its own tasks)" % n["plans"],
        "  %d tasks (+%d sections; 3%% split into 2-3 sub-tasks), titles and outputs from Phụ lục II of"
        " Nghị quyết 03/NQ-CP (147 rows, seeded permutation, cycling)" % (n["tasks"], n["sections"]),
        "  leads: the 54 Quảng Ninh communes of 2025 (unit codes) and 20 agencies of"
        " data/agencies/quang_ninh_agencies.csv; 10%% a second lead, 3%% of the provincial plan's"
        " a generic phrase (no code); 0-2 supporting agencies; %d task_agency rows" % n["agency_rows"],
        "  deadlines: 85% in 2025, 15% in 2026, written 40% dd/mm/yyyy, 25% mm/yyyy, 15% Tháng m/yyyy,"
        " 15% Quý X/yyyy, 5% yyyy",
        "  reports: one a month of 2025 a task by its first lead (made the 20th to the 10th of the next"
        " month), fates 45%% done on time, 15%% late, 5%% waiting, 35%% open; %d reports of which %d"
        " corrections" % (n["reports"], n["corrections"]),
        "  verification: 90%% of the reports verified 1-10 days later, 4%% returned, 70%% of those"
        " corrected; %d verdicts (%d returned)" % (n["verifications"], n["returned"]),
        "  cancelled: %d tasks (1%%, a stream of their own), the reason as halong task cancel writes it"
        % n["cancelled"],
    ]
    text = "\n".join(lines) + "\n"
    sys.stdout.write(text)
    if a.recipe:
        with open(a.recipe, "w", encoding="utf-8") as f:
            f.write(text)


def cmd_xlsx(a):
    """One plan of N tasks (the provincial plan's recipe): plan.csv, tasks.xlsx, tasks.csv."""
    import openpyxl
    g = Plans(a.tasks, a.seed, on="2025-07-15")
    p, tasks = g.plan("KH-XLSX-2025", "Ủy ban nhân dân tỉnh Quảng Ninh", None, a.tasks)
    os.makedirs(a.dir, exist_ok=True)
    with open(os.path.join(a.dir, "plan.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(["plan_id", "number", "date", "issuer", "title", "period", "compiler", "note"])
        # dated after 1 July 2025: the communes named are the 54 of the two-tier government
        w.writerow([p["id"], p["number"], "2025-07-15", p["issuer"], p["title"], "2025-2026",
                    p["compiler"], p["note"]])
    head = ["STT", "Thuộc", "Nhiệm vụ", "Cơ quan chủ trì", "Cơ quan phối hợp",
            "Thời gian hoàn thành", "Sản phẩm"]
    rows = []
    for t in tasks:
        rows.append([t["item_no"], t["parent_no"] or "", t["title"],
                     "; ".join(x[1] for x in t["leads"]), "; ".join(x[1] for x in t["supports"]),
                     t["due_text"] or "", t["output"] or ""])
    with open(os.path.join(a.dir, "tasks.csv"), "w", encoding="utf-8", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(head)
        w.writerows(rows)
    wb = openpyxl.Workbook(write_only=True)
    ws = wb.create_sheet("Phụ lục")
    ws.append(head)
    for r in rows:
        ws.append(r)
    wb.save(os.path.join(a.dir, "tasks.xlsx"))
    n = sum(1 for t in tasks if not t["section"])
    text = ("data: GENERATED by bench/plans/gen.py xlsx (seed %d): plan KH-XLSX-2025, %d tasks +"
            " %d sections, the recipe of the provincial plan (titles from Phụ lục II of Nghị quyết"
            " 03/NQ-CP; leads and supports by name: 20 agencies and the 54 communes of 2025;"
            " deadlines in five written forms); headers %s; tasks.xlsx written by openpyxl %s"
            " (write_only), tasks.csv the same rows\n"
            % (a.seed, n, len(tasks) - n, ", ".join(head), openpyxl.__version__))
    sys.stdout.write(text)
    with open(os.path.join(a.dir, "recipe.txt"), "w", encoding="utf-8") as f:
        f.write(text)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = ap.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("store")
    s.add_argument("db")
    s.add_argument("--tasks", type=int, default=50000)
    s.add_argument("--seed", type=int, default=20250701)
    s.add_argument("--recipe")
    x = sub.add_parser("xlsx")
    x.add_argument("dir")
    x.add_argument("--tasks", type=int, default=10000)
    x.add_argument("--seed", type=int, default=20250701)
    a = ap.parse_args()
    if a.cmd == "store":
        cmd_store(a)
    else:
        cmd_xlsx(a)


if __name__ == "__main__":
    main()
