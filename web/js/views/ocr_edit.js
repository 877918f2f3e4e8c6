// The OCR text pane's own parts: which text a page shows (the machine's, or a correction with its
// version, author and time), the "Đã duyệt" badge and the words the review rule points at; and
// for those who may, "Sửa văn bản" (a textarea in place of the text, beside the page image, with
// Save and Cancel) and "Đánh dấu Đã duyệt". Whether the caller may is the server's word
// (GET /documents/{id}/pages/{n}/text: may_edit, the library's rule); the server checks again.
import { t, fmtTime } from '../i18n.js';
import { h, clear } from '../util.js';
import { get, put, post, enc, session } from '../api.js';

/* The line under the pane's title: which text it is, approved or not, the words to look at. */
export function textStatus(p) {
  if (p.state !== 'done') return null;
  const words = p.check && !p.approved ? p.check.suspect_words || [] : [];
  return h('div', { class: 'ocr-status', id: 'ocr-status' },
    h('span', { class: 'ocr-source', id: 'ocr-source' }, p.text_source === 'corrected'
      ? t('ocr_src_corrected', { v: p.text_version, by: p.corrected_by || '', at: fmtTime(p.corrected_at) })
      : t('ocr_src_machine')),
    p.approved
      ? h('span', {
        class: 'badge approved-badge', id: 'approved-badge',
        title: t('ocr_approved_by', { by: p.approved_by || '', at: fmtTime(p.approved_at) }),
      }, '✓ ', t('ocr_approved'))
      : null,
    words.length ? h('p', { class: 'ocr-suspect', id: 'ocr-suspect' }, t('ocr_suspect', { w: words.join(', ') })) : null);
}

function pageUrl(d, p, what) {
  return `/documents/${enc(d.doc_id)}/pages/${p.seq}/${what}`;
}

/* The edit and approve controls of page p, filled in once the server says the caller may (an
   element at once, empty until then). textEl shows the text; done() redraws the document. */
export function editControls(d, p, textEl, done) {
  const box = h('div', { class: 'ocr-edit', id: 'ocr-edit' });
  const role = session.user && session.user.role;
  if (p.state !== 'done' || (role !== 'archivist' && role !== 'admin')) return box;
  const msg = h('p', { class: 'ocr-msg', id: 'ocr-msg', 'aria-live': 'polite' });

  const fail = (e, buttons) => {
    msg.textContent = e.status === 409 ? t('ocr_edit_conflict') : t('error', { m: e.message });
    msg.className = 'ocr-msg bad';
    for (const b of buttons) b.disabled = false;
  };

  const open = (st) => {
    const area = h('textarea', {
      class: 'ocr-editor', id: 'ocr-editor', lang: 'vi', spellcheck: 'false',
      'aria-label': t('ocr_edit_label', { n: p.seq }),
    });
    area.value = p.text || '';
    /* keys typed are the text's: the viewer's page and zoom keys must not see them */
    area.addEventListener('keydown', (e) => e.stopPropagation());
    const save = h('button', { type: 'button', id: 'ocr-save', class: 'primary' }, t('ocr_save'));
    const cancel = h('button', { type: 'button', id: 'ocr-cancel' }, t('ocr_cancel'));
    save.addEventListener('click', async () => {
      save.disabled = cancel.disabled = true;
      msg.className = 'ocr-msg';
      msg.textContent = t('ocr_saving');
      try {
        await put(pageUrl(d, p, 'text'), { text: area.value, base_version: st.text_version });
        done();
      } catch (e) {
        fail(e, [save, cancel]);
      }
    });
    cancel.addEventListener('click', () => {
      area.replaceWith(textEl);
      clear(box);
      fill(st);
      textEl.focus();
    });
    textEl.replaceWith(area);
    clear(box);
    box.append(h('p', { class: 'ocr-hint' }, t('ocr_edit_hint')), h('div', { class: 'ocr-buttons' }, save, cancel), msg);
    area.focus();
  };

  const fill = (st) => {
    const edit = h('button', { type: 'button', id: 'ocr-edit-btn' }, t('ocr_edit'));
    edit.addEventListener('click', () => open(st));
    const buttons = [edit];
    if (!st.approved) {
      const approve = h('button', { type: 'button', id: 'ocr-approve-btn' }, t('ocr_approve'));
      approve.addEventListener('click', async () => {
        edit.disabled = approve.disabled = true;
        try {
          await post(pageUrl(d, p, 'approve'), { version: st.text_version });
          done();
        } catch (e) {
          fail(e, [edit, approve]);
        }
      });
      buttons.push(approve);
    }
    box.append(h('div', { class: 'ocr-buttons' }, buttons), msg);
  };

  get(pageUrl(d, p, 'text')).then((st) => {
    if (st.may_edit) fill(st);
  }).catch(() => { /* not allowed, or gone: the page stays read-only */ });
  return box;
}
