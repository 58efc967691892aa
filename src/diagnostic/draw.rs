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
//!   crate elides more than 20 columns of it unless a marked line starts
//!   with none: the primary line's first character, if white space, is drawn
//!   as a placeholder and put back);
//! - the zero-width joiner and the bidirectional controls are shown as they
//!   are in the spec (the crate drops or replaces them: they are drawn as
//!   placeholders and put back);
//! - the hint follows the caret without a blank gutter line, and a problem
//!   without a span shows its path alone: both are written here;
//! - labels are escaped like every other text, so each stays on its line.
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
            let places = Placeholders::new([&*message].into_iter(), ' ');
            let title = Level::ERROR
                .primary_title(places.hide(&message))
                .id(d.code.as_str());
            let mut out = places.restore(&renderer.render(&[Group::with_title(title)]));
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
    label: Option<Cow<'a, str>>,
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
                .filter_map(|l| mark(&lines, l.span, Some(escape(&l.text)))),
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
            .chain(self.marks.iter().filter_map(|m| m.label.as_deref()));
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
            let on_line = || self.marks.iter().enumerate().filter(|(_, m)| m.line == n);
            let width = on_line().map(|(_, m)| m.end).max().unwrap_or(0);
            let line = places.line(line, width, n == primary);
            for (i, m) in on_line() {
                let kind = if i == 0 {
                    AnnotationKind::Primary
                } else {
                    AnnotationKind::Context
                };
                let at = |c| source.len() + byte_of(&line, c);
                let annotation: Annotation<'_> = kind.span(at(m.start)..at(m.end));
                annotations.push(annotation.label(m.label.as_deref().map(|l| places.hide(l))));
            }
            source.push_str(&line);
        }
        let title = Level::ERROR.primary_title(places.hide(message)).id(code);
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
    label: Option<Cow<'a, str>>,
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

#[cfg(test)]
mod tests {
    use std::fmt::Write as _;
    use std::path::{Path, PathBuf};

    use proptest::prelude::*;

    use super::*;
    use crate::diagnostic::{Code, Lines, Pos};

    fn span(line: usize, col: usize, end_col: usize) -> Span {
        Span {
            start: Pos { line, col },
            end: Pos { line, col: end_col },
        }
    }

    fn plain(d: &Diagnostic) -> String {
        human(d, Colour::Plain)
    }

    /// The format as it was drawn by hand before annotate-snippets: the
    /// oracle for every diagnostic without labels and without wide characters.
    fn hand_drawn(d: &Diagnostic) -> String {
        let mut out = format!("error[{}]: {}\n", d.code, escape(&d.message));
        let pos = d.pos();
        let path = escape_path(&d.path);
        match (&d.span, &d.line_text) {
            (Some(span), Some(line)) => {
                let number = pos.line.to_string();
                let pad = " ".repeat(number.len());
                let line = shown(line);
                let width = if span.end.line == span.start.line {
                    span.end.col.saturating_sub(span.start.col).max(1)
                } else {
                    1
                };
                let width = width.min(line.chars().count().saturating_sub(pos.col - 1).max(1));
                let _ = writeln!(out, "{pad}--> {path}:{}:{}", pos.line, pos.col);
                let _ = writeln!(out, "{pad} |");
                let _ = writeln!(out, "{number} | {line}");
                let caret = "^".repeat(width);
                let _ = writeln!(out, "{pad} | {}{caret}", " ".repeat(pos.col - 1));
                if let Some(hint) = &d.hint {
                    let _ = writeln!(out, "{pad} = hint: {}", escape(hint));
                }
            }
            _ => {
                let _ = writeln!(out, "  --> {path}");
                if let Some(hint) = &d.hint {
                    let _ = writeln!(out, "   = hint: {}", escape(hint));
                }
            }
        }
        out.push('\n');
        out
    }

    #[test]
    fn a_duplicate_is_shown_at_both_copies() {
        let text = "tags:\n  partitions:\n  - name: stations\n    values:\n    - NL01497\n    - NL01912\n    - NL01497\n";
        let lines = Lines::new(text);
        let path = Path::new("specs/a.yaml");
        let d = lines
            .diagnostic(
                path,
                span(7, 7, 14),
                Code::Duplicate,
                "`NL01497` is listed twice",
            )
            .with_hint("remove one")
            .with_label(lines.label(span(5, 7, 14), "first listed here"));
        assert_eq!(
            plain(&d),
            "\
error[E017]: `NL01497` is listed twice
 --> specs/a.yaml:7:7
  |
5 |     - NL01497
  |       ------- first listed here
6 |     - NL01912
7 |     - NL01497
  |       ^^^^^^^
  = hint: remove one

"
        );
    }

    #[test]
    fn two_spans_on_one_line_are_both_marked() {
        let lines = Lines::new("values: [a, b, a]\n");
        let d = lines
            .diagnostic(
                Path::new("specs/a.yaml"),
                span(1, 16, 17),
                Code::Duplicate,
                "`a` is listed twice",
            )
            .with_label(lines.label(span(1, 10, 11), "first listed here"));
        assert_eq!(
            plain(&d),
            "\
error[E017]: `a` is listed twice
 --> specs/a.yaml:1:16
  |
1 | values: [a, b, a]
  |          -     ^
  |          |
  |          first listed here

"
        );
    }

    #[test]
    fn spans_on_distant_lines_elide_the_lines_between() {
        let text = format!("job_name: a\n{}job_name: b\n", "x: y\n".repeat(38));
        let lines = Lines::new(&text);
        let d = lines
            .diagnostic(
                Path::new("specs/a.yaml"),
                span(40, 1, 9),
                Code::DuplicateKey,
                "`job_name` is given twice",
            )
            .with_label(lines.label(span(1, 1, 9), "first given here"))
            .with_hint("remove one");
        assert_eq!(
            plain(&d),
            "\
error[E009]: `job_name` is given twice
  --> specs/a.yaml:40:1
   |
 1 | job_name: a
   | -------- first given here
...
40 | job_name: b
   | ^^^^^^^^
   = hint: remove one

"
        );
    }

    #[test]
    fn carets_line_up_under_wide_characters() {
        let lines = Lines::new("name: 日本語の名前 🦀 x\n");
        let d = lines
            .diagnostic(
                Path::new("specs/a.yaml"),
                span(1, 15, 16),
                Code::InvalidValue,
                "`x` is not a name",
            )
            .with_label(lines.label(span(1, 7, 13), "名前"));
        assert_eq!(
            plain(&d),
            "\
error[E014]: `x` is not a name
 --> specs/a.yaml:1:15
  |
1 | name: 日本語の名前 🦀 x
  |       ------------   ^
  |       |
  |       名前

"
        );
    }

    #[test]
    fn lines_are_shown_whole_and_as_written() {
        let path = Path::new("specs/a.yaml");
        let deep = format!("{}key: value", " ".repeat(40));
        let long = format!("key: {}", "x".repeat(300));
        let cases = [
            // Leading white space the crate would elide, a line it would cut.
            (deep.as_str(), span(1, 41, 44)),
            (long.as_str(), span(1, 290, 300)),
            // Tabs and control characters, one column each.
            ("\tname:\t\u{1b}[31m\0x", span(1, 10, 11)),
            // The joiner and bidirectional controls, which the crate drops or replaces.
            ("name: a\u{200d}b \u{202e}cba\u{202c} x", span(1, 17, 18)),
            // Private-use characters, which the drawing uses as placeholders.
            ("name: \u{e000}\u{e001}\u{f0000} x", span(1, 11, 12)),
            // A span past the end of its line, an empty line, a span over several lines.
            ("key: v", span(1, 7, 9)),
            ("key: v", span(1, 12, 13)),
            ("", span(1, 1, 1)),
            (
                "key: |",
                Span {
                    start: Pos { line: 1, col: 6 },
                    end: Pos { line: 3, col: 1 },
                },
            ),
        ];
        for (line, span) in cases {
            let d = Lines::new(line)
                .diagnostic(path, span, Code::Syntax, "bad \u{202e}\u{200d}\u{e000}")
                .with_hint("fix \u{202e}it");
            assert_eq!(plain(&d), hand_drawn(&d), "{line:?}");
        }
        let empty = Lines::new("").diagnostic(path, span(1, 1, 1), Code::Syntax, "x");
        assert!(plain(&empty).contains("\n1 | \n"), "{}", plain(&empty));
    }

    #[test]
    fn labels_are_escaped_like_every_text() {
        let lines = Lines::new("a: 1\nb: 2\n");
        let d = lines
            .diagnostic(
                Path::new("a.yaml"),
                span(2, 1, 2),
                Code::DuplicateKey,
                "twice",
            )
            .with_label(lines.label(span(1, 1, 2), "key `a\n::error::x`\u{1b}[31m"));
        let drawn = plain(&d);
        assert!(
            drawn.contains("| - key `a\\n::error::x`\\u{1b}[31m\n"),
            "{drawn}"
        );
        assert!(!drawn.lines().any(|l| l.starts_with("::")), "{drawn}");
    }

    #[test]
    fn a_problem_without_a_span_shows_its_path() {
        let d = Diagnostic::file(Path::new("specs/\u{202e}a\n.yaml"), Code::Empty, "empty")
            .with_hint("add a key");
        assert_eq!(
            plain(&d),
            "error[E006]: empty\n  --> specs/\u{202e}a\\n.yaml\n   = hint: add a key\n\n"
        );
        assert_eq!(plain(&d), hand_drawn(&d));
    }

    #[test]
    fn colour_is_escape_codes_around_the_same_text() {
        let lines = Lines::new("job_nme: x\n");
        let d = lines
            .diagnostic(
                Path::new("specs/a.yaml"),
                span(1, 1, 8),
                Code::UnknownKey,
                "unknown key `job_nme`",
            )
            .with_label(lines.label(span(1, 10, 11), "value"))
            .with_hint("did you mean `job_name`?");
        let ansi = human(&d, Colour::Ansi);
        assert!(
            ansi.contains("\u{1b}[1m\u{1b}[91merror[E011]\u{1b}[0m"),
            "{ansi:?}"
        );
        assert!(
            ansi.contains("\u{1b}[1m\u{1b}[94m= \u{1b}[0m\u{1b}[1mhint\u{1b}[0m: did"),
            "{ansi:?}"
        );
        assert!(!plain(&d).contains('\u{1b}'));
        let mut stripped = String::new();
        let mut rest = ansi.as_str();
        while let Some(i) = rest.find('\u{1b}') {
            stripped.push_str(&rest[..i]);
            rest = &rest[i + rest[i..].find('m').expect("an SGR sequence") + 1..];
        }
        stripped.push_str(rest);
        assert_eq!(stripped, plain(&d));
    }

    /// Characters of one column: what the hand-drawn format and the crate
    /// agree on (no wide or zero-width characters but the kept ones).
    fn narrow() -> impl Strategy<Value = String> {
        let c = prop_oneof![
            4 => proptest::char::range(' ', '~'),
            1 => proptest::sample::select(vec![
                '\t', '\0', '\u{1b}', '\u{7f}', '\u{85}', '\r', '\u{2028}', 'é', '“', '\u{fffd}',
                '\u{200d}', '\u{202a}', '\u{202e}', '\u{2066}', '\u{2069}', '\u{e000}', '\u{e001}',
                '\u{f0000}', '\u{10fffd}',
            ]),
        ];
        proptest::collection::vec(c, 0..60).prop_map(|v| v.into_iter().collect())
    }

    proptest! {
        #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

        /// Without labels, annotate-snippets draws exactly what was drawn by hand.
        #[test]
        fn without_labels_the_drawing_is_the_hand_drawn_one(
            indent in 0usize..40,
            line in narrow(),
            (line_no, col, end_line, end_col) in (1usize..200, 1usize..120, 0usize..3, 0usize..130),
            message in narrow(),
            path in narrow(),
            hint in proptest::option::of(narrow()),
            spanned in any::<bool>(),
        ) {
            let line = format!("{}{}", " ".repeat(indent), line.replace('\n', " "));
            let start = Pos { line: line_no, col };
            let end = Pos { line: line_no + end_line, col: end_col };
            let mut d = Diagnostic::file(&PathBuf::from(path), Code::Syntax, message);
            d.hint = hint;
            if spanned {
                d.span = Some(Span { start, end });
                d.line_text = Some(line);
            }
            prop_assert_eq!(plain(&d), hand_drawn(&d));
        }

        /// Labels anywhere (overlapping, past their line, on lines nobody
        /// knows) draw without a panic, and the location stays the primary's.
        #[test]
        fn any_labels_draw(
            text in proptest::collection::vec(narrow(), 1..8),
            primary in (1usize..9, 1usize..70, 0usize..3, 0usize..70),
            labels in proptest::collection::vec(((1usize..12, 1usize..70, 0usize..3, 0usize..70), narrow()), 0..5),
        ) {
            let text = text.join("\n");
            let lines = Lines::new(&text);
            let at = |(line, col, down, end): (usize, usize, usize, usize)| Span {
                start: Pos { line, col },
                end: Pos { line: line + down, col: end },
            };
            let mut d = lines.diagnostic(Path::new("a.yaml"), at(primary), Code::Syntax, "x");
            for (span, label) in labels {
                d = d.with_label(lines.label(at(span), label));
            }
            let location = format!("--> a.yaml:{}:{}\n", primary.0, primary.1);
            let drawn = plain(&d);
            prop_assert!(drawn.contains(&location) || d.line_text.is_none(), "{}", drawn);
            human(&d, Colour::Ansi);
        }
    }
}
