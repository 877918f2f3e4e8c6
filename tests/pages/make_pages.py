#!/usr/bin/python3
"""Renders OCR test pages from the real legal corpus (data/corpus), with ground truth, and the bad
input files, into one folder. Generated data, made from real text: see tests/pages/README.md.

Usage: make_pages.py OUT_DIR [--count N]   (N: extra clean pages for bench/ocr, default 0)
Needs pango-view (pango1.0-tools), DejaVu fonts, python3-pil, qpdf. Idempotent: a folder whose
stamp matches this script's hash is left as it is.
"""
import hashlib
import io
import json
import os
import random
import shutil
import struct
import subprocess
import sys
import tempfile
import unicodedata
import zlib

from PIL import Image, ImageChops, ImageDraw, ImageFilter

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))
CORPUS = os.path.join(ROOT, 'data', 'corpus', 'alqac2023_law_articles.jsonl')
SEED = 20250701
A4_W_IN, A4_H_IN = 8.27, 11.69
FONT = 'DejaVu Serif 11'
MARGIN_IN = 1.0


def articles():
    with open(CORPUS, encoding='utf-8') as f:
        rows = [json.loads(line) for line in f]
    # Pages of one article each: articles of 1,300-2,200 characters fill most of an A4 page
    # at 11 pt without running over.
    fit = [r for r in rows if 1300 <= len(r['text']) <= 2200]
    fit.sort(key=lambda r: r['id'])
    return fit


def page_text(r):
    # The corpus text starts with the article's title; the page shows it as a printed law does.
    return unicodedata.normalize('NFC', 'Điều %s. %s' % (r['article'], r['text'].strip()))


def pango(text, dpi, width_pt, out_path):
    with tempfile.NamedTemporaryFile('w', suffix='.txt', encoding='utf-8', delete=False) as t:
        t.write(text)
        tname = t.name
    try:
        subprocess.run(['pango-view', '-q', '--font', FONT, '--dpi', str(dpi), '--width',
                        str(int(width_pt)), '--wrap', 'word', '--margin', '0', '--hinting', 'none',
                        '--language', 'vi', '-o', out_path, tname], check=True)
    finally:
        os.unlink(tname)


def render_block(text, dpi, width_pt):
    """The text laid out by pango at `dpi`, `width_pt` wide, as a grey image."""
    with tempfile.TemporaryDirectory() as d:
        p = os.path.join(d, 'b.png')
        pango(text, dpi, width_pt, p)
        im = Image.open(p)
        im.load()
    bg = Image.new('RGBA', im.size, (255, 255, 255, 255))
    bg.alpha_composite(im.convert('RGBA'))
    return bg.convert('L')


def a4(dpi):
    return Image.new('L', (round(A4_W_IN * dpi), round(A4_H_IN * dpi)), 255)


def one_column(text, dpi):
    width_pt = (A4_W_IN - 2 * MARGIN_IN) * 72
    block = render_block(text, dpi, width_pt)
    page = a4(dpi)
    m = round(MARGIN_IN * dpi)
    if block.size[1] > page.size[1] - 2 * m:
        raise SystemExit('text runs over the page: choose shorter articles')
    page.paste(block, (m, m))
    return page


def two_columns(text_a, text_b, dpi):
    gap_in = 0.4
    col_in = (A4_W_IN - 2 * MARGIN_IN - gap_in) / 2
    page = a4(dpi)
    m = round(MARGIN_IN * dpi)
    for i, t in enumerate((text_a, text_b)):
        b = render_block(t, dpi, col_in * 72)
        if b.size[1] > page.size[1] - 2 * m:
            raise SystemExit('column runs over the page')
        page.paste(b, (m + round(i * (col_in + gap_in) * dpi), m))
    return page


def skew(page, angle):
    return page.rotate(angle, resample=Image.BICUBIC, expand=False, fillcolor=255)


def noisy(page, rng):
    """A poor photocopy: slight blur, grey noise (sigma 40), 6,000 specks of 1-3 pixels."""
    im = page.filter(ImageFilter.GaussianBlur(0.8))
    random.seed(rng.random())  # effect_noise has its own generator; blend stays deterministic enough
    noise = Image.effect_noise(im.size, 40)
    im = ImageChops.add(im, noise, 1.0, -128)
    d = ImageDraw.Draw(im)
    w, h = im.size
    for _ in range(6000):
        x, y, s = rng.randrange(w), rng.randrange(h), rng.choice((1, 2, 3))
        d.rectangle((x, y, x + s - 1, y + s - 1), fill=rng.choice((0, 60, 255)))
    return im


def save_png(im, path, dpi):
    im.save(path, dpi=(dpi, dpi))


def split_words(text):
    words = text.split(' ')
    half = len(words) // 2
    return ' '.join(words[:half]), ' '.join(words[half:])


def pdf_with_pages(n):
    """A valid PDF of n blank A4 pages sharing one content stream (the page-limit case)."""
    objs = {}
    objs[1] = b'<< /Type /Catalog /Pages 2 0 R >>'
    kids = ' '.join('%d 0 R' % (4 + i) for i in range(n))
    objs[2] = ('<< /Type /Pages /Count %d /Kids [%s] >>' % (n, kids)).encode()
    objs[3] = b'<< /Length 0 >>\nstream\n\nendstream'
    for i in range(n):
        objs[4 + i] = b'<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 3 0 R >>'
    out = io.BytesIO()
    out.write(b'%PDF-1.4\n')
    offs = {}
    for k in sorted(objs):
        offs[k] = out.tell()
        out.write(b'%d 0 obj\n' % k + objs[k] + b'\nendobj\n')
    xref = out.tell()
    count = max(objs) + 1
    out.write(b'xref\n0 %d\n0000000000 65535 f \n' % count)
    for k in range(1, count):
        out.write(b'%010d 00000 n \n' % offs[k])
    out.write(b'trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n' % (count, xref))
    return out.getvalue()


def huge_png(w, h, idat=None):
    """A PNG whose header says w x h; its image data is 64 zero bytes, or `idat` as given."""
    def chunk(t, data):
        return struct.pack('>I', len(data)) + t + data + struct.pack('>I', zlib.crc32(t + data))
    ihdr = struct.pack('>IIBBBBB', w, h, 8, 0, 0, 0, 0)
    return (b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) +
            chunk(b'IDAT', idat or zlib.compress(b'\x00' * 64)) + chunk(b'IEND', b''))


def main():
    out = sys.argv[1]
    count = 0
    if '--count' in sys.argv:
        count = int(sys.argv[sys.argv.index('--count') + 1])
    h = hashlib.sha256(open(__file__, 'rb').read() + str(count).encode()).hexdigest()[:16]
    stamp = os.path.join(out, 'STAMP')
    if os.path.exists(stamp) and open(stamp).read().strip() == h:
        return
    if os.path.isdir(out):
        shutil.rmtree(out)
    os.makedirs(out)
    bad = os.path.join(out, 'bad')
    os.makedirs(bad)
    rng = random.Random(SEED)
    arts = articles()
    picks = rng.sample(arts, 8)
    manifest = {'seed': SEED, 'font': FONT, 'corpus': 'data/corpus/alqac2023_law_articles.jsonl',
                'pages': {}}

    def truth(name, text, art_ids, **kw):
        with open(os.path.join(out, name + '.txt'), 'w', encoding='utf-8') as f:
            f.write(text + '\n')
        manifest['pages'][name] = dict(articles=art_ids, **kw)

    # clean, skewed, noisy: the same article, so their error rates compare the variant alone.
    t0 = page_text(picks[0])
    clean = one_column(t0, 300)
    save_png(clean, os.path.join(out, 'clean.png'), 300)
    truth('clean', t0, [picks[0]['id']], dpi=300, variant='clean')
    angle = rng.uniform(1.0, 3.0) * rng.choice((-1, 1))
    save_png(skew(clean, angle), os.path.join(out, 'skewed.png'), 300)
    truth('skewed', t0, [picks[0]['id']], dpi=300, variant='skewed %.2f degrees' % angle)
    save_png(noisy(clean, rng), os.path.join(out, 'noisy.png'), 300)
    truth('rotated', t0, [picks[0]['id']], dpi=300, variant='turned 90 degrees counter-clockwise')
    save_png(clean.rotate(90, expand=True), os.path.join(out, 'rotated.png'), 300)
    truth('noisy', t0, [picks[0]['id']], dpi=300, variant='noisy: blur 0.8, noise sigma 40, 6000 specks')
    # the same page as a JPEG (format by content)
    clean.save(os.path.join(out, 'clean.jpg'), quality=90, dpi=(300, 300))

    # 200 dpi: rendered at 200 dpi (not resampled), so it is what a 200-dpi scanner gives.
    t1 = page_text(picks[1])
    save_png(one_column(t1, 200), os.path.join(out, 'dpi200.png'), 200)
    truth('dpi200', t1, [picks[1]['id']], dpi=200, variant='200 dpi')

    # two columns: the article's first half in the left column, the rest in the right.
    t2 = page_text(picks[2])
    a, b = split_words(t2)
    save_png(two_columns(a, b, 300), os.path.join(out, 'twocol.png'), 300)
    truth('twocol', a + '\n' + b, [picks[2]['id']], dpi=300, variant='two columns')

    # 150 dpi: below the 200-dpi floor; one short paragraph so its OCR is quick.
    t3 = page_text(picks[3]).split('\n')[0]
    low = one_column(t3, 150)
    save_png(low, os.path.join(out, 'dpi150.png'), 150)
    truth('dpi150', t3, [picks[3]['id']], dpi=150, variant='150 dpi, first paragraph')

    # multi-page TIFF: three pages, 1 bit, Group 4, 300 dpi.
    tif_pages = []
    for i, r in enumerate(picks[4:7]):
        t = page_text(r)
        tif_pages.append(one_column(t, 300).point(lambda v: 255 if v > 160 else 0, mode='1'))
        truth('multi-%d' % (i + 1), t, [r['id']], dpi=300, variant='multi-page TIFF page %d' % (i + 1))
    tif_pages[0].save(os.path.join(out, 'multi.tif'), save_all=True, append_images=tif_pages[1:],
                      compression='group4', dpi=(300, 300))

    # a scanned PDF (images only, 2 pages): page 1 the 150-dpi paragraph, page 2 a short paragraph.
    t4 = page_text(picks[7]).split('\n')[0]
    short = one_column(t4, 300)
    truth('scan-2', t4, [picks[7]['id']], dpi=300, variant='scanned PDF page 2, first paragraph')
    low_300 = one_column(t3, 300)
    truth('scan-1', t3, [picks[3]['id']], dpi=300, variant='scanned PDF page 1, first paragraph')
    low_300.save(os.path.join(out, 'scan.pdf'), save_all=True, append_images=[short], resolution=300)
    # the 150-dpi paragraph as a scanned PDF: the floor applies to the scan inside the PDF
    low.save(os.path.join(out, 'scan150.pdf'), resolution=150)

    # a PDF with a text layer, straight from pango (cairo's PDF backend embeds the fonts).
    pango(t0, 72, (A4_W_IN - 2 * MARGIN_IN) * 72, os.path.join(out, 'text.pdf'))
    truth('text', t0, [picks[0]['id']], variant='PDF with a text layer (pango-view -o .pdf)')

    # extra clean pages for the benchmark: full A4 pages, articles added while they fit
    with open(CORPUS, encoding='utf-8') as f:
        pool = sorted((json.loads(line) for line in f), key=lambda r: r['id'])
    pool = [r for r in pool if 200 <= len(r['text']) <= 2200]
    random.Random(SEED + 1).shuffle(pool)
    more = iter(pool)
    for i in range(count):
        arts_on_page, text, img, misses = [], None, None, 0
        for r in more:
            t = text + '\n\n' + page_text(r) if text else page_text(r)
            try:
                im = one_column(t, 300)
            except SystemExit:
                misses += 1  # this article does not fit: try the next one, a few times
                if misses == 6:
                    break
                continue
            arts_on_page.append(r['id'])
            text, img = t, im
            if len(text) > 3000:
                break
        if img is None:
            raise SystemExit('not enough articles for %d bench pages' % count)
        save_png(img, os.path.join(out, 'bench-%02d.png' % (i + 1)), 300)
        truth('bench-%02d' % (i + 1), text, arts_on_page, dpi=300, variant='bench: full clean page')

    # bad inputs
    open(os.path.join(bad, 'empty.png'), 'wb').close()
    data = open(os.path.join(out, 'dpi150.png'), 'rb').read()
    open(os.path.join(bad, 'truncated.png'), 'wb').write(data[:len(data) // 3])
    open(os.path.join(bad, 'notatiff.tif'), 'wb').write(data)
    jpg = open(os.path.join(out, 'clean.jpg'), 'rb').read()
    open(os.path.join(bad, 'truncated.jpg'), 'wb').write(jpg[:len(jpg) // 3])
    junk = bytes(rng.randrange(256) for _ in range(4096))
    open(os.path.join(bad, 'corrupt.jpg'), 'wb').write(b'\xff\xd8\xff\xe0' + junk)
    open(os.path.join(bad, 'corrupt.tif'), 'wb').write(b'II*\x00' + struct.pack('<I', 1 << 30) + junk)
    open(os.path.join(bad, 'corrupt.pdf'), 'wb').write(b'%PDF-1.4\n' + junk)
    open(os.path.join(bad, 'notes.tif'), 'w').write('Biên bản giao nhận tài liệu\n')
    open(os.path.join(bad, 'huge.png'), 'wb').write(huge_png(100000, 100000))
    open(os.path.join(bad, 'badpixels.png'), 'wb').write(huge_png(100, 100, junk))
    open(os.path.join(bad, 'pages5000.pdf'), 'wb').write(pdf_with_pages(5000))
    subprocess.run(['qpdf', '--encrypt', 'matkhau', 'chusohuu', '256', '--',
                    os.path.join(out, 'text.pdf'), os.path.join(bad, 'encrypted.pdf')], check=True)

    with open(os.path.join(out, 'manifest.json'), 'w', encoding='utf-8') as f:
        json.dump(manifest, f, ensure_ascii=False, indent=1)
    with open(stamp, 'w') as f:
        f.write(h + '\n')


if __name__ == '__main__':
    main()
