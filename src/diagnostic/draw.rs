//! The `human` format of a diagnostic, drawn by annotate-snippets (stage:
//! report; compiler only).
//!
//! The message and code, the location, the source line with a caret under
//! the span and a labelled mark under every other place that explains the
//! problem, then the hint: what rustc, cargo and typos draw, with the same
//! crate. It counts display widths (a caret lines up under wide characters),
//! draws several spans and colours the text when asked.
//!
//! Where the crate would draw otherwise, the text stays what this format has
//! always shown, so piped output and its snapshots do not change:
//!
//! - a tab is one space and a control character U+FFFD (the crate shows a tab
//!   as four spaces and a control as its Unicode picture);
//! - a span over several lines is one caret at its start, a span past the end
//!   of its line a caret there (the crate refuses spans past its text: the
//!   line is padded with a placeholder that is removed from the drawing);
//! - no line is cut to a terminal's width, nor its leading white space (the
//!   crate elides more than 20 columns of it: leading spaces are drawn as a
//!   placeholder and put back);
//! - the zero-width joiner and the bidirectional controls are shown as they
//!   are in the spec (the crate drops or replaces them: they are drawn as
//!   placeholders and put back);
//! - the hint follows the caret without a blank gutter line, and a problem
//!   without a span shows its path alone: both are written here.
//!
//! Placeholders are private-use characters that none of the diagnostic's
//! texts holds.

use std::borrow::Cow;
use std::collections::{BTreeMap, HashSet};

use annotate_snippets::renderer::{DEFAULT_EMPHASIS_STYLE, DEFAULT_LINE_NUM_STYLE, Style};
use annotate_snippets::{Annotation, AnnotationKind, Group, Level, Renderer, Snippet};

use super::{Diagnostic, Span, escape, escape_path, is_unprintable};

/// Whether the `human` format is coloured (ANSI escape codes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Colour {
    /// No escape codes: for pipes, files and CI logs.
    #[default]
    Plain,
    /// rustc's colours, for a terminal.
    Ansi,
}

/// A terminal width no line reaches: lines are never cut.
const UNCUT: usize = usize::MAX / 4;

/// The characters annotate-snippets changes that our escaping leaves alone:
/// the zero-width joiner (dropped) and the bidirectional controls (shown as
/// U+FFFD).
const KEPT: [char; 10] = [
    '\u{200d}', '\u{202a}', '\u{202b}', '\u{202c}', '\u{202d}', '\u{202e}', '\u{2066}', '\u{2067}',
    '\u{2068}', '\u{2069}',
];

/// The `human` rendering of `d`: message, location, the source line with a
/// caret under the span and a mark under each label, hint, and a blank line.
pub fn human(d: &Diagnostic, colour: Colour) -> String {
    let renderer = match colour {
        Colour::Plain => Renderer::plain(),
        Colour::Ansi => Renderer::styled(),
    }
    .term_width(UNCUT);
    let style = |s: Style| match colour {
        Colour::Plain => Style::new(),
        Colour::Ansi => s,
    };
    let (gutter, emphasis) = (style(DEFAULT_LINE_NUM_STYLE), style(DEFAULT_EMPHASIS_STYLE));
    let message = escape(&d.message);
    let path = escape_path(&d.path);
    let (mut out, pad) = match (d.span, &d.line_text) {
        (Some(span), Some(line)) => {
            let source = Source::new(d, span, line);
            let drawing = source.draw(&renderer, d.code.as_str(), &message, &path);
            (drawing, " ".repeat(source.last_line().to_string().len()))
        }
        _ => {
            let title = Level::ERROR.primary_title(&*message).id(d.code.as_str());
            let mut out = renderer.render(&[Group::with_title(title)]);
            out.push_str(&format!("\n  {gutter}--> {gutter:#}{path}"));
            (out, "  ".to_owned())
        }
    };
    out.push('\n');
    if let Some(hint) = &d.hint {
        out.push_str(&format!(
            "{pad} {gutter}= {gutter:#}{emphasis}hint{emphasis:#}: {}\n",
            escape(hint)
        ));
    }
    out.push('\n');
    out
}

/// One place to mark: characters `start..end` of a line, 0-based.
struct Mark<'a> {
    line: usize,
    start: usize,
    end: usize,
    label: Option<&'a str>,
}

/// The lines a diagnostic shows, as drawn, and the marks on them.
struct Source<'a> {
    /// Every line known, by number, as shown (tabs and controls replaced).
    lines: BTreeMap<usize, String>,
    /// The primary mark first.
    marks: Vec<Mark<'a>>,
}

impl<'a> Source<'a> {
    fn new(d: &'a Diagnostic, span: Span, line: &str) -> Source<'a> {
        let mut lines = BTreeMap::new();
        for label in &d.labels {
            for (n, text) in &label.lines {
                lines.insert(*n, shown(text));
            }
        }
        lines.insert(span.start.line, shown(line));
        let mut marks = vec![mark(&lines, span, None).expect("the primary line is known")];
        marks.extend(
            d.labels
                .iter()
                .filter_map(|l| mark(&lines, l.span, Some(&l.text))),
        );
        Source { lines, marks }
    }

    fn first_line(&self) -> usize {
        self.marks.iter().map(|m| m.line).min().unwrap_or(1)
    }

    fn last_line(&self) -> usize {
        self.marks.iter().map(|m| m.line).max().unwrap_or(1)
    }

    /// The drawing, without a line break at its end.
    fn draw(&self, renderer: &Renderer, code: &str, message: &str, path: &str) -> String {
        let (first, last) = (self.first_line(), self.last_line());
        let texts = self
            .lines
            .range(first..=last)
            .map(|(_, l)| l.as_str())
            .chain([message, path])
            .chain(self.marks.iter().filter_map(|m| m.label));
        let primary = self.marks[0].line;
        let lead = self.lines[&primary].chars().next().unwrap_or(' ');
        let places = Placeholders::new(texts, lead);
        let mut source = String::new();
        let mut annotations = Vec::new();
        for n in first..=last {
            if n > first {
                source.push('\n');
            }
            let line = self.lines.get(&n).map_or("", String::as_str);
            let on_line = self.marks.iter().filter(|m| m.line == n);
            let width = on_line.clone().map(|m| m.end).max().unwrap_or(0);
            let line = places.line(line, width, n == primary);
            for (i, m) in self.marks.iter().enumerate().filter(|(_, m)| m.line == n) {
                let kind = if i == 0 {
                    AnnotationKind::Primary
                } else {
                    AnnotationKind::Context
                };
                let at = |c| source.len() + byte_of(&line, c);
                let annotation: Annotation<'_> = kind.span(at(m.start)..at(m.end));
                annotations.push(annotation.label(m.label.map(|l| places.hide(l))));
            }
            source.push_str(&line);
        }
        let title = Level::ERROR
            .primary_title(places.hide(message))
            .id(code.to_owned());
        let snippet = Snippet::source(source)
            .line_start(first)
            .path(places.hide(path))
            .annotations(annotations);
        places.restore(&renderer.render(&[title.element(snippet)]))
    }
}

/// A line as this format shows it: one column per character, a tab as a
/// space, a control character as U+FFFD.
fn shown(line: &str) -> String {
    line.chars()
        .map(|c| match c {
            '\t' => ' ',
            c if is_unprintable(c) => '\u{fffd}',
            c => c,
        })
        .collect()
}

/// The characters a span marks on the line it starts on: to its end on that
/// line, at least one, no further than the line's end but one character past
/// it (a span over several lines marks one character).
fn mark<'a>(
    lines: &BTreeMap<usize, String>,
    span: Span,
    label: Option<&'a str>,
) -> Option<Mark<'a>> {
    let len = lines.get(&span.start.line)?.chars().count();
    let start = span.start.col.saturating_sub(1);
    let width = if span.end.line == span.start.line {
        span.end.col.saturating_sub(span.start.col).max(1)
    } else {
        1
    };
    let width = width.min(len.saturating_sub(start).max(1));
    Some(Mark {
        line: span.start.line,
        start,
        end: start + width,
        label,
    })
}

/// The byte offset of character `c` of `line`.
fn byte_of(line: &str, c: usize) -> usize {
    line.char_indices().nth(c).map_or(line.len(), |(i, _)| i)
}

/// Private-use characters none of a diagnostic's texts holds, drawn in place
/// of what annotate-snippets would change and put back after.
struct Placeholders {
    /// One for each of [`KEPT`], one for the white space that starts the
    /// primary line, one for the padding that is removed; `None` when the
    /// texts hold every private-use character (the drawing is then the
    /// crate's own).
    chars: Option<[char; KEPT.len() + 2]>,
    /// The white space character the primary line starts with.
    lead: char,
}

impl Placeholders {
    fn new<'t>(texts: impl Iterator<Item = &'t str>, lead: char) -> Placeholders {
        let private = |c: &char| matches!(*c, '\u{e000}'..='\u{f8ff}' | '\u{f0000}'..='\u{10ffff}');
        let used: HashSet<char> = texts.flat_map(str::chars).filter(private).collect();
        let mut free = ('\u{e000}'..='\u{f8ff}')
            .chain('\u{f0000}'..='\u{ffffd}')
            .chain('\u{100000}'..='\u{10fffd}')
            .filter(|c| !used.contains(c));
        let mut chars = ['\0'; KEPT.len() + 2];
        let chars = chars
            .iter_mut()
            .try_for_each(|c| free.next().map(|f| *c = f))
            .map(|()| chars);
        Placeholders { chars, lead }
    }

    /// `text` with what the crate would change replaced by placeholders.
    fn hide<'t>(&self, text: &'t str) -> Cow<'t, str> {
        match self.chars {
            Some(chars) if text.contains(&KEPT[..]) => Cow::Owned(
                text.chars()
                    .map(|c| KEPT.iter().position(|&k| k == c).map_or(c, |i| chars[i]))
                    .collect(),
            ),
            _ => Cow::Borrowed(text),
        }
    }

    /// A source line ready for the crate: hidden, padded to `width`
    /// characters; the primary line's leading white space starts with a
    /// placeholder, so the crate finds none to elide.
    fn line(&self, line: &str, width: usize, primary: bool) -> String {
        let mut out = self.hide(line).into_owned();
        let padding = match self.chars {
            Some(chars) => {
                if primary && self.lead.is_whitespace() && out.starts_with(self.lead) {
                    let lead = chars[KEPT.len()].encode_utf8(&mut [0; 4]).to_owned();
                    out.replace_range(..self.lead.len_utf8(), &lead);
                }
                chars[KEPT.len() + 1]
            }
            None => ' ',
        };
        let missing = width.saturating_sub(line.chars().count());
        out.extend(std::iter::repeat_n(padding, missing));
        out
    }

    /// The drawing with every placeholder put back (the padding removed).
    fn restore(&self, drawn: &str) -> String {
        let Some(chars) = self.chars else {
            return drawn.to_owned();
        };
        drawn
            .chars()
            .filter_map(|c| match chars.iter().position(|&p| p == c) {
                Some(i) if i < KEPT.len() => Some(KEPT[i]),
                Some(i) if i == KEPT.len() => Some(self.lead),
                Some(_) => None,
                None => Some(c),
            })
            .collect()
    }
}
