// The help page (searching, the query syntax, access levels, reporting a problem) and the page of
// an address that leads nowhere.
import { t, getLang } from '../i18n.js';
import { h } from '../util.js';

/* Each section: a title and paragraphs; a paragraph is text, or [text, code, text, …] where every
   other item is shown as code (what the user types). */
const HELP = {
  vi: [
    ['Tìm kiếm', [
      ['Gõ các từ cần tìm, có dấu hay không dấu đều được: ', 'dat dai', ' tìm thấy “đất đai”. Mỗi kết quả chứa đủ mọi từ đã gõ; tài liệu có các từ đứng liền nhau, hoặc có chúng trong tiêu đề, đứng trước.'],
      ['Gõ có dấu thì tài liệu có đúng dấu đó được xếp trước: ', 'đặt', ' đưa “đặt” lên trước “đất”.'],
      ['Máy không có bộ gõ tiếng Việt? Gõ kiểu Telex hoặc VNI cũng được: ', 'quyeets ddinhj', ' hoặc ', 'quye6t1 d9inh5', ' được tìm như “quyết định”, và trang kết quả ghi “Đã tìm theo: quyết định”.'],
      ['Gõ nhầm một chữ cái trong một từ dài (thiếu, thừa, sai hoặc đảo hai chữ) vẫn tìm được: ', 'truogn hoc', ' được tìm như “truong hoc”. Với một từ rất hiếm, trang kết quả gợi ý “Có phải bạn muốn tìm: …”.'],
      '“N kết quả” là số chính xác; “Khoảng N kết quả” là số ước lượng (khi có cụm từ trong ngoặc kép, hoặc hơn 1.000 tài liệu chứa các từ). Mỗi tài liệu chỉ xuất hiện ở một trang.',
    ]],
    ['Cú pháp tìm kiếm', [
      ['', '"giao đất"', ' — cụm từ: các từ liền nhau, đúng thứ tự.'],
      ['', '-từ', ', ', '-"một cụm"', ' — loại trừ tài liệu có từ hoặc cụm đó.'],
      ['', 'quy*', ' — tiền tố: mọi từ bắt đầu bằng “quy”.'],
      ['', 'fonds:PL', ', ', 'type:"Quyết định"', ', ', 'year:2019', ', ', 'year:2015..2019', ', ', 'issuer:"ha long"', ', ', 'unit:06652', ' — lọc theo phông, loại văn bản, năm, cơ quan ban hành, đơn vị đang giữ hồ sơ.'],
      ['', 'kind:lesson', ' — tìm trong các bài học kinh nghiệm của kế hoạch thay vì tài liệu lưu trữ (vd. ', 'kind:lesson minh chung', ').'],
    ]],
    ['Mức độ tiếp cận', [
      'Công khai: ai cũng xem được. Nội bộ: người dùng đã đăng nhập của đơn vị giữ phông. Hạn chế: lưu trữ viên, thanh tra và quản trị của đơn vị giữ phông; mỗi lần xem đều được ghi vào nhật ký. Mật: không bao giờ hiển thị qua mạng.',
      'Người dùng của tỉnh (thành phố) xem được mọi phông, trong giới hạn của vai trò.',
      'Tài liệu bạn không được xem thì không xuất hiện ở đâu cả: không trong kết quả, không trong số đếm, không trong bộ lọc.',
    ]],
    ['Tài liệu', [
      'Trang của một tài liệu mở từ kết quả tìm kiếm tô sáng các từ đã tìm và có liên kết “Quay lại kết quả tìm kiếm”. Mục “Trích dẫn” cho dòng trích dẫn theo cách ghi của ngành lưu trữ (kho lưu trữ, phông, hồ sơ, văn bản) và tệp BibTeX, CSL-JSON cho Zotero.',
      'In trang (Ctrl+P) chỉ in phần mô tả, nội dung và trích dẫn, không in trình đơn hay nút bấm.',
    ]],
    ['Phông, mục lục và hồ sơ', [
      'Trang “Phông lưu trữ” cho từng phông: cơ quan hình thành, đơn vị đang quản lý, mô tả phông (tên, thời gian của tài liệu, số lượng, lịch sử đơn vị hình thành, nội dung), rồi các mục lục hồ sơ và hồ sơ trong đó. “Duyệt theo phông” mở dần phông → mục lục → hồ sơ → tài liệu.',
      'Thời gian và thời hạn bảo quản ghi “(theo văn bản)” là đọc từ các tài liệu trong hồ sơ, khi lưu trữ viên chưa ghi.',
      'Lưu trữ viên của đơn vị đang quản lý phông (và của tỉnh) sửa được mô tả: nút “Sửa mô tả phông”, “Thêm mục lục hồ sơ”, “Sửa” ở từng hồ sơ. Ngày ghi dd/mm/yyyy, mm/yyyy hoặc yyyy; mỗi lần sửa được ghi vào nhật ký.',
    ]],
    ['Kế hoạch', [
      'Trang “Kế hoạch” cho từng kế hoạch: dòng tổng hợp (“Trong tổng số … nhiệm vụ”), đèn tín hiệu của từng đơn vị, biểu đồ theo tháng và quý, danh sách quá hạn. Mở một nhiệm vụ để xem tình trạng và lịch sử báo cáo.',
      'Cán bộ của đơn vị chủ trì gửi báo cáo ở trang nhiệm vụ: kỳ báo cáo, tiến độ, kết quả, khó khăn, đề xuất; tài liệu minh chứng là tài liệu lưu trữ (mã tài liệu) hoặc tệp gửi kèm (tối đa 20 MB mỗi tệp). Báo cáo gửi sau ngày hạn của kỳ (Nghị định 09/2019) có nhãn “Nộp muộn”.',
      'Nhiệm vụ do nhiều đơn vị cùng chủ trì: mỗi đơn vị báo cáo phần của mình; nhiệm vụ hoàn thành khi mọi đơn vị đã hoàn thành.',
      'Ở máy chủ của xã, phường: báo cáo của đơn vị được gửi lên tỉnh qua liên thông bằng mục “Gửi báo cáo này lên tỉnh” dưới báo cáo.',
    ]],
    ['Dữ liệu dùng chung', [
      'Trang “Dữ liệu dùng chung” liệt kê các bộ dữ liệu do sở, ngành, địa phương công bố (số liệu du lịch, y tế, giáo dục, nông nghiệp, môi trường, ngân sách…). Ô tìm kiếm tìm theo tên, mô tả và từ khóa, có dấu hay không dấu đều được; cột bên lọc theo lĩnh vực và cơ quan chủ quản. Mỗi thẻ ghi cơ quan chủ quản, lĩnh vực, mức độ tiếp cận, số dòng và ngày của phiên bản mới nhất.',
      'Trang của một bộ dữ liệu cho thông tin (cơ quan chủ quản, giấy phép, tần suất cập nhật, nguồn gốc), cấu trúc (mỗi trường: tên tiếng Việt, kiểu, ràng buộc; nhãn “mã đơn vị hành chính” là cột được đối chiếu với danh mục đơn vị hành chính), rồi các dòng dữ liệu, 100 dòng một trang. Bấm vào tên cột để sắp xếp tăng, bấm lần nữa để giảm.',
      ['Lọc dòng: “+ Thêm điều kiện”, chọn trường, điều kiện và giá trị, rồi “Lọc”. “chứa (không dấu)” tìm cả khi gõ không dấu: ', 'ha long', ' thấy “Phường Hạ Long”. Bộ lọc cũng hiện dưới dạng lệnh, vd. ', "full_name ~ 'ha long' and population > 30000", ', dùng được với lệnh ', 'halong dataset query --where', '.'],
      'Tải về: CSV, Excel (XLSX), JSON hoặc Gói dữ liệu (Data Package) của phiên bản mới nhất; “Tải mọi dòng đã lọc (CSV)” cho đúng các dòng đang lọc. Biểu đồ: “Cột theo đơn vị” cộng một cột số theo mã đơn vị hành chính (tên đơn vị hiện bên cạnh mã), “Đường theo thời gian” theo cột năm hoặc kỳ; bảng số liệu của biểu đồ ở mục “Bảng số liệu”.',
      'Mỗi lần nạp là một phiên bản mới; “Lịch sử phiên bản” ghi ai nạp, lúc nào, tệp nào, thêm, sửa, xóa bao nhiêu dòng. “Xem khác biệt” so hai phiên bản: dòng thêm nền xanh, dòng sửa nền vàng (ô sửa ghi giá trị cũ → giá trị mới), dòng xóa nền đỏ. Ô “Phiên bản” trên bộ lọc cho xem dữ liệu của một phiên bản cũ (trang ghi rõ đang xem phiên bản nào).',
      'Cán bộ, lưu trữ viên nạp phiên bản mới ở mục “Nạp phiên bản mới”: chọn tệp CSV hoặc XLSX (dòng đầu là tên các trường), đánh dấu “Thay toàn bộ dữ liệu” nếu tệp là toàn bộ bảng. Ô sai được liệt kê theo dòng và cột của tệp kèm lý do (sai kiểu, sai ràng buộc, mã đơn vị không tồn tại vào ngày đối chiếu); các dòng đúng vẫn được nạp. Nạp lại đúng tệp cũ không tạo phiên bản mới.',
      'Yêu cầu cung cấp dữ liệu (bộ dữ liệu nội bộ hoặc hạn chế; dữ liệu công khai thì ai cũng tải được): ghi mục đích sử dụng và căn cứ pháp lý rồi “Gửi yêu cầu” — cả khi trang chưa cho xem nội dung, theo mã bộ dữ liệu. Cơ quan chủ quản thấy các yêu cầu đang chờ ở trang bộ dữ liệu, “Đồng ý cung cấp” (có thể ghi hạn dùng) hoặc “Từ chối”; từ chối và thu hồi phải ghi lý do và căn cứ pháp lý (Nghị định 194/2025/NĐ-CP, Điều 16). Cơ quan yêu cầu thấy câu trả lời ở cùng trang.',
      ['Tạo bộ dữ liệu (cán bộ trở lên): nút “Tạo bộ dữ liệu” ở trang danh mục; khai báo mã, tên, lĩnh vực, mức độ tiếp cận và dán lược đồ (Table Schema, JSON). Muốn máy tự suy ra lược đồ từ một tệp: lệnh ', 'halong dataset create MÃ --title "…" --from tệp.csv --unit cột_mã_đơn_vị', ' trên máy chủ.'],
    ]],
    ['Báo lỗi', [
      'Khi gặp lỗi, hãy ghi lại địa chỉ trang (thanh địa chỉ), việc bạn đang làm và mã yêu cầu nếu trang hiện “mã yêu cầu”, rồi gửi cho bộ phận quản trị hệ thống của đơn vị. Không gửi mật khẩu.',
    ]],
  ],
  en: [
    ['Searching', [
      ['Type the words you want, with or without tones: ', 'dat dai', ' finds “đất đai”. Every result holds every word typed; documents holding them side by side, or in their title, come first.'],
      ['Words typed with tones rank documents with those very tones first: ', 'đặt', ' puts “đặt” before “đất”.'],
      ['No Vietnamese keyboard? Telex or VNI typed as plain letters works too: ', 'quyeets ddinhj', ' or ', 'quye6t1 d9inh5', ' is searched as “quyết định”, and the results say “Searched for: quyết định”.'],
      ['One wrong letter in a long word (missing, extra, wrong or two swapped) still finds it: ', 'truogn hoc', ' is searched as “truong hoc”. For a very rare word the results offer “Did you mean: …”.'],
      '“N results” is an exact count; “About N results” is an estimate (with a quoted phrase, or when more than 1,000 documents hold the words). Each document appears on one page only.',
    ]],
    ['Query syntax', [
      ['', '"giao đất"', ' — a phrase: the words side by side, in order.'],
      ['', '-word', ', ', '-"a phrase"', ' — leave out documents with that word or phrase.'],
      ['', 'quy*', ' — a prefix: every word starting with “quy”.'],
      ['', 'fonds:PL', ', ', 'type:"Quyết định"', ', ', 'year:2019', ', ', 'year:2015..2019', ', ', 'issuer:"ha long"', ', ', 'unit:06652', ' — filter by fonds, document type, year, issuer, or the unit holding the records.'],
      ['', 'kind:lesson', ' — search the plans’ lessons learned instead of the archive’s documents (e.g. ', 'kind:lesson minh chung', ').'],
    ]],
    ['Access levels', [
      'Public: anyone. Internal: logged-in users of the unit holding the fonds. Restricted: that unit’s archivists, inspectors and administrators; every view is written to the audit log. Secret: never shown over the network.',
      'Users of the province (city) see every fonds, within their role.',
      'A document you may not see appears nowhere: not in results, not in counts, not in filters.',
    ]],
    ['Documents', [
      'A document opened from search results marks the words searched and links back to the results. “Cite this document” gives the archival citation (archive, fonds, dossier, document) and BibTeX and CSL-JSON files for Zotero.',
      'Printing a page (Ctrl+P) prints the description, the text and the citation, without menus or buttons.',
    ]],
    ['Fonds, series and dossiers', [
      'The “Fonds” page shows each fonds: its creator, the unit holding it today, its description (name, dates, extent, the history of its creator, scope and content), then its series (mục lục hồ sơ) and their dossiers. “Browse” opens fonds → series → dossier → document step by step.',
      'Dates and retention marked “(from the documents)” are read from the dossier’s documents where the archivist wrote none.',
      'Archivists of the unit holding a fonds (and of the province) edit its description: “Edit the description”, “Add a series”, “Edit” on each dossier. Dates are dd/mm/yyyy, mm/yyyy or yyyy; every change is written to the audit log.',
    ]],
    ['Plans', [
      'The “Plans” page shows each plan: the count line (“Of … tasks”), a traffic light per agency, charts by month and quarter, the overdue list. Open a task for its status and its report history.',
      'An officer of a lead agency reports on the task’s page: the period, progress, results, difficulties, proposals; evidence is records of the archive (their ids) or attached files (at most 20 MB each). A report sent after its period’s report day (Decree 09/2019) is marked “Sent late”.',
      'A task led by several agencies: each reports its own part; the task is done when all of them are.',
      'On a commune’s node: an agency’s report goes to the province over the exchange with “Send this report to the province” under the report.',
    ]],
    ['Shared data', [
      'The “Shared data” page lists the datasets that departments and communes publish (tourism, health, education, agriculture, environment, budget figures…). The search box looks in titles, descriptions and keywords, with or without tones; the side lists filter by sector and owner agency. Each card gives the owner agency, the sector, the access level, the rows and the date of the latest version.',
      'A dataset’s page gives its facts (owner, licence, update frequency, provenance), its structure (each field’s Vietnamese title, type and constraints; “administrative unit code” marks a column checked against the register of units), then its rows, 100 a page. Click a column’s head to sort ascending, again for descending.',
      ['Filter rows: “+ Add a condition”, pick a field, a condition and a value, then “Filter”. “contains (no tones)” matches without tones: ', 'ha long', ' finds “Phường Hạ Long”. The filter is also shown as a command, e.g. ', "full_name ~ 'ha long' and population > 30000", ', which ', 'halong dataset query --where', ' takes.'],
      'Download: CSV, Excel (XLSX), JSON or a Data Package of the latest version; “Download every filtered row (CSV)” gives the rows filtered. Chart: “Bars by unit” sums a numeric column per administrative unit code (the unit’s name beside its code), “Line over time” by a year or period column; the chart’s figures are under “Figures”.',
      'Each load is a new version; “Version history” says who loaded which file when, and how many rows were added, changed and removed. “Show differences” compares two versions: added rows green, changed rows yellow (a changed cell reads old → new), removed rows red. The “Version” picker above the filter shows an older version’s rows (the page says which).',
      'Officers and archivists load a new version under “Load a new version”: a CSV or XLSX file whose first row names the fields; tick “Replace all data” when the file is the whole table. Bad cells are listed by row and column of the file with the reason (wrong type, a constraint broken, a unit code that did not exist on the day checked); the good rows load. Loading the same file again makes no version.',
      'Data requests (internal or restricted datasets; public data anyone downloads): give the purpose and the legal basis, then “Send the request” — also from a page that does not show the dataset yet, by its id. The owner agency sees pending requests on the dataset’s page and grants them (with a last day, if any) or refuses them; a refusal or a revocation needs its reason and legal basis (Decree 194/2025/NĐ-CP, Article 16). The requesting agency reads the answer on the same page.',
      ['Creating a dataset (officers and above): “Create a dataset” on the catalogue; give its id, title, sector, access level and paste its schema (Table Schema, JSON). To infer the schema from a file, run ', 'halong dataset create ID --title "…" --from file.csv --unit unit_code_column', ' on the server.'],
    ]],
    ['Reporting a problem', [
      'Write down the page’s address (the address bar), what you were doing, and the request ID if the page shows one, and send them to your unit’s system administrator. Never send a password.',
    ]],
  ],
};

function para(p) {
  if (typeof p === 'string') return h('p', null, p);
  return h('p', null, p.map((x, i) => (i % 2 ? h('code', null, x) : x)));
}

export async function helpView() {
  const lang = getLang() === 'en' ? 'en' : 'vi';
  return h('div', { class: 'help-page' },
    h('h1', null, t('help_title')),
    HELP[lang].map(([title, ps]) => h('section', null, h('h2', null, title), ps.map(para))));
}

export async function notFoundView() {
  return h('div', { class: 'not-found' },
    h('h1', null, t('page_not_found')),
    h('p', null, t('page_not_found_text')),
    h('ul', null,
      h('li', null, h('a', { href: '#/search' }, t('nav_search'))),
      h('li', null, h('a', { href: '#/help' }, t('help_title')))));
}
