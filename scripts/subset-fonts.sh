#!/usr/bin/env bash
# Regenerates the fonts the invoice PDFs embed: DejaVu Sans and DejaVu Sans Bold, subset to the characters invoices
# need, into services/invoice-worker/Fonts/ (checked in; the build embeds them as resources).
#
# Why subset: Skia's PDF backend embeds the whole font file it is given, so the full DejaVu Sans (760 KB) made every
# invoice ~390 KB per typeface. The subsets keep hinting and every OpenType layout feature, and cost ~55 KB (regular)
# and ~51 KB (bold) per PDF after Flate compression.
#
# Needs pyftsubset (Debian: apt-get install -y fonttools) and DejaVu 2.37 (Debian: fonts-dejavu-core; another
# directory through DEJAVU_DIR). The output is reproducible: the same inputs give the same bytes.
set -euo pipefail
ROOT_DIR=$(cd -- "$(dirname -- "${BASH_SOURCE[0]}")/.." && pwd -P)
SOURCE_DIR=${DEJAVU_DIR:-/usr/share/fonts/truetype/dejavu}
OUT_DIR="$ROOT_DIR/services/invoice-worker/Fonts"

command -v pyftsubset >/dev/null || { echo "subset-fonts: pyftsubset not found (apt-get install -y fonttools)" >&2; exit 1; }

# Characters kept, by Unicode block. Whatever is left out renders as the font's empty box, so widen a range here
# (and watch the PDF size test) before a customer needs it.
ranges=(
    U+0020-007E            # Basic Latin
    U+00A0-00FF            # Latin-1 Supplement: Western European letters, NBSP, the soft hyphen, ¢ £ ¥ § © ® ° · ×
    U+0100-017F            # Latin Extended-A: Central European, Baltic, Turkish (ğ ı İ ş), Maltese, ...
    U+018F,U+0259          # Ə ə (Azerbaijani)
    U+0192                 # ƒ
    U+01A0-01A1,U+01AF-01B0 # Ơ ơ Ư ư (Vietnamese, with the marks below for the rest of its letters)
    U+0218-021B            # Ș ș Ț ț (Romanian comma below)
    U+02C6-02C7,U+02D8-02DD # spacing accents ˆ ˇ ˘ ˙ ˚ ˛ ˜ ˝
    # Combining marks: HarfBuzz decomposes a letter the font lacks (Vietnamese ệ, Yoruba ẹ́, ...) into a base letter
    # and these marks, which the font positions (GPOS mark/mkmk), and composes decomposed input where it can.
    U+0300-0304,U+0306-0309,U+030A-030C,U+031B,U+0323,U+0327-0328
    U+0370-03CE            # Greek (modern monotonic)
    U+0400-045F,U+0490-0491 # Cyrillic: Russian, Ukrainian (incl. Ґ ґ), Belarusian, Bulgarian, Serbian, Macedonian
    U+2000-2044            # General Punctuation: spaces, dashes, quotes, bullet, ellipsis, ‰, ‹ ›, ⁄
    U+20A0-20C0            # Currency Symbols: € ₦ ₩ ₪ ₫ ₭ ₱ ₲ ₴ ₵ ₸ ₹ ₺ ₽ ...
    U+2116,U+2122,U+2212   # № ™ −
    U+25CC                 # dotted circle: what HarfBuzz shows under a combining mark that has no base
    U+FFFD                 # replacement character
)
unicodes=$(printf '%s\n' "${ranges[@]}" | sed 's/#.*//' | tr -d ' ' | grep -v '^$' | paste -sd, -)

mkdir -p "$OUT_DIR"
for name in DejaVuSans DejaVuSans-Bold; do
    # --hinting: keep the TrueType instructions; --layout-features='*': keep every GSUB/GPOS feature (kerning, mark
    # positioning, localized forms); name IDs 0-6 plus 13/14 keep the copyright notice and the licence text inside
    # the font, as the licence asks of every copy.
    pyftsubset "$SOURCE_DIR/$name.ttf" \
        --unicodes="$unicodes" \
        --layout-features='*' \
        --hinting \
        --name-IDs=0,1,2,3,4,5,6,13,14 \
        --drop-tables+=MATH \
        --output-file="$OUT_DIR/$name-Subset.ttf"
    echo "$OUT_DIR/$name-Subset.ttf: $(stat -c %s "$OUT_DIR/$name-Subset.ttf") bytes"
done
