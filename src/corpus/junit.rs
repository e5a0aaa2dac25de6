//! JUnit XML for CI systems: one test suite "portcullis-corpus", one test case per job
//! (class name = driver, name = `<scenario>/<arch>`), a `<failure>` with the reason as its
//! message and the reason, diff and worker diagnostics as its body.
//!
//! The document holds no timestamps, durations or host names: the same results always give
//! the same bytes, which is what lets a merge of sharded runs equal one unsharded run.

use std::fmt::Write as _;

use super::results::{JobResult, Summary};

/// The test suite's name.
pub const SUITE: &str = "portcullis-corpus";

/// Escapes text content. Characters XML 1.0 cannot carry at all (most C0 controls) are
/// written as `\u{..}` so the document stays well-formed.
pub fn escape_text(s: &str) -> String {
    escape(s, false)
}

/// Escapes an attribute value (double-quoted); line breaks and tabs become character
/// references so that attribute-value normalisation keeps them.
pub fn escape_attr(s: &str) -> String {
    escape(s, true)
}

fn escape(s: &str, attr: bool) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\'' if attr => out.push_str("&apos;"),
            '\n' if attr => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' if attr => out.push_str("&#9;"),
            '\n' | '\t' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{fffe}' || c == '\u{ffff}' => {
                let _ = write!(out, "\\u{{{:x}}}", c as u32);
            }
            c => out.push(c),
        }
    }
    out
}

/// The JUnit document for `results` (in the order given; callers sort by job name).
pub fn render(results: &[JobResult]) -> String {
    let sum = Summary::of(results, false);
    let mut s = String::new();
    let _ = writeln!(s, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>");
    let _ = writeln!(
        s,
        "<testsuites name=\"{SUITE}\" tests=\"{}\" failures=\"{}\" errors=\"0\">",
        results.len(),
        sum.failed
    );
    let _ = writeln!(
        s,
        "  <testsuite name=\"{SUITE}\" tests=\"{}\" failures=\"{}\" errors=\"0\" skipped=\"0\">",
        results.len(),
        sum.failed
    );
    for r in results {
        let open =
            format!("    <testcase classname=\"{}\" name=\"{}\"", escape_attr(&r.driver), escape_attr(&r.case_name()));
        if r.passed {
            let _ = writeln!(s, "{open}/>");
            continue;
        }
        let reason = r.reason.as_deref().unwrap_or("failed");
        let mut body = reason.to_string();
        for block in [&r.diff, &r.stderr].into_iter().flatten() {
            body.push_str("\n\n");
            body.push_str(block.trim_end());
        }
        let _ = writeln!(s, "{open}>");
        let _ = writeln!(s, "      <failure message=\"{}\">{}</failure>", escape_attr(reason), escape_text(&body));
        let _ = writeln!(s, "    </testcase>");
    }
    let _ = writeln!(s, "  </testsuite>");
    let _ = writeln!(s, "</testsuites>");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_quotes_and_controls() {
        assert_eq!(escape_text("a<b>&c \"q\" 'x'\n\tz"), "a&lt;b&gt;&amp;c \"q\" 'x'\n\tz");
        assert_eq!(escape_attr("a<b>&c \"q\" 'x'\n\tz"), "a&lt;b&gt;&amp;c &quot;q&quot; &apos;x&apos;&#10;&#9;z");
        assert_eq!(escape_text("bell\u{7} nul\u{0} cr\r"), "bell\\u{7} nul\\u{0} cr&#13;");
        assert_eq!(escape_text("]]> é ✓"), "]]&gt; é ✓");
    }

    #[test]
    fn renders_passes_and_failures() {
        let pass = JobResult {
            name: "beeper/default/x64".into(),
            driver: "beeper".into(),
            scenario: "default".into(),
            arch: "x64".into(),
            passed: true,
            reason: None,
            diff: None,
            outcome: Some(crate::outcome::Outcome::Ok),
            expected_outcome: None,
            stderr: None,
            blessed: None,
            trace_to_bless: None,
        };
        let fail = JobResult {
            name: "a&b/io<1>/x86".into(),
            driver: "a&b".into(),
            scenario: "io<1>".into(),
            arch: "x86".into(),
            passed: false,
            reason: Some("golden trace differs".into()),
            diff: Some("-{\"x\":\"<\"}\n+{\"x\":\">\"}\n".into()),
            ..pass.clone()
        };
        let xml = render(&[pass, fail]);
        assert_eq!(
            xml,
            "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n\
             <testsuites name=\"portcullis-corpus\" tests=\"2\" failures=\"1\" errors=\"0\">\n  \
             <testsuite name=\"portcullis-corpus\" tests=\"2\" failures=\"1\" errors=\"0\" skipped=\"0\">\n    \
             <testcase classname=\"beeper\" name=\"default/x64\"/>\n    \
             <testcase classname=\"a&amp;b\" name=\"io&lt;1&gt;/x86\">\n      \
             <failure message=\"golden trace differs\">golden trace differs\n\n\
             -{\"x\":\"&lt;\"}\n+{\"x\":\"&gt;\"}</failure>\n    \
             </testcase>\n  \
             </testsuite>\n\
             </testsuites>\n"
        );
    }
}
