//! PDF building blocks shared by the certificate and the bill notice: DejaVu
//! Sans faces that measure and wrap text, a page that lays out text and grey
//! rules, QR codes as compact operators, and the lopdf finishing steps (an
//! extra content stream on a page, fast deflate).

use printpdf::{
    Color, FontId, LinePoint, Op, PaintMode, ParsedFont, PdfFontHandle, Point, Polygon, PolygonRing, Pt, Rgb, TextItem,
    WindingOrder,
};

/// Points per millimetre.
pub const MM: f32 = 72.0 / 25.4;

/// Why a building block failed; each document maps it into its own error.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KitError {
    #[error("the embedded font could not be parsed")]
    Font,
    #[error("the PDF could not be written: {0}")]
    Write(String),
}

/// DejaVu Sans, regular and bold, parsed: parsing costs more than laying out
/// a document, so a renderer does it once and each PDF only subsets them.
pub struct DejaVuSans {
    pub regular: ParsedFont,
    pub bold: ParsedFont,
}

impl DejaVuSans {
    pub fn parse() -> Result<Self, KitError> {
        let parse = |bytes: &[u8]| ParsedFont::from_bytes(bytes, 0, &mut Vec::new());
        Ok(Self {
            regular: parse(dejavu::sans::regular()).ok_or(KitError::Font)?,
            bold: parse(dejavu::sans::bold()).ok_or(KitError::Font)?,
        })
    }
}

/// A font added to the document, with what is needed to measure text in it.
pub struct Face<'a> {
    pub id: FontId,
    pub font: &'a ParsedFont,
}

impl Face<'_> {
    /// Width of `text` at `size` points, from the font's own advances.
    pub fn width(&self, text: &str, size: f32) -> f32 {
        let upm = f32::from(self.font.font_metrics.units_per_em.max(1));
        let units: f32 = text
            .chars()
            .map(|c| {
                let gid = self.font.lookup_glyph_index(u32::from(c)).unwrap_or(0);
                f32::from(self.font.get_horizontal_advance(gid))
            })
            .sum();
        units * size / upm
    }

    /// Splits `text` into lines no wider than `max_width`, at spaces; a word
    /// longer than a line (a token, say) is split between characters.
    pub fn wrap(&self, text: &str, size: f32, max_width: f32) -> Vec<String> {
        let mut lines = Vec::new();
        let mut line = String::new();
        for word in text.split_whitespace() {
            let candidate = if line.is_empty() { word.to_owned() } else { format!("{line} {word}") };
            if self.width(&candidate, size) <= max_width {
                line = candidate;
                continue;
            }
            if !line.is_empty() {
                lines.push(std::mem::take(&mut line));
            }
            for ch in word.chars() {
                line.push(ch);
                if self.width(&line, size) > max_width && line.chars().count() > 1 {
                    line.pop();
                    lines.push(std::mem::take(&mut line));
                    line.push(ch);
                }
            }
        }
        if !line.is_empty() {
            lines.push(line);
        }
        lines
    }
}

/// Accumulates page operations, tracking the vertical position from the top.
pub struct Page {
    pub ops: Vec<Op>,
    /// Left edge and width of the text column, in points.
    pub left: f32,
    pub width: f32,
    /// Baseline of the next line, in points from the page's bottom edge.
    pub y: f32,
}

impl Page {
    pub fn text_at(&mut self, face: &Face<'_>, size: f32, x: f32, y: f32, text: &str) {
        self.ops.extend([
            Op::StartTextSection,
            Op::SetFont { font: PdfFontHandle::External(face.id.clone()), size: Pt(size) },
            Op::SetTextCursor { pos: Point { x: Pt(x), y: Pt(y) } },
            Op::ShowText { items: vec![TextItem::Text(text.to_owned())] },
            Op::EndTextSection,
        ]);
    }

    /// Writes a wrapped paragraph across the column and moves below it.
    pub fn paragraph(&mut self, face: &Face<'_>, size: f32, text: &str) {
        self.paragraph_in(face, size, text, self.left, self.width);
    }

    /// The same within `width` points from `x`.
    pub fn paragraph_in(&mut self, face: &Face<'_>, size: f32, text: &str, x: f32, width: f32) {
        for line in face.wrap(text, size, width) {
            self.y -= size * 1.3;
            self.text_at(face, size, x, self.y, &line);
        }
    }

    pub fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    /// A grey rule across the column, `above` points below the current
    /// position, leaving the position `below` points under it.
    pub fn rule(&mut self, above: f32, below: f32) {
        self.y -= above;
        self.hline(self.y, 0.6, 0.35);
        self.y -= below;
    }

    /// A line across the column with its bottom at `y`.
    pub fn hline(&mut self, y: f32, thickness: f32, grey: f32) {
        self.rect(self.left, y, self.width, thickness, grey);
    }

    /// A filled grey rectangle (0 black, 1 white); the fill goes back to black.
    pub fn rect(&mut self, x: f32, y: f32, w: f32, h: f32, grey: f32) {
        let p = |x: f32, y: f32| LinePoint { p: Point { x: Pt(x), y: Pt(y) }, bezier: false };
        let ring = PolygonRing { points: vec![p(x, y), p(x + w, y), p(x + w, y + h), p(x, y + h)] };
        let fill = |v: f32| Op::SetFillColor { col: Color::Rgb(Rgb { r: v, g: v, b: v, icc_profile: None }) };
        self.ops.extend([
            fill(grey),
            Op::DrawPolygon {
                polygon: Polygon { rings: vec![ring], mode: PaintMode::Fill, winding_order: WindingOrder::NonZero },
            },
            fill(0.0),
        ]);
    }
}

/// Appends a QR code as raw PDF operators: one rectangle per run of dark
/// modules in a row, in module units under one scaling matrix, so every
/// number is a small integer and a code costs a few kilobytes (printpdf
/// polygons would write every corner as a float). The code is `size` points
/// wide, `modules` modules a side, its bottom-left corner at (`x`, `y`);
/// `is_dark(column, row)` counts rows from the top.
pub fn qr_ops(out: &mut String, x: f32, y: f32, size: f32, modules: usize, is_dark: impl Fn(usize, usize) -> bool) {
    use std::fmt::Write as _;
    let module = size / modules.max(1) as f32;
    let _ = writeln!(out, "q 0 g {module:.5} 0 0 {module:.5} {x:.3} {y:.3} cm");
    for row in 0..modules {
        let y = modules - 1 - row;
        let mut col = 0;
        while col < modules {
            if !is_dark(col, row) {
                col += 1;
                continue;
            }
            let start = col;
            while col < modules && is_dark(col, row) {
                col += 1;
            }
            let _ = writeln!(out, "{start} {y} {} 1 re", col - start);
        }
    }
    out.push_str("f Q\n");
}

/// Adds a content stream to a page, after printpdf's own.
pub fn append_to_page(lo: &mut lopdf::Document, page_id: lopdf::ObjectId, content: Vec<u8>) -> Result<(), KitError> {
    let stream_id = lo.add_object(lopdf::Stream::new(lopdf::Dictionary::new(), content));
    let page = lo.get_dictionary_mut(page_id).map_err(|e| KitError::Write(e.to_string()))?;
    let mut contents = match page.get(b"Contents") {
        Ok(lopdf::Object::Array(items)) => items.clone(),
        Ok(other) => vec![other.clone()],
        Err(_) => Vec::new(),
    };
    contents.push(lopdf::Object::Reference(stream_id));
    page.set("Contents", lopdf::Object::Array(contents));
    Ok(())
}

/// Deflates every stream not yet compressed, at the fastest level. lopdf's
/// own `compress` uses the best (slowest) level, which took more than half of
/// the time to issue a certificate; level 1 costs a few kilobytes on 40 KB.
pub fn compress_fast(lo: &mut lopdf::Document) -> Result<(), KitError> {
    use std::io::Write as _;
    let write_err = |e: std::io::Error| KitError::Write(e.to_string());
    for object in lo.objects.values_mut() {
        let lopdf::Object::Stream(stream) = object else {
            continue;
        };
        if stream.dict.get(b"Filter").is_ok() {
            continue;
        }
        let mut encoder = flate2::write::ZlibEncoder::new(Vec::new(), flate2::Compression::fast());
        encoder.write_all(&stream.content).map_err(write_err)?;
        let compressed = encoder.finish().map_err(write_err)?;
        if compressed.len() < stream.content.len() {
            stream.dict.set("Filter", "FlateDecode");
            stream.set_content(compressed);
        }
    }
    Ok(())
}
