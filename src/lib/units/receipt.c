/* The hand-over receipt (biên bản giao nhận) as CSV and as a printable HTML page in Vietnamese:
 * one writer for the CLI and the server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "halong/util.h"
#include "units_int.h"

static const char * or (const char *s, const char *dflt)
{
	return s && *s ? s : dflt;
}

/* Writes a row; a text cell that a spreadsheet would read as a formula (=, +, -, @, tab, CR
 * first) is written after a quote mark, so opening the receipt runs nothing. Numbers, dates
 * and digests are ours and never start so. */
static void csv_row(FILE *f, const char *const *v, size_t n)
{
	const char *cells[32];
	char *tmp[32] = {0};
	for (size_t i = 0; i < n && i < 32; i++) {
		cells[i] = v[i];
		if (v[i] && strchr("=+-@\t\r", v[i][0]) && v[i][0] &&
		    (tmp[i] = malloc(strlen(v[i]) + 2))) {
			tmp[i][0] = '\'';
			strcpy(tmp[i] + 1, v[i]);
			cells[i] = tmp[i];
		}
	}
	hl_csv_write(f, cells, n < 32 ? n : 32);
	for (size_t i = 0; i < 32; i++)
		free(tmp[i]);
}

void hl_receipt_write_csv(FILE *f, const hl_receipt *r)
{
	static const char *const head[] = {
	    "stt",   "fonds_code", "fonds_name",   "from_code",     "from_name",
	    "date",  "basis",      "dossier_code", "dossier_title", "documents",
	    "pages", "files",      "bytes",        "max_access",    "sha256"};
	csv_row(f, head, sizeof(head) / sizeof(*head));
	for (size_t i = 0; i < r->n; i++) {
		const hl_receipt_line *l = &r->v[i];
		char stt[24], docs[24], pages[24], files[24], bytes[24];
		snprintf(stt, sizeof(stt), "%zu", i + 1);
		snprintf(docs, sizeof(docs), "%lld", (long long)l->documents);
		snprintf(pages, sizeof(pages), "%lld", (long long)l->pages);
		snprintf(files, sizeof(files), "%lld", (long long)l->files);
		snprintf(bytes, sizeof(bytes), "%lld", (long long)l->bytes);
		const char *v[] = {stt,
		                   l->fonds_code,
		                   or (l->fonds_name, ""),
		                   l->from_code,
		                   or (l->from_name, ""),
		                   l->effective_date,
		                   or (l->basis, ""),
		                   l->dossier_code,
		                   or (l->dossier_title, ""),
		                   docs,
		                   pages,
		                   files,
		                   bytes,
		                   hl_access_name(l->max_access),
		                   l->digest};
		csv_row(f, v, sizeof(v) / sizeof(*v));
	}
}

static const char *access_vi(hl_access a)
{
	static const char *const vi[] = {"công khai", "nội bộ", "hạn chế", "mật"};
	return (int)a >= 0 && (int)a <= HL_ACCESS_SECRET ? vi[a] : "?";
}

void hl_receipt_write_html(FILE *f, const hl_receipt *r)
{
	char d[11];
	/* dd/mm/yyyy, as Vietnamese documents write dates */
	snprintf(d, sizeof(d), "%.2s/%.2s/%.4s", r->date + 8, r->date + 5, r->date);
	fputs("<!DOCTYPE html>\n<html lang=\"vi\">\n<head>\n<meta charset=\"utf-8\">\n<title>"
	      "Biên bản giao nhận tài liệu lưu trữ – ",
	      f);
	hl_xml_write(f, r->to_code);
	fputs("</title>\n<style>\n"
	      "@page { size: A4 landscape; margin: 15mm; }\n"
	      "body { font-family: 'Times New Roman', 'DejaVu Serif', serif; font-size: 12pt; "
	      "color: #000; }\n"
	      ".head { display: flex; justify-content: space-between; text-align: center; }\n"
	      ".head div { width: 48%; } .b { font-weight: bold; }\n"
	      "h1 { text-align: center; font-size: 15pt; margin: 18pt 0 4pt; }\n"
	      ".sub { text-align: center; font-style: italic; margin-bottom: 12pt; }\n"
	      "table { border-collapse: collapse; width: 100%; font-size: 10pt; }\n"
	      "th, td { border: 1px solid #000; padding: 3pt 4pt; vertical-align: top; }\n"
	      "th { background: #eee; } td.n { text-align: right; }\n"
	      "td.h { font-family: 'DejaVu Sans Mono', monospace; font-size: 7pt; "
	      "word-break: break-all; }\n"
	      "tr { page-break-inside: avoid; } thead { display: table-header-group; }\n"
	      ".sign { display: flex; justify-content: space-around; margin-top: 24pt; "
	      "text-align: center; }\n"
	      ".sign div { width: 40%; height: 90pt; }\n"
	      ".digest { font-family: monospace; font-size: 8pt; margin-top: 8pt; }\n"
	      "</style>\n</head>\n<body>\n<div class=\"head\">\n<div class=\"b\">",
	      f);
	hl_xml_write(f, or (r->to_name, r->to_code));
	fputs("</div>\n<div><span class=\"b\">CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</span><br>"
	      "<span class=\"b\">Độc lập - Tự do - Hạnh phúc</span></div>\n</div>\n"
	      "<h1>BIÊN BẢN GIAO NHẬN TÀI LIỆU LƯU TRỮ</h1>\n<p class=\"sub\">Ngày ",
	      f);
	hl_xml_write(f, d);
	fputs("</p>\n<p>Căn cứ Thông tư 06/2025/TT-BNV: tài liệu lưu trữ của đơn vị hành chính đã "
	      "sắp xếp được giao cho đơn vị kế thừa.</p>\n<p><span class=\"b\">Bên giao:</span> ",
	      f);
	/* every giver once, in order of first appearance */
	for (size_t i = 0; i < r->n; i++) {
		int seen = 0;
		for (size_t k = 0; k < i && !seen; k++)
			seen = !strcmp(r->v[k].from_code, r->v[i].from_code) &&
			       !strcmp(r->v[k].effective_date, r->v[i].effective_date);
		if (seen)
			continue;
		if (i)
			fputs("; ", f);
		hl_xml_write(f, or (r->v[i].from_name, r->v[i].from_code));
		fprintf(f, " (mã %s, đến %s)", r->v[i].from_code, r->v[i].effective_date);
	}
	if (!r->n)
		fputs("(không có)", f);
	fputs("</p>\n<p><span class=\"b\">Bên nhận:</span> ", f);
	hl_xml_write(f, or (r->to_name, ""));
	fprintf(f, " (mã %s)</p>\n", r->to_code);
	fprintf(f,
	        "<p>Hai bên giao nhận %zu phông, %zu hồ sơ, %lld văn bản, %lld trang, %lld tệp "
	        "(%lld byte) theo danh mục sau.</p>\n",
	        r->nfonds, r->n, (long long)r->documents, (long long)r->pages, (long long)r->files,
	        (long long)r->bytes);
	fputs("<table>\n<thead><tr><th>STT</th><th>Mã phông</th><th>Tên phông</th>"
	      "<th>Đơn vị giao</th><th>Căn cứ</th><th>Mã hồ sơ</th><th>Tiêu đề hồ sơ</th>"
	      "<th>Số văn bản</th><th>Số trang</th><th>Số tệp</th><th>Mức độ tiếp cận cao nhất"
	      "</th><th>Mã băm SHA-256</th></tr></thead>\n<tbody>\n",
	      f);
	for (size_t i = 0; i < r->n; i++) {
		const hl_receipt_line *l = &r->v[i];
		fprintf(f, "<tr><td class=\"n\">%zu</td><td>", i + 1);
		hl_xml_write(f, l->fonds_code);
		fputs("</td><td>", f);
		hl_xml_write(f, or (l->fonds_name, ""));
		fputs("</td><td>", f);
		hl_xml_write(f, or (l->from_name, l->from_code));
		fputs("</td><td>", f);
		hl_xml_write(f, or (l->basis, ""));
		fputs("</td><td>", f);
		hl_xml_write(f, l->dossier_code);
		fputs("</td><td>", f);
		hl_xml_write(f, or (l->dossier_title, ""));
		fprintf(f,
		        "</td><td class=\"n\">%lld</td><td class=\"n\">%lld</td><td "
		        "class=\"n\">%lld</td><td>%s</td><td class=\"h\">%s</td></tr>\n",
		        (long long)l->documents, (long long)l->pages, (long long)l->files,
		        access_vi(l->max_access), l->digest);
	}
	fprintf(f,
	        "<tr class=\"b\"><td></td><td colspan=\"6\">Cộng</td><td class=\"n\">%lld</td>"
	        "<td class=\"n\">%lld</td><td class=\"n\">%lld</td><td></td><td></td></tr>\n",
	        (long long)r->documents, (long long)r->pages, (long long)r->files);
	fputs("</tbody>\n</table>\n<p class=\"digest\">Mã băm của biên bản (SHA-256): ", f);
	fputs(r->digest, f);
	fputs("<br>Mã băm của mỗi hồ sơ: SHA-256 của các dòng \"mã văn bản, mã băm nội dung\" "
	      "theo số thứ tự; halong custody receipt tính lại được.</p>\n"
	      "<div class=\"sign\"><div><span class=\"b\">ĐẠI DIỆN BÊN GIAO</span><br>"
	      "<i>(Ký, ghi rõ họ tên)</i></div><div><span class=\"b\">ĐẠI DIỆN BÊN NHẬN</span>"
	      "<br><i>(Ký, ghi rõ họ tên)</i></div></div>\n</body>\n</html>\n",
	      f);
}
