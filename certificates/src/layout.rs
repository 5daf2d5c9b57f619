//! Page drawing helpers for the certificate PDF: measured text and word wrapping.

use printpdf::{
    Color, FontId, LinePoint, Op, PaintMode, ParsedFont, PdfFontHandle, Point, Polygon, PolygonRing, Pt, Rgb, TextItem,
    WindingOrder,
};

pub(crate) const MM: f32 = 72.0 / 25.4;

/// A font added to the document, with what is needed to measure text in it.
pub(crate) struct Face<'a> {
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
    /// longer than a line (a token, say) is split by characters.
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
                if self.width(&line, size) > max_width {
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
pub(crate) struct Page {
    pub ops: Vec<Op>,
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

    /// Writes a wrapped paragraph at the current position and moves below it.
    pub fn paragraph(&mut self, face: &Face<'_>, size: f32, text: &str) {
        self.paragraph_in(face, size, text, self.left, self.width);
    }

    pub fn paragraph_in(&mut self, face: &Face<'_>, size: f32, text: &str, x: f32, width: f32) {
        for line in face.wrap(text, size, width) {
            self.y -= size * 1.3;
            self.text_at(face, size, x, self.y, &line);
        }
    }

    /// A label column and a wrapped value column on the same baseline.
    pub fn field(&mut self, label: &Face<'_>, value: &Face<'_>, label_text: &str, value_text: &str) {
        let size = 10.0;
        let label_width = 62.0 * MM;
        let start_y = self.y;
        self.y -= size * 1.35;
        self.text_at(label, size, self.left, self.y, label_text);
        self.y = start_y;
        self.paragraph_in(value, size, value_text, self.left + label_width, self.width - label_width);
        self.y -= size * 0.35;
    }

    pub fn gap(&mut self, points: f32) {
        self.y -= points;
    }

    pub fn rule(&mut self) {
        self.y -= 6.0;
        let ring = rect_ring(self.left, self.y, self.width, 0.6);
        self.fill(vec![ring], 0.35);
        self.y -= 4.0;
    }

    fn fill(&mut self, rings: Vec<PolygonRing>, grey: f32) {
        self.ops.push(Op::SetFillColor { col: Color::Rgb(Rgb { r: grey, g: grey, b: grey, icc_profile: None }) });
        self.ops.push(Op::DrawPolygon {
            polygon: Polygon { rings, mode: PaintMode::Fill, winding_order: WindingOrder::NonZero },
        });
        self.ops.push(Op::SetFillColor { col: Color::Rgb(Rgb { r: 0.0, g: 0.0, b: 0.0, icc_profile: None }) });
    }
}

fn rect_ring(x: f32, y: f32, w: f32, h: f32) -> PolygonRing {
    let p = |x: f32, y: f32| LinePoint { p: Point { x: Pt(x), y: Pt(y) }, bezier: false };
    PolygonRing { points: vec![p(x, y), p(x + w, y), p(x + w, y + h), p(x, y + h)] }
}
