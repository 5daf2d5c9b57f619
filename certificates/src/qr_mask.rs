//! QR mask selection with the penalty rules of ISO/IEC 18004 §7.8.3, scored on
//! a flat grid. The `qrcode` crate's own scoring took half the time of issuing
//! a whole certificate; the encoding itself (segments, error correction,
//! placement) is still the crate's.

use qrcode::bits::encode_auto;
use qrcode::canvas::{Canvas, MaskPattern};
use qrcode::ec::construct_codewords;
use qrcode::{Color, EcLevel, Version};

const PATTERNS: [MaskPattern; 8] = [
    MaskPattern::Checkerboard,
    MaskPattern::HorizontalLines,
    MaskPattern::VerticalLines,
    MaskPattern::DiagonalLines,
    MaskPattern::LargeCheckerboard,
    MaskPattern::Fields,
    MaskPattern::Diamonds,
    MaskPattern::Meadow,
];

/// Encodes `data` at `ec_level` in the smallest version, choosing the mask
/// with the lowest penalty. Returns the version, the width and the modules.
pub(crate) fn encode(data: &[u8], ec_level: EcLevel) -> Option<(Version, usize, Vec<bool>)> {
    let bits = encode_auto(data, ec_level).ok()?;
    let version = bits.version();
    let (data, ec) = construct_codewords(&bits.into_bytes(), version, ec_level).ok()?;
    let mut base = Canvas::new(version, ec_level);
    base.draw_all_functional_patterns();
    base.draw_data(&data, &ec);
    let width = usize::try_from(version.width()).ok()?;
    PATTERNS
        .iter()
        .map(|pattern| {
            let mut canvas = base.clone();
            canvas.apply_mask(*pattern);
            let dark: Vec<bool> = canvas.into_colors().into_iter().map(|c| c == Color::Dark).collect();
            (penalty(&dark, width), dark)
        })
        .min_by_key(|(score, _)| *score)
        .map(|(_, dark)| (version, width, dark))
}

/// The total penalty: runs (N1), 2×2 blocks (N2), finder-like patterns (N3)
/// and the dark/light balance (N4).
fn penalty(dark: &[bool], w: usize) -> u32 {
    let mut score = 0;
    let mut column = Vec::with_capacity(w);
    for i in 0..w {
        score += line_penalty(dark.get(i * w..(i + 1) * w).unwrap_or_default());
        column.clear();
        column.extend((0..w).map(|j| dark.get(j * w + i).copied().unwrap_or(false)));
        score += line_penalty(&column);
    }
    for (upper, lower) in dark.chunks_exact(w).zip(dark.chunks_exact(w).skip(1)) {
        for x in 0..w.saturating_sub(1) {
            let block = [upper[x], upper[x + 1], lower[x], lower[x + 1]];
            if block.iter().all(|m| *m == block[0]) {
                score += 3;
            }
        }
    }
    let total = dark.len().max(1);
    let dark_count = dark.iter().filter(|d| **d).count();
    let deviation = (dark_count * 100 / total).abs_diff(50) / 5;
    score + 10 * u32::try_from(deviation).unwrap_or(u32::MAX / 20)
}

/// N1 and N3 for one row or column.
fn line_penalty(line: &[bool]) -> u32 {
    // 1:1:3:1:1 dark-light-dark with four light modules before or after it.
    const FINDER_BEFORE: u32 = 0b000_0101_1101;
    const FINDER_AFTER: u32 = 0b101_1101_0000;
    const MASK: u32 = 0b111_1111_1111;
    let mut score = 0;
    let mut run = 0u32;
    let mut previous = None;
    for &module in line {
        if previous == Some(module) {
            run += 1;
        } else {
            score += run_score(run);
            previous = Some(module);
            run = 1;
        }
    }
    score += run_score(run);
    // The quiet zone around the symbol is light, so the line is padded with
    // four light modules on each side when looking for finder-like patterns.
    let pad = [false; 4];
    let mut window = 0u32;
    for (i, module) in pad.iter().chain(line).chain(&pad).enumerate() {
        window = ((window << 1) | u32::from(*module)) & MASK;
        if i >= 10 && (window == FINDER_BEFORE || window == FINDER_AFTER) {
            score += 40;
        }
    }
    score
}

fn run_score(run: u32) -> u32 {
    if run >= 5 { run - 2 } else { 0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn penalties_follow_the_rules() {
        // A run of 5 dark (3) and a run of 6 light (4).
        let line = [false, true, true, true, true, true, false, false, false, false, false, false];
        assert_eq!(line_penalty(&line), 3 + 4);
        let finder = [true, false, true, true, true, false, true];
        // With light on both sides it counts twice (before and after).
        assert_eq!(line_penalty(&finder), 80);
        // An all-light 4x4 grid: 4 rows and 4 columns of no long runs, 9
        // blocks, and 50 percent off balance.
        assert_eq!(penalty(&[false; 16], 4), 9 * 3 + 100);
    }
}
