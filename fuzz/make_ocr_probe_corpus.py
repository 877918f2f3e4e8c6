#!/usr/bin/python3
"""Seed corpus of fuzz_ocr_probe, made from the test pages (tests/pages/make_pages.py OUT_DIR):
each format the probe reads, cut down to a corner of a real page so the seeds stay small, and
the small bad-input files as they are. Generated data, made from the legal corpus's pages.

usage: fuzz/make_ocr_probe_corpus.py PAGES_DIR [OUT_DIR]   (default OUT_DIR: fuzz/corpus/ocr_probe)
Needs /usr/bin/python3 with python3-pil (Debian). Files named found_* in the corpus are inputs
the fuzzer found (kept as they are; this script does not make them)."""
import io
import os
import shutil
import sys

from PIL import Image, ImageSequence

SIDE = 96          # pixels of each cut-down page
SMALL = 24 * 1024  # files copied as they are when at most this big


def corner(im):
    """The top-left text corner of a page (1 inch in: the margin is blank)."""
    dpi = im.info.get('dpi', (300, 300))[0] or 300
    x = y = int(round(float(dpi)))
    return im.crop((x, y, x + SIDE, y + SIDE))


def main():
    pages = sys.argv[1]
    out = sys.argv[2] if len(sys.argv) > 2 else os.path.join(os.path.dirname(__file__), 'corpus',
                                                             'ocr_probe')
    os.makedirs(out, exist_ok=True)

    def put(name, data):
        with open(os.path.join(out, name), 'wb') as f:
            f.write(data)

    def save(name, im, **kw):
        b = io.BytesIO()
        im.save(b, **kw)
        put(name, b.getvalue())

    clean = Image.open(os.path.join(pages, 'clean.png'))
    c = corner(clean)
    save('clean.png', c, format='PNG', dpi=(300, 300))
    save('clean_nodpi.png', c, format='PNG')
    save('clean.jpg', c.convert('L'), format='JPEG', quality=90, dpi=(300, 300))
    save('clean_progressive.jpg', c.convert('RGB'), format='JPEG', quality=75, progressive=True,
         dpi=(118, 118))
    save('dpi200.png', corner(Image.open(os.path.join(pages, 'dpi200.png'))), format='PNG',
         dpi=(200, 200))
    # the three-page bilevel G4 TIFF, each page cut down; and one page LZW in grey
    tif = Image.open(os.path.join(pages, 'multi.tif'))
    frames = [corner(f.copy()).convert('1') for f in ImageSequence.Iterator(tif)]
    save('multi.tif', frames[0], format='TIFF', compression='group4', dpi=(300, 300),
         save_all=True, append_images=frames[1:])
    save('grey_lzw.tif', c.convert('L'), format='TIFF', compression='tiff_lzw', dpi=(300, 300))
    save('scan.pdf', c.convert('L'), format='PDF', resolution=300)
    for name in ('text.pdf', 'bad/encrypted.pdf', 'bad/corrupt.pdf', 'bad/corrupt.tif',
                 'bad/corrupt.jpg', 'bad/huge.png', 'bad/notes.tif', 'bad/truncated.png',
                 'bad/badpixels.png', 'bad/notatiff.tif'):
        src = os.path.join(pages, name)
        if os.path.getsize(src) <= SMALL:
            shutil.copyfile(src, os.path.join(out, name.replace('bad/', 'bad_')))


if __name__ == '__main__':
    main()
